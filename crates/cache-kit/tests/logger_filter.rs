//! Per-target filtering with `RUST_LOG`'s syntax (`LoggerBuilder::filter`,
//! `filter_from_env`), on the `log` facade's path.

mod logger_support;

use std::error::Error as _;

use cache_kit::LockFreeLogger;
use fearless_test_support::{in_child, in_child_with};
use log::{Level, LevelFilter, Log};
use logger_support::SharedSink;

fn log_to(logger: &LockFreeLogger, level: Level, target: &str, text: &str) {
    logger.log(
        &log::Record::builder()
            .args(format_args!("{text}"))
            .level(level)
            .target(target)
            .build(),
    );
}

fn enabled(logger: &LockFreeLogger, level: Level, target: &str) -> bool {
    logger.enabled(&log::Metadata::builder().level(level).target(target).build())
}

#[test]
fn directives_choose_the_level_by_the_longest_matching_target() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .filter("warn,app=info,app::db=trace")
        .unwrap()
        .start();
    log_to(&logger, Level::Trace, "app::db::pool", "db trace");
    log_to(&logger, Level::Debug, "app::http", "app debug");
    log_to(&logger, Level::Info, "app::http", "app info");
    log_to(&logger, Level::Info, "other", "other info");
    log_to(&logger, Level::Warn, "other", "other warn");
    logger.log_str(Level::Trace, "app::db", "log_str db trace");
    logger.log_str(Level::Info, "hyper", "log_str other info");
    logger.flush();
    assert_eq!(sink.messages("app::db::pool"), ["db trace"]);
    assert_eq!(sink.messages("app::http"), ["app info"]);
    assert_eq!(sink.messages("other"), ["other warn"]);
    assert_eq!(sink.messages("app::db"), ["log_str db trace"]);
    assert!(sink.messages("hyper").is_empty());
    assert!(enabled(&logger, Level::Trace, "app::db"));
    assert!(!enabled(&logger, Level::Debug, "app"));
    // A plain prefix of the target, as env_logger matches.
    assert!(enabled(&logger, Level::Info, "application"));
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written), (4, 4));
}

#[test]
fn a_target_without_a_level_logs_everything_and_other_targets_nothing() {
    let logger = LockFreeLogger::builder(std::io::sink())
        .filter("app")
        .unwrap()
        .start();
    assert!(enabled(&logger, Level::Trace, "app::x"));
    assert!(!enabled(&logger, Level::Error, "other"));
}

#[test]
fn empty_directives_log_errors_only() {
    let logger = LockFreeLogger::builder(std::io::sink())
        .filter("")
        .unwrap()
        .start();
    assert!(enabled(&logger, Level::Error, "app"));
    assert!(!enabled(&logger, Level::Warn, "app"));
}

#[test]
fn the_last_of_level_and_filter_decides() {
    let logger = LockFreeLogger::builder(std::io::sink())
        .filter("app=trace")
        .unwrap()
        .level(LevelFilter::Warn)
        .start();
    assert!(!enabled(&logger, Level::Info, "app"));
    assert!(enabled(&logger, Level::Warn, "other"));
    let logger = LockFreeLogger::builder(std::io::sink())
        .level(LevelFilter::Error)
        .filter("debug")
        .unwrap()
        .start();
    assert!(enabled(&logger, Level::Debug, "anything"));
    assert!(!enabled(&logger, Level::Trace, "anything"));
}

#[test]
fn a_bad_directive_is_a_typed_error_naming_it() {
    let error = LockFreeLogger::builder(std::io::sink())
        .filter("app=loud")
        .unwrap_err();
    assert_eq!(error.directives(), "app=loud");
    // The parser's reason is in the message, and only there: a printer
    // walking `source` (anyhow's `{:#}`) shows it once.
    assert!(error.source().is_none());
    let reason = error
        .to_string()
        .strip_prefix("invalid log filter \"app=loud\": ")
        .map(str::to_owned);
    assert!(reason.is_some_and(|reason| !reason.is_empty()), "{error}");

    let error = LockFreeLogger::builder(std::io::sink())
        .filter("a=b=c")
        .unwrap_err();
    assert_eq!(error.directives(), "a=b=c");

    let error = LockFreeLogger::builder(std::io::sink())
        .filter("info/needle")
        .unwrap_err();
    assert!(error.source().is_none());
    assert_eq!(
        error.to_string(),
        "invalid log filter \"info/needle\": message patterns (`/text`) are not supported"
    );
}

#[test]
fn the_builder_debug_shows_the_directives() {
    let builder = LockFreeLogger::builder(std::io::sink())
        .filter("warn,app=debug")
        .unwrap();
    assert!(format!("{builder:?}").contains("filter: Some(\"warn,app=debug\")"));
}

/// Runs `body` in a child process with `RUST_LOG` set to `directives`
/// (`None`: unset); fails unless it passed.
fn with_rust_log(name: &str, directives: Option<&str>, body: impl FnOnce()) {
    in_child_with(
        name,
        |child| {
            match directives {
                Some(directives) => child.env("RUST_LOG", directives),
                None => child.env_remove("RUST_LOG"),
            };
        },
        body,
    );
}

#[test]
fn filter_from_env_reads_rust_log() {
    with_rust_log(
        "filter_from_env_reads_rust_log",
        Some("error,app=debug"),
        || {
            let logger = LockFreeLogger::builder(std::io::sink())
                .filter_from_env()
                .unwrap()
                .start();
            assert!(enabled(&logger, Level::Debug, "app"));
            assert!(!enabled(&logger, Level::Warn, "other"));
        },
    );
}

#[test]
fn filter_from_env_without_rust_log_keeps_the_level() {
    with_rust_log(
        "filter_from_env_without_rust_log_keeps_the_level",
        None,
        || {
            let logger = LockFreeLogger::builder(std::io::sink())
                .level(LevelFilter::Warn)
                .filter_from_env()
                .unwrap()
                .start();
            assert!(enabled(&logger, Level::Warn, "app"));
            assert!(!enabled(&logger, Level::Info, "app"));
        },
    );
}

#[test]
fn filter_from_env_refuses_a_bad_rust_log() {
    with_rust_log(
        "filter_from_env_refuses_a_bad_rust_log",
        Some("app=noisy"),
        || {
            let error = LockFreeLogger::builder(std::io::sink())
                .filter_from_env()
                .unwrap_err();
            assert_eq!(error.directives(), "app=noisy");
        },
    );
}

#[test]
fn install_sets_the_facade_maximum_to_the_filter_most_verbose_level() {
    in_child(
        "install_sets_the_facade_maximum_to_the_filter_most_verbose_level",
        || {
            let sink = SharedSink::default();
            let guard = LockFreeLogger::builder(sink.clone())
                .filter("warn,app=debug")
                .unwrap()
                .install()
                .unwrap();
            assert_eq!(log::max_level(), LevelFilter::Debug);
            log::debug!(target: "app", "kept");
            log::debug!(target: "other", "filtered");
            log::info!(target: "other", "filtered");
            log::warn!(target: "other", "kept");
            drop(guard);
            assert_eq!(sink.messages("app"), ["kept"]);
            assert_eq!(sink.messages("other"), ["kept"]);
        },
    );
}
