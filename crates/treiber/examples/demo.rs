//! The seed article's stack demo, made exact: 5 threads push 100 values
//! each while 3 threads pop up to 150 each. Every value must come out
//! exactly once: popped by someone or left in the stack. The demo checks
//! it and exits non-zero if a check fails.
//!
//! Run it with `cargo xtask demo` or `cargo run -p treiber --example demo`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crossbeam_utils::Backoff;
use treiber::TreiberStack;

const PUSHERS: usize = 5;
const PUSHES_EACH: usize = 100;
const POPPERS: usize = 3;
const POPS_EACH: usize = 150;

fn main() -> ExitCode {
    println!("TreiberStack: {PUSHERS} threads x {PUSHES_EACH} pushes, {POPPERS} threads x up to {POPS_EACH} pops");
    let stack = TreiberStack::new();
    let pushers_done = AtomicUsize::new(0);
    let popped: Vec<Vec<usize>> = thread::scope(|s| {
        for pusher in 0..PUSHERS {
            let (stack, pushers_done) = (&stack, &pushers_done);
            s.spawn(move || {
                for i in 0..PUSHES_EACH {
                    stack.push(pusher * PUSHES_EACH + i);
                }
                // Release: the pushes above happen-before a popper that sees
                // the count reach PUSHERS.
                pushers_done.fetch_add(1, Ordering::Release);
            });
        }
        let poppers: Vec<_> = (0..POPPERS)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    let backoff = Backoff::new();
                    while mine.len() < POPS_EACH {
                        match stack.pop() {
                            Some(value) => {
                                mine.push(value);
                                backoff.reset();
                            }
                            // Acquire: pairs with the pushers' Release, so an
                            // empty stack after that is empty for good.
                            None if pushers_done.load(Ordering::Acquire) == PUSHERS => break,
                            None => backoff.snooze(),
                        }
                    }
                    mine
                })
            })
            .collect();
        poppers.into_iter().map(|p| p.join().unwrap()).collect()
    });

    for (popper, values) in popped.iter().enumerate() {
        println!("  popper {popper} popped {} values", values.len());
    }
    let remaining: Vec<usize> = stack.pop_all().collect();
    let popped_total: usize = popped.iter().map(Vec::len).sum();
    println!("  left in the stack: {}", remaining.len());

    let mut failures = 0;
    let mut check = |ok: bool, what: String| {
        println!("  [{}] {what}", if ok { "ok" } else { "FAILED" });
        failures += usize::from(!ok);
    };
    let pushed = PUSHERS * PUSHES_EACH;
    check(
        pushed == popped_total + remaining.len(),
        format!(
            "pushed {pushed} = popped {popped_total} + remaining {}",
            remaining.len()
        ),
    );
    let mut every: Vec<usize> = popped.into_iter().flatten().chain(remaining).collect();
    every.sort_unstable();
    every.dedup();
    check(
        every.len() == pushed,
        format!(
            "{} distinct values of {pushed}: none lost or duplicated",
            every.len()
        ),
    );
    check(
        stack.is_empty(),
        "the stack is empty after pop_all".to_owned(),
    );

    if failures == 0 {
        println!("treiber demo: all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("treiber demo: {failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
