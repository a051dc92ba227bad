//! `Reply`: the answering end of an `ask`.

use std::fmt;

use crossbeam_channel::Sender;

/// The handle an actor answers an [`ask`](crate::ActorHandle::ask) with.
/// Put it in the message; the actor calls [`send`](Reply::send). Dropping
/// it unanswered makes the asker's `ask` return
/// [`AskError::NoReply`](crate::AskError::NoReply).
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
    sender: Sender<R>,
}

impl<R> Reply<R> {
    pub(crate) fn new(sender: Sender<R>) -> Self {
        Self { sender }
    }

    /// Answers the asker. If the asker stopped waiting (it timed out), the
    /// answer is dropped.
    pub fn send(self, answer: R) {
        // A closed reply channel means the asker gave up; nothing to do.
        let _ = self.sender.try_send(answer);
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reply")
    }
}
