// Sharing a stack of Rc would let two threads pop clones of one Rc.
use std::rc::Rc;
use treiber::TreiberStack;

fn assert_sync<T: Sync>(_: &T) {}

fn main() {
    let stack: TreiberStack<Rc<i32>> = TreiberStack::new();
    assert_sync(&stack);
}
