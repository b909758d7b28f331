//! A database file read together with the WAL and rollback journal that lie beside it
//! (`<db>-wal`, `<db>-journal`), as one source: the files one after the other, each at a
//! 4096-aligned logical offset, zeros between them. The scan then finds and pairs them as it
//! does in an image. Offsets in a report are logical; [`Member`]s say where each file starts.

use std::borrow::Cow;

use super::{ByteSource, MemorySource, SourceError};

/// Alignment of each member in the logical bytes.
const ALIGN: usize = 4096;

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The file's path as given.
    pub path: String,
    /// Logical offset of its first byte.
    pub offset: u64,
    /// Its length.
    pub length: u64,
    /// Its SHA-256, where it was computed (not for the thousands of files of an archive).
    pub sha256: Option<[u8; 32]>,
}

/// Files read as one source (see the module documentation).
#[derive(Debug, Clone)]
pub struct BundleSource {
    bytes: MemorySource,
    members: Vec<Member>,
}

impl BundleSource {
    /// The files `(path, bytes)` in order, each at the next 4096-aligned offset.
    pub fn new(files: Vec<(String, Vec<u8>)>) -> Self {
        use sha2::Digest;
        let mut bytes = Vec::new();
        let mut members = Vec::with_capacity(files.len());
        for (path, data) in files {
            bytes.resize(bytes.len().next_multiple_of(ALIGN), 0);
            let sha256: [u8; 32] = sha2::Sha256::digest(&data).into();
            members.push(Member { path, offset: bytes.len() as u64, length: data.len() as u64, sha256: Some(sha256) });
            bytes.extend_from_slice(&data);
        }
        Self { bytes: MemorySource::new(bytes), members }
    }
}

impl ByteSource for BundleSource {
    fn len(&self) -> u64 {
        self.bytes.len()
    }
    fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError> {
        self.bytes.read(offset, len)
    }
    fn contiguous(&self) -> Option<&[u8]> {
        self.bytes.contiguous()
    }
    fn container(&self) -> &'static str {
        "sqlite_files"
    }
    fn members(&self) -> &[Member] {
        &self.members
    }
}
