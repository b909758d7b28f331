//! Android sparse images (`system.img`, `userdata.img` as fastboot and `img2simg` write them),
//! expanded through [`Expander`] into the image they stand for.
//!
//! Layout (AOSP `libsparse/sparse_format.h`, all fields little-endian):
//!
//! ```text
//! file header (file_hdr_sz ≥ 28 bytes)
//!   0 magic 0xED26FF3A   4 major 1   6 minor   8 file_hdr_sz   10 chunk_hdr_sz (≥ 12)
//!  12 blk_sz (multiple of 4)   16 total_blks   20 total_chunks   24 image_checksum
//! then total_chunks chunks, each a header (chunk_hdr_sz bytes) and its data:
//!   0 chunk_type   2 reserved   4 chunk_sz (output blocks)   8 total_sz (header + data bytes)
//!   RAW       0xCAC1  chunk_sz * blk_sz bytes copied out
//!   FILL      0xCAC2  4 bytes, repeated over chunk_sz blocks
//!   DONT_CARE 0xCAC3  no data; chunk_sz blocks of zeros
//!   CRC32     0xCAC4  4 bytes, a checksum of what came before (not checked; no output)
//! ```
//!
//! The output is exactly `total_blks * blk_sz` bytes, the limit given to the [`Expander`]:
//! DONT_CARE and zero FILL chunks become holes, and blocks no chunk covers at the end are zeros
//! (as `simg2img` leaves them). Every size is checked against the header and the file before a
//! byte is written; the loop runs at most `total_chunks` times and each turn consumes a chunk
//! header. A file cut short is an error that says how far it got, not a partial image: an
//! image that is not whole would silently lose the rest of a file system.

use std::path::Path;

use super::{ByteSource, Expander, MmapSource, SourceError};

/// The sparse magic, read little-endian at offset 0.
pub const SPARSE_MAGIC: u32 = 0xED26_FF3A;
const MAJOR_VERSION: u16 = 1;
/// Size of the file header this reader knows; a larger `file_hdr_sz` is skipped over.
const FILE_HEADER_LEN: usize = 28;
const CHUNK_HEADER_LEN: usize = 12;
const CHUNK_RAW: u16 = 0xCAC1;
const CHUNK_FILL: u16 = 0xCAC2;
const CHUNK_DONT_CARE: u16 = 0xCAC3;
const CHUNK_CRC32: u16 = 0xCAC4;
/// Bytes of a fill pattern written at a time.
const FILL_RUN: usize = 64 * 1024;

fn le_u16(b: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(pos..pos.checked_add(2)?)?.try_into().ok()?))
}

fn le_u32(b: &[u8], pos: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(pos..pos.checked_add(4)?)?.try_into().ok()?))
}

/// True when `head` (the first bytes of a file) starts an Android sparse image.
pub fn is_sparse(head: &[u8]) -> bool {
    le_u32(head, 0) == Some(SPARSE_MAGIC) && le_u16(head, 4) == Some(MAJOR_VERSION)
}

/// The file header fields the expansion needs.
#[derive(Debug, Clone, Copy)]
struct Header {
    file_hdr_sz: usize,
    chunk_hdr_sz: usize,
    blk_sz: u64,
    total_blks: u64,
    total_chunks: u32,
}

impl Header {
    fn parse(image: &[u8]) -> Result<Self, String> {
        let short = || format!("the file is {} bytes, shorter than a sparse header", image.len());
        if !is_sparse(image) {
            return Err("not an Android sparse image (no magic 0xED26FF3A with major version 1)".into());
        }
        let file_hdr_sz = usize::from(le_u16(image, 8).ok_or_else(short)?);
        let chunk_hdr_sz = usize::from(le_u16(image, 10).ok_or_else(short)?);
        let blk_sz = le_u32(image, 12).ok_or_else(short)?;
        let total_blks = le_u32(image, 16).ok_or_else(short)?;
        let total_chunks = le_u32(image, 20).ok_or_else(short)?;
        if file_hdr_sz < FILE_HEADER_LEN || chunk_hdr_sz < CHUNK_HEADER_LEN {
            return Err(format!(
                "header sizes {file_hdr_sz}/{chunk_hdr_sz} are below the format's 28/12; the header is damaged"
            ));
        }
        if blk_sz == 0 || blk_sz % 4 != 0 {
            return Err(format!("block size {blk_sz} is not a positive multiple of 4; the header is damaged"));
        }
        Ok(Self {
            file_hdr_sz,
            chunk_hdr_sz,
            blk_sz: u64::from(blk_sz),
            total_blks: u64::from(total_blks),
            total_chunks,
        })
    }

    /// Size of the expanded image (≤ 2^32 blocks of < 2^32 bytes, so it fits in a u64).
    fn expanded_len(&self) -> u64 {
        self.total_blks * self.blk_sz
    }
}

