//! Every scenario of `fearless_benches::scenarios` under criterion, one
//! implementation after another: for profiling one implementation and for
//! criterion's comparisons with a saved baseline while optimising. The
//! recorded tables do not come from here: `cargo xtask bench` measures in
//! paired rounds (`examples/paired.rs`), because on a noisy machine a ratio
//! of two criterion runs made seconds apart is not to be trusted.
//!
//! `cargo bench -p fearless-benches --bench scenarios -- 'cache_get_hit/cache_kit'`
//! (criterion's filter: `<scenario>/<implementation>/<threads>`); the thread
//! counts come from `FEARLESS_BENCH_THREADS` (1,2,4 by default).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fearless_benches::scenario::Size;
use fearless_benches::{scenarios, thread_counts};

fn all(c: &mut Criterion) {
    for scenario in scenarios::all(Size::Full) {
        let mut group = c.benchmark_group(scenario.name);
        for mut implementation in scenario.implementations {
            for threads in thread_counts() {
                let operations = implementation.batch.operations(threads, 1);
                group.throughput(Throughput::Elements(operations));
                let id = BenchmarkId::new(implementation.name.clone(), threads);
                group.bench_function(id, |b| {
                    b.iter_custom(|batches| implementation.run(threads, batches));
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
