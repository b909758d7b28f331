//! WALs and rollback journals whose database was not found: the `-wal` or `-journal` of a
//! database deleted, overwritten, or lying outside the input. Each frame or journal record is
//! a page image with its page number; the records of each are recovered as from a stray page,
//! with the schema the file's own image of page 1 gives when it holds one, and reported as
//! `deleted` (the database they belong to is not there to hold them), with the evidence
//! source of where they lie (`wal_frame`, `wal_stale_frame`, `journal_page`).

use super::database::Containers;
use super::orphan_page::{page_records, to_record, unknown_schema_records, OrphanGroup};
use super::template::Template;
use super::wal_frame::OlderImage;
use super::EvidenceSource;
use crate::sqlite::btree::Database;
use crate::sqlite::page::BtreePage;
use crate::sqlite::schema::{self, TableDef};

/// The records of every WAL and journal of `containers` paired with no database, one group
/// per file.
pub fn recover(
    data: &[u8],
    input: usize,
    containers: &Containers,
    templates: &[Template],
    keep: &(dyn Fn(&TableDef) -> bool + Sync),
) -> Vec<OrphanGroup> {
    let tail = |off: u64| usize::try_from(off).ok().and_then(|o| data.get(o..));
    let mut out = Vec::new();
    for w in containers.wals.iter().filter(|w| w.database_offset.is_none()) {
        let Some(buf) = tail(w.offset) else { continue };
        let images: Vec<OlderImage<'_>> = w
            .wal
            .frames
            .iter()
            .filter_map(|f| {
                let image = super::wal_frame::frame_image(w, buf, f)?;
                let detail =
                    format!("wal frame {} (page {}) of a WAL whose database was not found", f.index, f.page_number);
                Some(OlderImage { artifact: Some(w.id.clone()), detail: Some(detail), ..image })
            })
            .collect();
        // The newest committed image of each page describes the schema.
        let newest: Vec<&OlderImage<'_>> = images.iter().filter(|i| i.source == EvidenceSource::WalFrame).collect();
        out.push(group(&images, &newest, w.wal.header.page_size, &w.id, input, templates, keep));
    }
    for j in containers.journals.iter().filter(|j| j.database_offset.is_none()) {
        let Some(buf) = tail(j.offset) else { continue };
        let images = super::journal_page::images(j, buf);
        // A journal keeps the first image of each page it saved: the state before the
        // transaction, one consistent schema.
        let all: Vec<&OlderImage<'_>> = images.iter().collect();
        let page_size = images.first().and_then(|i| u32::try_from(i.img.len()).ok()).unwrap_or(0);
        out.push(group(&images, &all, page_size, &j.id, input, templates, keep));
    }
    out
}

/// The records of `images`, templates first from the schema the `schema_images` give.
fn group(
    images: &[OlderImage<'_>],
    schema_images: &[&OlderImage<'_>],
    page_size: u32,
    id: &str,
    input: usize,
    templates: &[Template],
    keep: &(dyn Fn(&TableDef) -> bool + Sync),
) -> OrphanGroup {
    let mut own: Vec<Template> = own_schema(schema_images)
        .iter()
        .filter(|t| keep(t))
        .filter_map(Template::of)
        .filter(|t| !templates.iter().any(|o| o.table == t.table && o.columns == t.columns))
        .collect();
    own.extend(templates.iter().cloned());
    let size = page_size as usize;
    let mut out = OrphanGroup { page_size, ..OrphanGroup::default() };
    for image in images {
        let header_pos = if image.pgno == 1 { 100 } else { 0 };
        let Ok(page) = BtreePage::parse(image.img, header_pos, size) else { continue };
        if !page.kind.is_table() || page.validate(&mut Vec::new()).is_err() {
            continue;
        }
        out.pages += 1;
        let offset = image.origin.offset;
        let found = page_records(image.img, &page, size, &own);
        let mut records: Vec<super::RecoveredRecord> =
            found.iter().filter_map(|(c, t)| own.get(*t).and_then(|t| to_record(c, t, input, id, offset))).collect();
        records.extend(unknown_schema_records(image.img, &page, size, &found, input, id, offset));
        for mut r in records {
            r.evidence.source = image.source;
            r.evidence.page_number = Some(image.pgno);
            let truncated = if r.truncated { "; values truncated" } else { "" };
            r.evidence.detail = image.detail.as_ref().map(|d| format!("{d}{truncated}"));
            out.records.push(r);
        }
    }
    out.records = super::sightings::fold(std::mem::take(&mut out.records));
    out
}

/// The tables described by the page images given (the last image of each page number wins),
/// when page 1 is among them.
fn own_schema(images: &[&OlderImage<'_>]) -> Vec<TableDef> {
    let Some(page1) = images.iter().rev().find(|i| i.pgno == 1) else { return Vec::new() };
    let Some(mut db) = Database::new(page1.img, page1.origin.offset) else { return Vec::new() };
    for i in images {
        db.overlay_page(i.pgno, i.img, i.origin);
    }
    schema::tables(&schema::read_schema(&db).0)
}
