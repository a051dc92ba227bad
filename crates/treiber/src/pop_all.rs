//! [`PopAll`]: the values [`TreiberStack::pop_all`](crate::TreiberStack::pop_all)
//! took, owned by the caller.

use std::fmt;
use std::iter::FusedIterator;
use std::vec;

use crate::drop_all::drop_all;

/// The values one [`pop_all`](crate::TreiberStack::pop_all) took, in pop
/// order (last pushed first). Owned: the stack no longer holds them, and the
/// ones not iterated are dropped with the iterator: every one of them, even
/// past a value whose `Drop` panics; the first such panic is then resumed
/// (or, if the iterator is dropped while a panic unwinds, caught).
///
/// # Examples
///
/// ```
/// use treiber::TreiberStack;
///
/// let stack: TreiberStack<_> = ["a", "b"].into_iter().collect();
/// let mut taken = stack.pop_all();
/// assert_eq!(taken.len(), 2);
/// assert_eq!(taken.next(), Some("b"));
/// ```
pub struct PopAll<T> {
    values: vec::IntoIter<T>,
}

impl<T> PopAll<T> {
    pub(crate) fn new(values: Vec<T>) -> Self {
        PopAll {
            values: values.into_iter(),
        }
    }
}

impl<T> Iterator for PopAll<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.values.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl<T> DoubleEndedIterator for PopAll<T> {
    fn next_back(&mut self) -> Option<T> {
        self.values.next_back()
    }
}

impl<T> ExactSizeIterator for PopAll<T> {}

impl<T> FusedIterator for PopAll<T> {}

impl<T> Drop for PopAll<T> {
    /// Drops the values not iterated, each once, then resumes the first
    /// panic of their `Drop`s. (`vec::IntoIter`'s own drop, on a second
    /// panicking value, would panic while unwinding: an abort.)
    fn drop(&mut self) {
        drop_all(self.values.by_ref());
    }
}

impl<T> fmt::Debug for PopAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PopAll")
            .field("remaining", &self.values.len())
            .finish()
    }
}
