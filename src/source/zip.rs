//! zip archives (full-file-system extractions, or any zip): each member is decoded (stored or
//! deflated; zip64 too) into an [`Expander`], at the next 4096-aligned logical offset, as a
//! [`super::BundleSource`] lays out its files, and listed as a [`Member`] with that offset.
//! Unlike a tar, a zip's deflated members are not readable in place: the scan reads the
//! expansion.
//!
//! The central directory is read by the `zip` crate (zip64, data descriptors, name encodings
//! and encryption flags are many corner cases that it already handles); each member is then
//! streamed through its decoder in steps of 1 MiB, never held whole in memory.
//!
//! A member that is encrypted, compressed with a method not read here, or damaged is skipped
//! (what decoded of a damaged one is kept) and named in a warning; the rest of the archive is
//! still read. A member never grows past the size the central directory declares for it, and
//! the whole expansion never past [`EXPAND_LIMIT`] (decompression bombs).

use std::io::{Cursor, Read};
use std::path::Path;

use super::compressed::{bomb, EXPAND_LIMIT};
use super::{ByteSource, Expander, Member, MmapSource, SourceError};

/// Alignment of each member in the logical bytes.
const ALIGN: u64 = 4096;
/// Bytes decoded per read.
const STEP: usize = 1 << 20;
/// Warnings about skipped members named one by one; past this, only counted.
const MAX_NAMED: usize = 50;

/// True when `head` starts with a zip local file header (or is an empty zip).
pub fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Decodes the zip at `path` member by member into `scratch` and opens the result.
pub fn open(path: &Path, scratch: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let mapped = MmapSource::open(path)?;
    let bytes = mapped.contiguous().unwrap_or_default();
    let container = |reason: String| SourceError::Container { path: path.to_path_buf(), reason };
    let mut x = Expansion {
        path,
        out: Expander::new(scratch, EXPAND_LIMIT)?,
        members: Vec::new(),
        skipped: Vec::new(),
        buf: vec![0u8; STEP],
    };
    let mut warnings = Vec::new();
    match ::zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut archive) => {
            for i in 0..archive.len() {
                let (name, encrypted) = match archive.by_index_data(i) {
                    Ok(d) => (d.name().ok().map(|n| n.into_owned()), d.encrypted()),
                    Err(_) => (None, false),
                };
                if encrypted {
                    x.skipped.push(format!("{}: encrypted", name.unwrap_or_else(|| format!("member #{i}"))));
                    continue;
                }
                match archive.by_index(i) {
                    Ok(mut file) => x.member(&mut file, Sizes::Declared)?,
                    Err(e) => x.skipped.push(format!("{}: {e}", name.unwrap_or_else(|| format!("member #{i}")))),
                }
            }
        }
        // No central directory (an archive cut short): the members are read from their local
        // headers, one after the other, as far as the archive goes. Each header read moves the
        // cursor on by at least its 30 bytes, so the walk ends.
        Err(e) if looks_like_zip(bytes) => {
            warnings.push(format!(
                "the zip's central directory cannot be read ({e}): the archive is cut short or damaged; its files were read from their local headers as far as possible"
            ));
            let mut cursor = Cursor::new(bytes);
            let stop = loop {
                match ::zip::read::read_zipfile_from_stream(&mut cursor) {
                    Ok(Some(mut file)) => x.member(&mut file, Sizes::MayBeUnknown)?,
                    Ok(None) => break None,
                    Err(e) => break Some(e.to_string()),
                }
            };
            if let Some(e) = stop {
                x.skipped.push(format!("the walk stopped at offset {} ({e})", cursor.position()));
            }
        }
        Err(e) => {
            return Err(container(format!(
                "not a readable zip archive ({e}); if it is a raw image that starts like a zip, give --container raw"
            )))
        }
    }
    let Expansion { out, members, skipped, .. } = x;
    if !skipped.is_empty() {
        let named: Vec<&str> = skipped.iter().take(MAX_NAMED).map(String::as_str).collect();
        let more = skipped.len().saturating_sub(MAX_NAMED);
        warnings.push(format!(
            "{} zip member(s) not read whole (encrypted, a compression method other than stored and deflate, or damaged): {}{}",
            skipped.len(),
            named.join("; "),
            if more > 0 { format!("; and {more} more") } else { String::new() }
        ));
    }
    if out.is_empty() {
        return Err(container(match warnings.first() {
            Some(w) => format!("no member of the zip archive could be read: {w}"),
            None => "the zip archive holds no file with data; nothing to scan".to_owned(),
        }));
    }
    Ok(Box::new(out.finish(&path.display().to_string(), "zip", members)?.with_warnings(warnings)))
}

/// Whether a member's size is known before it is read.
#[derive(Debug, Clone, Copy)]
enum Sizes {
    /// From the central directory: 0 is an empty file.
    Declared,
    /// From a local header, which may leave it to a data descriptor after the data (0).
    MayBeUnknown,
}

/// The expansion of a zip as it is made.
struct Expansion<'a> {
    path: &'a Path,
    out: Expander,
    members: Vec<Member>,
    /// Why members were skipped or cut, one line each.
    skipped: Vec<String>,
    buf: Vec<u8>,
}

impl Expansion<'_> {
    /// Decodes `file` (a directory, an empty or an unreadable file adds nothing) at the next
    /// aligned offset. It grows at most to the size the archive declares for it, when it
    /// declares one.
    fn member<R: Read>(&mut self, file: &mut ::zip::read::ZipFile<'_, R>, sizes: Sizes) -> Result<(), SourceError> {
        let name = file.name().map(|n| n.into_owned()).unwrap_or_else(|_| "(unreadable name)".to_owned());
        if file.is_dir() {
            return Ok(());
        }
        if file.encrypted() {
            self.skipped.push(format!("{name}: encrypted"));
            return Ok(());
        }
        let declared = match (file.size(), sizes) {
            // An empty file, as the central directory says: whatever its data would decode to
            // (a bomb hidden as an empty file) is not read.
            (0, Sizes::Declared) => return Ok(()),
            (0, Sizes::MayBeUnknown) => EXPAND_LIMIT,
            (n, _) => n,
        };
        let out = &mut self.out;
        let pad = out.len().next_multiple_of(ALIGN) - out.len();
        out.zeros(pad).map_err(|e| bomb(self.path, e))?;
        let offset = out.len();
        let mut length = 0u64;
        loop {
            let room = usize::try_from(declared - length).unwrap_or(usize::MAX).min(STEP);
            let Some(chunk) = self.buf.get_mut(..room).filter(|c| !c.is_empty()) else { break };
            match file.read(chunk) {
                Ok(0) => break,
                Ok(n) => {
                    out.write(chunk.get(..n).unwrap_or_default()).map_err(|e| bomb(self.path, e))?;
                    length += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.skipped.push(format!("{name}: damaged after {length} bytes ({e}); those bytes are kept"));
                    break;
                }
            }
        }
        if length > 0 {
            self.members.push(Member { path: name, offset, length, sha256: None });
        }
        Ok(())
    }
}
