//! Split raw images: one logical image cut into numbered segment files, read as one.
//!
//! The names the tools give segments (the first one is the input):
//!
//! ```text
//!   disk.001 disk.002 …       numeric, from 1 (FTK Imager, `split --numeric-suffixes=1`)
//!   disk.000 disk.001 …       numeric, from 0 (`split -d`, `disk.raw.000`)
//!   disk.aa  disk.ab  …       alphabetic (`split`)
//! ```
//!
//! A name is a segment's when its last extension is 2 to 4 digits, or 2 or 3 lower-case letters;
//! the input is a split image when the segment after it exists. Given a later segment, the
//! whole set is opened from its first, as an examiner expects of "the image".
//!
//! Where every segment but the last is a whole number of pages long (as every imager cuts
//! them), the segments are mapped side by side into one reserved range of addresses, so the
//! scanner reads them in place, as one slice, without a copy. Otherwise they are copied into
//! the scratch directory through [`Expander`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{ByteSource, Expander, Member, SourceError};

/// The most segments a set may have (a 4-digit suffix counts to 9999).
const MAX_SEGMENTS: usize = 10_000;

/// The name pattern of a segment: the path without its suffix, and the suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SegmentName {
    /// Everything before the suffix, with the dot.
    stem: String,
    /// The suffix, digits or lower-case letters.
    suffix: String,
}

impl SegmentName {
    fn parse(path: &Path) -> Option<Self> {
        let name = path.to_str()?;
        let dot = name.rfind('.')?;
        let suffix = name.get(dot + 1..)?;
        if suffix.contains('/') {
            return None;
        }
        let digits = (2..=4).contains(&suffix.len()) && suffix.bytes().all(|b| b.is_ascii_digit());
        let letters = (2..=3).contains(&suffix.len()) && suffix.bytes().all(|b| b.is_ascii_lowercase());
        let stem = name.get(..=dot)?;
        (digits || letters).then(|| Self { stem: stem.to_owned(), suffix: suffix.to_owned() })
    }

    fn numeric(&self) -> bool {
        self.suffix.bytes().all(|b| b.is_ascii_digit())
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("{}{}", self.stem, self.suffix))
    }

    /// The segment after this one, with a suffix as wide (`None` after the last the width allows).
    fn next(&self) -> Option<Self> {
        let mut bytes = self.suffix.clone().into_bytes();
        let (lo, hi) = if self.numeric() { (b'0', b'9') } else { (b'a', b'z') };
        for b in bytes.iter_mut().rev() {
            if *b < hi {
                *b += 1;
                return Some(Self { stem: self.stem.clone(), suffix: String::from_utf8(bytes).ok()? });
            }
            *b = lo;
        }
        None
    }

    /// The first segment of the set: `000…`/`aa…`, or `00…1` where that exists and `00…0` does not.
    fn first(&self) -> Self {
        let width = self.suffix.len();
        let of = |s: String| Self { stem: self.stem.clone(), suffix: s };
        if !self.numeric() {
            return of("a".repeat(width));
        }
        let zero = of("0".repeat(width));
        if zero.path().is_file() {
            return zero;
        }
        of(format!("{}1", "0".repeat(width - 1)))
    }
}

/// True when `path` is a segment of a split image: its name is a segment's and the segment
/// after it, or the set's first segment other than itself, exists.
pub fn is_split(path: &Path) -> bool {
    let Some(name) = SegmentName::parse(path) else { return false };
    let first = name.first();
    name.next().is_some_and(|n| n.path().is_file()) || (first != name && first.path().is_file())
}

