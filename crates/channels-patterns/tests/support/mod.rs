//! What several test files share.

/// Whether this process is the child that runs test `name`: if not, runs
/// the test in a child process (which a behaviour that aborts the process
/// then fails, instead of killing every test) and checks that it passed.
pub(crate) fn is_the_child_of(name: &str) -> bool {
    const CHILD: &str = "FEARLESS_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    false
}
