//! [`InlineStr`]: a short text kept by value, so that carrying it in a
//! record needs no allocation and no shared count ([`Text`](super::text)
//! and [`ThreadName`](super::thread_name) keep their short cases in one).

/// Up to `N` bytes of text, copied whole (`N` at most 255): a `&str`'s, or
/// a raw line's from `LoggerMakeWriter` (feature `tracing`), which
/// is written as it is, UTF-8 or not.
///
/// Aligned to 8 bytes, the length last: a record moves it (and the enum
/// around it) in whole words. Byte-aligned, with the length first, its
/// moves were stitched from overlapping 4-byte pieces that the next 16-byte
/// read could not take from the store buffer: the caller's three hottest
/// instructions (store-forwarding stalls, perf).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(super) struct InlineStr<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> InlineStr<N> {
    /// `text`, copied, if it is at most `N` bytes long.
    pub(super) fn new(text: &str) -> Option<Self> {
        Self::from_bytes(text.as_bytes())
    }

    /// `text`'s bytes, copied, if there are at most `N`.
    pub(super) fn from_bytes(text: &[u8]) -> Option<Self> {
        let len = u8::try_from(text.len())
            .ok()
            .filter(|&len| usize::from(len) <= N)?;
        let mut bytes = [0; N];
        bytes[..text.len()].copy_from_slice(text);
        Some(Self { len, bytes })
    }

    /// No text.
    pub(super) fn empty() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// Appends `text` if it fits; `false` (and no change) if it does not.
    #[inline]
    pub(super) fn try_push(&mut self, text: &str) -> bool {
        let len = usize::from(self.len);
        let end = len + text.len();
        if end > N {
            return false;
        }
        self.bytes[len..end].copy_from_slice(text.as_bytes());
        // At most `N`, which is at most 255.
        self.len = end as u8;
        true
    }

    /// The text's length, in bytes.
    pub(super) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The text, if it is UTF-8 (pushed or made from `&str`s), else empty.
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The bytes copied: valid UTF-8 when they came from a `&str`.
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}
