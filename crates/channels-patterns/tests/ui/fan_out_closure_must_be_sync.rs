// Every worker calls the same closure at once: it must be Sync, and a
// closure that mutates a Cell is not.
use std::cell::Cell;
use channels_patterns::fan_out_fan_in;

fn main() {
    let calls = Cell::new(0);
    let _ = fan_out_fan_in(0..10, 2, |x: i32| {
        calls.set(calls.get() + 1);
        x
    });
}
