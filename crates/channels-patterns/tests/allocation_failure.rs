//! A capacity whose memory the allocator refuses is a typed error, not an
//! abort of the process. This test binary's allocator refuses every
//! allocation of 256 MiB or more, standing in for a machine without the
//! memory (a real refusal depends on the machine's overcommit policy).

use channels_patterns::{BoundedQueue, SizeError};
use fearless_test_support::RefusingAllocator;

/// Refuses every allocation of 256 MiB or more.
#[global_allocator]
static GLOBAL: RefusingAllocator<{ 256 << 20 }> = RefusingAllocator;

#[test]
fn slots_the_allocator_refuses_are_a_typed_error() {
    // 1 MiB values: 1,024 slots need 1 GiB, which is refused (the process
    // aborted here before), 4 slots 4 MiB, which is granted.
    type Message = [u8; 1 << 20];
    let error = BoundedQueue::<Message>::new(1024).unwrap_err();
    assert_eq!(error, SizeError::allocation_failed("capacity", 1024));
    assert!(error.is_allocation_failure() && !error.is_zero());
    assert_eq!(error.max(), None);
    assert_eq!(
        error.to_string(),
        "`capacity` of 1024 needs more memory than the allocator provided"
    );
    let queue = BoundedQueue::<Message>::new(4).unwrap();
    assert_eq!(queue.capacity(), 4);
}
