//! Write-ahead log files (`<db>-wal`): header, frames and the checksum chain.
//!
//! ```text
//! header (32 B): magic 0x377f0682|3, format 3007000, page size, checkpoint seq, salt-1, salt-2, cksum-1, cksum-2
//! frame:         page number, db size after commit (0 if not a commit), salt-1, salt-2, cksum-1, cksum-2 (24 B)
//!                + one page image
//! ```
//! A frame is *current* when its salts equal the header's, the running checksum (seeded by the
//! header's) holds up to it, and a commit frame at or after it closes its transaction. Any
//! other frame that still looks like a frame is *stale*: an older page image left from before
//! a checkpoint restart, or one past a broken link of the chain.

use crate::bytes::{be_u32, le_u32, slice};

/// WAL header size.
pub const HEADER_SIZE: usize = 32;
/// Frame header size.
pub const FRAME_HEADER_SIZE: usize = 24;
/// The only WAL format version.
pub const FORMAT_VERSION: u32 = 3_007_000;

/// A validated WAL header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    /// True when checksums read words big-endian (magic 0x377f0683).
    pub big_endian_checksum: bool,
    /// Page size.
    pub page_size: u32,
    /// Checkpoint sequence number.
    pub checkpoint_seq: u32,
    /// Salt-1.
    pub salt1: u32,
    /// Salt-2.
    pub salt2: u32,
    /// Checksum of the first 24 header bytes.
    pub checksum: (u32, u32),
    /// Whether that checksum verifies.
    pub checksum_ok: bool,
}

impl WalHeader {
    /// Parses and validates the header at the start of `buf`: magic, format version, page size.
    pub fn parse(buf: &[u8]) -> Option<Self> {
        let h = slice(buf, 0, HEADER_SIZE)?;
        let magic = be_u32(h, 0)?;
        if magic & !1 != 0x377f_0682 || be_u32(h, 4)? != FORMAT_VERSION {
            return None;
        }
        let page_size = be_u32(h, 8)?;
        if !super::is_valid_page_size(page_size as usize) {
            return None;
        }
        let big_endian_checksum = magic & 1 == 1;
        let checksum = (be_u32(h, 24)?, be_u32(h, 28)?);
        let computed = checksum_chain(slice(h, 0, 24)?, (0, 0), big_endian_checksum);
        Some(Self {
            big_endian_checksum,
            page_size,
            checkpoint_seq: be_u32(h, 12)?,
            salt1: be_u32(h, 16)?,
            salt2: be_u32(h, 20)?,
            checksum,
            checksum_ok: computed == Some(checksum),
        })
    }
}

/// Runs the WAL checksum over `data` (a multiple of 8 bytes), seeded with `seed`.
pub fn checksum_chain(data: &[u8], seed: (u32, u32), big_endian: bool) -> Option<(u32, u32)> {
    if !data.len().is_multiple_of(8) {
        return None;
    }
    let (mut s0, mut s1) = seed;
    for chunk in data.chunks_exact(8) {
        let (x0, x1) =
            if big_endian { (be_u32(chunk, 0)?, be_u32(chunk, 4)?) } else { (le_u32(chunk, 0)?, le_u32(chunk, 4)?) };
        s0 = s0.wrapping_add(x0).wrapping_add(s1);
        s1 = s1.wrapping_add(x1).wrapping_add(s0);
    }
    Some((s0, s1))
}

/// One frame of a WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Frame index, from 0.
    pub index: u32,
    /// Position of the frame header in the WAL.
    pub pos: usize,
    /// Page number this frame holds.
    pub page_number: u32,
    /// Database size in pages after commit; non-zero on commit frames.
    pub commit_size: u32,
    /// Salts of the frame.
    pub salts: (u32, u32),
    /// True when the frame is part of the committed, checksum-valid log.
    pub current: bool,
}

/// A WAL decoded from the bytes that start at its header.
#[derive(Debug, Clone)]
pub struct Wal {
    /// The header.
    pub header: WalHeader,
    /// Every frame found, current and stale.
    pub frames: Vec<Frame>,
    /// Bytes from the header to the end of the last frame.
    pub length: usize,
}

/// Decodes the WAL at the start of `buf`. Frames are read while their header looks like a
/// frame of this WAL (page number in 1..=`max_page`, salt-1 within 2^16 below the header's,
/// i.e. from this or an earlier checkpoint generation); at most `buf.len() / frame size` frames.
pub fn parse(buf: &[u8], max_page: u32) -> Option<Wal> {
    let header = WalHeader::parse(buf)?;
    let page_size = header.page_size as usize;
    let frame_size = FRAME_HEADER_SIZE + page_size;
    let mut frames = Vec::new();
    let mut pos = HEADER_SIZE;
    let mut running = Some(header.checksum);
    let mut pending: Vec<usize> = Vec::new();
    while let Some(frame) = slice(buf, pos, frame_size) {
        let page_number = be_u32(frame, 0)?;
        let commit_size = be_u32(frame, 4)?;
        let salts = (be_u32(frame, 8)?, be_u32(frame, 12)?);
        let same_generation = salts == (header.salt1, header.salt2);
        let older_generation = header.salt1.wrapping_sub(salts.0).wrapping_sub(1) < 0x1_0000;
        if page_number == 0 || page_number > max_page || !(same_generation || older_generation) {
            break;
        }
        let mut current = false;
        if same_generation {
            if let Some(seed) = running {
                let head = slice(frame, 0, 8)?;
                let body = slice(frame, FRAME_HEADER_SIZE, page_size)?;
                let sum = checksum_chain(head, seed, header.big_endian_checksum)
                    .and_then(|s| checksum_chain(body, s, header.big_endian_checksum));
                if sum == Some((be_u32(frame, 16)?, be_u32(frame, 20)?)) {
                    running = sum;
                    current = true;
                } else {
                    running = None;
                }
            }
        } else {
            running = None;
        }
        let index = frames.len() as u32;
        frames.push(Frame { index, pos, page_number, commit_size, salts, current: false });
        if current {
            pending.push(frames.len() - 1);
            if commit_size != 0 {
                for &i in &pending {
                    if let Some(f) = frames.get_mut(i) {
                        f.current = true;
                    }
                }
                pending.clear();
            }
        }
        pos += frame_size;
    }
    Some(Wal { header, frames, length: pos })
}

impl Wal {
    /// The page image of `frame` inside `buf` (the bytes the WAL was parsed from).
    pub fn page_image<'a>(&self, buf: &'a [u8], frame: &Frame) -> Option<&'a [u8]> {
        slice(buf, frame.pos + FRAME_HEADER_SIZE, self.header.page_size as usize)
    }

    /// The database size after the last current commit frame.
    pub fn committed_page_count(&self) -> Option<u32> {
        self.frames.iter().rev().find(|f| f.current && f.commit_size != 0).map(|f| f.commit_size)
    }
}
