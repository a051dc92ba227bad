//! `fan_out_fan_in`'s helper threads outlive a call but not an idle
//! second: a process that stops fanning out is left with no helper thread.
//! (Alone in its test binary: other tests' calls would start helpers.)
// Reads /proc, which miri isolates (and under miri, helpers leave as soon
// as the board is empty).
#![cfg(all(target_os = "linux", not(miri)))]

use std::time::{Duration, Instant};

use channels_patterns::fan_out_fan_in;

/// Threads of this process named `fan-out-helper`, from /proc.
fn helper_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "fan-out-helper")
        .count()
}

#[test]
fn idle_helper_threads_exit_after_a_second() {
    let squares = fan_out_fan_in(0..40_u64, 4, |x| {
        std::thread::sleep(Duration::from_millis(1));
        x * x
    })
    .unwrap();
    assert_eq!(squares, (0..40).map(|x| x * x).collect::<Vec<_>>());
    assert!(
        helper_threads() > 0,
        "40 ms of work should have started helpers"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while helper_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "helpers still alive after 30 s idle"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
