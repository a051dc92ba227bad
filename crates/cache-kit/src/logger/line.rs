//! The line format: `2026-11-27T23:59:59.123456Z INFO  [main] app::db: message`,
//! and for a `tracing` event in spans
//! `2026-11-27T23:59:59.123456Z INFO  [main] request{id=7}:db: app::db: message`.

/// The length of `2026-11-27T23:59:59.`: a time since the epoch in `u64`
/// nanoseconds ends in the year 2554, so the year always has four digits.
const PREFIX: usize = 20;

/// The length of a line's head, `2026-11-27T23:59:59.123456Z INFO  [`.
const HEAD: usize = PREFIX + "123456Z INFO  [".len();

/// Formats lines, keeping the head of the last one: the writer's lines come
/// in time order, so most lines write only their microseconds and level
/// over it, and every line starts with one copy of a fixed size (where
/// piece by piece, with a length check and a `memcpy` call each, the line
/// cost the writer some 270 instructions, callgrind). No `fmt` machinery.
pub(crate) struct LineFormat {
    /// The second whose date and time `head` holds, if any.
    second: Option<u64>,
    /// `2026-11-27T23:59:59.123456Z INFO  [`: the second's date and time,
    /// then the last line's microseconds and level.
    head: [u8; HEAD],
}

impl Default for LineFormat {
    fn default() -> Self {
        let mut head = [b'0'; HEAD];
        head[PREFIX + 6..].copy_from_slice(b"Z INFO  [");
        Self { second: None, head }
    }
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
            self.render_date_and_time(seconds);
        }
        // Under a million: `as` keeps it whole.
        let micros = (nanos_since_epoch % 1_000_000_000 / 1_000) as u32;
        put_micros(&mut self.head[PREFIX..PREFIX + 6], micros);
        self.head[PREFIX + 8..PREFIX + 13].copy_from_slice(padded(level));
        out.reserve(HEAD + thread.len() + context.len() + target.len() + message.len() + 7);
        out.extend_from_slice(&self.head);
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

    /// Writes `2026-11-27T23:59:59.` for `seconds` since the epoch into
    /// the head.
    fn render_date_and_time(&mut self, seconds: u64) {
        let (year, month, day) = civil_from_days(seconds / 86_400);
        let of_day = seconds % 86_400;
        let prefix = &mut self.head[..PREFIX];
        put_digits(&mut prefix[0..4], year);
        put_digits(&mut prefix[5..7], month);
        put_digits(&mut prefix[8..10], day);
        put_digits(&mut prefix[11..13], of_day / 3_600);
        put_digits(&mut prefix[14..16], of_day / 60 % 60);
        put_digits(&mut prefix[17..19], of_day % 60);
        prefix[4] = b'-';
        prefix[7] = b'-';
        prefix[10] = b'T';
        prefix[13] = b':';
        prefix[16] = b':';
        prefix[19] = b'.';
        self.second = Some(seconds);
    }
}

/// Two decimal digits for each number below 100: `00`, `01`, ... `99`.
const PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0; 2]; 100];
    let mut n = 0;
    while n < 100 {
        // Both digits are below 10.
        pairs[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    pairs
};

/// Writes `micros` (below a million) as six digits, zero-padded: two at a
/// time, where one at a time cost the writer some 50 instructions a line.
fn put_micros(digits: &mut [u8], micros: u32) {
    let pairs = [micros / 10_000 % 100, micros / 100 % 100, micros % 100];
    for (place, pair) in digits.chunks_exact_mut(2).zip(pairs) {
        place.copy_from_slice(&PAIRS[pair as usize]);
    }
}

/// Writes `value`'s last `digits.len()` decimal digits into `digits`,
/// zero-padded.
fn put_digits<N>(digits: &mut [u8], value: N)
where
    N: Copy + Into<u64>,
{
    let mut value: u64 = value.into();
    for digit in digits.iter_mut().rev() {
        // `value % 10` is a single digit.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `level` padded to five characters, as `{level:<5}` writes it.
fn padded(level: log::Level) -> &'static [u8; 5] {
    match level {
        log::Level::Error => b"ERROR",
        log::Level::Warn => b"WARN ",
        log::Level::Info => b"INFO ",
        log::Level::Debug => b"DEBUG",
        log::Level::Trace => b"TRACE",
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
    fn writes_the_last_time_a_u64_holds_and_the_epoch_with_four_digit_years() {
        let mut format = LineFormat::default();
        let mut out = Vec::new();
        for at in [u64::MAX, 0, 1_000] {
            format.write_line(&mut out, at, log::Level::Info, b"t", b"", b"app", b"m");
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2554-07-21T23:34:33.709551Z INFO  [t] app: m\n\
             1970-01-01T00:00:00.000000Z INFO  [t] app: m\n\
             1970-01-01T00:00:00.000001Z INFO  [t] app: m\n"
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
            assert_eq!(&padded(level)[..], format!("{level:<5}").as_bytes());
        }
    }

    #[test]
    fn converts_days_across_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
