// A detached task runs on another thread: it cannot own an `Rc`.
use std::rc::Rc;

fn main() {
    let pool = cache_kit::WorkStealingPool::new(1).unwrap();
    let shared = Rc::new(5);
    pool.spawn(move || println!("{shared}")).unwrap();
}
