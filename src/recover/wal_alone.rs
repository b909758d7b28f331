//! WALs whose database was not found: the `-wal` of a deleted or overwritten database, or of
//! one that lies outside the input. Every frame is a page image with its page number; the
//! records of each, current and stale, are recovered as from a stray page, with the schema the
//! WAL's own page 1 gives when it holds one, and reported as `deleted` (the database they
//! belong to is not there to hold them), evidence `wal_frame` or `wal_stale_frame`.

use super::database::{Containers, WalFinding};
use super::orphan_page::{page_records, to_record, unknown_schema_records, OrphanGroup};
use super::template::Template;
use super::EvidenceSource;
use crate::sqlite::btree::{Database, PageOrigin};
use crate::sqlite::page::BtreePage;
use crate::sqlite::schema::{self, TableDef};
use crate::sqlite::wal;

/// The records of every WAL of `containers` paired with no database, one group per WAL.
pub fn recover(
    data: &[u8],
    input: usize,
    containers: &Containers,
    templates: &[Template],
    keep: &(dyn Fn(&TableDef) -> bool + Sync),
) -> Vec<OrphanGroup> {
    containers
        .wals
        .iter()
        .filter(|w| w.database_offset.is_none())
        .filter_map(|w| {
            let buf = usize::try_from(w.offset).ok().and_then(|o| data.get(o..))?;
            Some(one(buf, input, w, templates, keep))
        })
        .collect()
}

fn one(
    buf: &[u8],
    input: usize,
    w: &WalFinding,
    templates: &[Template],
    keep: &(dyn Fn(&TableDef) -> bool + Sync),
) -> OrphanGroup {
    let mut own: Vec<Template> = own_schema(buf, w)
        .iter()
        .filter(|t| keep(t))
        .filter_map(Template::of)
        .filter(|t| !templates.iter().any(|o| o.table == t.table && o.columns == t.columns))
        .collect();
    own.extend(templates.iter().cloned());
    let size = w.wal.header.page_size as usize;
    let mut group = OrphanGroup { page_size: w.wal.header.page_size, records: Vec::new(), pages: 0 };
    for f in &w.wal.frames {
        let Some(img) = w.wal.page_image(buf, f) else { continue };
        let header_pos = if f.page_number == 1 { 100 } else { 0 };
        let Ok(page) = BtreePage::parse(img, header_pos, size) else { continue };
        if !page.kind.is_table() || page.validate(&mut Vec::new()).is_err() {
            continue;
        }
        group.pages += 1;
        let offset = w.offset + (f.pos + wal::FRAME_HEADER_SIZE) as u64;
        let found = page_records(img, &page, size, &own);
        let mut records: Vec<super::RecoveredRecord> =
            found.iter().filter_map(|(c, t)| own.get(*t).and_then(|t| to_record(c, t, input, &w.id, offset))).collect();
        records.extend(unknown_schema_records(img, &page, size, &found, input, &w.id, offset));
        for mut r in records {
            r.evidence.source = if f.current { EvidenceSource::WalFrame } else { EvidenceSource::WalStaleFrame };
            r.evidence.page_number = Some(f.page_number);
            r.evidence.detail = Some(format!(
                "wal frame {} (page {}) of a WAL whose database was not found{}",
                f.index,
                f.page_number,
                if r.truncated { "; values truncated" } else { "" }
            ));
            group.records.push(r);
        }
    }
    group.records = super::sightings::fold(std::mem::take(&mut group.records));
    group
}

/// The tables the WAL's newest page 1 and the schema pages it holds describe.
fn own_schema(buf: &[u8], w: &WalFinding) -> Vec<TableDef> {
    let current = |f: &&wal::Frame| f.current;
    let Some(page1) = w.wal.frames.iter().filter(current).rfind(|f| f.page_number == 1) else {
        return Vec::new();
    };
    let Some(img) = w.wal.page_image(buf, page1) else { return Vec::new() };
    let Some(mut db) = Database::new(img, w.offset) else { return Vec::new() };
    for f in w.wal.frames.iter().filter(current) {
        if let Some(img) = w.wal.page_image(buf, f) {
            let offset = w.offset + (f.pos + wal::FRAME_HEADER_SIZE) as u64;
            db.overlay_page(f.page_number, img, PageOrigin { offset, wal_frame: Some(f.index) });
        }
    }
    if let Some(n) = w.wal.committed_page_count() {
        db.set_page_count(n);
    }
    schema::tables(&schema::read_schema(&db).0)
}
