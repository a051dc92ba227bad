//! A property test: any sequence of operations on one thread gives the same
//! results as `Vec`, the sequential model of a stack.

use proptest::prelude::*;
use treiber::TreiberStack;

#[derive(Debug, Clone)]
enum Op {
    Push(u16),
    Pop,
    PushAll(Vec<u16>),
    PopAll,
    IsEmpty,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u16>().prop_map(Op::Push),
        4 => Just(Op::Pop),
        1 => proptest::collection::vec(any::<u16>(), 0..8).prop_map(Op::PushAll),
        1 => Just(Op::PopAll),
        1 => Just(Op::IsEmpty),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..64)) {
        let stack = TreiberStack::new();
        let mut model: Vec<u16> = Vec::new();
        for op in ops {
            match op {
                Op::Push(value) => {
                    stack.push(value);
                    model.push(value);
                }
                Op::Pop => prop_assert_eq!(stack.pop(), model.pop()),
                Op::PushAll(values) => {
                    stack.push_all(values.iter().copied());
                    model.extend(values);
                }
                Op::PopAll => {
                    let expected: Vec<u16> = model.drain(..).rev().collect();
                    prop_assert_eq!(stack.pop_all().collect::<Vec<_>>(), expected);
                }
                Op::IsEmpty => prop_assert_eq!(stack.is_empty(), model.is_empty()),
            }
        }
        let rest: Vec<u16> = model.into_iter().rev().collect();
        prop_assert_eq!(stack.pop_all().collect::<Vec<_>>(), rest);
    }
}