/// The segments of the set `path` belongs to, in order, each with its length.
fn segments(path: &Path) -> Result<Vec<(PathBuf, u64)>, SourceError> {
    let refuse = |reason: String| SourceError::Container { path: path.to_path_buf(), reason };
    let Some(name) = SegmentName::parse(path) else {
        return Err(refuse(
            "not a split-raw segment name (disk.001, disk.000, disk.aa); give the first segment, or --container raw"
                .into(),
        ));
    };
    let mut out = Vec::new();
    let mut next = Some(name.first());
    while let Some(seg) = next.take() {
        let p = seg.path();
        let meta = match std::fs::metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(SourceError::from_io(&p, e)),
        };
        if out.len() == MAX_SEGMENTS {
            return Err(refuse(format!("more than {MAX_SEGMENTS} segments; give them as separate inputs")));
        }
        out.push((p, meta.len()));
        next = seg.next();
        if let Some(n) = &next {
            if !n.path().exists() {
                if let Some(later) = later_segment(n) {
                    return Err(refuse(format!(
                        "segment {} is missing but {} exists; the split image is incomplete: find the missing segment",
                        n.path().display(),
                        later.display()
                    )));
                }
                break;
            }
        }
    }
    if out.is_empty() {
        return Err(refuse(format!(
            "the first segment {} is missing; give the first segment of the split image",
            name.first().path().display()
        )));
    }
    Ok(out)
}

/// A segment of the same set after the missing `gap`, if the directory holds one.
fn later_segment(gap: &SegmentName) -> Option<PathBuf> {
    let path = gap.path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = path.file_name()?.to_str()?.strip_suffix(gap.suffix.as_str())?.to_owned();
    std::fs::read_dir(dir).ok()?.filter_map(Result::ok).take(1_000_000).find_map(|e| {
        let file = e.file_name();
        let suffix = file.to_str()?.strip_prefix(prefix.as_str())?;
        let same_kind = suffix.len() == gap.suffix.len()
            && suffix.bytes().all(|b| if gap.numeric() { b.is_ascii_digit() } else { b.is_ascii_lowercase() });
        (same_kind && suffix > gap.suffix.as_str()).then(|| e.path())
    })
}

/// Opens the split image `path` belongs to.
pub fn open(path: &Path, scratch: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let segments = segments(path)?;
    let mut members = Vec::with_capacity(segments.len());
    let mut total: u64 = 0;
    for (p, len) in &segments {
        members.push(Member { path: p.display().to_string(), offset: total, length: *len, sha256: None });
        total = total
            .checked_add(*len)
            .ok_or_else(|| SourceError::Container { path: path.to_path_buf(), reason: "segments too large".into() })?;
    }
    if total == 0 {
        return Err(SourceError::Empty { path: path.to_path_buf() });
    }
    let label = path.display().to_string();
    #[cfg(target_os = "linux")]
    if let Some(joined) = joined::JoinedMap::map(&segments, total)? {
        return Ok(Box::new(joined::SplitSource { map: joined, path: label, members }));
    }
    let mut out = Expander::new(scratch, total)?;
    let mut buf = vec![0u8; 1 << 20];
    for (p, len) in &segments {
        let mut f = File::open(p).map_err(|e| SourceError::from_io(p, e))?.take(*len);
        loop {
            let n = f.read(&mut buf).map_err(|e| SourceError::from_io(p, e))?;
            let Some(got) = buf.get(..n).filter(|g| !g.is_empty()) else { break };
            out.write(got)?;
        }
    }
    if out.len() != total {
        return Err(SourceError::Container {
            path: path.to_path_buf(),
            reason: "a segment changed size while it was read; is the image still being written?".into(),
        });
    }
    Ok(Box::new(out.finish(&label, "split-raw", members)?))
}

/// The segments mapped side by side in one reserved address range.
#[cfg(target_os = "linux")]
mod joined {
    #![allow(unsafe_code)]

    use std::borrow::Cow;
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::path::PathBuf;

    use super::super::{read_slice, ByteSource, Member, SourceError};

    /// `len` bytes at `ptr`: the segments, each mapped read-only over its part of a reservation
    /// of `reserved` bytes that this value owns and unmaps on drop.
    #[derive(Debug)]
    pub(super) struct JoinedMap {
        ptr: *mut u8,
        len: usize,
        reserved: usize,
    }

    // SAFETY: the mapping is read-only and owned by this value; sharing `&[u8]` views of it
    // between threads is as safe as for memmap2's `Mmap`.
    unsafe impl Send for JoinedMap {}
    // SAFETY: as above; nothing writes through the mapping.
    unsafe impl Sync for JoinedMap {}

