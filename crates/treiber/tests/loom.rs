//! Loom models: every interleaving (bounded by `LOOM_MAX_PREEMPTIONS`) of
//! two or three threads. Run with `cargo xtask loom`.
//!
//! Loom checks orderings and interleavings, not pointer lifetimes: a stack
//! that recycled popped nodes at once would pass here, and under loom the
//! hazard scan is switched off (`sync::RETIRED_BEFORE_SCAN`). Miri and the
//! sanitizers cover lifetimes and reuse (tests/stress.rs). The free list
//! that moves empty nodes between threads is modelled on its own (the
//! `free_list_*` models), since without the scan the stack rarely feeds it.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use treiber::TreiberStack;

/// Sorted, for comparing multisets.
fn sorted(mut values: Vec<i32>) -> Vec<i32> {
    values.sort_unstable();
    values
}

#[test]
fn concurrent_push_and_pop_lose_and_duplicate_nothing() {
    loom::model(|| {
        let stack = Arc::new(TreiberStack::new());
        stack.push(1);
        let pusher = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || stack.push(2))
        };
        let popper = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || stack.pop())
        };
        pusher.join().unwrap();
        let popped = popper.join().unwrap();
        let popped = popped.expect("1 was there before the popper started");
        let rest: Vec<i32> = stack.pop_all().collect();
        assert_eq!(
            sorted(rest.iter().copied().chain([popped]).collect()),
            [1, 2]
        );
    });
}

#[test]
fn concurrent_pops_of_the_last_value_give_it_to_exactly_one() {
    loom::model(|| {
        let stack = Arc::new(TreiberStack::new());
        stack.push(7);
        let poppers: Vec<_> = (0..2)
            .map(|_| {
                let stack = Arc::clone(&stack);
                thread::spawn(move || stack.pop())
            })
            .collect();
        let results: Vec<Option<i32>> = poppers.into_iter().map(|p| p.join().unwrap()).collect();
        assert_eq!(results.iter().flatten().count(), 1, "{results:?}");
        assert!(results.contains(&Some(7)));
        assert!(stack.is_empty());
    });
}

#[test]
fn pop_on_empty_racing_a_push_returns_none_or_the_value() {
    loom::model(|| {
        let stack = Arc::new(TreiberStack::new());
        let popper = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || stack.pop())
        };
        stack.push(3);
        match popper.join().unwrap() {
            Some(value) => {
                assert_eq!(value, 3);
                assert!(stack.is_empty());
            }
            None => assert_eq!(stack.pop(), Some(3)),
        }
    });
}

#[test]
fn pop_all_racing_push_loses_nothing() {
    loom::model(|| {
        let stack = Arc::new(TreiberStack::new());
        stack.push(1);
        let pusher = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || stack.push_all([2, 3]))
        };
        let taken: Vec<i32> = stack.pop_all().collect();
        pusher.join().unwrap();
        // The batch is published with one CAS: all of it or none was taken.
        assert!(taken == [1] || taken == [3, 2, 1], "pop_all took {taken:?}");
        let rest: Vec<i32> = stack.pop_all().collect();
        assert_eq!(sorted(taken.into_iter().chain(rest).collect()), [1, 2, 3]);
    });
}

/// Two pushes contend for the head, so one may offer its value in the
/// elimination array, where the pop may take it instead of the head.
#[test]
fn contended_pushes_and_a_pop_trade_each_value_exactly_once() {
    loom::model(|| {
        let stack = Arc::new(TreiberStack::new());
        let pushers: Vec<_> = [1, 2]
            .into_iter()
            .map(|value| {
                let stack = Arc::clone(&stack);
                thread::spawn(move || stack.push(value))
            })
            .collect();
        let popped = {
            let stack = Arc::clone(&stack);
            thread::spawn(move || stack.pop())
        };
        for pusher in pushers {
            pusher.join().unwrap();
        }
        let popped: Vec<i32> = popped.join().unwrap().into_iter().collect();
        let rest: Vec<i32> = stack.pop_all().collect();
        assert_eq!(sorted(popped.into_iter().chain(rest).collect()), [1, 2]);
    });
}

