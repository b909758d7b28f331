//! The layouts of the three backup generations (whatsapp-reference.md, section 7):
//!
//! ```text
//! crypt12:  | 00 01 | key ver | server salt 32 | google id 16 | IV 16 | ciphertext | tag 16 | MD5 16 | "--NN" |
//! crypt14:  | N | [01] | BackupPrefix (protobuf, N bytes; IV in field 2.5) | ciphertext | tag 16 | [MD5 16] |
//! crypt15:  | N | [01] | BackupPrefix (protobuf, N bytes; IV in field 3.1) | ciphertext | tag 16 | [MD5 16] |
//! ```
//! The MD5 trailer (of every byte before it) is absent from multi-file backups; it is looked
//! for, not assumed. Offsets come from the prefix, never from constants.

use md5::{Digest, Md5};

use super::BackupError;

/// A backup generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Raw 67-byte header, key from `files/key`.
    Crypt12,
    /// Protobuf prefix, key from `files/key`.
    Crypt14,
    /// Protobuf prefix, end-to-end root key.
    Crypt15,
}

impl Generation {
    /// `crypt12`, `crypt14`, `crypt15`.
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::Crypt12 => "crypt12",
            Generation::Crypt14 => "crypt14",
            Generation::Crypt15 => "crypt15",
        }
    }
}

/// A backup's parts, borrowed from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup<'a> {
    /// Which generation.
    pub generation: Generation,
    /// Bytes before the ciphertext.
    pub header_len: usize,
    /// The 16-byte GCM IV.
    pub iv: [u8; 16],
    /// The encrypted zlib stream.
    pub ciphertext: &'a [u8],
    /// The GCM tag.
    pub tag: [u8; 16],
    /// Whether an MD5 trailer of the bytes before it was found.
    pub md5_trailer: bool,
    /// The app version the backup names (crypt14/15 prefix), e.g. `2.22.5.13`.
    pub app_version: Option<String>,
}

const CRYPT12_HEADER: usize = 67;
const CRYPT12_IV_AT: usize = 51;
const TAG: usize = 16;
const MD5: usize = 16;
/// `--NN` after the crypt12 MD5.
const CRYPT12_SUFFIX: usize = 4;

/// Reads the layout of a backup file.
pub fn parse(file: &[u8]) -> Result<Backup<'_>, BackupError> {
    if file.starts_with(&[0x00, 0x01]) && matches!(file.get(2), Some(1..=3)) {
        return crypt12(file);
    }
    prefixed(file)
}

fn crypt12(file: &[u8]) -> Result<Backup<'_>, BackupError> {
    let tail = TAG + MD5 + CRYPT12_SUFFIX;
    if file.len() < CRYPT12_HEADER + tail {
        return Err(BackupError::NotABackup("shorter than a crypt12 header and trailer"));
    }
    let iv = array(file, CRYPT12_IV_AT).ok_or(BackupError::NotABackup("no IV"))?;
    let tag_at = file.len() - tail;
    let tag = array(file, tag_at).ok_or(BackupError::NotABackup("no tag"))?;
    let md5_at = tag_at + TAG;
    let md5_trailer = file.get(md5_at..md5_at + MD5).is_some_and(|m| m == Md5::digest(&file[..md5_at]).as_slice());
    Ok(Backup {
        generation: Generation::Crypt12,
        header_len: CRYPT12_HEADER,
        iv,
        ciphertext: &file[CRYPT12_HEADER..tag_at],
        tag,
        md5_trailer,
        app_version: None,
    })
}

/// What a backup's first bytes say: its generation, where its ciphertext starts, its IV and the
/// app version it names. Enough to decrypt a backup whose end is not known (one found in raw
/// space): see [`super::stream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Which generation.
    pub generation: Generation,
    /// Bytes before the ciphertext.
    pub len: usize,
    /// The 16-byte GCM IV.
    pub iv: [u8; 16],
    /// The app version the prefix names (crypt14/15).
    pub app_version: Option<String>,
}

