//! Loom models of the lifecycle flags (`src/lifecycle.rs`) and of the
//! monitor registry (`src/monitor.rs`), compiled here
//! from the crate's own source: the actor itself runs on OS threads,
//! which loom cannot drive; its mailbox's close rests on channels-patterns'
//! `BoundedQueue` (bounded) and `atomics_kit::AdmissionGate` (unbounded),
//! each modelled in its own crate. Run with `cargo xtask loom`.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../src/sync.rs"]
mod sync;

#[allow(dead_code, unreachable_pub)]
#[path = "../src/lifecycle.rs"]
mod lifecycle;

#[allow(dead_code, unreachable_pub)]
#[path = "../src/monitor.rs"]
mod monitor;

use lifecycle::{Lifecycle, KILL, RUNNING, STOP};
use monitor::Registry;

#[test]
fn concurrent_handle_drops_see_exactly_one_last() {
    // Three handles dropped on three threads: exactly one drop is the last.
    loom::model(|| {
        let lifecycle = Arc::new(Lifecycle::new());
        for _ in 0..3 {
            lifecycle.handle_created();
        }
        let droppers: Vec<_> = (0..2)
            .map(|_| {
                let lifecycle = Arc::clone(&lifecycle);
                thread::spawn(move || lifecycle.handle_dropped())
            })
            .collect();
        let mine = lifecycle.handle_dropped();
        let lasts = droppers
            .into_iter()
            .map(|d| d.join().unwrap())
            .filter(|last| *last)
            .count()
            + usize::from(mine);
        assert_eq!(lasts, 1);
    });
}

#[test]
fn concurrent_stop_and_kill_end_as_a_kill_whatever_the_order() {
    // A stop and a kill race; the request ends as KILL, and a reader never
    // sees it go down.
    loom::model(|| {
        let lifecycle = Arc::new(Lifecycle::new());
        let stopper = {
            let lifecycle = Arc::clone(&lifecycle);
            thread::spawn(move || lifecycle.request(STOP))
        };
        let killer = {
            let lifecycle = Arc::clone(&lifecycle);
            thread::spawn(move || lifecycle.request(KILL))
        };
        let first = lifecycle.requested();
        let second = lifecycle.requested();
        assert!(first <= second, "the request never goes down");
        assert!(first == RUNNING || first == STOP || first == KILL);
        stopper.join().unwrap();
        killer.join().unwrap();
        assert_eq!(lifecycle.requested(), KILL);
    });
}

#[test]
fn an_upgrade_racing_the_last_drop_never_revives_the_count() {
    // One handle left, dropped on one thread while another upgrades a weak
    // handle (and drops what it got): exactly one drop is the last, and an
    // upgrade that fails found the count at zero for good.
    loom::model(|| {
        let lifecycle = Arc::new(Lifecycle::new());
        lifecycle.handle_created();
        let upgrader = {
            let lifecycle = Arc::clone(&lifecycle);
            thread::spawn(move || {
                if lifecycle.try_handle_created() {
                    (true, lifecycle.handle_dropped())
                } else {
                    (false, false)
                }
            })
        };
        let mine = lifecycle.handle_dropped();
        let (upgraded, theirs) = upgrader.join().unwrap();
        assert_eq!(usize::from(mine) + usize::from(theirs), 1, "one last drop");
        if !upgraded {
            assert!(mine, "a failed upgrade came after the last drop");
        }
        assert!(!lifecycle.try_handle_created(), "zero is for good");
    });
}

#[test]
fn monitors_racing_the_exit_are_each_notified_exactly_once() {
    // Two monitors are set on two threads while the actor goes down on a
    // third: each is notified exactly once, by the exit (it was registered
    // first) or by its own `watch` (the actor was down), always with the
    // one reason, and a second `down` finds nothing left.
    loom::model(|| {
        let registry = Arc::new(Registry::<u32, u8>::new());
        let watchers: Vec<_> = (0..2)
            .map(|id| {
                let registry = Arc::clone(&registry);
                thread::spawn(move || match registry.watch(id) {
                    Ok(()) => None,
                    Err((back, reason)) => Some((back, reason)),
                })
            })
            .collect();
        let mut notified: Vec<(u32, u8)> = registry.down(7).into_iter().map(|id| (id, 7)).collect();
        for watcher in watchers {
            notified.extend(watcher.join().unwrap());
        }
        notified.sort_unstable();
        assert_eq!(notified, [(0, 7), (1, 7)]);
        assert!(registry.down(9).is_empty(), "once down, for good");
        assert_eq!(registry.watch(5), Err((5, 7)), "the first reason stays");
    });
}
