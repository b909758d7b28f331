//! Opening a backup whose end is not known: one found by its header in raw space. GCM is
//! counter mode underneath, so the ciphertext is decrypted block by block from its start (the
//! counter after J0, which GHASH derives from the 16-byte IV, as GCM specifies for IVs that are
//! not 12 bytes) and inflated as it goes; where the zlib stream ends, the ciphertext ends, the
//! tag follows, and the whole backup is then checked by AES-256-GCM itself. A stream that does
//! not end (the file cut or overwritten) gives what inflated, flagged partial: its start is the
//! database's, its last bytes may come from the damaged region (whoever reads it validates
//! every page).

use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use aes::Aes256;
use ghash::universal_hash::UniversalHash;
use ghash::GHash;

use super::decrypt::MAX_PLAINTEXT;
use super::format::{self, Generation};
use super::{BackupError, BackupKey};

/// A backup opened from its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Which generation.
    pub generation: Generation,
    /// The app version its prefix names.
    pub app_version: Option<String>,
    /// Bytes of the input it spans: header, ciphertext, tag (and trailer when found); for a
    /// partial backup, as far as the inflated stream reached.
    pub length: u64,
    /// The tag matched: the plaintext is exactly what was encrypted.
    pub intact: bool,
    /// The zlib stream ended (false: the plaintext is a prefix).
    pub complete: bool,
    /// The inflated contents.
    pub plaintext: Vec<u8>,
}

/// Bytes decrypted and inflated per step.
const STEP: usize = 64 * 1024;

/// Opens the backup starting at `data[0]` with `key`.
pub fn open(data: &[u8], key: &BackupKey) -> Result<Opened, BackupError> {
    let h = format::header(data)?;
    super::decrypt::check_key_kind(h.generation, key)?;
    let file_key = key.file_key();
    let cipher = Aes256::new(&file_key.into());
    // H = E(K, 0); J0 = GHASH_H(IV ‖ 0^64 ‖ [128]_64); the data is encrypted from inc32(J0).
    let mut h_block = aes::Block::default();
    cipher.encrypt_block(&mut h_block);
    let mut ghash = GHash::new(&h_block);
    ghash.update_padded(&h.iv);
    let mut lengths = [0u8; 16];
    lengths[8..].copy_from_slice(&128u64.to_be_bytes());
    ghash.update_padded(&lengths);
    let mut counter: [u8; 16] = ghash.finalize().into();
    let low = u32::from_be_bytes([counter[12], counter[13], counter[14], counter[15]]).wrapping_add(1);
    counter[12..].copy_from_slice(&low.to_be_bytes());
    let mut ctr = ctr::Ctr32BE::<Aes256>::new(&file_key.into(), &counter.into());

    let body = data.get(h.len..).ok_or(BackupError::NotABackup("header past the end"))?;
    let mut inflate = flate2::Decompress::new(true);
    let mut plaintext: Vec<u8> = Vec::new();
    let mut block = vec![0u8; STEP];
    let mut fed = 0usize;
    let mut complete = false;
    'outer: while fed < body.len() {
        let n = STEP.min(body.len() - fed);
        block[..n].copy_from_slice(&body[fed..fed + n]);
        ctr.apply_keystream(&mut block[..n]);
        let mut at = 0usize;
        loop {
            let (before_in, before_out) = (inflate.total_in(), plaintext.len());
            plaintext.reserve(STEP * 4);
            let status = inflate.decompress_vec(&block[at..n], &mut plaintext, flate2::FlushDecompress::None);
            at += (inflate.total_in() - before_in) as usize;
            match status {
                Ok(flate2::Status::StreamEnd) => {
                    complete = true;
                    break 'outer;
                }
                // Corrupt data (the wrong key, or a damaged region): keep what inflated.
                Err(_) => break 'outer,
                Ok(_) => {}
            }
            if plaintext.len() as u64 > MAX_PLAINTEXT {
                break 'outer;
            }
            // This block is used up, or the stream waits for more input.
            if at >= n || (inflate.total_in() == before_in && plaintext.len() == before_out) {
                break;
            }
        }
        fed += n;
    }
    if plaintext.is_empty() {
        return Err(BackupError::NotZlib("nothing inflates: not this key's backup, or not a backup".into()));
    }
    let consumed = inflate.total_in() as usize;
    if complete {
        // The ciphertext is what the stream took: check the whole backup with its tag (the
        // plaintext is already inflated: only the tag is wanted).
        if let Some(whole) = data.get(..h.len + consumed + 16) {
            if let Ok(b) = format::parse_with_end(whole, h.len + consumed) {
                if super::decrypt::decrypt_checked(&b, key).is_ok() {
                    let trailer = trailer_len(data, h.len + consumed + 16, h.generation);
                    return Ok(Opened {
                        generation: h.generation,
                        app_version: h.app_version,
                        length: (h.len + consumed + 16 + trailer) as u64,
                        intact: true,
                        complete,
                        plaintext,
                    });
                }
            }
        }
    }
    Ok(Opened {
        generation: h.generation,
        app_version: h.app_version,
        length: (h.len + consumed) as u64,
        intact: false,
        complete,
        plaintext,
    })
}

/// Bytes of the MD5 trailer (and crypt12's `--NN`) after the tag ending at `end`, when present.
fn trailer_len(data: &[u8], end: usize, generation: Generation) -> usize {
    use md5::{Digest, Md5};
    let Some(md5) = data.get(end..end + 16) else { return 0 };
    if md5 != Md5::digest(&data[..end]).as_slice() {
        return 0;
    }
    let suffix = data.get(end + 16..end + 16 + 4).is_some_and(|s| s.starts_with(b"--"));
    16 + if generation == Generation::Crypt12 && suffix { 4 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any bytes behind a crypt15 prefix, opened with any key, are refused or give a bounded
        /// partial plaintext, never a panic.
        #[test]
        fn any_bytes_open_or_are_refused(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000), k in proptest::prelude::any::<[u8; 32]>()) {
            let mut file = b"\x16\x01\x08\x01\x1a\x12\x0a\x10".to_vec();
            file.extend_from_slice(&[7u8; 16]);
            file.extend_from_slice(&body);
            proptest::prop_assert!(format::header(&file).is_ok());
            if let Ok(o) = open(&file, &BackupKey::Root(k)) {
                proptest::prop_assert!(o.length as usize <= file.len() && !o.intact);
            }
        }
    }
}
