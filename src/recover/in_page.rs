//! Deleted records inside the pages of a database found whole: freeblocks and unallocated space
//! of the live table-leaf pages (`freeblock`, `unallocated_in_page`), and the old contents of
//! freelist trunk and leaf pages (`freelist_page`).
//!
//! A live leaf page belongs to one table, so what is carved from it is matched against that
//! table's template only; a freelist page may have belonged to any table and is matched against
//! all of them. A carved record equal to a live record of the same table is dropped: it is a
//! copy left when the b-tree moved a live row (rebalancing), not a deleted row.

use std::collections::HashSet;
use std::sync::Arc;

use super::carve::{self, Carved, Ctx};
use super::live_record::{owned_value, Artifacts};
use super::template::Template;
use super::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};
use crate::bytes::be_u32;
use crate::sqlite::btree::{Database, PageOrigin, PageSet};
use crate::sqlite::page::BtreePage;
use crate::sqlite::record::Record;

/// A table whose deleted records are wanted, with the live leaf pages of its b-tree.
#[derive(Debug, Clone)]
pub struct TableLeaves {
    /// The table's template.
    pub template: Template,
    /// Its live pages, interior and leaf.
    pub leaves: Vec<(u32, PageOrigin)>,
}

/// Carves the deleted records of `tables` from `db` and appends them to `out`: every sighting,
/// copies of live rows left by rebalancing included ([`super::sightings::fold`] folds them
/// into the rows they copy). `seen` holds the pages the live walk read, so overflow chains of
/// deleted records never re-read a live page.
pub fn carve_database(
    db: &Database<'_>,
    tables: &[TableLeaves],
    input: usize,
    artifacts: Artifacts<'_>,
    seen: &mut PageSet,
    out: &mut Vec<RecoveredRecord>,
) {
    if tables.is_empty() {
        return;
    }
    let templates: Vec<Template> = tables.iter().map(|t| t.template.clone()).collect();
    let usable = db.usable_size();
    let encoding = db.header.encoding;
    let free = freelist(db);
    let trunks: HashSet<u32> = free.iter().filter(|f| f.1).map(|f| f.0).collect();
    let mut emit = |c: Carved, templates: &[Template], source, pgno: u32, origin: PageOrigin, seen: &mut PageSet| {
        let Some(t) = templates.get(c.template) else { return };
        let Some(rec) = to_record(db, &c, t, input, artifacts, source, pgno, origin, &trunks, seen) else { return };
        out.push(rec);
    };
    for table in tables {
        let own = std::slice::from_ref(&table.template);
        let ctx = Ctx { usable, encoding, templates: own, cut_at: None };
        for &(pgno, origin) in &table.leaves {
            let Some((img, _)) = db.page(pgno) else { continue };
            let header_pos = if pgno == 1 { 100 } else { 0 };
            let Ok(page) = BtreePage::parse(img, header_pos, usable) else { continue };
            // An interior page's freeblocks held interior cells; its unallocated space may
            // still hold the leaf cells it had before it split (a root leaf that grew).
            if page.kind.is_leaf() {
                let cells: HashSet<usize> = (0..page.cell_count).filter_map(|i| page.cell_pointer(i)).collect();
                for (pos, size) in page.freeblocks() {
                    // A live cell right after the block was taken from its end: the last cell
                    // freed there lost its tail to it.
                    let cut_at = cells.contains(&(pos + size)).then_some(pos + size);
                    for c in carve::freeblock(img, pos, size, Ctx { cut_at, ..ctx }) {
                        emit(c, own, EvidenceSource::Freeblock, pgno, origin, seen);
                    }
                }
            }
            let (start, stop) = (page.pointer_array_end(), page.cell_content_start);
            // Live cell content starts at `stop`: a cell that ran past it lost its tail there.
            let ctx = Ctx { cut_at: (stop < usable).then_some(stop), ..ctx };
            let mut found = carve::whole_cells(img, start, stop, ctx);
            found.extend(carve::stale_freeblocks(img, start, stop, ctx));
            found.sort_by_key(|c| c.pos);
            for c in found {
                emit(c, own, EvidenceSource::UnallocatedInPage, pgno, origin, seen);
            }
        }
    }
    let ctx = Ctx { usable, encoding, templates: &templates, cut_at: None };
    for &(pgno, is_trunk, leaves_on_trunk) in &free {
        let Some((img, origin)) = db.page(pgno) else { continue };
        let start = if is_trunk { 8 + 4 * leaves_on_trunk } else { 0 };
        let mut found = Vec::new();
        if !is_trunk && img.first() == Some(&13) {
            if let Ok(page) = BtreePage::parse(img, 0, usable) {
                for (pos, size) in page.freeblocks() {
                    found.extend(carve::freeblock(img, pos, size, ctx));
                }
            }
        }
        found.extend(carve::whole_cells(img, start.min(usable), usable, ctx));
        found.sort_by_key(|c| c.pos);
        for c in found {
            emit(c, &templates, EvidenceSource::FreelistPage, pgno, origin, seen);
        }
    }
}

