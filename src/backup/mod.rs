//! WhatsApp's encrypted local backups (`msgstore.db.crypt12`, `.crypt14`, `.crypt15`) and the
//! keys that open them (whatsapp-reference.md, section 7): AES-256-GCM with a 16-byte IV over a
//! zlib stream of the database. Zero-copy over the backup's bytes until decryption; every
//! length is checked against the input.
//!
//! - [`key`]: the key files (`files/key`, `files/encrypted_backup.key`) and the 64-hex-digit
//!   end-to-end key; key material is never printed ([`key::BackupKey`]'s `Debug` shows only
//!   its fingerprint).
//! - [`format`]: the file layouts: the raw crypt12 header, the protobuf prefix of crypt14 and
//!   crypt15, the tag and the MD5 trailer.
//! - [`decrypt`]: decryption and inflation.

pub mod decrypt;
pub mod format;
pub mod found;
pub mod key;
pub mod stream;

pub use decrypt::{decrypt, Decrypted};
pub use format::{parse, Backup, Generation};
pub use key::BackupKey;

/// Why a backup could not be read or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackupError {
    /// The bytes are no backup of a known generation.
    #[error("not a WhatsApp crypt12/14/15 backup: {0}")]
    NotABackup(&'static str),
    /// The key is for another generation (a crypt12/14 key for a crypt15 file, or the reverse).
    #[error("a {key} key cannot open a {file} backup; give the matching key file")]
    WrongKeyKind {
        /// The key's generation.
        key: &'static str,
        /// The file's generation.
        file: &'static str,
    },
    /// The authentication tag does not match: the wrong key, or a damaged file.
    #[error("the backup's authentication tag does not match: the key is not this backup's, or the file is damaged")]
    TagMismatch,
    /// The plaintext is no zlib stream (the wrong key with a damaged tag region).
    #[error("the decrypted backup is not a zlib stream: {0}")]
    NotZlib(String),
}