/// The size of the image the sparse file `image` stands for, from its header.
pub fn expanded_len(image: &[u8]) -> Option<u64> {
    Header::parse(image).ok().map(|h| h.expanded_len())
}

/// Why an expansion stopped: the image is not what its header says, or the scratch file failed.
enum Failure {
    Format(String),
    Source(SourceError),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Self::Format(s)
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Self::Source(e)
    }
}

/// Expands the sparse image `image` into `out`, which must be empty and allow at least
/// [`expanded_len`] bytes. On success `out` holds exactly that many bytes. Errors name the
/// chunk, the file offset and how much was expanded; they never leave more than the declared
/// size in `out`.
fn expand_into(image: &[u8], out: &mut Expander) -> Result<(), Failure> {
    let h = Header::parse(image)?;
    let declared = h.expanded_len();
    let file_len = image.len() as u64;
    let mut pos = h.file_hdr_sz as u64;
    let mut blocks: u64 = 0;
    for i in 0..h.total_chunks {
        let at = |what: &str| {
            format!(
                "truncated: chunk {i} of {} at file offset {pos} {what}, but the file ends at {file_len}; \
                 {} of {declared} bytes were expanded. The file was cut short: copy it again",
                h.total_chunks,
                blocks * h.blk_sz
            )
        };
        let header_end = pos + h.chunk_hdr_sz as u64;
        let header = usize::try_from(pos)
            .ok()
            .and_then(|p| image.get(p..p.checked_add(h.chunk_hdr_sz)?))
            .ok_or_else(|| at("needs a chunk header"))?;
        let (Some(kind), Some(chunk_sz), Some(total_sz)) = (le_u16(header, 0), le_u32(header, 4), le_u32(header, 8))
        else {
            return Err(at("needs a chunk header").into());
        };
        let chunk_sz = u64::from(chunk_sz);
        let data_len = u64::from(total_sz).checked_sub(h.chunk_hdr_sz as u64).ok_or_else(|| {
            format!("chunk {i} at file offset {pos}: total size {total_sz} is smaller than its header; the image is damaged")
        })?;
        let want_data = match kind {
            CHUNK_RAW => chunk_sz * h.blk_sz,
            CHUNK_FILL | CHUNK_CRC32 => 4,
            CHUNK_DONT_CARE => 0,
            other => {
                return Err(format!(
                    "chunk {i} at file offset {pos} has unknown type 0x{other:04X}; the image is damaged or not a sparse image"
                ).into())
            }
        };
        if data_len != want_data {
            return Err(format!(
                "chunk {i} (type 0x{kind:04X}) at file offset {pos} declares {data_len} data bytes where {want_data} are due; the image is damaged"
            ).into());
        }
        let out_blocks = if kind == CHUNK_CRC32 { 0 } else { chunk_sz };
        if blocks + out_blocks > h.total_blks {
            return Err(format!(
                "chunk {i} at file offset {pos} runs past the {} blocks the header declares; the image is damaged",
                h.total_blks
            )
            .into());
        }
        let data_end = header_end + data_len;
        let data = usize::try_from(header_end)
            .ok()
            .zip(usize::try_from(data_end).ok())
            .and_then(|(s, e)| image.get(s..e))
            .ok_or_else(|| at(&format!("needs {data_len} bytes of data")))?;
        let out_len = out_blocks * h.blk_sz;
        match kind {
            CHUNK_RAW => out.write(data)?,
            CHUNK_FILL => {
                let pattern: [u8; 4] = data.try_into().map_err(|_| at("needs a fill value"))?;
                if pattern == [0; 4] {
                    out.zeros(out_len)?;
                } else {
                    let fill: Vec<u8> = pattern.iter().copied().cycle().take(FILL_RUN).collect();
                    let mut left = out_len;
                    while left > 0 {
                        let n = left.min(FILL_RUN as u64) as usize;
                        out.write(fill.get(..n).unwrap_or_default())?;
                        left -= n as u64;
                    }
                }
            }
            CHUNK_DONT_CARE => out.zeros(out_len)?,
            _ => {}
        }
        blocks += out_blocks;
        pos = data_end;
    }
    // Blocks after the last chunk are zeros, as simg2img leaves them.
    out.zeros((h.total_blks - blocks) * h.blk_sz)?;
    Ok(())
}

/// Expands the sparse image `image` into a scratch file in `scratch` and maps it; `label`
/// names the input in messages and in the report. Never writes more than the size the header
/// declares, nor more than `limit` bytes (an image declared larger is refused with
/// [`SourceError::TooLarge`]).
pub fn expand_android_sparse(
    image: &[u8],
    label: &Path,
    scratch: &Path,
    limit: u64,
) -> Result<MmapSource, SourceError> {
    let fail = |reason: String| SourceError::Container {
        path: label.to_path_buf(),
        reason: format!("Android sparse image: {reason}"),
    };
    let header = Header::parse(image).map_err(fail)?;
    let declared = header.expanded_len();
    if declared == 0 {
        return Err(SourceError::Empty { path: label.to_path_buf() });
    }
    if declared > limit {
        return Err(SourceError::TooLarge { limit });
    }
    let mut out = Expander::new(scratch, declared)?;
    match expand_into(image, &mut out) {
        Ok(()) => {}
        Err(Failure::Format(reason)) => return Err(fail(reason)),
        Err(Failure::Source(e)) => return Err(e),
    }
    out.finish(&label.display().to_string(), "android-sparse", Vec::new())
}

