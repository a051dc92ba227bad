//! A bounded mailbox whose slots the allocator refuses makes `spawn`
//! return a typed error instead of aborting the process.

use std::sync::atomic::{AtomicUsize, Ordering};

use actorlite::{Actor, ActorBuilder, Context, Mailbox, SpawnError};

/// 4 GiB messages: `Mailbox::MAX_BOUNDED` slots of them need 256 TiB, more
/// than a 64-bit process's address space (128 TiB on x86-64 Linux), so
/// the allocator refuses them whatever the machine's memory or overcommit
/// policy (`channels-patterns`' `tests/allocation_failure.rs` makes an
/// allocator refuse smaller ones).
type Huge = [u8; 1 << 32];

/// An actor of huge messages (none is ever built) that counts its drops.
struct Big;

static DROPPED: AtomicUsize = AtomicUsize::new(0);

impl Drop for Big {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

impl Actor for Big {
    type Message = Box<Huge>;
    fn handle(&mut self, _: Box<Huge>, _: &mut Context<Self>) {}
}

/// The same actor, its messages by value.
struct ByValue;

impl Actor for ByValue {
    type Message = Huge;
    fn handle(&mut self, _: Huge, _: &mut Context<Self>) {}
}

#[test]
#[cfg_attr(
    miri,
    ignore = "miri reports the 256 TiB request as exhaustion, not null"
)]
fn a_bounded_mailbox_whose_slots_the_allocator_refuses_is_a_typed_error() {
    // The process aborted here before. The stack is one its messages fit
    // (else `StackTooSmall` comes first); it is never mapped, since the
    // mailbox is refused before the thread starts.
    let error = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(Mailbox::MAX_BOUNDED))
        .stack_size(1 << 40)
        .spawn(ByValue)
        .unwrap_err();
    let SpawnError::InvalidSize(size) = error else {
        panic!("expected InvalidSize, got {error:?}");
    };
    assert!(size.is_allocation_failure(), "{size}");
    // Boxed, the same bound is 512 KiB of slots: it spawns, and the actor
    // is dropped once when it stops.
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(Mailbox::MAX_BOUNDED))
        .spawn(Big)
        .unwrap();
    handle.stop();
    handle.join();
    assert_eq!(DROPPED.load(Ordering::SeqCst), 1);
}
