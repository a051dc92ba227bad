//! [`InlineStr`]: a short string kept by value, so that carrying it in a
//! record needs no allocation and no shared count ([`Text`](super::text)
//! and [`ThreadName`](super::thread_name) keep their short cases in one).

/// Up to `N` bytes of a `&str`, copied whole (`N` at most 255).
#[derive(Clone, Copy)]
pub(super) struct InlineStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineStr<N> {
    /// `text`, copied, if it is at most `N` bytes long.
    pub(super) fn new(text: &str) -> Option<Self> {
        let len = u8::try_from(text.len())
            .ok()
            .filter(|&len| usize::from(len) <= N)?;
        let mut bytes = [0; N];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Self { len, bytes })
    }

    /// The bytes copied: valid UTF-8, since they were a whole `&str`.
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}
