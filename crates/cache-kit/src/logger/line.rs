//! The line format: `2026-11-27T23:59:59.123456Z INFO  [main] app::db: message`,
//! and for a `tracing` event in spans
//! `2026-11-27T23:59:59.123456Z INFO  [main] request{id=7}:db: app::db: message`.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends one formatted line to `out`; `context` (a `tracing` event's
/// spans, `outer{a=1}:inner`) goes before the target when not empty.
pub(crate) fn write_line(
    out: &mut Vec<u8>,
    at: SystemTime,
    level: log::Level,
    thread: &str,
    context: &str,
    target: &str,
    message: &str,
) {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let of_day = seconds % 86_400;
    let separator = if context.is_empty() { "" } else { ": " };
    // Writing to a Vec cannot fail.
    let _ = writeln!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z {level:<5} [{thread}] {context}{separator}{target}: {message}",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60,
        since_epoch.subsec_micros(),
    );
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_timestamp_level_thread_target_and_message() {
        let at = UNIX_EPOCH + Duration::from_micros(1_795_824_000_000_000 + 3_723_000_042);
        let mut out = Vec::new();
        write_line(
            &mut out,
            at,
            log::Level::Warn,
            "worker-1",
            "",
            "app::db",
            "slow query",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-28T01:02:03.000042Z WARN  [worker-1] app::db: slow query\n"
        );
    }

    #[test]
    fn puts_the_span_context_before_the_target() {
        let mut out = Vec::new();
        write_line(
            &mut out,
            UNIX_EPOCH,
            log::Level::Info,
            "main",
            "request{id=7}:db",
            "app::db",
            "slow query",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:00.000000Z INFO  [main] request{id=7}:db: app::db: slow query\n"
        );
    }

    #[test]
    fn converts_days_across_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