/// The shared free list (type-stable nodes move between threads through
/// it): pushes of chains racing a take-all hand every node to exactly one
/// taker, none lost, none twice.
#[test]
fn free_list_pushes_racing_take_all_hand_out_each_node_once() {
    use treiber::free_list_model::Model;
    loom::model(|| {
        let list = Arc::new(Model::default());
        list.push(&[1]);
        let pushers: Vec<_> = [[2, 3], [4, 5]]
            .into_iter()
            .map(|chain| {
                let list = Arc::clone(&list);
                thread::spawn(move || list.push(&chain))
            })
            .collect();
        let taker = {
            let list = Arc::clone(&list);
            thread::spawn(move || list.take_all())
        };
        for pusher in pushers {
            pusher.join().unwrap();
        }
        let taken = taker.join().unwrap();
        // A chain goes in with one CAS: its nodes stay together and in order.
        for chain in [[2u32, 3], [4, 5]] {
            if let Some(at) = taken.iter().position(|&id| id == chain[0]) {
                assert_eq!(taken.get(at + 1), Some(&chain[1]), "{taken:?}");
            }
        }
        let rest = list.take_all();
        let all: Vec<i32> = taken.into_iter().chain(rest).map(|id| id as i32).collect();
        assert_eq!(sorted(all), [1, 2, 3, 4, 5]);
    });
}

/// Two take-alls racing a push: each node goes to exactly one of them.
#[test]
fn free_list_take_alls_racing_a_push_never_share_a_node() {
    use treiber::free_list_model::Model;
    loom::model(|| {
        let list = Arc::new(Model::default());
        list.push(&[1, 2]);
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let list = Arc::clone(&list);
                thread::spawn(move || list.take_all())
            })
            .collect();
        list.push(&[3]);
        let mut all: Vec<i32> = Vec::new();
        for taker in takers {
            all.extend(taker.join().unwrap().into_iter().map(|id| id as i32));
        }
        all.extend(list.take_all().into_iter().map(|id| id as i32));
        assert_eq!(sorted(all), [1, 2, 3]);
    });
}

/// What a refill kept must be one chain as it was placed, whole and in
/// order, or nothing.
fn assert_one_whole_chain(kept: &[u32], chains: &[&[u32]]) {
    assert!(
        kept.is_empty() || chains.contains(&kept),
        "a refill kept {kept:?}, not one whole chain of {chains:?}"
    );
}

/// Two refills (each keeps one chain and places the rest back) racing a
/// push: every node ends in exactly one refill's pool or back on the list,
/// none lost, none twice, whichever refill finds the list empty.
#[test]
fn free_list_refills_racing_a_push_keep_or_give_back_each_node_once() {
    use treiber::free_list_model::Model;
    loom::model(|| {
        let list = Arc::new(Model::default());
        list.push(&[1, 2, 3]);
        let refills: Vec<_> = (0..2)
            .map(|_| {
                let list = Arc::clone(&list);
                thread::spawn(move || list.refill())
            })
            .collect();
        list.push(&[4]);
        let mut all: Vec<i32> = Vec::new();
        for refill in refills {
            let kept = refill.join().unwrap();
            assert_one_whole_chain(&kept, &[&[1, 2, 3], &[4]]);
            all.extend(kept.into_iter().map(|id| id as i32));
        }
        all.extend(list.take_all().into_iter().map(|id| id as i32));
        assert_eq!(sorted(all), [1, 2, 3, 4]);
    });
}

/// With every slot full (two under loom), a push links its chain above a
/// slot's chains while a refill takes that slot, keeps its top chain and
/// places the rest back (into an empty slot, or chain by chain above a
/// full one): each node is kept once or still on the list, and every chain
/// stays whole and in order.
#[test]
fn free_list_push_onto_full_slots_racing_a_refill_loses_no_node() {
    use treiber::free_list_model::Model;
    loom::model(|| {
        let list = Arc::new(Model::default());
        list.push(&[1, 2]);
        list.push(&[3]);
        let refill = {
            let list = Arc::clone(&list);
            thread::spawn(move || list.refill())
        };
        list.push(&[4, 5]);
        let kept = refill.join().unwrap();
        assert_one_whole_chain(&kept, &[&[1, 2], &[3], &[4, 5]]);
        let rest = list.take_all();
        for chain in [[1, 2], [4, 5]] {
            if let Some(at) = rest.iter().position(|&id| id == chain[0]) {
                assert_eq!(rest.get(at + 1), Some(&chain[1]), "{rest:?}");
            }
        }
        let all: Vec<i32> = kept.into_iter().chain(rest).map(|id| id as i32).collect();
        assert_eq!(sorted(all), [1, 2, 3, 4, 5]);
    });
}
