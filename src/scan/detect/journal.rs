//! Rollback journals whose header is zeroed or lost, found by their first page record at a
//! 512-byte boundary (journals with their header are found by magic, in [`super::signatures`]).
//!
//! ```text
//! boundary:  00 pp pp pp | page image: b-tree page (type 2/5/10/13) or page 1 ("SQLite format 3")
//!            page number    … page_size bytes …                     | checksum | next record …
//! ```
//! The first record of a journal starts at a sector boundary (the header sector ends there),
//! so it is at a 512-byte boundary of the image. A database page is not a record: its first
//! byte is its type, never 0, and nothing of it validates as a page 4 bytes in. The test, cheapest
//! first:
//! 1. byte 0 is 0 (a page number below 2^24) and byte 4 is a page type or `S`: one load and
//!    compare per boundary, all that noise and database pages cost;
//! 2. the page number is ≥ 1 (= 1 for page 1, ≥ 2 for a b-tree page) and the image validates
//!    as a b-tree page of some size 512..=65536 ([`super::page::detect`]), or as page 1 with a
//!    database header ([`DbHeader::parse`]), which gives the page size;
//! 3. the nonce solved from this record holds on the next one
//!    ([`journal::headerless_run`]); when the 512 bytes before the record are zero (the header
//!    sector of a `journal_mode=PERSIST` journal after commit) one record is enough.
//!
//! Reads at most [`ZEROED_HEADER_SPAN`] bytes before the boundary and two records after it;
//! allocates nothing.

use crate::sqlite::header::DbHeader;
use crate::sqlite::journal::{self, HeaderState, ZEROED_HEADER_SPAN};

/// Largest page number a record may name (what recovery uses for WALs and journals).
pub const MAX_PAGE_NUMBER: u32 = 0x7fff_ffff;

/// A journal without its header, found by its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundJournal {
    /// Position of the journal's start in the slice given: the zeroed header sector, or the
    /// first record when the header is absent.
    pub start: usize,
    /// Bytes from the start to the first record (0 when the header is absent).
    pub first_record: usize,
    /// Page size the first record's image validated with.
    pub page_size: u32,
    /// Zeroed or absent.
    pub header_state: HeaderState,
    /// The nonce solved from the records.
    pub nonce: u32,
}

/// Checks whether the first record of a journal without its header starts at `data[at]`.
/// `data` is the whole input (the detector looks up to [`ZEROED_HEADER_SPAN`] bytes before
/// `at`, and up to two records after it); `scratch` is reused across calls.
#[inline]
pub fn detect(data: &[u8], at: usize, scratch: &mut Vec<(usize, usize)>) -> Option<FoundJournal> {
    let rec = data.get(at..)?;
    if *rec.first()? != 0 || !matches!(*rec.get(4)?, 2 | 5 | 10 | 13 | b'S') {
        return None;
    }
    validate(data, at, scratch)
}

/// Steps 2 and 3 of the test, for the few boundaries that pass the prefilter.
#[cold]
#[inline(never)]
fn validate(data: &[u8], at: usize, scratch: &mut Vec<(usize, usize)>) -> Option<FoundJournal> {
    let rec = data.get(at..)?;
    let page_number = crate::bytes::be_u32(rec, 0)?;
    let image = rec.get(4..)?;
    let page_size = match image.first()? {
        b'S' if page_number == 1 => DbHeader::parse(image).ok()?.page_size,
        b'S' => return None,
        _ if page_number < 2 => return None,
        _ => super::page::detect(image, scratch)?.page_size,
    };
    let zeroed = at
        .checked_sub(ZEROED_HEADER_SPAN)
        .and_then(|s| data.get(s..at))
        .is_some_and(|sector| sector.iter().all(|&b| b == 0));
    let (start, header_state) =
        if zeroed { (at - ZEROED_HEADER_SPAN, HeaderState::Zeroed) } else { (at, HeaderState::Absent) };
    let first_record = at - start;
    let span = first_record.checked_add(2 * (page_size as usize + 8))?;
    let buf = data.get(start..)?;
    let buf = buf.get(..span.min(buf.len()))?;
    let nonce = journal::headerless_run(buf, first_record, page_size, MAX_PAGE_NUMBER, header_state)?;
    Some(FoundJournal { start, first_record, page_size, header_state, nonce })
}
