//! Rollback journals (`<db>-journal`): the header and the page records that follow it, and
//! journals whose header is gone.
//!
//! ```text
//! header: magic d9 d5 05 f9 20 a1 63 d7 | record count | checksum nonce | initial db pages |
//!         sector size | page size | … padded to the sector size
//! record: page number (u32) | original page image | checksum (u32)
//! ```
//! The record checksum is the nonce plus every 200th byte of the page image, from
//! `page_size − 200` down to (not including) 0 (`pager_cksum` in SQLite's `pager.c`). Records are
//! read while their checksum holds; a record count of 0 or 0xFFFFFFFF means "as many as the file
//! holds".
//!
//! A journal can lose its header and keep its records: `journal_mode=PERSIST` zeroes the first
//! 28 bytes at commit (the rest of the header sector is zero padding already), and a journal
//! truncated or deleted leaves its later blocks in unallocated space. The nonce is then unknown,
//! but one record gives it (stored checksum − sampled sum of its image), and the next record's
//! checksum confirms it: [`parse_headerless`] reads such a run, [`headerless_run`] checks one
//! without allocating (what the scan's detector calls).

use crate::bytes::{be_u32, slice, u8_at};

/// The journal magic.
pub const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/// A validated journal header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalHeader {
    /// Record count as written (0xFFFFFFFF: unknown).
    pub record_count: u32,
    /// Checksum nonce.
    pub nonce: u32,
    /// Database size in pages before the transaction.
    pub initial_pages: u32,
    /// Sector size (header padding).
    pub sector_size: u32,
    /// Page size.
    pub page_size: u32,
}

impl JournalHeader {
    /// Parses the header at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Option<Self> {
        if slice(buf, 0, 8)? != MAGIC {
            return None;
        }
        let h = Self {
            record_count: be_u32(buf, 8)?,
            nonce: be_u32(buf, 12)?,
            initial_pages: be_u32(buf, 16)?,
            sector_size: be_u32(buf, 20)?,
            page_size: be_u32(buf, 24)?,
        };
        let sector_ok = h.sector_size.is_power_of_two() && (32..=65536).contains(&h.sector_size);
        (sector_ok && super::is_valid_page_size(h.page_size as usize)).then_some(h)
    }
}

/// One page record of a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalRecord {
    /// Position of the record in the journal.
    pub pos: usize,
    /// Page number of the saved page.
    pub page_number: u32,
}

/// How much of a journal's header was there to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderState {
    /// The header, magic included: its record count, nonce, sizes are the file's own.
    Intact,
    /// The header sector before the first record is zero, as `journal_mode=PERSIST` leaves it
    /// at commit: the nonce was solved from the records, the counts are unknown.
    Zeroed,
    /// No header before the first record (overwritten, or in a block lost with it): the nonce
    /// was solved from the records, the counts are unknown.
    Absent,
}

impl HeaderState {
    /// The word the report uses: `intact`, `zeroed`, `absent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intact => "intact",
            Self::Zeroed => "zeroed",
            Self::Absent => "absent",
        }
    }
}

/// Bytes before the first record that must all be zero for a header to count as zeroed: the
/// smallest sector SQLite pads its header to on disk (512; the pager uses it whenever the file
/// system promises powersafe overwrite, the unix default). A larger sector is zero there too.
pub const ZEROED_HEADER_SPAN: usize = 512;

/// A journal decoded from the bytes at its header (or, without a header, at its first record).
#[derive(Debug, Clone)]
pub struct Journal {
    /// The header; without one ([`HeaderState::Zeroed`], [`HeaderState::Absent`]) the nonce is
    /// the solved one, the page size the one the records validated with, `sector_size` the
    /// position of the first record, and the record count and initial pages are 0.
    pub header: JournalHeader,
    /// Whether the header was read, zeroed, or absent.
    pub header_state: HeaderState,
    /// Records whose checksum holds, in order.
    pub records: Vec<JournalRecord>,
    /// Bytes from the header (or the first record) to the end of the last record.
    pub length: usize,
}

/// The record checksum of a page image.
pub fn record_checksum(nonce: u32, page: &[u8]) -> u32 {
    let mut sum = nonce;
    let mut i = page.len() as isize - 200;
    while i > 0 {
        sum = sum.wrapping_add(u32::from(u8_at(page, i as usize).unwrap_or(0)));
        i -= 200;
    }
    sum
}

/// The record at `pos`, when it is whole and its page number is in 1..=`max_page`: page
/// number, page image, stored checksum.
fn record_at(buf: &[u8], pos: usize, page_size: usize, max_page: u32) -> Option<(u32, &[u8], u32)> {
    let rec = slice(buf, pos, page_size.checked_add(8)?)?;
    let page_number = be_u32(rec, 0)?;
    let image = slice(rec, 4, page_size)?;
    let stored = be_u32(rec, 4 + page_size)?;
    (page_number != 0 && page_number <= max_page).then_some((page_number, image, stored))
}

