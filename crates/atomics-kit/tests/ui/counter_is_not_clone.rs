// A clone would silently split one count into two: counters are shared by
// reference or `Arc`, never copied.
use atomics_kit::AtomicCounter;

fn main() {
    let counter = AtomicCounter::new();
    let _copy = counter.clone();
}
