//! `Reply`: the answering end of an `ask`.

use std::cell::Cell;
use std::fmt;

use crossbeam_channel::Sender;

/// The handle an actor answers an [`ask`](crate::ActorHandle::ask) with.
/// Put it in the message; the actor calls [`send`](Reply::send). Dropping
/// it unanswered makes the asker's `ask` return
/// [`AskError::NoReply`](crate::AskError::NoReply), whether the handler
/// returned or panicked; a `Reply` the actor drops without ever handling it
/// (its message was a dead letter, or the actor stopped holding it) gives
/// [`AskError::Closed`](crate::AskError::Closed) instead.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, Reply};
/// use std::time::Duration;
///
/// struct Echo;
/// impl Actor for Echo {
///     type Message = (String, Reply<String>);
///     fn handle(&mut self, (text, reply): Self::Message, _: &mut Context<Self>) {
///         reply.send(text);
///     }
/// }
///
/// let echo = spawn(Echo);
/// let answer = echo.ask(|reply| ("hi".to_owned(), reply), Duration::from_secs(5))?;
/// assert_eq!(answer, "hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping a Reply answers the asker with AskError::NoReply"]
pub struct Reply<R> {
    /// `None` only while `Drop` lets it go.
    sender: Option<Sender<Answer<R>>>,
}

/// What travels back to the asker.
pub(crate) enum Answer<R> {
    Value(R),
    /// The `Reply` was dropped unhandled (see [`Unhandled`]).
    Unhandled,
}

impl<R> Reply<R> {
    pub(crate) fn new(sender: Sender<Answer<R>>) -> Self {
        Self {
            sender: Some(sender),
        }
    }

    /// Answers the asker. If the asker stopped waiting (it timed out), the
    /// answer is dropped, here or by the asker, whichever lets the answer
    /// go last; a panic of its `Drop` is caught there (the panic hook
    /// prints it), so it fails neither this actor nor the asker.
    pub fn send(self, answer: R) {
        let Some(sender) = &self.sender else {
            return;
        };
        // A closed reply channel means the asker gave up: the answer comes
        // back, user code to drop.
        if let Err(refused) = sender.try_send(Answer::Value(answer)) {
            atomics_kit::drop_caught(refused.into_inner());
        }
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        let Some(sender) = self.sender.take() else {
            return;
        };
        if UNHANDLED.get() {
            // Full if `send` answered already; closed if the asker left.
            let _ = sender.try_send(Answer::Unhandled);
        }
        // The last handle of the channel frees an answer still in it (the
        // asker timed out after it landed): user code, caught.
        atomics_kit::drop_caught(sender);
    }
}

thread_local! {
    /// Set while the actor's thread drops what it never handled.
    static UNHANDLED: Cell<bool> = const { Cell::new(false) };
}

/// While alive, a `Reply` dropped on this thread tells its asker
/// [`Closed`](crate::AskError::Closed) (the request was never handled)
/// rather than leaving it to see the channel close
/// ([`NoReply`](crate::AskError::NoReply): the handler dropped it). The
/// actor's thread holds one while it drops dead letters and while it
/// cleans up at the end.
pub(crate) struct Unhandled {
    outer: bool,
}

impl Unhandled {
    pub(crate) fn begin() -> Self {
        Self {
            outer: UNHANDLED.replace(true),
        }
    }
}

impl Drop for Unhandled {
    fn drop(&mut self) {
        UNHANDLED.set(self.outer);
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reply")
    }
}
