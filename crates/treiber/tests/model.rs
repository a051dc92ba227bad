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

/// Runs `ops` on a stack and on a `Vec`, comparing every answer.
fn check_against_vec(ops: Vec<Op>) -> Result<(), TestCaseError> {
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
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    #[cfg_attr(miri, ignore = "proptest's own work took a minute of miri's time for 8 cases; \
                               `pseudo_random_sequences_behave_like_a_vec` runs there instead")]
    fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..64)) {
        check_against_vec(ops)?;
    }
}

/// The same check as `behaves_like_a_vec` over sequences drawn with a
/// xorshift generator, with the same weights and lengths: what miri runs
/// (proptest's strategies and runner cost miri about 7 seconds a case;
/// these operations, a few milliseconds each).
#[test]
fn pseudo_random_sequences_behave_like_a_vec() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for _ in 0..8 {
        let len = next(64);
        let ops = (0..len)
            .map(|_| match next(11) {
                0..=3 => Op::Push(next(1 << 16) as u16),
                4..=7 => Op::Pop,
                8 => Op::PushAll((0..next(8)).map(|_| next(1 << 16) as u16).collect()),
                9 => Op::PopAll,
                _ => Op::IsEmpty,
            })
            .collect();
        check_against_vec(ops).unwrap();
    }
}
