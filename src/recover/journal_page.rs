//! Records in the page images of a rollback journal (`journal_page`): the pages as they were
//! before the transaction the journal guarded. The journal is paired with its database by
//! those images; its records are read like the WAL's older images (see
//! [`super::wal_frame`]): a row gone from the live database is `deleted`, a live rowid with
//! other values `superseded`. A journal found without its header (zeroed by
//! `journal_mode=PERSIST`, or lost) is read the same way.

use super::database::JournalFinding;
use super::wal_frame::OlderImage;
use super::EvidenceSource;
use crate::sqlite::btree::PageOrigin;
use crate::sqlite::journal::HeaderState;

/// The page images of journal `j`, whose bytes start at `buf`. The detail of each names the
/// record and, for a journal found without its header, that the header was zeroed or absent
/// and the checksum nonce solved from the records.
pub(crate) fn images<'a>(j: &JournalFinding, buf: &'a [u8]) -> Vec<OlderImage<'a>> {
    let header = match j.journal.header_state {
        HeaderState::Intact => "",
        HeaderState::Zeroed => " (journal header zeroed, nonce solved from the records)",
        HeaderState::Absent => " (journal header absent, nonce solved from the records)",
    };
    j.journal
        .records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let img = j.journal.page_image(buf, r)?;
            Some(OlderImage {
                pgno: r.page_number,
                img,
                origin: PageOrigin { offset: j.offset + r.pos as u64 + 4, wal_frame: None },
                source: EvidenceSource::JournalPage,
                artifact: Some(j.id.clone()),
                detail: Some(format!("journal record {i}, page {}{header}", r.page_number)),
            })
        })
        .collect()
}
