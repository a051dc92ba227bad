//! Loom models of the lifecycle flags (`src/lifecycle.rs`), of the
//! monitor registry (`src/monitor.rs`) and of the unbounded mailbox's list
//! (`src/mailbox_list.rs`: its claims, block links, close and sleep),
//! compiled here from the crate's own source: the actor itself runs on OS
//! threads, which loom cannot drive; a bounded mailbox is channels-patterns'
//! `BoundedQueue`, modelled there. Under loom a list's block holds one
//! message, so every push crosses a block end. Run with `cargo xtask loom`.
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

#[allow(dead_code, unreachable_pub)]
#[path = "../src/mailbox_list.rs"]
mod mailbox_list;

use lifecycle::{Lifecycle, KILL, RUNNING, STOP};
use mailbox_list::{MailboxList, Nothing};
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

#[test]
fn concurrent_pushes_across_a_block_end_are_each_taken_once() {
    // Two senders, one message each, while the taker sleeps: under loom a
    // block holds one message, so each push links a new block (a second
    // push may wait at the block end meanwhile) and each take frees the
    // block it leaves. The taker is woken for each message, and takes each
    // exactly once.
    loom::model(|| {
        let (list, mut taker) = MailboxList::new();
        let list = Arc::new(list);
        let senders: Vec<_> = [1_u8, 2]
            .into_iter()
            .map(|message| {
                let list = Arc::clone(&list);
                thread::spawn(move || list.push(message).unwrap())
            })
            .collect();
        let mut taken: Vec<u8> = (0..2).map(|_| list.pop(&mut taker).unwrap()).collect();
        senders.into_iter().for_each(|s| s.join().unwrap());
        assert_eq!(list.try_pop(&mut taker), Err(Nothing::Empty));
        assert_eq!(list.len(), 0);
        taken.sort_unstable();
        assert_eq!(taken, [1, 2]);
    });
}

#[test]
fn concurrent_close_either_refuses_a_push_or_hands_its_message_to_the_taker() {
    // A push races the close while the taker sleeps: the taker wakes, and
    // takes the message exactly when the push was accepted; then `pop`
    // ends with `None`, for good.
    loom::model(|| {
        let (list, mut taker) = MailboxList::new();
        let list = Arc::new(list);
        list.push(0_u8).unwrap();
        let sender = {
            let list = Arc::clone(&list);
            thread::spawn(move || list.push(1).is_ok())
        };
        let closer = {
            let list = Arc::clone(&list);
            thread::spawn(move || assert!(list.close()))
        };
        let mut taken = Vec::new();
        while let Some(message) = list.pop(&mut taker) {
            taken.push(message);
        }
        let accepted = sender.join().unwrap();
        closer.join().unwrap();
        let expected: &[u8] = if accepted { &[0, 1] } else { &[0] };
        assert_eq!(taken, expected);
        assert_eq!(list.pop(&mut taker), None);
        assert_eq!(list.try_pop(&mut taker), Err(Nothing::Closed));
    });
}

#[test]
fn messages_left_in_the_list_are_dropped_with_it_once() {
    // Pushed from two threads across a block end, never taken: the list's
    // drop drops each once and frees its blocks (loom checks the leaks).
    loom::model(|| {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        struct Counted(Arc<loom::sync::atomic::AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, loom::sync::atomic::Ordering::Relaxed);
            }
        }
        let (list, _taker) = MailboxList::new();
        let list = Arc::new(list);
        let sender = {
            let (list, drops) = (Arc::clone(&list), Arc::clone(&drops));
            thread::spawn(move || {
                list.push(Counted(Arc::clone(&drops))).ok().unwrap();
                list.push(Counted(drops)).ok().unwrap();
            })
        };
        list.push(Counted(Arc::clone(&drops))).ok().unwrap();
        sender.join().unwrap();
        assert_eq!(list.len(), 3);
        drop(list);
        assert_eq!(drops.load(loom::sync::atomic::Ordering::Relaxed), 3);
    });
}
