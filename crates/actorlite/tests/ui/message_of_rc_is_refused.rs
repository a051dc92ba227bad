// A message crosses from the sender's thread to the actor's: an Rc must not.
use std::rc::Rc;
use actorlite::{Actor, Context};

struct Holder;

impl Actor for Holder {
    type Message = Rc<u32>;
    fn handle(&mut self, _: Rc<u32>, _: &mut Context<Self>) {}
}

fn main() {}
