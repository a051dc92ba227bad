//! Monitors (Erlang's): a watcher gets one message, with the `ExitReason`,
//! when the actor it watches stops: at once if it already has; never
//! twice; counted in the watcher's `undelivered` when the watcher is gone
//! or the mapping closure panics; never blocking, even on a full mailbox.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use actorlite::{
    spawn, spawn_supervised, Actor, ActorBuilder, ActorHandle, Context, ExitReason, Mailbox,
    Recipient, RestartPolicy,
};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

/// The actor being watched: panics on `true`.
struct Watched;

impl Actor for Watched {
    type Message = bool;
    fn handle(&mut self, fail: bool, _: &mut Context<Self>) {
        assert!(!fail, "asked to fail");
    }
}

enum Event {
    Down(u32, ExitReason),
    /// Waits for the test's go-ahead (to fill the mailbox behind it).
    Hold(mpsc::Receiver<()>),
    Watch(u32, ActorHandle<Watched>),
    /// A notification whose `Drop` panics.
    Grenade(Grenade),
}

struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the notification's drop panics");
    }
}

/// Passes every notification on to the test.
struct Watcher(mpsc::Sender<(u32, ExitReason)>);

impl Actor for Watcher {
    type Message = Event;
    fn handle(&mut self, event: Event, ctx: &mut Context<Self>) {
        match event {
            Event::Down(id, reason) => {
                let _ = self.0.send((id, reason));
            }
            Event::Hold(go) => {
                let _ = go.recv_timeout(PATIENCE);
            }
            Event::Watch(id, watched) => ctx.monitor(&watched, move |r| Event::Down(id, r)),
            Event::Grenade(grenade) => std::mem::forget(grenade),
        }
    }
}

fn watcher(mailbox: Mailbox) -> (ActorHandle<Watcher>, mpsc::Receiver<(u32, ExitReason)>) {
    let (tell, told) = mpsc::channel();
    let handle = ActorBuilder::new()
        .mailbox(mailbox)
        .spawn(Watcher(tell))
        .unwrap();
    (handle, told)
}

fn down(id: u32) -> impl FnOnce(ExitReason) -> Event + Send + 'static {
    move |reason| Event::Down(id, reason)
}

#[test]
fn a_watcher_gets_each_exit_reason_once() {
    let (watcher, told) = watcher(Mailbox::default());
    let to = watcher.recipient();
    let normal = spawn(Watched);
    let killed = spawn(Watched);
    let panicked = spawn(Watched);
    normal.monitor(&to, down(1));
    killed.monitor(&to, down(2));
    panicked.monitor(&to, down(3));
    normal.stop();
    killed.kill();
    panicked.send(true).unwrap();
    let mut got: Vec<_> = (0..3)
        .map(|_| told.recv_timeout(PATIENCE).unwrap())
        .collect();
    got.sort_by_key(|(id, _)| *id);
    assert_eq!(
        got,
        [
            (1, ExitReason::Normal),
            (2, ExitReason::Killed),
            (3, ExitReason::Panicked("asked to fail".into())),
        ]
    );
    // Exactly once: nothing more comes.
    watcher.stop();
    assert_eq!(watcher.join(), ExitReason::Normal);
    assert!(told.try_recv().is_err());
    let stats = watcher.stats();
    assert_eq!((stats.handled, stats.undelivered), (3, 0));
}

#[test]
fn a_monitor_on_an_actor_already_stopped_is_told_at_once() {
    let (watcher, told) = watcher(Mailbox::default());
    let watched = spawn(Watched);
    watched.kill();
    assert_eq!(watched.join(), ExitReason::Killed);
    watched.monitor(&watcher.recipient(), down(7));
    assert_eq!(told.recv_timeout(PATIENCE), Ok((7, ExitReason::Killed)));
    // And again for a second monitor, each once.
    watched.recipient().monitor(&watcher.recipient(), down(8));
    assert_eq!(told.recv_timeout(PATIENCE), Ok((8, ExitReason::Killed)));
    watcher.stop();
    watcher.join();
    assert!(told.try_recv().is_err());
}

