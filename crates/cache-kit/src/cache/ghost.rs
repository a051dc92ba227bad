//! S3-FIFO's *ghost* queue: the hashes of the last keys evicted from the
//! small queue without a hit, so that such a key, inserted again soon,
//! goes straight to the main queue.
//!
//! Nothing here needs to be exact: a hash forgotten early sends a key to
//! the small queue, one remembered too long (or a false positive) sends it
//! to main; neither touches what the cache stores or its capacity. So the
//! ghost is two Bloom filters that take turns: hashes are remembered in
//! the *current* filter; once it holds a window's worth, it becomes the
//! *previous* one and a cleared filter takes its place. A hash is in the
//! ghost if either filter has it: the last `window` to `2 × window` hashes
//! are remembered.
//!
//! Why filters: the ghost is read on every new key and written on most
//! evictions, at a random place. Kept as hashes (a FIFO beside a hash map
//! of them, later a table of stamped fingerprints), its 8 KiB a segment
//! (512 KiB for a 10,000-entry cache) missed the CPU's caches: 8.6% of
//! the Zipf workload's samples, 29% of its inserts' time (`perf`). A
//! filter has [`BITS_PER_HASH`] bits per hash of the window, in one 64-bit
//! word per hash ([`PROBES`] bits set in it): 1 KiB a segment for both
//! filters at that size, one word read per filter.

/// Bits of a filter per hash of the window: with [`PROBES`] bits in one
/// word, about 0.6% false positives for a full filter (a key sent to main
/// that would have gone to small), twice that for both.
const BITS_PER_HASH: usize = 16;

/// Bits set per hash, all in one word.
const PROBES: u32 = 3;

/// The largest window: filters' word indexes are reduced from 32 bits.
const MAX_WINDOW: usize = 1 << 31;

/// The ghost queue of one segment. Every method runs under the segment's
/// lock.
#[derive(Default)]
pub(crate) struct Ghost {
    /// Hashes remembered since the last turn.
    current: Vec<u64>,
    /// Hashes remembered in the turn before.
    previous: Vec<u64>,
    /// How many hashes went into `current`.
    remembered: usize,
}

impl Ghost {
    /// Whether `hash` is among the hashes remembered in this turn and the
    /// last (at least the last `window`, at most the last `2 × window`,
    /// as `remember` was given).
    pub(crate) fn contains(&self, hash: u64) -> bool {
        let mixed = super::mix(hash);
        Self::has(&self.current, mixed) || Self::has(&self.previous, mixed)
    }

    /// Remembers `hash`. A filter that already holds `window` hashes turns
    /// into the previous one first, and the new current filter is sized
    /// for `window` (the segment's live entries: it follows them).
    pub(crate) fn remember(&mut self, hash: u64, window: usize) {
        let window = window.clamp(1, MAX_WINDOW);
        if self.current.is_empty() || self.remembered >= window {
            let words = window.saturating_mul(BITS_PER_HASH).div_ceil(64);
            let mut fresh = std::mem::take(&mut self.previous);
            fresh.clear();
            fresh.resize(words, 0);
            self.previous = std::mem::replace(&mut self.current, fresh);
            self.remembered = 0;
        }
        let mixed = super::mix(hash);
        let (word, bits) = Self::place(&self.current, mixed);
        self.current[word] |= bits;
        self.remembered += 1;
    }

    /// Forgets every hash.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    fn has(filter: &[u64], mixed: u64) -> bool {
        if filter.is_empty() {
            return false;
        }
        let (word, bits) = Self::place(filter, mixed);
        filter[word] & bits == bits
    }

    /// The word of `filter` and the bits in it that stand for a hash whose
    /// mix is `mixed`: the word from the low half (Lemire's reduction), the
    /// bits from 6-bit pieces of the high half.
    fn place(filter: &[u64], mixed: u64) -> (usize, u64) {
        let low = mixed & u64::from(u32::MAX);
        // Lossless: below the filter's length, a `usize`.
        #[allow(clippy::cast_possible_truncation)]
        let word = ((low * filter.len() as u64) >> 32) as usize;
        let bits = (0..PROBES).fold(0, |bits, probe| {
            bits | 1 << ((mixed >> (32 + 6 * probe)) & 63)
        });
        (word, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::Ghost;

    /// Hashes no two alike, spread as a good hasher's are.
    fn hashes(range: std::ops::Range<u64>) -> impl Iterator<Item = u64> {
        range.map(|n| n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x1234_5678)
    }

    #[test]
    fn remembers_the_last_window_and_forgets_beyond_two() {
        let mut ghost = Ghost::default();
        assert!(!ghost.contains(7));
        let window = 16;
        for hash in hashes(0..100) {
            ghost.remember(hash, window);
        }
        // 100 = 6 full turns of 16 and 4: the current turn holds 96..100,
        // the previous 80..96: the last 16 are in, none before the last 20.
        for (n, hash) in hashes(0..100).enumerate() {
            if n >= 84 {
                assert!(ghost.contains(hash), "{n} forgotten early");
            }
            if n < 80 {
                assert!(!ghost.contains(hash), "{n} remembered too long");
            }
        }
        ghost.clear();
        assert!(!hashes(80..100).any(|hash| ghost.contains(hash)));
    }

    #[test]
    fn false_positives_stay_near_the_estimate() {
        let mut ghost = Ghost::default();
        let window = 4096;
        for hash in hashes(0..2 * window as u64) {
            ghost.remember(hash, window);
        }
        // Both filters full: about 1.2% expected; never 3%.
        let strangers = 100_000;
        let false_positives = hashes(1 << 40..(1 << 40) + strangers)
            .filter(|&hash| ghost.contains(hash))
            .count();
        assert!(
            false_positives * 100 < strangers as usize * 3,
            "{false_positives} of {strangers}"
        );
    }

    #[test]
    fn a_weak_hasher_s_hashes_still_spread() {
        // Multiples of 64, as rustc-hash 1.x gives small integers' keys:
        // remembered, and strangers of the same kind not taken for them.
        let mut ghost = Ghost::default();
        let window = 1024;
        for n in 0..window as u64 {
            ghost.remember(n * 64, window);
        }
        assert!((0..window as u64).all(|n| ghost.contains(n * 64)));
        let false_positives = (window as u64..100 * window as u64)
            .filter(|&n| ghost.contains(n * 64))
            .count();
        assert!(false_positives * 100 < 99 * window * 3, "{false_positives}");
    }

    #[test]
    fn extreme_windows_are_accepted() {
        let mut ghost = Ghost::default();
        ghost.remember(1, 0);
        assert!(ghost.contains(1), "a window of 0 counts as 1");
        ghost.remember(2, 0);
        ghost.remember(3, 0);
        assert!(!ghost.contains(1), "two turns of one hash later");
    }
}
