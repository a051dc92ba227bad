//! S3-FIFO's *ghost* queue: the hashes of the last keys evicted from the
//! small queue without a hit, so that such a key, inserted again soon,
//! goes straight to the main queue.
//!
//! Nothing here needs to be exact: a hash forgotten early sends a key to
//! the small queue, one remembered too long sends it to main; neither
//! touches what the cache stores or its capacity. So instead of a FIFO of
//! hashes beside a hash map of them (two map updates and a queue step for
//! every eviction: 63 instructions of an insert's 714, callgrind), the
//! ghost is a table of fingerprints, each stamped with the number of its
//! remembering: a hash is in the ghost while fewer than `window` others
//! were remembered after it. Nothing is ever removed; age alone forgets.
//!
//! The table has one bucket of [`WAYS`] slots per hash of the window
//! (rounded up to a power of two); a new hash takes its bucket's oldest
//! slot. With at most one live hash per bucket on average, a bucket
//! overflows (forgetting a hash early) for about 0.4% of them.
//!
//! Remembering too much costs more than forgetting: a Bloom filter in its
//! place (two taking turns, 16 bits a hash: 1 KiB a segment instead of 8,
//! 3% faster on the Zipf workload) sent about 1% of brand-new keys to main,
//! and a one-time scan 100 times the capacity then flushed the whole hot
//! set, which an exact ghost keeps (a break run; `tests/cache.rs`). The
//! fingerprints' 32 bits make a stranger's false match about one in a
//! billion.

/// Slots per bucket: half a cache line.
const WAYS: usize = 4;

/// The largest window: a stamp's age is measured in 32 bits.
const MAX_WINDOW: usize = 1 << 31;

/// The ghost queue of one segment. Every method runs under the segment's
/// lock.
#[derive(Default)]
pub(crate) struct Ghost {
    /// Each slot holds a fingerprint of a hash (high half, never 0) and
    /// the stamp it was remembered with (low half); 0 is an empty slot.
    buckets: Vec<[u64; WAYS]>,
    /// The stamp of the next hash remembered (wrapping: a slot left alone
    /// for 2^32 rememberings may look young again, which costs at most one
    /// key a place in main).
    clock: u32,
}

impl Ghost {
    /// Whether `hash` is among the last `window` hashes remembered.
    pub(crate) fn contains(&self, hash: u64, window: usize) -> bool {
        if self.buckets.is_empty() {
            return false;
        }
        let (bucket, fingerprint) = self.place(hash);
        let window = Self::clamp(window);
        self.buckets[bucket]
            .iter()
            .any(|&slot| Self::fingerprint_of(slot) == fingerprint && self.age(slot) < window)
    }

    /// Remembers `hash`, with room for a `window` of hashes. A table too
    /// small for the window is replaced by an empty one of the right size
    /// (it only grows, with the segment's live entries: what is forgotten
    /// then is a warm-up's worth).
    pub(crate) fn remember(&mut self, hash: u64, window: usize) {
        let wanted = (Self::clamp(window) as usize).next_power_of_two();
        if self.buckets.len() < wanted {
            self.buckets = vec![[0; WAYS]; wanted];
        }
        let (bucket, fingerprint) = self.place(hash);
        let stamp = self.clock;
        let slots = &self.buckets[bucket];
        // The oldest slot: an empty one is older than any.
        let oldest = (0..WAYS)
            .max_by_key(|&way| match slots[way] {
                0 => u32::MAX,
                slot => self.age(slot),
            })
            .expect("WAYS > 0");
        self.buckets[bucket][oldest] = (u64::from(fingerprint) << 32) | u64::from(stamp);
        self.clock = stamp.wrapping_add(1);
    }

    /// Forgets every hash.
    pub(crate) fn clear(&mut self) {
        self.buckets = Vec::new();
    }

