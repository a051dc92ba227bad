//! Weak handles: they reach the actor while some handle keeps it alive,
//! and never keep it alive themselves, so an actor holding its own handle
//! weakly, or two actors holding each other's, still stop when everyone
//! else lets go.

use std::sync::mpsc;
use std::time::Duration;

use actorlite::{spawn, Actor, ActorHandle, Context, ExitReason, WeakActorHandle};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

/// Counts what it handles; reports its count when it stops.
struct Counter {
    count: u64,
    stopped: mpsc::Sender<(u64, ExitReason)>,
    myself: Option<WeakActorHandle<Counter>>,
    peer: Option<WeakActorHandle<Counter>>,
}

enum Msg {
    Bump,
    /// Bump the peer (if it is still reachable) and myself.
    BumpBoth,
    Meet(WeakActorHandle<Counter>),
}

impl Actor for Counter {
    type Message = Msg;
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.myself = Some(ctx.weak_handle());
    }
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Bump => self.count += 1,
            Msg::BumpBoth => {
                self.count += 1;
                // Either upgrade fails once every outside handle is gone
                // (the actor is then stopping).
                if let Some(peer) = self.peer.as_ref().and_then(WeakActorHandle::upgrade) {
                    let _ = peer.try_send(Msg::Bump);
                }
                if let Some(me) = self.myself.as_ref().and_then(WeakActorHandle::upgrade) {
                    let _ = me.try_send(Msg::Bump);
                }
            }
            Msg::Meet(peer) => self.peer = Some(peer),
        }
    }
    fn stopped(&mut self, reason: &ExitReason) {
        let _ = self.stopped.send((self.count, reason.clone()));
    }
}

fn counter() -> (ActorHandle<Counter>, mpsc::Receiver<(u64, ExitReason)>) {
    let (stopped, stops) = mpsc::channel();
    let handle = spawn(Counter {
        count: 0,
        stopped,
        myself: None,
        peer: None,
    });
    (handle, stops)
}

#[test]
fn a_weak_handle_upgrades_while_a_handle_lives_and_not_after() {
    let (handle, stops) = counter();
    let weak = handle.downgrade();
    let strong = weak.upgrade().expect("a handle is alive");
    strong.send(Msg::Bump).unwrap();
    drop(strong);
    assert!(weak.upgrade().is_some(), "`handle` still keeps it alive");
    drop(handle);
    // The last handle's drop stopped the actor after its queue.
    assert_eq!(stops.recv_timeout(PATIENCE), Ok((1, ExitReason::Normal)));
    assert!(weak.upgrade().is_none());
    assert!(weak.clone().upgrade().is_none());
}

#[test]
fn an_actor_holding_its_own_weak_handle_stops_when_everyone_else_lets_go() {
    let (handle, stops) = counter();
    handle.send(Msg::BumpBoth).unwrap();
    drop(handle);
    // A strong handle of its own would keep it running for good.
    let (count, reason) = stops.recv_timeout(PATIENCE).expect("it stopped");
    assert_eq!(reason, ExitReason::Normal);
    assert!((1..=2).contains(&count), "{count}");
}

#[test]
fn two_actors_holding_each_others_weak_handles_both_stop() {
    let (a, a_stops) = counter();
    let (b, b_stops) = counter();
    a.send(Msg::Meet(b.downgrade())).unwrap();
    b.send(Msg::Meet(a.downgrade())).unwrap();
    a.send(Msg::BumpBoth).unwrap();
    // `b` may already be stopping when `a` bumps it: what matters is that
    // both stop.
    drop(b);
    drop(a);
    let (a_count, a_reason) = a_stops.recv_timeout(PATIENCE).expect("a stopped");
    let (b_count, b_reason) = b_stops.recv_timeout(PATIENCE).expect("b stopped");
    assert_eq!(
        (a_reason, b_reason),
        (ExitReason::Normal, ExitReason::Normal)
    );
    assert!((1..=2).contains(&a_count), "{a_count}");
    assert!(b_count <= 1, "{b_count}");
}

#[test]
fn a_weak_handle_is_clone_send_sync_and_debug() {
    fn assert_clone_send_sync<T: Clone + Send + Sync + std::fmt::Debug>() {}
    assert_clone_send_sync::<WeakActorHandle<Counter>>();
    let (handle, _stops) = counter();
    let weak = handle.downgrade();
    assert!(format!("{weak:?}").contains("WeakActorHandle"));
}

/// Waits for a go, then hands out a handle made from its context.
struct Reviver {
    go: mpsc::Receiver<()>,
    out: mpsc::Sender<ActorHandle<Reviver>>,
}

impl Actor for Reviver {
    type Message = ();
    fn handle(&mut self, (): (), ctx: &mut Context<Self>) {
        self.go.recv().unwrap();
        self.out.send(ctx.handle()).unwrap();
    }
}

/// Once the last handle is gone, `upgrade` gives `None` for good, even
/// after a handler still running makes a handle from its context (that
/// handle took the count up from zero, and upgrades then succeeded).
#[test]
fn an_upgrade_refused_once_stays_refused_when_the_actor_makes_a_handle() {
    let (go, wait) = mpsc::channel();
    let (out, handles) = mpsc::channel();
    let actor = spawn(Reviver { go: wait, out });
    let weak = actor.downgrade();
    actor.send(()).unwrap(); // the handler now waits for `go`
    drop(actor);
    assert!(weak.upgrade().is_none(), "the last handle is gone");
    go.send(()).unwrap();
    let made_inside = handles.recv_timeout(PATIENCE).unwrap();
    assert!(weak.upgrade().is_none(), "refused once, refused for good");
    assert_eq!(made_inside.join_timeout(PATIENCE), Some(ExitReason::Normal));
}
