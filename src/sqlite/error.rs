//! The small, `Copy` error returned by the format decoders: what was wrong, where, in which
//! structure. No `String` in the hot path; the message is built only when displayed.

use std::fmt;

/// Why a structure failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// A field or structure runs past the end of the bytes available.
    Truncated,
    /// A field holds a value the format forbids.
    Invalid,
    /// A chain (overflow, freelist, b-tree) loops back on itself or exceeds its bound.
    Cycle,
    /// A limit from the format was exceeded.
    TooLarge,
}

/// A decode failure: its kind, the structure or field concerned, and the byte position in the
/// buffer that was being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// The field or structure being decoded.
    pub what: &'static str,
    /// Position inside the decoded buffer.
    pub pos: usize,
}

impl DecodeError {
    /// A [`DecodeErrorKind::Truncated`] error.
    pub fn truncated(what: &'static str, pos: usize) -> Self {
        Self { kind: DecodeErrorKind::Truncated, what, pos }
    }
    /// A [`DecodeErrorKind::Invalid`] error.
    pub fn invalid(what: &'static str, pos: usize) -> Self {
        Self { kind: DecodeErrorKind::Invalid, what, pos }
    }
    /// A [`DecodeErrorKind::Cycle`] error.
    pub fn cycle(what: &'static str, pos: usize) -> Self {
        Self { kind: DecodeErrorKind::Cycle, what, pos }
    }
    /// A [`DecodeErrorKind::TooLarge`] error.
    pub fn too_large(what: &'static str, pos: usize) -> Self {
        Self { kind: DecodeErrorKind::TooLarge, what, pos }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DecodeErrorKind::Truncated => "truncated",
            DecodeErrorKind::Invalid => "invalid",
            DecodeErrorKind::Cycle => "cycle in",
            DecodeErrorKind::TooLarge => "too large",
        };
        write!(f, "{kind} {} at byte {}", self.what, self.pos)
    }
}

impl std::error::Error for DecodeError {}

/// Result alias for the decoders.
pub type DecodeResult<T> = Result<T, DecodeError>;

/// Converts an `Option` from [`crate::bytes`] into a truncation error naming the field.
pub(crate) trait OrTruncated<T> {
    fn or_truncated(self, what: &'static str, pos: usize) -> DecodeResult<T>;
}

impl<T> OrTruncated<T> for Option<T> {
    #[inline]
    fn or_truncated(self, what: &'static str, pos: usize) -> DecodeResult<T> {
        self.ok_or(DecodeError::truncated(what, pos))
    }
}
