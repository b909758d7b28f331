//! The SQLite file format, and nothing else: database header, b-tree pages, cells, records,
//! overflow chains, the schema table, WAL and rollback journal. Knows no app and no report.
//!
//! Every decoder here borrows the bytes it is given (`&'a [u8]`), checks every read, and bounds
//! every loop by a limit that comes from the format (cell count ≤ (usable − 8) / 6, overflow
//! chains ≤ ⌈payload ÷ (usable − 4)⌉ pages, b-tree depth ≤ [`btree::MAX_DEPTH`], …), never by a
//! number the input alone controls.
#![deny(clippy::indexing_slicing)]

pub mod btree;
pub mod cell;
pub mod error;
pub mod header;
pub mod journal;
pub mod page;
pub mod record;
pub mod schema;
pub mod wal;

pub use error::{DecodeError, DecodeErrorKind};

/// Smallest page size SQLite allows.
pub const MIN_PAGE_SIZE: usize = 512;
/// Largest page size SQLite allows.
pub const MAX_PAGE_SIZE: usize = 65536;

/// True for the page sizes SQLite can write: powers of two from 512 to 65536.
pub fn is_valid_page_size(size: usize) -> bool {
    size.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&size)
}

/// Text encoding of a database (header offset 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 (1), the default.
    #[default]
    Utf8,
    /// UTF-16 little-endian (2).
    Utf16le,
    /// UTF-16 big-endian (3).
    Utf16be,
}

impl TextEncoding {
    /// The encoding for header value `v`, if valid.
    pub fn from_header(v: u32) -> Option<Self> {
        match v {
            1 => Some(Self::Utf8),
            2 => Some(Self::Utf16le),
            3 => Some(Self::Utf16be),
            _ => None,
        }
    }

    /// Decodes text stored in this encoding. Returns `None` if the bytes are not valid text in
    /// the encoding (the caller then reports them as bytes, never lossily).
    pub fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Self::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
            Self::Utf16le | Self::Utf16be => {
                if !bytes.len().is_multiple_of(2) {
                    return None;
                }
                let units = bytes.chunks_exact(2).map(|c| match (self, c) {
                    (Self::Utf16le, [a, b]) => u16::from_le_bytes([*a, *b]),
                    (_, [a, b]) => u16::from_be_bytes([*a, *b]),
                    _ => 0,
                });
                char::decode_utf16(units).collect::<Result<String, _>>().ok()
            }
        }
    }
}
