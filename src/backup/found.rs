//! Backups found by their content anywhere in an input, and opened with the keys the input
//! holds: the crypt14 and crypt15 prefixes are looked for in the scan's chunk loop, with the
//! sectors that start like a crypt12 header (kept only when the next bytes are those of a legacy
//! key file found or given: a crypt12 header repeats its key file's salts); then each candidate
//! is opened from its first byte with every key of its generation ([`super::stream`]).

use sha2::{Digest, Sha256};

use super::format::{self, Generation};
use super::key::CRYPT12_SIGNATURE;
use super::stream;

/// Start of a crypt15 prefix after its length byte (and optional flag byte): key type 1, then
/// the IV field.
const CRYPT15: &[u8] = b"\x08\x01\x1a\x12\x0a\x10";
/// Inside a crypt14 prefix (after key type 0 and the cipher field's length): cipher version
/// `00 01`, then the key-version field. Six distinctive bytes: the prefix's own first three
/// bytes are too short a needle to search a whole image for at disk speed.
const CRYPT14: &[u8] = b"\x0a\x02\x00\x01\x12\x01";
/// Candidates opened per input at most (each costs one failed inflation per wrong key).
pub const MAX_CANDIDATES: usize = 256;

/// Where backups may start in a stretch of an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Offsets where a crypt14 or crypt15 header starts and parses.
    pub prefixed: Vec<usize>,
    /// 512-byte-aligned offsets that start like a crypt12 header (`00 01`, key version 1 to 3):
    /// a backup only when the next bytes are a legacy key's ([`crypt12_with`]).
    pub crypt12: Vec<usize>,
}

/// crypt12 candidates kept per stretch at most: the three bytes they start with are common
/// enough in some data that an unbounded list could grow with the input.
pub const MAX_CRYPT12_PER_STRETCH: usize = 4096;

/// Where backups may start in `data[start..end)` (crypt14/15 headers may start a few bytes
/// before `start`).
pub fn candidates_in(data: &[u8], start: usize, end: usize) -> Candidates {
    let end = end.min(data.len());
    // A backup file starts at a sector of its file system; a crypt12 header is too short a
    // signature to look for anywhere else.
    let crypt12 = (start.next_multiple_of(SECTOR)..end)
        .step_by(SECTOR)
        .filter(|&p| data.get(p..p + 3).is_some_and(|h| h[0] == 0 && h[1] == 1 && (1..=3).contains(&h[2])))
        .take(MAX_CRYPT12_PER_STRETCH)
        .collect();
    Candidates { prefixed: prefixed_in(data, start, end), crypt12 }
}

/// The crypt12 candidates whose first bytes are those of a legacy key's backups.
pub fn crypt12_with(data: &[u8], candidates: &[usize], keys: &[(Option<u64>, &super::BackupKey)]) -> Vec<usize> {
    let signatures: Vec<&[u8; CRYPT12_SIGNATURE]> = keys.iter().filter_map(|(_, k)| k.crypt12_signature()).collect();
    candidates
        .iter()
        .copied()
        .filter(|&p| data.get(p..p + CRYPT12_SIGNATURE).is_some_and(|h| signatures.iter().any(|s| h == &s[..])))
        .collect()
}

/// Sector size: where files start.
const SECTOR: usize = 512;

/// How far before the stretch searched a crypt14/15 header found in it may start: its needle
/// lies up to this many bytes after its first byte.
pub const HEADER_LEAD: usize = 6;

