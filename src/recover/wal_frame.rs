//! Records in WAL frames that are not part of the live view (`wal_frame`, `wal_stale_frame`):
//! every older image of a page, from current frames overridden by a later frame of the same
//! page and from stale frames left from before a checkpoint restart.
//!
//! The main file's image of a page the WAL replaced is an older version too, read the same way
//! (reported as `orphan_page`: a page image outside the live database).
//!
//! A row in an older image and absent from the live database is `deleted`; a row whose rowid
//! is live with other values is `superseded` (an edited message keeps its original text
//! there); a row equal to a live one is the same row and is dropped. The table of a frame's page
//! is the one whose live b-tree holds that page number; a page no live table holds is matched
//! against every table's template.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::carve::{self, Ctx};
use super::database::WalFinding;
use super::in_page::{to_record, TableLeaves};
use super::live_record::Artifacts;
use super::orphan_page::best_template;
use super::template::Template;
use super::{EvidenceSource, RecordStatus, RecoveredRecord};
use crate::sqlite::btree::{Database, PageOrigin, PageSet};
use crate::sqlite::page::{BtreePage, PageKind};
use crate::sqlite::record::Record;
use crate::sqlite::wal::FRAME_HEADER_SIZE;

/// An older image of a page of a database: where it is and what to call its source.
#[derive(Debug, Clone)]
pub(crate) struct OlderImage<'a> {
    /// Page number in the database.
    pub pgno: u32,
    /// The page image.
    pub img: &'a [u8],
    /// Where the image lies in the input.
    pub origin: PageOrigin,
    /// The evidence source of its records.
    pub source: EvidenceSource,
    /// The artifact holding the image, when not the database or its WAL.
    pub artifact: Option<String>,
    /// Evidence detail for its records.
    pub detail: Option<String>,
}

/// Appends the records of the frames of `w` that the live view does not use, and of the main
/// file's pages the WAL replaced. `known` are the records already recovered from the database
/// (live and carved): repeats of them are dropped, and a live row of the same table and rowid
/// makes a differing row `superseded`.
#[allow(clippy::too_many_arguments)]
pub fn recover(
    db: &Database<'_>,
    w: &WalFinding,
    wal_bytes: &[u8],
    tables: &[TableLeaves],
    input: usize,
    artifacts: Artifacts<'_>,
    known: &[RecoveredRecord],
    out: &mut Vec<RecoveredRecord>,
) {
    // The frame the live view took for each page: the last current one.
    let used: HashMap<u32, u32> = w.wal.frames.iter().filter(|f| f.current).map(|f| (f.page_number, f.index)).collect();
    let mut images: Vec<OlderImage<'_>> = Vec::new();
    for f in &w.wal.frames {
        if used.get(&f.page_number) == Some(&f.index) {
            continue;
        }
        images.extend(frame_image(w, wal_bytes, f));
    }
    let mut replaced: Vec<u32> = used.keys().copied().collect();
    replaced.sort_unstable();
    for pgno in replaced {
        if let Some((img, origin)) = db.main_page(pgno) {
            let detail = Some(format!("page {pgno} of the database file, replaced by a WAL frame"));
            images.push(OlderImage { pgno, img, origin, source: EvidenceSource::OrphanPage, artifact: None, detail });
        }
    }
    older_image_records(db, &images, tables, input, artifacts, known, out);
}

/// The page image frame `f` of WAL `w` (whose bytes start at `wal_bytes`) holds, with where it
/// lies and its evidence source (`wal_frame` when current, else `wal_stale_frame`).
pub(crate) fn frame_image<'a>(
    w: &WalFinding,
    wal_bytes: &'a [u8],
    f: &crate::sqlite::wal::Frame,
) -> Option<OlderImage<'a>> {
    Some(OlderImage {
        pgno: f.page_number,
        img: w.wal.page_image(wal_bytes, f)?,
        origin: PageOrigin { offset: w.offset + (f.pos + FRAME_HEADER_SIZE) as u64, wal_frame: Some(f.index) },
        source: if f.current { EvidenceSource::WalFrame } else { EvidenceSource::WalStaleFrame },
        artifact: None,
        detail: None,
    })
}

/// The records of older images of pages of `db`, with their status against `known`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn older_image_records(
    db: &Database<'_>,
    images: &[OlderImage<'_>],
    tables: &[TableLeaves],
    input: usize,
    artifacts: Artifacts<'_>,
    known: &[RecoveredRecord],
    out: &mut Vec<RecoveredRecord>,
) {
    if tables.is_empty() {
        return;
    }
    let templates: Vec<Template> = tables.iter().map(|t| t.template.clone()).collect();
    let table_of_page: HashMap<u32, usize> =
        tables.iter().enumerate().flat_map(|(i, t)| t.leaves.iter().map(move |&(p, _)| (p, i))).collect();
    let live_rowids: BTreeSet<(&str, i64)> =
        known.iter().filter(|r| r.status == RecordStatus::Live).filter_map(|r| Some((&*r.table, r.rowid?))).collect();
    let usable = db.usable_size();
    let no_trunks = HashSet::new();
    for image in images {
        let OlderImage { pgno, img, origin, source, .. } = *image;
        let header_pos = if pgno == 1 { 100 } else { 0 };
        let Ok(page) = BtreePage::parse(img, header_pos, usable) else { continue };
        if page.kind != PageKind::LeafTable {
            continue;
        }
        let own = table_of_page.get(&pgno).and_then(|&i| templates.get(i..=i));
        let candidates = own.unwrap_or(&templates);
        let ctx = Ctx { usable, encoding: db.header.encoding, templates: candidates, cut_at: None };
        for c in carve::page_cells(img, &page, ctx) {
            let Ok(rec) = Record::parse(&c.record, c.payload_size) else { continue };
            let t = match own {
                Some(_) => Some(c.template),
                None => best_template(&rec.serial_types, candidates),
            };
            let Some(t) = t.and_then(|i| candidates.get(i)) else { continue };
            let mut seen = PageSet::new();
            let Some(mut r) = to_record(db, &c, t, input, artifacts, source, pgno, origin, &no_trunks, &mut seen)
            else {
                continue;
            };
            if let Some(a) = &image.artifact {
                r.evidence.artifact = a.clone();
            }
            if image.detail.is_some() {
                r.evidence.detail = image.detail.clone();
            }
            if r.rowid.is_some_and(|id| live_rowids.contains(&(&*r.table, id))) {
                r.status = RecordStatus::Superseded;
            }
            out.push(r);
        }
    }
}