    fn page_size() -> usize {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n).ok().filter(|n| n.is_power_of_two()).unwrap_or(4096)
    }

    impl JoinedMap {
        /// Maps `segments` (`total` bytes in all) as one slice; `None` when a segment but the
        /// last is not a whole number of pages long (the caller then copies them).
        pub(super) fn map(segments: &[(PathBuf, u64)], total: u64) -> Result<Option<Self>, SourceError> {
            let page = page_size() as u64;
            let (last, rest) = match segments.split_last() {
                Some(s) => s,
                None => return Ok(None),
            };
            if rest.iter().any(|(_, len)| len % page != 0) || last.1 == 0 {
                return Ok(None);
            }
            let Ok(len) = usize::try_from(total) else { return Ok(None) };
            let Some(reserved) = len.checked_next_multiple_of(page as usize) else { return Ok(None) };
            // SAFETY: an anonymous, inaccessible reservation at an address the kernel picks;
            // nothing else refers to it.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    reserved,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Ok(None);
            }
            // From here the reservation is unmapped on drop, whatever fails.
            let joined = Self { ptr: base.cast(), len, reserved };
            let mut at: usize = 0;
            for (path, seg_len) in segments {
                let Ok(seg_len) = usize::try_from(*seg_len) else { return Ok(None) };
                if seg_len == 0 {
                    continue;
                }
                let file = File::open(path).map_err(|e| SourceError::from_io(path, e))?;
                let meta = file.metadata().map_err(|e| SourceError::from_io(path, e))?;
                if meta.len() != seg_len as u64 {
                    return Err(SourceError::Container {
                        path: path.clone(),
                        reason: "the segment changed size while it was opened; is the image still being written?"
                            .into(),
                    });
                }
                // SAFETY: `[at, at + seg_len)` lies inside our reservation (the lengths add up
                // to `len` ≤ `reserved`) and `at` is page-aligned (every segment before is a
                // whole number of pages), so MAP_FIXED replaces only pages we own. The file is
                // opened read-only and mapped for reading; as for a raw image (mmap.rs), a
                // segment truncated by another process while we read would raise SIGBUS, a risk
                // we accept since evidence is not written during an examination.
                let got = unsafe {
                    libc::mmap(
                        joined.ptr.add(at).cast(),
                        seg_len,
                        libc::PROT_READ,
                        libc::MAP_SHARED | libc::MAP_FIXED,
                        file.as_raw_fd(),
                        0,
                    )
                };
                if got == libc::MAP_FAILED {
                    return Err(SourceError::from_io(path, std::io::Error::last_os_error()));
                }
                at += seg_len;
            }
            Ok(Some(joined))
        }

        pub(super) fn bytes(&self) -> &[u8] {
            // SAFETY: `[ptr, ptr + len)` is mapped readable for as long as `self` lives (every
            // byte lies in a segment's mapping; the last segment's page tail reads as zeros).
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }

        /// `madvise(advice)` over the whole pages of `[offset, offset + len)`; a hint whose
        /// failure changes nothing.
        fn advise(&self, offset: u64, len: usize, advice: libc::c_int) {
            let Ok(offset) = usize::try_from(offset) else { return };
            if offset >= self.len {
                return;
            }
            let page = page_size();
            let start = offset / page * page;
            let end = offset.saturating_add(len).min(self.len);
            // SAFETY: the range is inside our own read-only file mappings. MADV_WILLNEED only
            // reads ahead; MADV_DONTNEED on a shared file mapping drops page-table entries, and the
            // next read faults the same bytes back from the page cache, so borrowed slices stay
            // valid and nothing is lost.
            let _ = unsafe { libc::madvise(self.ptr.add(start).cast(), end - start, advice) };
        }
    }

    impl Drop for JoinedMap {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly the reservation this value owns, segment mappings included;
            // no slice borrowed from it outlives `self`.
            unsafe { libc::munmap(self.ptr.cast(), self.reserved) };
        }
    }

    /// A split image mapped in place.
    #[derive(Debug)]
    pub(super) struct SplitSource {
        pub(super) map: JoinedMap,
        pub(super) path: String,
        pub(super) members: Vec<Member>,
    }

    impl ByteSource for SplitSource {
        fn len(&self) -> u64 {
            self.map.len as u64
        }
        fn read(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, SourceError> {
            read_slice(self.map.bytes(), offset, len).map(Cow::Borrowed)
        }
        fn contiguous(&self) -> Option<&[u8]> {
            Some(self.map.bytes())
        }
        fn container(&self) -> &'static str {
            "split-raw"
        }
        fn path(&self) -> Option<&str> {
            Some(&self.path)
        }
        fn members(&self) -> &[Member] {
            &self.members
        }
        fn prepare(&self, offset: u64, len: usize) {
            self.map.advise(offset, len, libc::MADV_WILLNEED);
        }
        fn release(&self, offset: u64, len: usize) {
            self.map.advise(offset, len, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_set(dir: &Path, names: &[&str], data: &[u8], cut: usize) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let p = dir.join(n);
            let part = data.get(i * cut..((i + 1) * cut).min(data.len())).unwrap_or_default();
            std::fs::write(&p, part).unwrap_or_else(|e| panic!("{e}"));
            out.push(p);
        }
        out
    }

    fn bytes_of(path: &Path) -> (Vec<u8>, Vec<Member>, &'static str) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = open(path, dir.path()).unwrap_or_else(|e| panic!("{e}"));
        (s.contiguous().unwrap_or_default().to_vec(), s.members().to_vec(), s.container())
    }

    #[test]
    fn names_and_their_successors() {
        let n = SegmentName::parse(Path::new("/x/disk.raw.009")).unwrap_or_else(|| panic!());
        assert_eq!(n.next().map(|n| n.path()), Some(PathBuf::from("/x/disk.raw.010")));
        let n = SegmentName::parse(Path::new("disk.az")).unwrap_or_else(|| panic!());
        assert_eq!(n.next().map(|n| n.path()), Some(PathBuf::from("disk.ba")));
        assert_eq!(SegmentName::parse(Path::new("disk.99")).and_then(|n| n.next()), None);
        assert!(SegmentName::parse(Path::new("disk.img")).is_some_and(|n| !n.numeric()));
        assert!(SegmentName::parse(Path::new("disk.E01")).is_none());
        assert!(SegmentName::parse(Path::new("a.b/001")).is_none());
    }

    #[test]
    fn page_multiple_segments_are_joined_in_place() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data: Vec<u8> = (0..3 * 8192 + 100).map(|i| (i % 251) as u8).collect();
        let paths = write_set(dir.path(), &["d.001", "d.002", "d.003", "d.004"], &data, 8192);
        assert!(is_split(&paths[0]));
        let (got, members, container) = bytes_of(&paths[0]);
        assert_eq!(got, data);
        assert_eq!(container, "split-raw");
        assert_eq!(members.len(), 4);
        assert_eq!(members[3].offset, 3 * 8192);
        assert_eq!(members[3].length, 100);
        // A later segment opens the whole set.
        assert_eq!(bytes_of(&paths[2]).0, data);
    }

    #[test]
    fn odd_segments_are_copied() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data: Vec<u8> = (0..1000).map(|i| (i % 7) as u8).collect();
        let paths = write_set(dir.path(), &["d.aa", "d.ab", "d.ac"], &data, 334);
        let (got, members, _) = bytes_of(&paths[0]);
        assert_eq!(got, data);
        assert_eq!(members.iter().map(|m| m.length).sum::<u64>(), 1000);
    }

    #[test]
    fn a_missing_middle_segment_is_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = write_set(dir.path(), &["d.000", "d.001", "d.002", "d.003"], &[1; 4096 * 4], 4096);
        std::fs::remove_file(&paths[2]).unwrap_or_else(|e| panic!("{e}"));
        let err = open(&paths[0], dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("d.002 is missing"), "{err}");
    }

    #[test]
    fn a_lone_file_is_not_split() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths = write_set(dir.path(), &["d.001"], &[1; 10], 10);
        assert!(!is_split(&paths[0]));
    }
}
