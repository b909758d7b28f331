//! The keys of WhatsApp's backups: the 158-byte `files/key` (crypt12, crypt14: the AES key is
//! its last 32 bytes), the 59-byte `files/encrypted_backup.key` and the 64-hex-digit key a user
//! writes down (crypt15: a root key, from which the file key is derived by HKDF-SHA256 with the
//! info "backup encryption"). Both files are Java-serialised byte arrays.

use sha2::{Digest, Sha256};

/// The Java serialisation header of a `byte[]` (class `[B`), up to its 4-byte length.
pub const JAVA_BYTE_ARRAY: [u8; 23] = [
    0xAC, 0xED, 0x00, 0x05, 0x75, 0x72, 0x00, 0x02, 0x5B, 0x42, 0xAC, 0xF3, 0x17, 0xF8, 0x06, 0x08, 0x54, 0xE0, 0x02,
    0x00, 0x00, 0x78, 0x70,
];
/// Length of the array in `files/key`.
const LEGACY_KEY_LEN: usize = 131;
/// Where the AES key lies in that array.
const LEGACY_AES_AT: usize = 99;
/// Bytes a crypt12 backup shares with the key file that opens it (whatsapp-reference.md, 7).
pub const CRYPT12_SIGNATURE: usize = 51;
/// Length of the array in `files/encrypted_backup.key` (the root key).
const ROOT_KEY_LEN: usize = 32;

/// A key that opens backups. `Debug` shows the generation and the fingerprint only.
#[derive(Clone, PartialEq, Eq)]
pub enum BackupKey {
    /// The AES-256 key of crypt12 and crypt14 backups (from `files/key`), with the bytes every
    /// crypt12 backup made with it starts with.
    Legacy {
        /// The AES key.
        aes: [u8; 32],
        /// Cipher version, key version, server salt and Google-ID salt: the first
        /// [`CRYPT12_SIGNATURE`] bytes of the key file's array, and of its crypt12 backups.
        signature: [u8; CRYPT12_SIGNATURE],
    },
    /// The end-to-end root key of crypt15 backups (from `files/encrypted_backup.key` or the
    /// 64-hex-digit key).
    Root([u8; 32]),
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({}, sha256 {})", self.kind(), self.fingerprint())
    }
}

impl BackupKey {
    /// The key in a key file's bytes: `files/key` or `files/encrypted_backup.key`.
    pub fn from_file(bytes: &[u8]) -> Option<BackupKey> {
        let body = bytes.strip_prefix(&JAVA_BYTE_ARRAY[..])?;
        let len = u32::from_be_bytes(body.get(..4)?.try_into().ok()?) as usize;
        let array = body.get(4..4 + len)?;
        match len {
            LEGACY_KEY_LEN => Some(BackupKey::Legacy {
                aes: array.get(LEGACY_AES_AT..)?.try_into().ok()?,
                signature: array.get(..CRYPT12_SIGNATURE)?.try_into().ok()?,
            }),
            ROOT_KEY_LEN => Some(BackupKey::Root(array.try_into().ok()?)),
            _ => None,
        }
    }

    /// The 64-hex-digit end-to-end key (spaces allowed between groups, as the app shows it).
    pub fn from_hex(text: &str) -> Option<BackupKey> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = hex::decode(digits).ok()?;
        Some(BackupKey::Root(bytes.try_into().ok()?))
    }

    /// `legacy` (crypt12/14) or `root` (crypt15).
    pub fn kind(&self) -> &'static str {
        match self {
            BackupKey::Legacy { .. } => "crypt12/14",
            BackupKey::Root(_) => "crypt15",
        }
    }

    /// The bytes every crypt12 backup made with this key starts with (a legacy key read from
    /// its file).
    pub fn crypt12_signature(&self) -> Option<&[u8; CRYPT12_SIGNATURE]> {
        match self {
            BackupKey::Legacy { signature, .. } => Some(signature),
            BackupKey::Root(_) => None,
        }
    }

    /// SHA-256 of the key, lower-case hex: what a report may name it by.
    pub fn fingerprint(&self) -> String {
        let bytes = match self {
            BackupKey::Legacy { aes: k, .. } | BackupKey::Root(k) => k,
        };
        hex::encode(Sha256::digest(bytes))
    }

    /// The AES-256 key that encrypts a backup's contents.
    pub(crate) fn file_key(&self) -> [u8; 32] {
        match self {
            BackupKey::Legacy { aes, .. } => *aes,
            BackupKey::Root(root) => {
                let mut out = [0u8; 32];
                // 32 bytes is within HKDF-SHA256's output limit: expand cannot fail.
                let _ = hkdf::Hkdf::<Sha256>::new(None, root).expand(b"backup encryption", &mut out);
                out
            }
        }
    }
}

/// A key file found by its content in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    /// Offset of its first byte.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
    /// The key.
    pub key: BackupKey,
}

/// The key files whose first byte lies in `data[start..end)` (they may run past `end`): a Java
/// `byte[]` header with the length of `files/key` or `files/encrypted_backup.key`.
pub fn find_in(data: &[u8], start: usize, end: usize) -> Vec<FoundKey> {
    let mut out = Vec::new();
    let Some(region) = data.get(start..end.min(data.len())) else { return out };
    for at in memchr::memmem::find_iter(region, &JAVA_BYTE_ARRAY) {
        out.extend(self::at(data, start + at));
    }
    out
}

/// The key file whose Java header starts at `offset`, if it is one.
pub fn at(data: &[u8], offset: usize) -> Option<FoundKey> {
    let len = data.get(offset + JAVA_BYTE_ARRAY.len()..offset + JAVA_BYTE_ARRAY.len() + 4)?;
    let total = JAVA_BYTE_ARRAY.len() + 4 + u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let key = data.get(offset..offset.saturating_add(total)).and_then(BackupKey::from_file)?;
    Some(FoundKey { offset: offset as u64, length: total as u64, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_read_and_never_shown() {
        let mut file = JAVA_BYTE_ARRAY.to_vec();
        file.extend_from_slice(&32u32.to_be_bytes());
        file.extend_from_slice(&[7u8; 32]);
        let key = BackupKey::from_file(&file).expect("a root key file");
        assert_eq!(key, BackupKey::Root([7; 32]));
        let shown = format!("{key:?}");
        assert!(!shown.contains("07070707") && shown.contains(&key.fingerprint()), "{shown}");
        assert_eq!(BackupKey::from_hex(&"07".repeat(32)), Some(key));
        assert_eq!(BackupKey::from_file(&file[..40]), None);
        assert_eq!(BackupKey::from_hex("12"), None);
        let mut image = vec![0u8; 1000];
        image.extend_from_slice(&file);
        image.extend_from_slice(&file[..30]);
        let found: Vec<u64> = find_in(&image, 0, image.len()).iter().map(|k| k.offset).collect();
        assert_eq!(found, [1000], "a whole key file, not the cut copy");
        assert!(find_in(&image, 0, 1000).is_empty() && find_in(&image, 1001, image.len()).is_empty());
    }
}
