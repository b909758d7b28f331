//! Sources of bytes with logical offsets: what the scanner reads. Knows no format.
//!
//! A raw image is the memory-mapped case ([`MmapSource`]). Container formats (split raw, E01,
//! sparse, archives, compressed dumps) become other implementations of [`ByteSource`]; the
//! scanner only ever asks for ranges at logical offsets.

mod bundle;
mod compressed;
mod ewf;
mod expanded;
mod mmap;
mod open;
mod sparse;
mod split;
pub mod tar;
pub mod walk;
mod zip;

use std::borrow::Cow;
use std::path::PathBuf;

pub use bundle::{BundleSource, Member};
pub use compressed::{Compression, EXPAND_LIMIT};
pub use ewf::StoredHashes;
pub use expanded::Expander;
pub use mmap::MmapSource;
pub use open::{detect, open, Container, OpenOptions};
pub use sparse::{expand_android_sparse, expanded_len as android_sparse_len, SPARSE_MAGIC};

/// A readable sequence of bytes addressed by logical offset.
pub trait ByteSource: Send + Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes `[offset, offset + len)`, clamped to the end of the source: borrowed where the
    /// source is mapped, owned where it has to be decoded.
    fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError>;

    /// The whole source as one slice, when it is contiguous in memory (the mmap case). The
    /// scanner uses it to follow structures that run past a chunk without copying.
    fn contiguous(&self) -> Option<&[u8]>;

    /// The kind of container, as reported in `inputs[].container`.
    fn container(&self) -> &'static str;

    /// The path of the file the source reads, when it is one file (an app's database given as
    /// input tells the app by its path).
    fn path(&self) -> Option<&str> {
        None
    }

    /// The files the source is made of, when it is made of several (see [`BundleSource`]).
    fn members(&self) -> &[Member] {
        &[]
    }

    /// What the examiner must know about how the source was read: a compressed stream cut
    /// short, archive members skipped. One sentence each; the report's `warnings` put the input's
    /// index and path before it. The default has none.
    fn warnings(&self) -> &[String] {
        &[]
    }

    /// A hint that `[offset, offset + len)` is about to be read whole, so that a mapping can be
    /// filled in one call instead of one page fault at a time. The default does nothing.
    fn prepare(&self, offset: u64, len: usize) {
        let _ = (offset, len);
    }

    /// A hint that `[offset, offset + len)` will not be read again soon, so that the memory
    /// mapping it can be given back now, in parallel, instead of all at once at the end.
    /// Reading the range later still gives the same bytes. The default does nothing.
    fn release(&self, offset: u64, len: usize) {
        let _ = (offset, len);
    }

    /// The hashes of the media that the container stores (an E01's MD5 and SHA-1), to be
    /// checked against the logical bytes; `None` where it stores none.
    fn stored_hashes(&self) -> Option<StoredHashes> {
        None
    }
}

/// Why an input cannot be read. Each message names the input and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path does not exist.
    #[error("{path}: no such file; check the path")]
    NotFound {
        /// The input path.
        path: PathBuf,
    },
    /// The path is a directory.
    #[error("{path}: is a directory; give the image file inside it")]
    IsDirectory {
        /// The input path.
        path: PathBuf,
    },
    /// The input holds no bytes.
    #[error("{path}: the image is empty (0 bytes); check that the acquisition finished")]
    Empty {
        /// The input path.
        path: PathBuf,
    },
    /// Permission denied.
    #[error("{path}: permission denied; run with read access to the image")]
    PermissionDenied {
        /// The input path.
        path: PathBuf,
    },
    /// Any other I/O failure while opening or reading.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The input path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The scratch directory where decoded inputs are expanded cannot be written.
    #[error(
        "scratch directory {path}: {source}; give --scratch a directory on a disk with room for the decoded image"
    )]
    Scratch {
        /// The scratch directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A decoded input grew past what its container declares or the limit allows.
    #[error("the decoded image grows past {limit} bytes; the container is corrupt or crafted (a decompression bomb)")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The input is not a container chatcarve can read, or is corrupt.
    #[error("{path}: {reason}")]
    Container {
        /// The input path.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A read past the end of the source.
    #[error("read of {len} bytes at offset {offset} is outside the image")]
    OutOfRange {
        /// Requested offset.
        offset: u64,
        /// Requested length.
        len: usize,
    },
}

impl SourceError {
    /// Classifies an I/O error met on `path`.
    pub fn from_io(path: &std::path::Path, e: std::io::Error) -> Self {
        let path = path.to_path_buf();
        match e.kind() {
            std::io::ErrorKind::NotFound => Self::NotFound { path },
            std::io::ErrorKind::PermissionDenied => Self::PermissionDenied { path },
            _ => Self::Io { path, source: e },
        }
    }
}

/// An in-memory source, for tests and for decoded nested sources.
#[derive(Debug, Clone)]
pub struct MemorySource {
    bytes: Vec<u8>,
}

impl MemorySource {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }
}

impl ByteSource for MemorySource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError> {
        read_slice(&self.bytes, offset, len).map(Cow::Borrowed)
    }
    fn contiguous(&self) -> Option<&[u8]> {
        Some(&self.bytes)
    }
    fn container(&self) -> &'static str {
        "memory"
    }
}

/// `bytes[offset..offset + len]` clamped to the end; an error when `offset` is past the end.
pub(crate) fn read_slice(bytes: &[u8], offset: u64, len: usize) -> Result<&[u8], SourceError> {
    let start = usize::try_from(offset).map_err(|_| SourceError::OutOfRange { offset, len })?;
    if start > bytes.len() {
        return Err(SourceError::OutOfRange { offset, len });
    }
    let end = start.saturating_add(len).min(bytes.len());
    bytes.get(start..end).ok_or(SourceError::OutOfRange { offset, len })
}
