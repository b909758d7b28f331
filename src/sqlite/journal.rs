//! Rollback journals (`<db>-journal`): the header and the page records that follow it.
//!
//! ```text
//! header: magic d9 d5 05 f9 20 a1 63 d7 | record count | checksum nonce | initial db pages |
//!         sector size | page size | … padded to the sector size
//! record: page number (u32) | original page image | checksum (u32)
//! ```
//! The record checksum is the nonce plus every 200th byte of the page image, from
//! `page_size − 200` down to (not including) 0. Records are read while their checksum holds;
//! a record count of 0 or 0xFFFFFFFF means "as many as the file holds".

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

/// A journal decoded from the bytes at its header.
#[derive(Debug, Clone)]
pub struct Journal {
    /// The header.
    pub header: JournalHeader,
    /// Records whose checksum holds, in order.
    pub records: Vec<JournalRecord>,
    /// Bytes from the header to the end of the last record.
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

/// Decodes the journal at the start of `buf`: records from the first sector boundary on,
/// while page numbers are in 1..=`max_page` and checksums hold (at most the header's record
/// count when it is given).
pub fn parse(buf: &[u8], max_page: u32) -> Option<Journal> {
    let header = JournalHeader::parse(buf)?;
    let page_size = header.page_size as usize;
    let record_size = page_size + 8;
    let limit = match header.record_count {
        0 | u32::MAX => usize::MAX,
        n => n as usize,
    };
    let mut pos = header.sector_size as usize;
    let mut records = Vec::new();
    while records.len() < limit {
        let Some(rec) = slice(buf, pos, record_size) else {
            break;
        };
        let page_number = be_u32(rec, 0)?;
        let image = slice(rec, 4, page_size)?;
        let stored = be_u32(rec, 4 + page_size)?;
        if page_number == 0 || page_number > max_page || record_checksum(header.nonce, image) != stored {
            break;
        }
        records.push(JournalRecord { pos, page_number });
        pos += record_size;
    }
    let length = if records.is_empty() { (header.sector_size as usize).min(buf.len()) } else { pos };
    Some(Journal { header, records, length })
}

impl Journal {
    /// The page image of `record` inside `buf` (the bytes the journal was parsed from).
    pub fn page_image<'a>(&self, buf: &'a [u8], record: &JournalRecord) -> Option<&'a [u8]> {
        slice(buf, record.pos + 4, self.header.page_size as usize)
    }
}
