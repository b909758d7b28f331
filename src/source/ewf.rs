//! Expert Witness Format images (EnCase `.E01`, `.E02`, … and `.Ex01`), read with the `ewf`
//! crate and expanded through [`Expander`] into the image they hold.
//!
//! An EWF image is the acquired media cut into chunks (32 KiB by default), each stored
//! deflated or as is, in one or more segment files; tables in each segment say where each
//! chunk lies. The acquisition tool stores the MD5 (and, since EnCase 6.12, SHA-1) of the
//! media it read: [`StoredHashes`]. The MD5 of the logical bytes is computed as they are
//! decoded (whatever `--hash` says: it costs little there) and reported beside it, with whether
//! it matches.
//!
//! Chunks are decoded in batches, in parallel, and written in order; chunks of zeros become
//! holes in the scratch file. The segment files are the input's members; each member's range
//! is the logical bytes of the chunks that segment holds.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{ByteSource, Expander, Member, MmapSource, SourceError};

/// EWF v1 (`.E01`) signature at offset 0 of every segment file.
const EVF1_SIGNATURE: [u8; 8] = [0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00];
/// EWF v2 (`.Ex01`) signature.
const EVF2_SIGNATURE: [u8; 8] = [0x45, 0x56, 0x46, 0x32, 0x0d, 0x0a, 0x81, 0x00];
/// The largest chunk accepted (the `ewf` crate's own bound; EnCase writes 32 KiB).
const MAX_CHUNK: u64 = 128 * 1024 * 1024;
/// Logical bytes decoded per batch (the chunks of a batch are decoded in parallel).
const BATCH: u64 = 8 * 1024 * 1024;

/// True when `head` (the first bytes of a file) starts an EWF segment file (E01 or Ex01).
pub fn is_ewf(head: &[u8]) -> bool {
    head.starts_with(&EVF1_SIGNATURE) || head.starts_with(&EVF2_SIGNATURE)
}

/// Hashes of the acquired media that the container itself stores (EWF's `hash` and `digest`
/// sections), as the acquisition tool computed them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredHashes {
    /// MD5 of the media.
    pub md5: Option<[u8; 16]>,
    /// SHA-1 of the media.
    pub sha1: Option<[u8; 20]>,
    /// MD5 of the logical bytes as they were decoded (not stored: computed by chatcarve, to be
    /// compared with `md5`).
    pub decoded_md5: Option<[u8; 16]>,
}

impl StoredHashes {
    /// True when no hash is stored.
    pub fn is_empty(&self) -> bool {
        self.md5.is_none() && self.sha1.is_none()
    }
}

/// An EWF image expanded into the scratch directory.
#[derive(Debug)]
pub struct EwfSource {
    image: MmapSource,
    stored: StoredHashes,
}

impl ByteSource for EwfSource {
    fn len(&self) -> u64 {
        self.image.len()
    }
    fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError> {
        self.image.read(offset, len)
    }
    fn contiguous(&self) -> Option<&[u8]> {
        self.image.contiguous()
    }
    fn container(&self) -> &'static str {
        "ewf"
    }
    fn path(&self) -> Option<&str> {
        self.image.path()
    }
    fn members(&self) -> &[Member] {
        self.image.members()
    }
    fn prepare(&self, offset: u64, len: usize) {
        self.image.prepare(offset, len)
    }
    fn release(&self, offset: u64, len: usize) {
        self.image.release(offset, len)
    }
    fn stored_hashes(&self) -> Option<StoredHashes> {
        (!self.stored.is_empty()).then_some(self.stored)
    }
}