#[test]
fn a_notification_for_a_watcher_that_is_gone_is_counted_undelivered() {
    let (watcher, _told) = watcher(Mailbox::default());
    let watched = spawn(Watched);
    watched.monitor(&watcher.recipient(), down(1));
    watcher.stop();
    assert_eq!(watcher.join(), ExitReason::Normal);
    watched.stop();
    assert_eq!(watched.join(), ExitReason::Normal);
    // The notifications go out before `join` can return: counted by then.
    let stats = watcher.stats();
    assert_eq!((stats.handled, stats.undelivered), (0, 1));
}

#[test]
fn a_monitor_does_not_keep_the_watcher_alive() {
    let (watcher, told) = watcher(Mailbox::default());
    let recipient = watcher.recipient();
    let watched = spawn(Watched);
    watched.monitor(&recipient, down(1));
    let weak = watcher.downgrade();
    drop(watcher);
    drop(recipient);
    // The watcher stops though `watched` still holds its monitor.
    let mut waited = Duration::ZERO;
    while weak.upgrade().is_some() {
        assert!(waited < PATIENCE, "the watcher never stopped");
        thread::sleep(Duration::from_millis(1));
        waited += Duration::from_millis(1);
    }
    watched.stop();
    watched.join();
    assert!(told.try_recv().is_err());
}

#[test]
fn a_panicking_mapping_closure_is_caught_and_counted() {
    let (watcher, told) = watcher(Mailbox::default());
    let watched = spawn(Watched);
    watched.monitor(&watcher.recipient(), |_| -> Event { panic!("cannot map") });
    watched.monitor(&watcher.recipient(), down(2));
    watched.stop();
    assert_eq!(
        watched.join(),
        ExitReason::Normal,
        "the watched actor is unharmed"
    );
    // The other monitor still got its message.
    assert_eq!(told.recv_timeout(PATIENCE), Ok((2, ExitReason::Normal)));
    assert_eq!(watcher.stats().undelivered, 1);
    assert_eq!(
        watcher.last_panic().as_deref(),
        Some("a monitor's message closure panicked: cannot map")
    );
    // Also when the actor was down already (the closure runs here).
    watched.monitor(&watcher.recipient(), |_| -> Event { panic!("again") });
    assert_eq!(watcher.stats().undelivered, 2);
    assert!(watcher.is_alive());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the retry runs on the shared timer thread, which outlives the test"
)]
fn a_notification_to_a_full_mailbox_waits_for_room_without_blocking_the_watched_actor() {
    let (watcher, told) = watcher(Mailbox::Bounded(1));
    let (go, hold) = mpsc::channel();
    watcher.send(Event::Hold(hold)).unwrap();
    while watcher.mailbox_len() != 0 {
        thread::yield_now();
    }
    let watched = spawn(Watched);
    watched.monitor(&watcher.recipient(), down(1));
    watched.monitor(&watcher.recipient(), down(2));
    watched.stop();
    // The watched actor's exit does not wait for the watcher's room.
    assert_eq!(watched.join(), ExitReason::Normal);
    go.send(()).unwrap();
    let mut got: Vec<_> = (0..2)
        .map(|_| told.recv_timeout(PATIENCE).unwrap())
        .collect();
    got.sort_by_key(|(id, _)| *id);
    assert_eq!(got, [(1, ExitReason::Normal), (2, ExitReason::Normal)]);
    watcher.stop();
    watcher.join();
    assert_eq!(watcher.stats().undelivered, 0);
}

