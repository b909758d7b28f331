//! Inputs whose logical bytes have to be decoded (E01, Android sparse, compressed dumps,
//! deflated archive members) are expanded, as they are decoded, into an unnamed temporary
//! file in a scratch directory, and that file is mapped read-only: the scanner then reads them
//! as it reads a raw image, in bounded memory (the page cache holds what is hot).
//!
//! Every 4 KiB block of zeros is left as a hole, never written: the unused space of a sparse
//! image or of a wiped disk costs no scratch space. The file has no name (`O_TMPFILE` where
//! the system has it), so nothing is left behind, even when the process is killed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Member, MmapSource, SourceError};

/// A hole is left for every aligned block of zeros this long.
const HOLE_BLOCK: usize = 4096;
/// Bytes gathered before they are written out.
const BUFFER: usize = 1 << 20;

/// Writes decoded bytes, in logical order, into an unnamed scratch file.
#[derive(Debug)]
pub struct Expander {
    file: File,
    /// Where the scratch file is (for error messages).
    scratch: PathBuf,
    /// Logical length so far, including what `buffer` holds.
    len: u64,
    /// Bytes not yet written; they start at `len - buffer.len()`, a multiple of `HOLE_BLOCK`.
    buffer: Vec<u8>,
    /// The most the expansion may grow to (a defence against decompression bombs).
    limit: u64,
}

impl Expander {
    /// A new, empty expansion in `scratch`, refusing to grow past `limit` bytes.
    pub fn new(scratch: &Path, limit: u64) -> Result<Self, SourceError> {
        let file = tempfile::tempfile_in(scratch)
            .map_err(|e| SourceError::Scratch { path: scratch.to_path_buf(), source: e })?;
        Ok(Self { file, scratch: scratch.to_path_buf(), len: 0, buffer: Vec::with_capacity(BUFFER), limit })
    }

    /// Logical bytes expanded so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing has been expanded yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes`.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<(), SourceError> {
        self.grow(bytes.len() as u64)?;
        while !bytes.is_empty() {
            let take = (BUFFER - self.buffer.len()).min(bytes.len());
            let (now, rest) = bytes.split_at(take);
            self.buffer.extend_from_slice(now);
            self.len += take as u64;
            bytes = rest;
            if self.buffer.len() == BUFFER {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Appends `n` zero bytes (a hole where they fill whole blocks).
    pub fn zeros(&mut self, n: u64) -> Result<(), SourceError> {
        self.grow(n)?;
        const BLOCK: u64 = HOLE_BLOCK as u64;
        // Zeros up to the next block boundary go through the buffer, which is then written out;
        // the whole blocks after it are skipped.
        let head = ((BLOCK - self.len % BLOCK) % BLOCK).min(n);
        self.buffer.resize(self.buffer.len() + head as usize, 0);
        self.len += head;
        let mut rest = n - head;
        if rest == 0 {
            return Ok(());
        }
        self.flush()?;
        let whole = rest / BLOCK * BLOCK;
        self.len += whole;
        rest -= whole;
        self.buffer.resize(rest as usize, 0);
        self.len += rest;
        Ok(())
    }

    /// Maps the expansion read-only as the input's logical bytes.
    pub fn finish(
        mut self,
        label: &str,
        container: &'static str,
        members: Vec<Member>,
    ) -> Result<MmapSource, SourceError> {
        self.flush()?;
        let tail_at = self.len - self.buffer.len() as u64;
        if self.buffer.iter().any(|&b| b != 0) {
            use std::os::unix::fs::FileExt;
            self.file.write_all_at(&self.buffer, tail_at).map_err(|e| self.io(e))?;
        }
        let err = |e| SourceError::Scratch { path: self.scratch.clone(), source: e };
        self.file.set_len(self.len).map_err(err)?;
        self.file.flush().map_err(err)?;
        MmapSource::from_file(&self.file, self.len, label, container, members)
    }

    fn grow(&self, n: u64) -> Result<(), SourceError> {
        match self.len.checked_add(n) {
            Some(total) if total <= self.limit => Ok(()),
            _ => Err(SourceError::TooLarge { limit: self.limit }),
        }
    }

    /// Writes the buffer out, leaving holes for its whole blocks of zeros, and keeps the
    /// unwritten tail (less than a block) when the buffer does not end on a block boundary.
    fn flush(&mut self) -> Result<(), SourceError> {
        use std::os::unix::fs::FileExt;
        let start = self.len - self.buffer.len() as u64;
        let whole = self.buffer.len() / HOLE_BLOCK * HOLE_BLOCK;
        let mut run: Option<usize> = None;
        let write_run = |from: usize, to: usize, buffer: &[u8], file: &File| {
            file.write_all_at(&buffer[from..to], start + from as u64)
        };
        for (i, block) in self.buffer[..whole].chunks(HOLE_BLOCK).enumerate() {
            let at = i * HOLE_BLOCK;
            let zero = block.iter().all(|&b| b == 0);
            match (zero, run) {
                (false, None) => run = Some(at),
                (true, Some(from)) => {
                    write_run(from, at, &self.buffer, &self.file).map_err(|e| self.io(e))?;
                    run = None;
                }
                _ => {}
            }
        }
        if let Some(from) = run {
            write_run(from, whole, &self.buffer, &self.file).map_err(|e| self.io(e))?;
        }
        self.buffer.drain(..whole);
        Ok(())
    }

    fn io(&self, e: std::io::Error) -> SourceError {
        SourceError::Scratch { path: self.scratch.clone(), source: e }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ByteSource;

    fn expand(parts: &[(bool, Vec<u8>)]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut x = Expander::new(dir.path(), u64::MAX).unwrap_or_else(|e| panic!("{e}"));
        for (zeros, bytes) in parts {
            if *zeros {
                x.zeros(bytes.len() as u64).unwrap_or_else(|e| panic!("{e}"));
            } else {
                x.write(bytes).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let m = x.finish("t", "test", Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        m.contiguous().unwrap_or_default().to_vec()
    }

    proptest::proptest! {
        #[test]
        fn expansion_equals_concatenation(parts in proptest::collection::vec(
            (proptest::bool::ANY, 0usize..400_000, 0u8..3), 1..10)) {
            let parts: Vec<(bool, Vec<u8>)> = parts.into_iter().map(|(z, n, b)| (z, vec![if z { 0 } else { b }; n])).collect();
            let want: Vec<u8> = parts.iter().flat_map(|(_, b)| b.clone()).collect();
            if want.is_empty() { return Ok(()); }
            proptest::prop_assert_eq!(expand(&parts), want);
        }
    }

    #[test]
    fn refuses_to_grow_past_its_limit() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut x = Expander::new(dir.path(), 10).unwrap_or_else(|e| panic!("{e}"));
        assert!(x.write(&[1; 8]).is_ok());
        assert!(matches!(x.write(&[1; 3]), Err(SourceError::TooLarge { limit: 10 })));
        assert!(matches!(x.zeros(3), Err(SourceError::TooLarge { .. })));
    }
}
