//! Opening a backup: AES-256-GCM with a 16-byte IV and no associated data, then the zlib stream
//! inflated to the database (or, for multi-file backups, a ZIP archive).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, KeyInit};
use std::io::Read;

use super::format::{Backup, Generation};
use super::{BackupError, BackupKey};

/// AES-256-GCM with WhatsApp's 16-byte IV.
type Aes256Gcm16 = AesGcm<Aes256, aes_gcm::aead::consts::U16>;

/// The most a backup may inflate to (a crafted stream must not fill memory).
pub const MAX_PLAINTEXT: u64 = 8 << 30;

/// A decrypted backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The inflated contents: a SQLite database, or a ZIP archive of several files.
    pub plaintext: Vec<u8>,
}

/// Refuses a key of another generation than the backup's (a crypt12/14 key for a crypt15 file,
/// or the reverse).
pub fn check_key_kind(generation: Generation, key: &BackupKey) -> Result<(), BackupError> {
    let fits = matches!(
        (generation, key),
        (Generation::Crypt12 | Generation::Crypt14, BackupKey::Legacy { .. })
            | (Generation::Crypt15, BackupKey::Root(_))
    );
    if fits {
        Ok(())
    } else {
        Err(BackupError::WrongKeyKind { key: key.kind(), file: generation.as_str() })
    }
}

/// Decrypts `backup`'s ciphertext with `key` when its tag matches: the zlib stream.
pub fn decrypt_checked(backup: &Backup<'_>, key: &BackupKey) -> Result<Vec<u8>, BackupError> {
    check_key_kind(backup.generation, key)?;
    let cipher = Aes256Gcm16::new(&key.file_key().into());
    let mut buf = backup.ciphertext.to_vec();
    cipher
        .decrypt_in_place_detached(&backup.iv.into(), b"", &mut buf, &backup.tag.into())
        .map_err(|_| BackupError::TagMismatch)?;
    Ok(buf)
}

/// Decrypts and inflates `backup` with `key`: the tag must match.
pub fn decrypt(backup: &Backup<'_>, key: &BackupKey) -> Result<Decrypted, BackupError> {
    let buf = decrypt_checked(backup, key)?;
    let mut plaintext = Vec::new();
    flate2::read::ZlibDecoder::new(&buf[..])
        .take(MAX_PLAINTEXT)
        .read_to_end(&mut plaintext)
        .map_err(|e| BackupError::NotZlib(e.to_string()))?;
    Ok(Decrypted { plaintext })
}