/// Whether the record at `pos` is whole, names a page in 1..=`max_page`, and its checksum
/// holds with `nonce`.
fn record_holds(buf: &[u8], pos: usize, page_size: usize, nonce: u32, max_page: u32) -> Option<u32> {
    let (page_number, image, stored) = record_at(buf, pos, page_size, max_page)?;
    (record_checksum(nonce, image) == stored).then_some(page_number)
}

/// Decodes the journal at the start of `buf`: records from the first sector boundary on,
/// while page numbers are in 1..=`max_page` and checksums hold (at most the header's record
/// count when it is given).
pub fn parse(buf: &[u8], max_page: u32) -> Option<Journal> {
    let header = JournalHeader::parse(buf)?;
    let limit = match header.record_count {
        0 | u32::MAX => usize::MAX,
        n => n as usize,
    };
    let (records, end) =
        read_records(buf, header.sector_size as usize, header.page_size as usize, header.nonce, max_page, limit);
    let length = if records.is_empty() { (header.sector_size as usize).min(buf.len()) } else { end };
    Some(Journal { header, header_state: HeaderState::Intact, records, length })
}

/// The records from `pos` on whose checksum holds with `nonce`, at most `limit`, and the
/// position after the last one. Each record read advances by at least 520 bytes, so the loop
/// ends within `buf.len() / 520` rounds.
fn read_records(
    buf: &[u8],
    mut pos: usize,
    page_size: usize,
    nonce: u32,
    max_page: u32,
    limit: usize,
) -> (Vec<JournalRecord>, usize) {
    let mut records = Vec::new();
    while records.len() < limit {
        let Some(page_number) = record_holds(buf, pos, page_size, nonce, max_page) else {
            break;
        };
        records.push(JournalRecord { pos, page_number });
        pos += page_size + 8;
    }
    (records, pos)
}

/// The nonce the record at `pos` was written with, were it a record: its stored checksum minus
/// the sampled sum of its image. `None` when no whole record with a page number in
/// 1..=`max_page` is there.
pub fn solve_nonce(buf: &[u8], pos: usize, page_size: usize, max_page: u32) -> Option<u32> {
    let (_, image, stored) = record_at(buf, pos, page_size, max_page)?;
    Some(stored.wrapping_sub(record_checksum(0, image)))
}

/// Checks, without allocating, that `buf[first..]` starts a run of records of `page_size`
/// without a header: the nonce solved from the first record holds on the second, or, when
/// `state` is [`HeaderState::Zeroed`] (a zero header sector already vouches for the place),
/// the first record alone. Returns the solved nonce. Reads at most two records.
pub fn headerless_run(buf: &[u8], first: usize, page_size: u32, max_page: u32, state: HeaderState) -> Option<u32> {
    let page_size = page_size as usize;
    if !super::is_valid_page_size(page_size) || state == HeaderState::Intact {
        return None;
    }
    let nonce = solve_nonce(buf, first, page_size, max_page)?;
    let second = first.checked_add(page_size + 8)?;
    let confirmed = record_holds(buf, second, page_size, nonce, max_page).is_some();
    (confirmed || state == HeaderState::Zeroed).then_some(nonce)
}

/// Decodes a journal without its header: `buf` starts where the journal starts (the zeroed
/// header, or the first record when the header is absent) and the records start at
/// `buf[first..]`, with pages of `page_size`. The nonce is solved from the first record and
/// records are read while it holds; where it stops, the records of an older transaction may
/// follow (`journal_mode=PERSIST` rewrites the file from its start at every transaction, and a
/// shorter one leaves the tail of the longer one before it), so reading goes on as long as a
/// new nonce, solved from the next record, holds on the one after. `None` unless
/// [`headerless_run`] accepts the first run. The header's `nonce` is the first run's.
pub fn parse_headerless(
    buf: &[u8],
    first: usize,
    page_size: u32,
    max_page: u32,
    state: HeaderState,
) -> Option<Journal> {
    let nonce = headerless_run(buf, first, page_size, max_page, state)?;
    let mut records = Vec::new();
    let (mut pos, mut run_nonce) = (first, nonce);
    // Each round reads at least one record, so the rounds end within `buf.len() / 520`.
    loop {
        let (mut run, end) = read_records(buf, pos, page_size as usize, run_nonce, max_page, usize::MAX);
        if run.is_empty() {
            break;
        }
        records.append(&mut run);
        pos = end;
        match headerless_run(buf, pos, page_size, max_page, HeaderState::Absent) {
            Some(n) => run_nonce = n,
            None => break,
        }
    }
    let length = pos;
    let header =
        JournalHeader { record_count: 0, nonce, initial_pages: 0, sector_size: u32::try_from(first).ok()?, page_size };
    (!records.is_empty()).then_some(Journal { header, header_state: state, records, length })
}

impl Journal {
    /// The page image of `record` inside `buf` (the bytes the journal was parsed from).
    pub fn page_image<'a>(&self, buf: &'a [u8], record: &JournalRecord) -> Option<&'a [u8]> {
        slice(buf, record.pos + 4, self.header.page_size as usize)
    }
}