/// Opens the Android sparse image at `path`.
pub fn open(path: &Path, scratch: &Path) -> Result<Box<dyn ByteSource>, SourceError> {
    let file = MmapSource::open(path)?;
    let image = file.contiguous().unwrap_or_default();
    Ok(Box::new(expand_android_sparse(image, path, scratch, u64::MAX)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sparse image of `blk_sz`-byte blocks from `(type, chunk_sz, data)` chunks.
    fn image(blk_sz: u32, total_blks: u32, chunks: &[(u16, u32, Vec<u8>)]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(SPARSE_MAGIC.to_le_bytes());
        v.extend(1u16.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend(28u16.to_le_bytes());
        v.extend(12u16.to_le_bytes());
        v.extend(blk_sz.to_le_bytes());
        v.extend(total_blks.to_le_bytes());
        v.extend((chunks.len() as u32).to_le_bytes());
        v.extend(0u32.to_le_bytes());
        for (kind, n, data) in chunks {
            v.extend(kind.to_le_bytes());
            v.extend(0u16.to_le_bytes());
            v.extend(n.to_le_bytes());
            v.extend((12 + data.len() as u32).to_le_bytes());
            v.extend(data);
        }
        v
    }

    fn sample() -> (Vec<u8>, Vec<u8>) {
        let raw: Vec<u8> = (0..2 * 4096).map(|i| (i % 253) as u8 + 1).collect();
        let img = image(
            4096,
            8,
            &[
                (CHUNK_RAW, 2, raw.clone()),
                (CHUNK_DONT_CARE, 2, vec![]),
                (CHUNK_FILL, 1, vec![0xAB, 0xCD, 0xEF, 0x01]),
                (CHUNK_CRC32, 0, vec![0; 4]),
                (CHUNK_FILL, 1, vec![0; 4]),
            ],
        );
        let mut want = raw;
        want.extend(vec![0; 2 * 4096]);
        want.extend([0xAB, 0xCD, 0xEF, 0x01].repeat(1024));
        want.extend(vec![0; 3 * 4096]);
        (img, want)
    }

    fn expand(img: &[u8]) -> Result<Vec<u8>, SourceError> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let m = expand_android_sparse(img, Path::new("t.img"), dir.path(), 1 << 20)?;
        Ok(m.contiguous().unwrap_or_default().to_vec())
    }

    #[test]
    fn chunks_expand_to_the_declared_image() {
        let (img, want) = sample();
        assert!(is_sparse(&img));
        assert_eq!(expand(&img).unwrap_or_else(|e| panic!("{e}")), want);
    }

    #[test]
    fn a_truncated_image_says_how_far_it_got() {
        let (img, _) = sample();
        let err = expand(&img[..img.len() - 30]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("truncated: chunk 3 of 5") && err.contains("20480 of 32768 bytes"), "{err}");
    }

    #[test]
    fn a_chunk_past_the_declared_blocks_is_refused() {
        let img = image(4096, 1, &[(CHUNK_DONT_CARE, 2, vec![])]);
        assert!(expand(&img).err().map(|e| e.to_string()).unwrap_or_default().contains("runs past"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut b = bytes;
            if b.len() >= 6 && b[0] % 2 == 0 {
                b[..4].copy_from_slice(&SPARSE_MAGIC.to_le_bytes());
                b[4..6].copy_from_slice(&1u16.to_le_bytes());
            }
            if let Ok(out) = expand(&b) {
                proptest::prop_assert_eq!(Some(out.len() as u64), expanded_len(&b));
                proptest::prop_assert!(out.len() <= 1 << 20);
            }
        }

        #[test]
        fn mutated_images_never_panic_nor_exceed_the_declared_size(
            edits in proptest::collection::vec((0usize..20_000, proptest::num::u8::ANY), 1..6),
            cut in 0usize..20_000,
        ) {
            let (mut img, _) = sample();
            for (at, v) in edits {
                // Most edits hit the headers, where they matter.
                let at = if at % 4 == 0 { at % img.len() } else { (at % 28).min(img.len() - 1) };
                img[at] = v;
            }
            img.truncate(img.len().min(cut.max(1)));
            match expand(&img) {
                Ok(out) => {
                    proptest::prop_assert_eq!(Some(out.len() as u64), expanded_len(&img));
                    proptest::prop_assert!(out.len() <= 1 << 20);
                }
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
