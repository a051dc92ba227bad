//! `TreiberStack<T>` is `Send + Sync` exactly when `T: Send`; the
//! compile-fail cases in tests/ui show the other half.

use std::cell::Cell;

use treiber::{PopAll, TreiberStack};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn a_stack_of_send_values_is_send_and_sync() {
    assert_send_sync::<TreiberStack<String>>();
    // Cell is Send but not Sync: the stack never shares a &T, so still Sync.
    assert_send_sync::<TreiberStack<Cell<u8>>>();
    assert_send::<PopAll<String>>();
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn a_stack_of_values_that_are_not_send_is_neither() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
