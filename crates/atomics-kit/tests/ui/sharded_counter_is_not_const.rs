// A ShardedCounter allocates its shards, so it cannot be built in a const
// context; a `static` one goes in a `LazyLock`.
use atomics_kit::ShardedCounter;

static HITS: ShardedCounter = ShardedCounter::new();

fn main() {
    HITS.increment();
}
