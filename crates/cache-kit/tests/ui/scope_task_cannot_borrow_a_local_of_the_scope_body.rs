// Scope tasks may finish after the scope body returns, so they may only
// borrow what outlives the whole `scope` call.
fn main() {
    let pool = cache_kit::WorkStealingPool::new(1).unwrap();
    pool.scope(|s| {
        let local = vec![1, 2, 3];
        s.spawn(|_| println!("{local:?}"));
    });
}