    /// The bucket and fingerprint of `hash`, from independent halves of
    /// its mix (a weak hasher's hashes still spread).
    fn place(&self, hash: u64) -> (usize, u32) {
        let mixed = mix(hash);
        // Truncation intended: the low half picks the bucket (a power of
        // two at most `MAX_WINDOW`), the high half is the fingerprint.
        #[allow(clippy::cast_possible_truncation)]
        let bucket = (mixed as usize) & (self.buckets.len() - 1);
        #[allow(clippy::cast_possible_truncation)]
        let fingerprint = (mixed >> 32) as u32 | 1;
        (bucket, fingerprint)
    }

    fn fingerprint_of(slot: u64) -> u32 {
        // Lossless: the high half.
        #[allow(clippy::cast_possible_truncation)]
        let fingerprint = (slot >> 32) as u32;
        fingerprint
    }

    /// How many hashes were remembered after the one in `slot`.
    fn age(&self, slot: u64) -> u32 {
        // Truncation intended: the stamp is the low half.
        #[allow(clippy::cast_possible_truncation)]
        let stamp = slot as u32;
        self.clock.wrapping_sub(stamp).wrapping_sub(1)
    }

    fn clamp(window: usize) -> u32 {
        // Lossless: at most 2^31.
        #[allow(clippy::cast_possible_truncation)]
        let window = window.clamp(1, MAX_WINDOW) as u32;
        window
    }
}

/// murmur3's finalizer: every input bit flips each output bit with
/// probability about one half. Spreads a weak hasher's hashes over the
/// ghost's buckets and fingerprints (the segments take a cheaper spread,
/// `sync::map::spread`, on every `get`).
fn mix(hash: u64) -> u64 {
    let mut mixed = hash ^ (hash >> 33);
    mixed = mixed.wrapping_mul(0xff51_afd7_ed55_8ccd);
    mixed ^= mixed >> 33;
    mixed = mixed.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    mixed ^ (mixed >> 33)
}

#[cfg(test)]
mod tests {
    use super::Ghost;

    #[test]
    fn remembers_the_last_window_of_hashes_and_forgets_older_ones() {
        let mut ghost = Ghost::default();
        assert!(!ghost.contains(7, 16));
        for hash in 0..100u64 {
            ghost.remember(hash, 16);
        }
        // The last 16 (84..100) are in; everything before aged out.
        for hash in 84..100 {
            assert!(ghost.contains(hash, 16), "{hash} forgotten early");
        }
        for hash in 0..84 {
            assert!(!ghost.contains(hash, 16), "{hash} remembered too long");
        }
        // A smaller window at lookup time shortens the memory.
        assert!(ghost.contains(99, 1));
        assert!(!ghost.contains(98, 1));
        ghost.clear();
        assert!(!ghost.contains(99, 16));
    }

    #[test]
    fn keeps_nearly_every_hash_of_a_full_window() {
        // Random hashes filling the whole window: buckets overflow for a
        // fraction of a percent (the module's estimate), never more than 2%.
        let mut ghost = Ghost::default();
        let window = 4096;
        let hashes: Vec<u64> = (0..window as u64)
            .map(|n| n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x1234_5678)
            .collect();
        for &hash in &hashes {
            ghost.remember(hash, window);
        }
        let kept = hashes
            .iter()
            .filter(|&&h| ghost.contains(h, window))
            .count();
        assert!(kept * 100 >= window * 98, "kept {kept} of {window}");
    }

    #[test]
    fn a_weak_hasher_s_hashes_still_spread() {
        // Multiples of 64, as rustc-hash 1.x gives small integers' keys.
        let mut ghost = Ghost::default();
        let window = 1024;
        for n in 0..window as u64 {
            ghost.remember(n * 64, window);
        }
        let kept = (0..window as u64)
            .filter(|&n| ghost.contains(n * 64, window))
            .count();
        assert!(kept * 100 >= window * 98, "kept {kept} of {window}");
    }

    #[test]
    fn extreme_windows_are_accepted() {
        let mut ghost = Ghost::default();
        ghost.remember(1, 0);
        assert!(ghost.contains(1, 0), "a window of 0 counts as 1");
        ghost.remember(2, 0);
        assert!(!ghost.contains(1, 1), "aged out of a window of 1");
        assert!(
            ghost.contains(1, usize::MAX),
            "a huge window is clamped, not wrapped"
        );
    }
}
