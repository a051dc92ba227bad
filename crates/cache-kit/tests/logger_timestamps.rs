//! A line's timestamp is the wall clock's time at the logging call: read
//! back from the lines, every record's time lies between the clock's reads
//! just before and just after its call, at every point of a logger's life
//! (its first milliseconds too) and from every thread.

mod logger_support;

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cache_kit::{LockFreeLogger, Overflow};
use log::Level;
use logger_support::SharedSink;

fn micros_since_epoch(at: SystemTime) -> u64 {
    u64::try_from(at.duration_since(UNIX_EPOCH).unwrap().as_micros()).unwrap()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2026-11-27T23:59:59.123456Z` in microseconds since the epoch.
fn parse_stamp(stamp: &str) -> u64 {
    let number = |range: std::ops::Range<usize>| stamp[range].parse::<i64>().unwrap();
    assert_eq!(
        (&stamp[4..5], &stamp[10..11], &stamp[26..27]),
        ("-", "T", "Z")
    );
    let days = days_from_civil(number(0..4), number(5..7), number(8..10));
    let seconds = days * 86_400 + number(11..13) * 3_600 + number(14..16) * 60 + number(17..19);
    u64::try_from(seconds * 1_000_000 + number(20..26)).unwrap()
}

#[test]
fn parse_stamp_reads_the_line_format() {
    assert_eq!(parse_stamp("1970-01-01T00:00:00.000001Z"), 1);
    assert_eq!(
        parse_stamp("2000-03-01T01:02:03.456789Z"),
        (951_868_800 + 3_723) * 1_000_000 + 456_789
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "miri's isolation has no wall clock (records are stamped with the epoch)"
)]
fn every_line_is_stamped_with_the_time_of_its_call() {
    const THREADS: usize = 2;
    const RECORDS: usize = 300;
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .overflow(Overflow::Block)
        .start();
    // (thread, record) -> the clock just before and just after the call.
    let windows: Vec<Vec<(u64, u64)>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let logger = &logger;
                s.spawn(move || {
                    (0..RECORDS)
                        .map(|record| {
                            let before = micros_since_epoch(SystemTime::now());
                            logger.log_str(Level::Info, "stamps", &format!("{thread} {record}"));
                            let after = micros_since_epoch(SystemTime::now());
                            // Over 30 ms in all: the logger's first
                            // milliseconds and what follows them.
                            if record % 10 == 0 {
                                thread::sleep(Duration::from_millis(1));
                            }
                            (before, after)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    logger.shutdown(Duration::from_secs(20)).unwrap();
    let mut checked = 0;
    for line in &sink.lines() {
        let Some((head, message)) = line.split_once(" stamps: ") else {
            continue;
        };
        let (thread, record) = message.split_once(' ').unwrap();
        let (thread, record): (usize, usize) = (thread.parse().unwrap(), record.parse().unwrap());
        let (before, after) = windows[thread][record];
        let stamped = parse_stamp(&head[..27]);
        // Lines show whole microseconds, cut, as are `before` and `after`;
        // one of slack for the conversion's own spread.
        assert!(
            before <= stamped + 1 && stamped <= after + 1,
            "record {thread} {record} stamped {stamped}, called within {before}..={after}: {line}"
        );
        checked += 1;
    }
    assert_eq!(checked, THREADS * RECORDS);
}
