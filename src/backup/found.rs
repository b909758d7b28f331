//! Backups found by their content anywhere in an input, and opened with the keys the input
//! holds: the crypt14 and crypt15 prefixes are looked for in the scan's chunk loop (crypt12's
//! raw header is too short a signature to search raw space for), then each candidate is opened
//! from its first byte with every key of its generation ([`super::stream`]).

use sha2::{Digest, Sha256};

use super::format::{self, Generation};
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

/// Offsets in `data[start..end)` (or a few bytes before) where a crypt14 or crypt15 header
/// starts and parses.
pub fn candidates_in(data: &[u8], start: usize, end: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(region) = data.get(start..end.min(data.len())) else { return out };
    // (needle, where the header starts before a hit: with the flag byte 01, without it)
    for (needle, backs) in [(CRYPT15, [2usize, 1]), (CRYPT14, [6, 5])] {
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
