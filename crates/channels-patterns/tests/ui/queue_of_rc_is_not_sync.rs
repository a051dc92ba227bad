// Values pushed on one thread are popped on another: not for an Rc.
use std::rc::Rc;
use channels_patterns::BoundedQueue;

fn assert_sync<T: Sync>(_: &T) {}

fn main() {
    let queue: BoundedQueue<Rc<u8>> = BoundedQueue::new(1).unwrap();
    assert_sync(&queue);
}