/// Reads a backup's header from its first bytes.
pub fn header(file: &[u8]) -> Result<Header, BackupError> {
    if file.starts_with(&[0x00, 0x01]) && matches!(file.get(2), Some(1..=3)) {
        let iv = array(file, CRYPT12_IV_AT).ok_or(BackupError::NotABackup("no IV"))?;
        return Ok(Header { generation: Generation::Crypt12, len: CRYPT12_HEADER, iv, app_version: None });
    }
    let n = usize::from(*file.first().ok_or(BackupError::NotABackup("empty"))?);
    // An optional feature byte 01 precedes the prefix; a prefix starts with field 1 (08).
    let start = match file.get(1) {
        Some(0x01) => 2,
        Some(0x08) => 1,
        _ => return Err(BackupError::NotABackup("no backup prefix")),
    };
    let prefix = file.get(start..start + n).ok_or(BackupError::NotABackup("prefix past the end"))?;
    let mut key_type = None;
    let mut iv = None;
    let mut app_version = None;
    for (field, value) in fields(prefix).ok_or(BackupError::NotABackup("prefix is not a protobuf message"))? {
        match (field, value) {
            (1, Value::Varint(v)) => key_type = Some(v),
            // crypt14: C14_cipher { 5: IV }.
            (2, Value::Bytes(b)) => iv = iv.or(nested_bytes(b, 5)),
            // crypt15: C15_IV { 1: IV }.
            (3, Value::Bytes(b)) => iv = iv.or(nested_bytes(b, 1)),
            // BackupExpiry { 1: app version }.
            (4, Value::Bytes(b)) => {
                app_version = nested_bytes(b, 1).and_then(|v| String::from_utf8(v.to_vec()).ok());
            }
            _ => {}
        }
    }
    let generation = match key_type {
        Some(0) => Generation::Crypt14,
        Some(1) => Generation::Crypt15,
        _ => return Err(BackupError::NotABackup("unknown key type")),
    };
    let iv: [u8; 16] =
        iv.and_then(|b| b.try_into().ok()).ok_or(BackupError::NotABackup("no 16-byte IV in the prefix"))?;
    Ok(Header { generation, len: start + n, iv, app_version })
}

fn prefixed(file: &[u8]) -> Result<Backup<'_>, BackupError> {
    let Header { generation, len: data, iv, app_version } = header(file)?;
    let md5_trailer = file.len() >= data + TAG + MD5
        && file[file.len() - MD5..] == *Md5::digest(&file[..file.len() - MD5]).as_slice();
    let end = file.len() - if md5_trailer { MD5 } else { 0 };
    let tag_at = end.checked_sub(TAG).filter(|&t| t >= data).ok_or(BackupError::NotABackup("no room for the tag"))?;
    let tag = array(file, tag_at).ok_or(BackupError::NotABackup("no tag"))?;
    Ok(Backup { generation, header_len: data, iv, ciphertext: &file[data..tag_at], tag, md5_trailer, app_version })
}

/// The layout of a backup whose ciphertext is known to end at `ciphertext_end`, with the tag
/// right after it (`file` ends with the tag): a backup found in raw space, whose end the
/// inflated stream told.
pub fn parse_with_end(file: &[u8], ciphertext_end: usize) -> Result<Backup<'_>, BackupError> {
    let h = header(file)?;
    let tag = array(file, ciphertext_end).ok_or(BackupError::NotABackup("no tag"))?;
    let ciphertext = file.get(h.len..ciphertext_end).ok_or(BackupError::NotABackup("ciphertext past the end"))?;
    Ok(Backup {
        generation: h.generation,
        header_len: h.len,
        iv: h.iv,
        ciphertext,
        tag,
        md5_trailer: false,
        app_version: h.app_version,
    })
}

fn array(file: &[u8], at: usize) -> Option<[u8; 16]> {
    file.get(at..at.checked_add(16)?)?.try_into().ok()
}

/// A protobuf field's value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of a protobuf message, or None when it does not parse to its end.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, Value<'_>)>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (tag, n) = varint(buf)?;
        buf = buf.get(n..)?;
        let value = match tag & 7 {
            0 => {
                let (v, n) = varint(buf)?;
                buf = buf.get(n..)?;
                Value::Varint(v)
            }
            2 => {
                let (len, n) = varint(buf)?;
                let len = usize::try_from(len).ok()?;
                let bytes = buf.get(n..n.checked_add(len)?)?;
                buf = buf.get(n + len..)?;
                Value::Bytes(bytes)
            }
            1 => {
                buf = buf.get(8..)?;
                Value::Fixed
            }
            5 => {
                buf = buf.get(4..)?;
                Value::Fixed
            }
            _ => return None,
        };
        out.push((tag >> 3, value));
    }
    Some(out)
}

/// The bytes of field `want` of an embedded message.
fn nested_bytes(msg: &[u8], want: u64) -> Option<&[u8]> {
    fields(msg)?.into_iter().find_map(|(f, v)| match v {
        Value::Bytes(b) if f == want => Some(b),
        _ => None,
    })
}

/// A protobuf varint (at most 10 bytes).
fn varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in buf.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_prefixes_are_refused_without_panic() {
        for bad in [&b""[..], b"\x00", b"\x81\x01", b"\x05\x01\x08\x01\x1a\xff\xff", b"\x00\x01\x02", &[0xff; 64]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any bytes, and any bytes behind a real prefix's first bytes, parse or are refused
        /// without panic; a parsed layout always lies inside the input.
        #[test]
        fn any_bytes_parse_or_are_refused(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), kind in 0usize..3) {
            let head: &[u8] = [&b"\x81\x01\x08\x01\x1a\x12\x0a\x10"[..], b"\x00\x01\x02", b"\x40\x01\x08\x00\x12"][kind];
            let mut file = head.to_vec();
            file.extend_from_slice(&body);
            for input in [&body[..], &file[..]] {
                if let Ok(b) = parse(input) {
                    proptest::prop_assert!(b.header_len + b.ciphertext.len() + 16 <= input.len());
                }
            }
        }
    }
}
