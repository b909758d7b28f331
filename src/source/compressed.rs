//! Compressed raw dumps (`.gz`, `.zst`, `.xz`) and compressed tars (`.tar.gz`, …): the stream
//! is decoded into an [`Expander`] and the decoded bytes are scanned as a raw image, or as a
//! tar when they are one ([`read_as_tar`]).
//!
//! Every member of a multi-member gzip and every frame or stream of a concatenated zstd or xz
//! file is decoded, one after the other, as `gzip -dc` would. A stream that is cut short or
//! damaged still holds evidence: what decoded before the damage is scanned and the input
//! carries a warning saying how many bytes that was (`warnings` of the report). Only a stream
//! of which nothing decodes is an error.
//!
//! The decoder runs on its own thread a few MiB ahead of the writes into scratch; decoding and
//! scanning still run one after the other (the scan reads the finished expansion).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::tar::{looks_like_tar, read_as_tar};
use super::{ByteSource, Expander, SourceError};

/// The most a decoded input may grow to: a defence against decompression bombs (zstd and xz
/// can expand a few bytes to terabytes). Blocks of zeros cost no scratch space, so this is a
/// bound on time more than on disk.
pub const EXPAND_LIMIT: u64 = 4 << 40;
/// Bytes decoded per step.
const STEP: usize = 1 << 20;
/// Steps the decoder may run ahead of the writes.
const AHEAD: usize = 8;

/// The compressions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), members concatenated.
    Gzip,
    /// Zstandard frames, concatenated.
    Zstd,
    /// xz streams, concatenated.
    Xz,
}

impl Compression {
    /// The compression whose magic number `head` starts with.
    pub fn of(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Self::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Self::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Self::Xz)
        } else {
            None
        }
    }

    /// The container name of a dump compressed so (`gzip`), and of a tar compressed so.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::Gzip => ("gzip", "tar.gz"),
            Self::Zstd => ("zstd", "tar.zst"),
            Self::Xz => ("xz", "tar.xz"),
        }
    }

    fn decoder(self, path: &Path, file: File) -> Result<Box<dyn Read + Send>, SourceError> {
        let input = BufReader::with_capacity(STEP, file);
        Ok(match self {
            Self::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
            Self::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(|e| {
                SourceError::Container { path: path.to_path_buf(), reason: format!("cannot start a zstd decoder: {e}") }
            })?),
            Self::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
        })
    }
}

/// Decodes the file at `path`, compressed with `kind`, into `scratch`, and opens the result:
/// a tar when the decoded bytes are one, else a raw image.
pub fn open(path: &Path, kind: Compression, scratch: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let file = File::open(path).map_err(|e| SourceError::from_io(path, e))?;
    let mut decoder = kind.decoder(path, file)?;
    let mut out = Expander::new(scratch, EXPAND_LIMIT)?;
    let mut head = Vec::new();
    let (raw_name, tar_name) = kind.names();
    let mut warnings = Vec::new();
    // The decoder runs on its own thread, a few steps ahead of the writes into scratch.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Step>(AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
            let step = fill(&mut decoder);
            let last = step.1.is_some() || step.0.is_empty();
            if tx.send(step).is_err() || last {
                break;
            }
        });
        let result = (|| {
            for (bytes, error) in rx.iter() {
                if head.len() < 512 {
                    head.extend(bytes.iter().take(512 - head.len()));
                }
                out.write(&bytes).map_err(|e| bomb(path, e))?;
                match error {
                    None => {}
                    Some(e) if out.is_empty() => {
                        return Err(SourceError::Container {
                            path: path.to_path_buf(),
                            reason: format!(
                                "not a readable {raw_name} stream ({e}); if it is a raw image, give --container raw"
                            ),
                        })
                    }
                    Some(e) => {
                        warnings.push(format!(
                            "the {raw_name} stream is cut short or damaged after {} decoded bytes ({e}); those bytes were scanned, anything after the damage was not",
                            out.len()
                        ));
                        break;
                    }
                }
            }
            Ok(())
        })();
        // Dropping the receiver stops the decoder at its next step.
        drop(rx);
        result
    })?;
    if out.is_empty() {
        return Err(SourceError::Empty { path: path.to_path_buf() });
    }
    let label = path.display().to_string();
    if looks_like_tar(&head) {
        let map = out.finish(&label, tar_name, Vec::new())?;
        return Ok(Box::new(read_as_tar(map.with_warnings(warnings), tar_name)));
    }
    Ok(Box::new(out.finish(&label, raw_name, Vec::new())?.with_warnings(warnings)))
}

/// A decoding that grew too large, said of the input.
pub(crate) fn bomb(path: &Path, e: SourceError) -> SourceError {
    match e {
        SourceError::TooLarge { limit } => SourceError::Container {
            path: path.to_path_buf(),
            reason: format!(
                "decodes to more than {limit} bytes: a corrupt or crafted archive (a decompression bomb); decompress it yourself if it is genuine, and scan the result"
            ),
        },
        e => e,
    }
}

/// Decoded bytes, and the error that ended the stream after them.
type Step = (Vec<u8>, Option<std::io::Error>);

/// The next [`STEP`] decoded bytes (fewer at the end of the stream, none after it), and the
/// error that stopped the decoder after them, when the stream is damaged.
fn fill(decoder: &mut dyn Read) -> Step {
    let mut buf = vec![0u8; STEP];
    let mut n = 0;
    let mut error = None;
    while let Some(room) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match decoder.read(room) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    buf.truncate(n);
    (buf, error)
}
