//! User code the stack runs: a value's `Drop` that panics, an input
//! iterator of `push_all` that panics or uses the same stack (also from a
//! thread-local destructor, where the thread has no index and shares a
//! locked slot). Every value is dropped once, nothing hangs.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use treiber::TreiberStack;

/// Counts its drops; panics in `Drop` if `panics`.
struct Tracked<'a> {
    drops: &'a AtomicUsize,
    panics: bool,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panics, "a value panicked on drop");
    }
}

#[test]
fn dropping_a_stack_drops_every_value_even_past_a_panicking_drop() {
    for panicking in [vec![5], vec![0, 3, 9], (0..10).collect()] {
        let drops = AtomicUsize::new(0);
        let stack = TreiberStack::new();
        for i in 0..10 {
            stack.push(Tracked {
                drops: &drops,
                panics: panicking.contains(&i),
            });
        }
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(stack)));
        assert!(dropped.is_err(), "the first panic reaches the dropper");
        // Before: the drop stopped at the first panic (5 of 10 dropped,
        // the other values and their nodes leaked).
        assert_eq!(drops.load(Ordering::SeqCst), 10, "panicking: {panicking:?}");
    }
}

/// Set in the child process that
/// `dropping_a_pop_all_or_a_stack_with_several_panicking_values_never_aborts` runs.
const POP_ALL_CHILD: &str = "TREIBER_TEST_POP_ALL_DROP_CHILD";

/// The child's part: drops a `PopAll` holding values of which several
/// panic on drop, and prints what it saw. Before, the second panic came
/// while the first unwound and the process aborted (a break run); and a
/// `PopAll` or stack dropped while a panic unwound raised its values'
/// first panic over it, an abort too.
#[test]
#[ignore = "run by dropping_a_pop_all_or_a_stack_with_several_panicking_values_never_aborts"]
fn pop_all_drop_child() {
    if std::env::var_os(POP_ALL_CHILD).is_none() {
        return;
    }
    let drops = AtomicUsize::new(0);
    let filled = || {
        let stack = TreiberStack::new();
        for i in 0..10 {
            stack.push(Tracked {
                drops: &drops,
                panics: i % 3 == 1,
            });
        }
        stack
    };
    // Dropped after one value was iterated (9, whose drop does not
    // panic): the other nine dropped, the first panic resumed.
    let stack = filled();
    let mut taken = stack.pop_all();
    drop(taken.next());
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(taken)));
    println!(
        "CHILD dropped: panicked={} drops={}",
        dropped.is_err(),
        drops.swap(0, Ordering::SeqCst)
    );
    // Dropped while another panic unwinds: all ten dropped, and their
    // panics caught rather than raised over the one unwinding.
    println!(
        "CHILD unwinding: panicked={} drops={}",
        dropped_while_unwinding(filled().pop_all()),
        drops.swap(0, Ordering::SeqCst)
    );
    // The same for the stack itself.
    println!(
        "CHILD stack unwinding: panicked={} drops={}",
        dropped_while_unwinding(filled()),
        drops.swap(0, Ordering::SeqCst)
    );
    // A `push_all` whose iterator panics in `next` and then in its own
    // `Drop` (it aborted the process: a break run): the first panic comes
    // out, the two values made are dropped, nothing is pushed.
    struct Faulty<'a>(&'a AtomicUsize, u32);
    impl<'a> Iterator for Faulty<'a> {
        type Item = Tracked<'a>;
        fn next(&mut self) -> Option<Tracked<'a>> {
            self.1 += 1;
            assert!(self.1 != 3, "next panicked");
            Some(Tracked {
                drops: self.0,
                panics: false,
            })
        }
    }
    impl Drop for Faulty<'_> {
        fn drop(&mut self) {
            panic!("the iterator's drop panicked");
        }
    }
    let stack = TreiberStack::new();
    let pushed = catch_unwind(AssertUnwindSafe(|| stack.push_all(Faulty(&drops, 0))));
    let first = pushed
        .err()
        .and_then(|payload| atomics_kit::panic_text(&*payload).map(str::to_owned));
    println!(
        "CHILD push_all: panicked={first:?} drops={} empty={}",
        drops.load(Ordering::SeqCst),
        stack.is_empty()
    );
}

