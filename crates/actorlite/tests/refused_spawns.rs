//! A refused spawn drops what it was given (the actor; the factory and its
//! first instance) on the calling thread, catching a panic of their
//! `Drop`, and returns its `SpawnError`. Before, one such panic came out of
//! `spawn` in place of the error, and two (a supervised spawn whose thread
//! would not start) aborted the process (a break run): the tests that
//! aborted run in a child process.

use std::sync::atomic::{AtomicUsize, Ordering};

use actorlite::{Actor, ActorBuilder, Context, Mailbox, RestartPolicy, SpawnError};
use fearless_test_support::is_the_child_of;

/// Counts its drop, then panics.
struct Loud(&'static AtomicUsize);

impl Drop for Loud {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("dropping a refused actor's part panics");
    }
}

struct Quiet(#[allow(dead_code)] Loud);

impl Actor for Quiet {
    type Message = ();
    fn handle(&mut self, (): (), _: &mut Context<Self>) {}
}

#[test]
fn a_spawn_refused_for_its_options_returns_the_error_though_the_actors_drop_panics() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let refusals = [
        ActorBuilder::new().name("a\0b").spawn(Quiet(Loud(&DROPS))),
        ActorBuilder::new()
            .mailbox(Mailbox::Bounded(0))
            .spawn(Quiet(Loud(&DROPS))),
    ];
    assert!(matches!(refusals[0], Err(SpawnError::InvalidName(_))));
    assert!(matches!(refusals[1], Err(SpawnError::InvalidSize(_))));
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        2,
        "each refused actor dropped once"
    );
}

#[test]
fn a_supervised_spawn_refused_for_its_options_returns_the_error_though_the_factorys_drop_panics() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let captured = Loud(&DROPS);
    let refused = ActorBuilder::new().name("a\0b").spawn_supervised(
        move || {
            let _ = &captured;
            Quiet(Loud(&DROPS))
        },
        RestartPolicy::default(),
    );
    assert!(matches!(refused, Err(SpawnError::InvalidName(_))));
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        1,
        "the factory dropped, never called"
    );
}

#[test]
#[cfg_attr(miri, ignore = "miri cannot start a child process")]
fn a_supervised_spawn_whose_thread_will_not_start_drops_instance_and_factory_without_aborting() {
    if !is_the_child_of(
        "a_supervised_spawn_whose_thread_will_not_start_drops_instance_and_factory_without_aborting",
    ) {
        return;
    }
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let captured = Loud(&DROPS);
    // No thread can have a stack of `usize::MAX` bytes: the OS refuses it.
    let refused = ActorBuilder::new().stack_size(usize::MAX).spawn_supervised(
        move || {
            let _ = &captured;
            Quiet(Loud(&DROPS))
        },
        RestartPolicy::default(),
    );
    assert!(matches!(refused, Err(SpawnError::Spawn(_))));
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        2,
        "the first instance and the factory, each dropped once"
    );
    // And an unsupervised one.
    let refused = ActorBuilder::new()
        .stack_size(usize::MAX)
        .spawn(Quiet(Loud(&DROPS)));
    assert!(matches!(refused, Err(SpawnError::Spawn(_))));
    assert_eq!(DROPS.load(Ordering::SeqCst), 3);
}