#[test]
fn an_actor_watches_another_through_its_context_across_restarts() {
    let (watcher, told) = watcher(Mailbox::default());
    let watched = spawn_supervised(
        || Watched,
        RestartPolicy {
            max_restarts: 1,
            within: PATIENCE,
        },
    );
    watcher.send(Event::Watch(5, watched.clone())).unwrap();
    // Make sure the monitor is set before the failures.
    let probe = spawn(Watched);
    watcher.send(Event::Watch(6, probe.clone())).unwrap();
    probe.stop();
    assert_eq!(told.recv_timeout(PATIENCE), Ok((6, ExitReason::Normal)));
    watched.send(true).unwrap(); // restarted: not an exit
    watched.send(true).unwrap(); // past the budget: the exit
    let (id, reason) = told.recv_timeout(PATIENCE).unwrap();
    assert_eq!(id, 5);
    assert!(matches!(reason, ExitReason::Panicked(_)), "{reason:?}");
    assert_eq!(watched.stats().restarts, 1);
}

#[test]
fn concurrent_monitors_racing_the_exit_are_each_told_exactly_once() {
    let per_thread: u32 = if cfg!(miri) { 3 } else { 200 };
    let (watcher, told) = watcher(Mailbox::Unbounded);
    let to: Recipient<Event> = watcher.recipient();
    let watched = spawn(Watched);
    thread::scope(|s| {
        for t in 0..2 {
            let (watched, to) = (&watched, &to);
            s.spawn(move || {
                for i in 0..per_thread {
                    watched.monitor(to, down(t * per_thread + i));
                }
            });
        }
        s.spawn(|| watched.stop());
    });
    watched.join();
    let mut ids: Vec<u32> = (0..2 * per_thread)
        .map(|_| told.recv_timeout(PATIENCE).unwrap().0)
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..2 * per_thread).collect::<Vec<_>>());
    watcher.stop();
    watcher.join();
    assert!(told.try_recv().is_err(), "none twice");
    assert_eq!(watcher.stats().handled, u64::from(2 * per_thread));
}

#[test]
fn an_actor_monitoring_itself_is_not_told_and_the_notification_is_counted() {
    let (watcher, told) = watcher(Mailbox::default());
    watcher.monitor(&watcher.recipient(), down(1));
    watcher.stop();
    assert_eq!(watcher.join(), ExitReason::Normal);
    assert!(told.try_recv().is_err(), "its mailbox was closed by then");
    let stats = watcher.stats();
    assert_eq!((stats.handled, stats.undelivered), (0, 1));
}

/// A notification the timer thread retried (the watcher's mailbox was
/// full) and then dropped undelivered (the watcher stopped) is named so in
/// the watcher's `last_panic` when its `Drop` panics: it was reported as a
/// timer message (a break run).
#[test]
fn a_retried_notification_that_panics_when_dropped_undelivered_is_named_a_notification() {
    let (watcher, _told) = watcher(Mailbox::Bounded(1));
    let (go, hold) = mpsc::channel();
    watcher.send(Event::Hold(hold)).unwrap();
    // Fills the mailbox behind the held handler.
    let (_, filler) = mpsc::channel();
    let mut waited = Duration::ZERO;
    let mut filler = Some(Event::Hold(filler));
    while let Some(event) = filler.take() {
        if let Err(refused) = watcher.try_send(event) {
            assert!(waited < PATIENCE, "the mailbox never took the filler");
            filler = Some(refused.into_inner());
            thread::sleep(Duration::from_millis(1));
            waited += Duration::from_millis(1);
        }
    }
    let watched = spawn(Watched);
    watched.monitor(&watcher.recipient(), |_| Event::Grenade(Grenade));
    watched.stop();
    watched.join();
    // The notification waits on the timer thread; the watcher ends.
    watcher.kill();
    drop(go);
    watcher.join();
    let mut waited = Duration::ZERO;
    // Counted undelivered, then dropped: wait for the drop's report.
    while watcher.last_panic().is_none() {
        assert!(waited < PATIENCE, "the notification was never given up");
        thread::sleep(Duration::from_millis(1));
        waited += Duration::from_millis(1);
    }
    assert_eq!(
        watcher.last_panic().as_deref(),
        Some(
            "dropping an undelivered monitor notification panicked: the notification's drop panics"
        )
    );
    assert_eq!(watcher.stats().undelivered, 1);
}
