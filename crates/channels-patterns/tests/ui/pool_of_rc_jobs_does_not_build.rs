// A job crosses to a worker thread: an Rc (non-atomic count) must not.
use std::rc::Rc;
use channels_patterns::WorkerPool;

fn main() {
    let _ = WorkerPool::new(2, |job: Rc<u32>| *job);
}
