//! [`order_seqcst_accesses`]: loom's stand-in for the total order of
//! `SeqCst` accesses.

/// Under loom, a `SeqCst` fence; elsewhere, nothing.
///
/// A park/wake protocol may order "condition changed, then waiters read"
/// against "waiter announced, then condition read" with `SeqCst` accesses
/// alone: all four are in the one total order of `SeqCst` operations, so
/// either the waiter's read sees the change or the notifier's read sees
/// the waiter, and no fence is needed (on x86 the change and the
/// announcement are locked instructions already, and a `SeqCst` load is a
/// plain load). Loom models `SeqCst` accesses as `AcqRel` only
/// (tokio-rs/loom#180), so it would report this store-buffering pattern as
/// a lost wake-up; under loom this fence, placed between the two accesses
/// of each side, gives the same order through the fences' total order,
/// which loom does model.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::order_seqcst_accesses;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let (sleeping, has_work) = (AtomicBool::new(false), AtomicBool::new(false));
/// // The waiter's side: announce, then read the condition.
/// sleeping.store(true, Ordering::SeqCst);
/// order_seqcst_accesses();
/// if !has_work.load(Ordering::SeqCst) {
///     // park (a notifier that set `has_work` will see `sleeping`)
/// }
/// ```
#[cfg(loom)]
pub fn order_seqcst_accesses() {
    loom::sync::atomic::fence(loom::sync::atomic::Ordering::SeqCst);
}

/// Under loom, a `SeqCst` fence; elsewhere, nothing (see the loom build's
/// documentation of this function).
#[cfg(not(loom))]
#[inline(always)]
pub fn order_seqcst_accesses() {}
