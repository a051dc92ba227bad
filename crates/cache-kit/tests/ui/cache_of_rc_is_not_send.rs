// A cache of `Rc` values would hand clones of one `Rc` to several threads.
use std::rc::Rc;

fn main() {
    let cache = cache_kit::Cache::<u32, Rc<u32>>::new(10).unwrap();
    std::thread::spawn(move || {
        cache.insert(1, Rc::new(1));
    });
}
