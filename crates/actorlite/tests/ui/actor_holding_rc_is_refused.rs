// The actor moves to its own thread: state with an Rc must not.
use std::rc::Rc;
use actorlite::{Actor, Context};

struct Shared(Rc<u32>);

impl Actor for Shared {
    type Message = ();
    fn handle(&mut self, _: (), _: &mut Context<Self>) {}
}

fn main() {}
