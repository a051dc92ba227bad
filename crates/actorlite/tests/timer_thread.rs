//! The shared timer thread and its heap let go of cancelled timers: the
//! thread leaves about a second after the last timer still pending is
//! cancelled, however far its due time, and a long timer re-armed and
//! cancelled over and over (an inactivity timeout) holds no memory for
//! each cancelled one until its due time. One test per binary: the timer
//! thread is the process's, and other tests' timers would keep it.
#![cfg(all(target_os = "linux", not(miri)))] // reads /proc; the thread outlives a test

use std::time::{Duration, Instant};

use actorlite::{spawn, Actor, Context};

struct Idle;

impl Actor for Idle {
    type Message = u32;
    fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
}

/// Threads of this process named as the timer thread (`comm` keeps 15
/// bytes of a thread's name).
fn timer_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "actorlite-timer")
        .count()
}

/// Resident bytes of this process.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn waits_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn cancelled_long_timers_release_the_thread_and_their_memory() {
    let actor = spawn(Idle);
    let hour = Duration::from_secs(3600);
    let timer = actor.send_after(hour, 1);
    waits_until("the timer thread never started", || timer_threads() == 1);
    assert!(timer.cancel());
    // It held the thread for the hour (break run: still there 5 s later).
    waits_until("the thread stays for a cancelled timer", || {
        timer_threads() == 0
    });

    // An inactivity timeout re-armed on every message: each cancelled
    // entry stayed until due (break run: 2M re-arms held 359 MiB).
    let before = resident();
    for n in 0..200_000 {
        drop(actor.send_after(hour, n)); // dropping the handle cancels it
    }
    let grown = resident().saturating_sub(before);
    assert!(
        grown < 8 << 20,
        "{grown} bytes resident after 200k cancelled timers"
    );
    actor.stop();
    actor.join();
}