/// The freelist: `(page, is trunk, leaf count on the trunk)` for every trunk and leaf page,
/// following the trunk chain of the current page 1 at most once per page.
pub(crate) fn freelist(db: &Database<'_>) -> Vec<(u32, bool, usize)> {
    let mut out = Vec::new();
    let Some((page1, _)) = db.page(1) else { return out };
    let mut trunk = be_u32(page1, 32).unwrap_or(0);
    let max_leaves = db.usable_size() / 4 - 2;
    let mut visited = HashSet::new();
    while trunk != 0 && visited.insert(trunk) && visited.len() <= db.page_count() as usize {
        let Some((img, _)) = db.page(trunk) else { break };
        let count = be_u32(img, 4).unwrap_or(u32::MAX) as usize;
        let next = be_u32(img, 0).unwrap_or(u32::MAX);
        let leaves: Vec<u32> = (0..count.min(max_leaves)).map(|i| be_u32(img, 8 + 4 * i).unwrap_or(0)).collect();
        // A page that does not read as a trunk (a fragmented file, where another file's page
        // lies at the trunk's place) ends the list: its "leaves" would be garbage.
        let in_file = |p: u32| p != 0 && p <= db.page_count();
        if count > max_leaves || (next != 0 && !in_file(next)) || !leaves.iter().all(|&l| in_file(l)) {
            break;
        }
        out.push((trunk, true, count));
        for leaf in leaves {
            if visited.insert(leaf) {
                out.push((leaf, false, 0));
            }
        }
        trunk = next;
    }
    out
}

/// Turns a carved cell into a record: decodes its values (following its overflow chain through
/// pages not yet read), and names where it was found.
#[allow(clippy::too_many_arguments)]
pub(crate) fn to_record(
    db: &Database<'_>,
    c: &Carved,
    t: &Template,
    input: usize,
    artifacts: Artifacts<'_>,
    source: EvidenceSource,
    pgno: u32,
    origin: PageOrigin,
    trunks: &HashSet<u32>,
    seen: &mut PageSet,
) -> Option<RecoveredRecord> {
    let (payload, broken) = match c.overflow {
        None => (c.record.clone(), false),
        Some(first) => overflow_payload(db, &c.record, c.payload_size, first, trunks, seen),
    };
    let rec = Record::parse(&payload, c.payload_size).ok()?;
    let (decoded, partial) = rec.values_with_partial();
    let enc = db.header.encoding;
    let mut values = Vec::with_capacity(t.len());
    for i in 0..t.len() {
        values.push(match decoded.get(i) {
            _ if t.rowid_alias == Some(i) => c.rowid.map_or(FieldValue::Null, FieldValue::Integer),
            Some(v) if partial && i + 1 == decoded.len() => partial_value(v, enc),
            Some(v) => owned_value(v, enc),
            None => FieldValue::Null,
        });
    }
    let whole = decoded.len() - usize::from(partial);
    let truncated = broken || partial || decoded.len() < rec.column_count();
    // Without an overflow chain, a record shorter than its payload lost its tail to newer cells.
    let cut_by_newer = c.overflow.is_none() && (c.record.len() as u64) < c.payload_size;
    let mut notes: Vec<String> = Vec::new();
    if c.rebuilt > 0 {
        notes.push(format!("{} header byte(s) rebuilt", c.rebuilt));
    }
    if broken {
        notes.push("overflow chain broken: values truncated".to_owned());
    }
    if cut_by_newer {
        notes.push(format!("tail overwritten by newer cells: values from column {} on lost", whole + 1));
    }
    let detail = (!notes.is_empty()).then(|| notes.join("; "));
    Some(RecoveredRecord {
        table: Arc::clone(&t.table),
        columns: Arc::clone(&t.columns),
        rowid: c.rowid,
        values,
        truncated,
        cut_from: truncated.then_some(whole),
        status: RecordStatus::Deleted,
        evidence: Evidence {
            source,
            input,
            offset: origin.offset + c.pos as u64,
            length: c.len as u64,
            artifact: match origin.wal_frame {
                Some(_) => artifacts.wal.unwrap_or(artifacts.database).to_owned(),
                None => artifacts.database.to_owned(),
            },
            page_number: Some(pgno),
            detail,
            rebuilt_header_bytes: c.rebuilt,
        },
        also_seen: Vec::new(),
        rowid_alias: t.rowid_alias,
        dropped_table: false,
    })
}

/// The surviving prefix of a value cut by a broken overflow chain: text cut back to its last
/// whole character (a UTF-16 text to an even length), so that what is shown was really stored.
fn partial_value(v: &crate::sqlite::record::Value<'_>, enc: crate::sqlite::TextEncoding) -> FieldValue {
    use crate::sqlite::record::Value;
    use crate::sqlite::TextEncoding;
    match *v {
        Value::Text(b) => {
            let b = match enc {
                TextEncoding::Utf8 => match std::str::from_utf8(b) {
                    Ok(_) => b,
                    Err(e) => b.get(..e.valid_up_to()).unwrap_or(&[]),
                },
                _ => b.get(..b.len() / 2 * 2).unwrap_or(&[]),
            };
            owned_value(&Value::Text(b), enc)
        }
        ref other => owned_value(other, enc),
    }
}

/// The payload of a deleted record whose first overflow page is `first`: its local part, then
/// the chain while pages survive. The chain stops (and the record is truncated) at a page
/// already read for something else, past the database, or that is now a freelist trunk page,
/// whose first bytes the freelist overwrote.
fn overflow_payload(
    db: &Database<'_>,
    local: &[u8],
    total: u64,
    first: u32,
    trunks: &HashSet<u32>,
    seen: &mut PageSet,
) -> (Vec<u8>, bool) {
    let (out, _) = crate::sqlite::btree::read_overflow_chain(local, total, first, db.usable_size(), |n| {
        (!trunks.contains(&n) && seen.insert(n)).then(|| db.page(n).map(|(img, _)| img)).flatten()
    });
    let broken = (out.len() as u64) < total;
    (out, broken)
}