/// Offsets in `data[start..end)` (or a few bytes before) where a crypt14 or crypt15 header
/// starts and parses.
fn prefixed_in(data: &[u8], start: usize, end: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(region) = data.get(start..end) else { return out };
    // (needle, where the header starts before a hit: with the flag byte 01, without it)
    for (needle, backs) in [(CRYPT15, [2usize, 1]), (CRYPT14, [HEADER_LEAD, HEADER_LEAD - 1])] {
        for at in memchr::memmem::find_iter(region, needle) {
            let hit = start + at;
            for back in backs {
                let Some(p) = hit.checked_sub(back) else { continue };
                if data.get(p..).is_some_and(|d| format::header(d).is_ok()) {
                    out.push(p);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A backup found in an input and opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBackup {
    /// Offset of its first byte.
    pub offset: u64,
    /// Bytes it spans.
    pub length: u64,
    /// Which generation.
    pub generation: Generation,
    /// The app version its prefix names.
    pub app_version: Option<String>,
    /// The tag matched.
    pub intact: bool,
    /// The zlib stream ended.
    pub complete: bool,
    /// SHA-256 of the key that opened it.
    pub key_sha256: String,
    /// Where that key was found in the input; None for a key the examiner gave.
    pub key_offset: Option<u64>,
    /// Bytes inflated.
    pub plaintext_bytes: u64,
    /// SHA-256 of the inflated bytes.
    pub plaintext_sha256: String,
    /// `sqlite` (a database), `zip` (several files) or `other`.
    pub contents: &'static str,
    /// The time of the latest message read from it, in ms since the Unix epoch: the backup was
    /// made after it (None until read, or when it holds no dated message).
    pub latest_message_ms: Option<i64>,
}

/// Opens each candidate with every key of its generation (found in the input, at their offset,
/// or given); the first key that inflates it opens it. Yields each backup opened with its
/// plaintext, one at a time, so that whoever reads them holds one plaintext at once.
pub fn open_each<'a>(
    data: &'a [u8],
    candidates: &'a [usize],
    keys: &'a [(Option<u64>, &'a super::BackupKey)],
) -> impl Iterator<Item = (FoundBackup, Vec<u8>)> + 'a {
    candidates.iter().take(MAX_CANDIDATES).filter_map(move |&p| {
        let from = data.get(p..)?;
        keys.iter().find_map(|&(key_offset, key)| {
            let o = stream::open(from, key).ok()?;
            let contents = if o.plaintext.starts_with(b"SQLite format 3\0") {
                "sqlite"
            } else if o.plaintext.starts_with(b"PK") {
                "zip"
            } else {
                "other"
            };
            // A wrong key that happened to inflate a few bytes is no opening.
            if !o.intact && contents == "other" {
                return None;
            }
            let found = FoundBackup {
                offset: p as u64,
                length: o.length,
                generation: o.generation,
                app_version: o.app_version,
                intact: o.intact,
                complete: o.complete,
                key_sha256: key.fingerprint(),
                key_offset,
                plaintext_bytes: o.plaintext.len() as u64,
                plaintext_sha256: hex::encode(Sha256::digest(&o.plaintext)),
                contents,
                latest_message_ms: None,
            };
            Some((found, o.plaintext))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt12_candidates_start_sectors_and_are_kept_only_with_their_key() {
        let mut file = crate::backup::key::JAVA_BYTE_ARRAY.to_vec();
        file.extend_from_slice(&131u32.to_be_bytes());
        let array: Vec<u8> = [0u8, 1, 2].into_iter().chain((3..131).map(|i| i as u8)).collect();
        file.extend_from_slice(&array);
        let key = crate::backup::BackupKey::from_file(&file).expect("a legacy key file");
        let mut data = vec![0x77u8; 4096];
        // Its backup at a sector; the same bytes off a sector; another key's backup at a sector.
        data[1024..1024 + 67].copy_from_slice(&array[..67]);
        data[2100..2100 + 67].copy_from_slice(&array[..67]);
        data[3072..3075].copy_from_slice(&[0, 1, 2]);
        let c = candidates_in(&data, 0, data.len());
        assert_eq!(c.crypt12, [1024, 3072]);
        assert_eq!(crypt12_with(&data, &c.crypt12, &[(None, &key)]), [1024]);
        assert!(crypt12_with(&data, &c.crypt12, &[]).is_empty());
        // Bounded whatever the input.
        let zeros_and_ones: Vec<u8> =
            (0..(MAX_CRYPT12_PER_STRETCH + 10) * 512).map(|i| [0, 1, 1][i % 512 % 3]).collect();
        assert_eq!(candidates_in(&zeros_and_ones, 0, zeros_and_ones.len()).crypt12.len(), MAX_CRYPT12_PER_STRETCH);
    }
}
