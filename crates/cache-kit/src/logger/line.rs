//! The line format: `2026-11-27T23:59:59.123456Z INFO  [main] app::db: message`,
//! and for a `tracing` event in spans
//! `2026-11-27T23:59:59.123456Z INFO  [main] request{id=7}:db: app::db: message`.

use std::io::Write;

/// Formats lines, keeping the timestamp's date and time of day rendered
/// for the last second seen: the writer's lines come in time order, so
/// most lines only render their microseconds, and every part of a line is
/// copied in with no `fmt` machinery.
#[derive(Default)]
pub(crate) struct LineFormat {
    /// The second `prefix` is rendered for, and whether it is rendered.
    second: Option<u64>,
    /// `2026-11-27T23:59:59.` (longer for a year past 9999).
    prefix: Vec<u8>,
}

impl LineFormat {
    /// Appends one formatted line to `out`; `context` (a `tracing`
    /// event's spans, `outer{a=1}:inner`) goes before the target when not
    /// empty.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn write_line(
        &mut self,
        out: &mut Vec<u8>,
        nanos_since_epoch: u64,
        level: log::Level,
        thread: &[u8],
        context: &[u8],
        target: &[u8],
        message: &[u8],
    ) {
        let seconds = nanos_since_epoch / 1_000_000_000;
        if self.second != Some(seconds) {
            self.render_prefix(seconds);
        }
        let mut micros = (nanos_since_epoch % 1_000_000_000 / 1_000) as u32;
        let mut digits = [b'0'; 6];
        for digit in digits.iter_mut().rev() {
            // `micros % 10` is a single digit.
            *digit = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        out.reserve(
            self.prefix.len() + 22 + thread.len() + context.len() + target.len() + message.len(),
        );
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(&digits);
        out.extend_from_slice(b"Z ");
        out.extend_from_slice(padded(level).as_bytes());
        out.extend_from_slice(b" [");
        out.extend_from_slice(thread);
        out.extend_from_slice(b"] ");
        if !context.is_empty() {
            out.extend_from_slice(context);
            out.extend_from_slice(b": ");
        }
        out.extend_from_slice(target);
        out.extend_from_slice(b": ");
        out.extend_from_slice(message);
        out.push(b'\n');
    }

    fn render_prefix(&mut self, seconds: u64) {
        let (year, month, day) = civil_from_days(seconds / 86_400);
        let of_day = seconds % 86_400;
        self.prefix.clear();
        // Writing to a Vec cannot fail.
        let _ = write!(
            self.prefix,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.",
            of_day / 3_600,
            of_day / 60 % 60,
            of_day % 60,
        );
        self.second = Some(seconds);
    }
}

/// `level` padded to five characters, as `{level:<5}` writes it.
fn padded(level: log::Level) -> &'static str {
    match level {
        log::Level::Error => "ERROR",
        log::Level::Warn => "WARN ",
        log::Level::Info => "INFO ",
        log::Level::Debug => "DEBUG",
        log::Level::Trace => "TRACE",
    }
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
    use super::super::clock::nanos_since_epoch;
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_timestamp_level_thread_target_and_message() {
        let at = UNIX_EPOCH + Duration::from_micros(1_795_824_000_000_000 + 3_723_000_042);
        let mut out = Vec::new();
        LineFormat::default().write_line(
            &mut out,
            nanos_since_epoch(at),
            log::Level::Warn,
            b"worker-1",
            b"",
            b"app::db",
            b"slow query",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-28T01:02:03.000042Z WARN  [worker-1] app::db: slow query\n"
        );
    }

    #[test]
    fn puts_the_span_context_before_the_target() {
        let mut out = Vec::new();
        LineFormat::default().write_line(
            &mut out,
            0,
            log::Level::Info,
            b"main",
            b"request{id=7}:db",
            b"app::db",
            b"slow query",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:00.000000Z INFO  [main] request{id=7}:db: app::db: slow query\n"
        );
    }

    #[test]
    fn renders_each_line_of_a_second_and_the_next_second_right() {
        let mut format = LineFormat::default();
        let mut out = Vec::new();
        let base = UNIX_EPOCH + Duration::from_secs(1_795_910_399); // 2026-11-28T23:59:59
        for (at, level) in [
            (base + Duration::from_micros(7), log::Level::Error),
            (base + Duration::from_micros(999_999), log::Level::Debug),
            (base + Duration::from_secs(1), log::Level::Trace),
            (base + Duration::from_micros(1_000_120), log::Level::Info),
        ] {
            format.write_line(
                &mut out,
                nanos_since_epoch(at),
                level,
                b"t",
                b"",
                b"app",
                b"m",
            );
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-28T23:59:59.000007Z ERROR [t] app: m\n\
             2026-11-28T23:59:59.999999Z DEBUG [t] app: m\n\
             2026-11-29T00:00:00.000000Z TRACE [t] app: m\n\
             2026-11-29T00:00:00.000120Z INFO  [t] app: m\n"
        );
    }

    #[test]
    fn pads_every_level_as_its_display_does() {
        for level in [
            log::Level::Error,
            log::Level::Warn,
            log::Level::Info,
            log::Level::Debug,
            log::Level::Trace,
        ] {
            assert_eq!(padded(level), format!("{level:<5}"));
        }
    }

    #[test]
    fn converts_days_across_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