/// The segment files of the set `first` begins (`x.E01`, `x.E02`, … `x.EAA`, …; `x.Ex01`, …),
/// in segment order: files beside it with the same stem and an extension of the same shape.
fn segment_files(first: &Path) -> Vec<PathBuf> {
    let (Some(stem), Some(ext)) = (first.file_stem(), first.extension().and_then(|e| e.to_str())) else {
        return vec![first.to_path_buf()];
    };
    let dir = match first.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let lead = ext.chars().next().map(|c| c.to_ascii_uppercase());
    let Ok(entries) = std::fs::read_dir(&dir) else { return vec![first.to_path_buf()] };
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .take(1_000_000)
        .filter_map(|e| {
            let x = e.path().extension()?.to_str()?.to_owned();
            let shape = x.len() == ext.len()
                && x.chars().next().map(|c| c.to_ascii_uppercase()) == lead
                && x.chars().skip(1).all(|c| c.is_ascii_alphanumeric());
            // Named as the input is (no `./` added to a bare name).
            let p = first.with_file_name(e.file_name());
            (p.file_stem() == Some(stem) && shape && p.is_file()).then(|| (x.to_ascii_uppercase(), p))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        return vec![first.to_path_buf()];
    }
    found.into_iter().map(|(_, p)| p).collect()
}

/// Opens the EWF image whose segment `path` is (any segment opens the whole set).
pub fn open(path: &Path, scratch: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let fail = |reason: String| SourceError::Container { path: path.to_path_buf(), reason };
    // The reader is a dependency: a panic in it on a hostile image is turned into an error on
    // this input rather than ending the run.
    let guarded = |f: &mut dyn FnMut() -> Result<(), SourceError>| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
            Err(fail("the EWF reader failed on this image (it is damaged or crafted); try ewfverify on it".into()))
        })
    };
    let mut reader = None;
    guarded(&mut || {
        // The lazy chunk table keeps memory flat whatever the image size (the eager one holds an
        // entry per 32 KiB chunk: hundreds of MiB for a large disk); Ex01 falls back to eager.
        reader = Some(ewf::EwfReader::open_lazy(path).map_err(|e| {
            fail(format!("cannot read the EWF image: {e}; check that every segment (.E01, .E02, …) is beside it"))
        })?);
        Ok(())
    })?;
    let Some(reader) = reader else { return Err(fail("the EWF image could not be opened".into())) };
    let total = reader.total_size();
    let chunk = reader.chunk_size();
    if total == 0 {
        return Err(SourceError::Empty { path: path.to_path_buf() });
    }
    if chunk == 0 || chunk > MAX_CHUNK {
        return Err(fail(format!("chunk size {chunk} is outside 1..={MAX_CHUNK}; the image is damaged")));
    }
    let files = segment_files(path);
    let mut out = Expander::new(scratch, total)?;
    // Logical range (first byte, end) of the chunks each segment holds.
    let mut ranges: Vec<Option<(u64, u64)>> = vec![None; files.len()];
    let batch = (BATCH / chunk).max(1) * chunk;
    let batch_len = usize::try_from(batch).map_err(|_| fail("chunk size too large".into()))?;
    let chunk_len = chunk as usize;
    // Batch k is written out (and hashed) while batch k + 1 is decoded.
    let decode = |at: u64, part: &mut [u8]| {
        guarded(&mut || {
            use rayon::prelude::*;
            part.par_chunks_mut(chunk_len).enumerate().try_for_each(|(i, piece)| {
                let offset = at + (i * chunk_len) as u64;
                let got = reader.read_at(piece, offset).map_err(|e| {
                    fail(format!("chunk at logical offset {offset}: {e}; the image is damaged (ewfverify tells more)"))
                })?;
                if got != piece.len() {
                    return Err(fail(format!("chunk at logical offset {offset} is short; the image is damaged")));
                }
                Ok(())
            })
        })
    };
    let mut md5 = <md5::Md5 as md5::Digest>::new();
    let mut write = |at: u64, part: &[u8]| -> Result<(), SourceError> {
        md5::Digest::update(&mut md5, part);
        for (i, piece) in part.chunks(chunk_len).enumerate() {
            let offset = at + (i * chunk_len) as u64;
            if let Ok((_, _, _, segment)) = reader.debug_chunk(((at / chunk) as usize).saturating_add(i)) {
                if let Some(r) = ranges.get_mut(segment) {
                    let end = offset + piece.len() as u64;
                    *r = Some(r.map_or((offset, end), |(s, _)| (s, end)));
                }
            }
            if piece.iter().all(|&b| b == 0) {
                out.zeros(piece.len() as u64)?;
            } else {
                out.write(piece)?;
            }
        }
        Ok(())
    };
    let batch_at = |at: u64| (total.saturating_sub(at)).min(batch) as usize;
    let (mut current, mut next) = (vec![0u8; batch_len], vec![0u8; batch_len]);
    let mut at: u64 = 0;
    decode(at, current.get_mut(..batch_at(at)).unwrap_or_default())?;
    while at < total {
        let n = batch_at(at);
        let next_at = at + n as u64;
        let (written, decoded) = rayon::join(
            || write(at, current.get(..n).unwrap_or_default()),
            || decode(next_at, next.get_mut(..batch_at(next_at)).unwrap_or_default()),
        );
        written?;
        decoded?;
        std::mem::swap(&mut current, &mut next);
        at = next_at;
    }
    let md5: [u8; 16] = md5::Digest::finalize(md5).into();
    // Segments are in logical order; one holding no chunk (only the closing sections) is an
    // empty member where the one before it ends.
    let mut members = Vec::with_capacity(files.len());
    let mut end = 0;
    for (file, range) in files.iter().zip(&ranges) {
        let (s, e) = range.unwrap_or((end, end));
        end = e.max(end);
        members.push(Member { path: file.display().to_string(), offset: s, length: e - s, sha256: None });
    }
    let stored = reader.stored_hashes();
    let image = out.finish(&path.display().to_string(), "ewf", members)?;
    Ok(Box::new(EwfSource {
        image,
        stored: StoredHashes { md5: stored.md5, sha1: stored.sha1, decoded_md5: Some(md5) },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        assert!(is_ewf(&EVF1_SIGNATURE));
        assert!(is_ewf(b"EVF2\r\n\x81\x00rest"));
        assert!(!is_ewf(b"EVF"));
    }

    #[test]
    fn a_damaged_image_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("bad.E01");
        let mut bytes = EVF1_SIGNATURE.to_vec();
        bytes.extend((0..5000u32).map(|i| (i * 7 % 256) as u8));
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(open(&p, dir.path()), Err(SourceError::Container { .. })));
    }
}