/// Drops `owner` while a panic of its owner's unwinds; whether that panic
/// (and only it) came out.
fn dropped_while_unwinding<T>(owner: T) -> bool {
    catch_unwind(AssertUnwindSafe(move || {
        let _owner = owner;
        panic!("the owner panicked");
    }))
    .is_err()
}

#[test]
#[cfg_attr(miri, ignore = "miri cannot start a process")]
fn dropping_a_pop_all_or_a_stack_with_several_panicking_values_never_aborts() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "pop_all_drop_child", "--nocapture"])
        .env(POP_ALL_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success()
            && stdout.contains("CHILD dropped: panicked=true drops=10")
            && stdout.contains("CHILD unwinding: panicked=true drops=10")
            && stdout.contains("CHILD stack unwinding: panicked=true drops=10")
            && stdout
                .contains("CHILD push_all: panicked=Some(\"next panicked\") drops=2 empty=true"),
        "the child ({}) said:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_push_all_whose_iterator_panics_drops_what_it_made_and_pushes_nothing() {
    let drops = AtomicUsize::new(0);
    let stack = TreiberStack::new();
    stack.push(Tracked {
        drops: &drops,
        panics: false,
    });
    let pushed = catch_unwind(AssertUnwindSafe(|| {
        stack.push_all((0..5).map(|i| {
            assert!(i != 3, "the iterator panicked");
            Tracked {
                drops: &drops,
                panics: false,
            }
        }));
    }));
    assert!(pushed.is_err());
    // Before: values 0, 1 and 2 were never dropped.
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "the values made are dropped"
    );
    assert!(stack.pop().is_some(), "the old value is still there");
    assert!(stack.pop().is_none(), "nothing of the batch was pushed");
    drop(stack);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn a_push_all_iterator_may_use_the_same_stack() {
    let stack = TreiberStack::new();
    stack.push_all((0..3).inspect(|i| {
        stack.push(10 + i);
        let _ = stack.pop();
    }));
    let mut left: Vec<i32> = stack.pop_all().collect();
    left.sort_unstable();
    assert_eq!(left, [0, 1, 2]);
}

/// Runs `body` on a new thread and fails if it has not finished after a
/// generous time (a hang, not a slow machine).
fn finishes(what: &str, body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(if cfg!(miri) { 600 } else { 60 }))
        .unwrap_or_else(|_| panic!("{what} hung"));
}

#[test]
fn a_push_all_iterator_using_the_stack_from_a_thread_local_destructor_does_not_hang() {
    // A thread-local registered before the thread's index is destroyed
    // after the index is given back: there the thread shares the locked
    // slot 0. Before, `push_all` held that lock while it ran its iterator,
    // and the iterator's own push waited for it forever.
    struct OnExit(mpsc::Sender<Vec<u32>>);
    impl Drop for OnExit {
        fn drop(&mut self) {
            let stack = TreiberStack::new();
            stack.push_all((0..3).inspect(|i| {
                stack.push(10 + i);
                let _ = stack.pop();
            }));
            let _ = self.0.send(stack.pop_all().collect());
        }
    }
    thread_local! {
        static ON_EXIT: RefCell<Option<OnExit>> = const { RefCell::new(None) };
    }
    let (sender, left) = mpsc::channel();
    finishes("a push_all from a thread-local destructor", move || {
        thread::spawn(move || {
            ON_EXIT.with(|on_exit| *on_exit.borrow_mut() = Some(OnExit(sender)));
            // The stack's first use registers the thread's index after
            // `ON_EXIT`, so it is given back before `ON_EXIT` is dropped.
            let stack = TreiberStack::new();
            stack.push(1_u32);
            let _ = stack.pop();
        })
        .join()
        .unwrap();
    });
    let mut left = left.recv().unwrap();
    left.sort_unstable();
    assert_eq!(left, [0, 1, 2]);
}
