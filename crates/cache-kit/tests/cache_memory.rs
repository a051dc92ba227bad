//! A cache's memory follows its entries, not its capacity: a cache with
//! room for a billion entries holding a thousand takes memory for a
//! thousand. Counted by a global allocator that tallies the bytes live;
//! one test in this binary, so that no other test allocates meanwhile.
#![cfg(not(miri))] // the allocator is the point

use cache_kit::Cache;
use fearless_test_support::LiveBytes;

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

/// What a cache of `u64`s may hold for `entries` entries: a table bucket
/// of 56 bytes and a control byte per entry at the table's lowest load (a
/// bit under half, just after it doubled), a queue record of 24 bytes in a
/// queue that doubles too, and a fixed part (segments, shards, per-thread
/// counts) of well under a MiB on any machine this runs on. Tables sized
/// for the capacity (2^20 entries at most, as they once were) took 98 MiB
/// here.
fn allowance(entries: isize) -> isize {
    let per_entry = 2 * (56 + 1) + 2 * 24;
    (1 << 20) + entries * per_entry
}

#[test]
fn a_large_cache_holding_few_entries_takes_memory_for_those_entries_only() {
    let before = LiveBytes::live();
    let cache = Cache::new(1 << 30).unwrap();
    for key in 0..1_000u64 {
        cache.insert(key, key);
    }
    let held = LiveBytes::live() - before;
    assert!(
        held < allowance(1_000),
        "{held} bytes for 1,000 entries of a cache of capacity 2^30"
    );
    // It grows as entries come, and keeps them all.
    for key in 1_000..100_000u64 {
        cache.insert(key, key);
    }
    assert!((0..100_000u64).all(|key| cache.get(&key) == Some(key)));
    let held = LiveBytes::live() - before;
    assert!(
        held < allowance(100_000),
        "{held} bytes for 100,000 entries of a cache of capacity 2^30"
    );
    drop(cache);
    assert!(
        LiveBytes::live() - before < 4 << 10,
        "the cache's memory is given back when it drops"
    );
}
