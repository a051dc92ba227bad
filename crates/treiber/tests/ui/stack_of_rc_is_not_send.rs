// An Rc's count is not atomic: a stack of them must not cross threads.
use std::rc::Rc;
use treiber::TreiberStack;

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let stack: TreiberStack<Rc<i32>> = TreiberStack::new();
    assert_send(&stack);
}
