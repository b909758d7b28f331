//! Records on pages outside every database, WAL and journal found whole (`orphan_page`): the
//! pages of deleted, overwritten or fragmented database files, found by the page scan.
//!
//! An orphan page carries no schema. Its records are matched against the templates of every
//! table known in the input (the schemas of the databases found, and the built-in schemas of
//! the app profiles); a record is kept only when exactly one shape of table fits it best (see
//! [`best_template`]). The cells on the page are whole; its freeblocks and unallocated space are
//! carved as in live pages. All orphan pages of one page size in one input form one group,
//! whose records resolve against each other (a deleted message against the `chat` and `jid`
//! rows of the same deleted file). A record equal to a live record of the input is a copy of
//! live data (an older copy of the same file), not a deleted row, and is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use super::carve::{self, Carved, Ctx};
use super::database::{artifact_id, is_covered, Containers};
use super::live_record::owned_value;
use super::template::Template;
use super::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};
use crate::scan::PageGroup;
use crate::sqlite::page::BtreePage;
use crate::sqlite::record::Record;
use crate::sqlite::TextEncoding;

/// The records of the orphan pages of one page size.
#[derive(Debug, Clone, Default)]
pub struct OrphanGroup {
    /// Page size of the group.
    pub page_size: u32,
    /// Records found, in page order.
    pub records: Vec<RecoveredRecord>,
    /// Orphan leaf pages read.
    pub pages: u64,
    /// Pairs of runs of pages (artifact ids) shown to come from one database: an index entry
    /// on one names, by its rowid and distinctive values, a table row on the other (see
    /// [`links`]).
    pub links: Vec<(String, String)>,
}

/// An entry of an index b-tree leaf on an orphan page: the indexed values and the rowid.
#[derive(Debug, Clone)]
struct IndexEntry {
    artifact: String,
    rowid: i64,
    keys: Vec<FieldValue>,
}

/// Most table rows of one rowid an index entry is compared with.
const MAX_ROWS_PER_ROWID: usize = 64;

/// Links between runs of orphan pages: an index entry whose rowid and values are those of table
/// rows of exactly one other run ties the two runs to one database, when one of its values is
/// distinctive: a text of 8 bytes or more, or an integer of magnitude 2^20 or more, found in
/// the rows of that one run only. Two files of one schema hold the same small values and the
/// same common strings (a JID server) under the same rowids; they do not hold the same key ids,
/// JIDs or timestamps.
fn links(entries: &[IndexEntry], records: &[RecoveredRecord]) -> Vec<(String, String)> {
    let mut by_rowid: HashMap<i64, Vec<&RecoveredRecord>> = HashMap::new();
    for r in records {
        if let Some(id) = r.rowid {
            let rows = by_rowid.entry(id).or_default();
            if rows.len() < MAX_ROWS_PER_ROWID {
                rows.push(r);
            }
        }
    }
    let long = |v: &FieldValue| match v {
        FieldValue::Text(s) => s.len() >= 8,
        FieldValue::TextBytes(b) | FieldValue::Blob(b) => b.len() >= 8,
        FieldValue::Integer(i) => i.unsigned_abs() >= 1 << 20,
        FieldValue::Real(_) | FieldValue::Null => false,
    };
    // The run each long value is found in, or None when it is found in several.
    let mut home: HashMap<String, Option<&str>> = HashMap::new();
    for r in records {
        for v in r.values.iter().filter(|v| long(v)) {
            // A row seen in several runs (folded into one record) is found in each of them.
            for a in r.all_evidence().map(|e| e.artifact.as_str()) {
                home.entry(format!("{v:?}"))
                    .and_modify(|h| {
                        if *h != Some(a) {
                            *h = None;
                        }
                    })
                    .or_insert(Some(a));
            }
        }
    }
    let distinctive = |v: &FieldValue| long(v) && home.get(&format!("{v:?}")).is_some_and(Option::is_some);
    let mut out: Vec<(String, String)> = Vec::new();
    for e in entries.iter().filter(|e| e.keys.iter().any(distinctive)) {
        let Some(rows) = by_rowid.get(&e.rowid) else { continue };
        let mut hit: Option<&str> = None;
        let mut unique = true;
        for r in rows.iter().filter(|r| e.keys.iter().all(|k| r.values.contains(k))) {
            for a in r.all_evidence().map(|x| x.artifact.as_str()) {
                match hit {
                    None => hit = Some(a),
                    Some(h) if h != a => unique = false,
                    Some(_) => {}
                }
            }
        }
        if let (Some(a), true) = (hit, unique) {
            if a != e.artifact {
                out.push((e.artifact.clone(), a.to_owned()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The entries of an index leaf page whose payload lies whole on the page.
fn index_entries(img: &[u8], page: &BtreePage<'_>, usable: usize, artifact: &str, out: &mut Vec<IndexEntry>) {
    for i in 0..page.cell_count {
        let Some(pos) = page.cell_pointer(i) else { continue };
        let Ok(cell) = crate::sqlite::cell::Cell::parse(img, pos, page.kind, usable) else { continue };
        let Ok(rec) = Record::parse(cell.local, cell.payload_size) else { continue };
        if !rec.is_complete() {
            continue;
        }
        let mut values: Vec<FieldValue> = rec.values().iter().map(|v| owned_value(v, TextEncoding::Utf8)).collect();
        let Some(FieldValue::Integer(rowid)) = values.pop() else { continue };
        out.push(IndexEntry { artifact: artifact.to_owned(), rowid, keys: values });
    }
}

/// Recovers the records of every orphan table-leaf page of `data`.
pub fn recover(
    data: &[u8],
    input: usize,
    groups: &[PageGroup],
    containers: &Containers,
    templates: &[Template],
) -> Vec<OrphanGroup> {
    let covered = containers.covered();
    // Built on the first orphan page only: most inputs have none.
    // Per content of a live row: whether one lost its rowid, and the rowids of the others.
    let mut live: Option<HashMap<super::ContentKey, (bool, std::collections::HashSet<i64>)>> = None;
    let mut out: Vec<OrphanGroup> = Vec::new();
    let mut entries: Vec<Vec<IndexEntry>> = Vec::new();
    let numbers = number_orphan_leaves(data, groups, &covered);
    for g in groups {
        let size = g.page_size as usize;
        for k in 0..g.pages {
            let offset = g.offset + k * u64::from(g.page_size);
            if is_covered(&covered, offset) {
                continue;
            }
            let Some(img) = usize::try_from(offset).ok().and_then(|o| data.get(o..o.checked_add(size)?)) else {
                continue;
            };
            let Ok(page) = BtreePage::parse(img, 0, size) else { continue };
            if page.validate(&mut Vec::new()).is_err() {
                continue;
            }
            let group_id = artifact_id("page_group", input, g.offset);
            let slot = match out.iter_mut().position(|o| o.page_size == g.page_size) {
                Some(i) => i,
                None => {
                    out.push(OrphanGroup { page_size: g.page_size, ..OrphanGroup::default() });
                    entries.push(Vec::new());
                    out.len() - 1
                }
            };
            if page.kind == crate::sqlite::page::PageKind::LeafIndex {
                if let Some(e) = entries.get_mut(slot) {
                    index_entries(img, &page, size, &group_id, e);
                }
                continue;
            }
            if !page.kind.is_table() {
                continue;
            }
            let found = page_records(img, &page, size, templates);
            let unknown = unknown_schema_records(img, &page, size, &found, input, &group_id, offset);
            let Some(group) = out.get_mut(slot) else { continue };
            group.pages += 1;
            for (mut c, t) in found {
                let Some(t) = templates.get(t) else { continue };
                // A record that spills, on a leaf whose page number is known: its chain is
                // followed where that number places its pages.
                if let (Some(first), Some(&(pgno, ps))) = (c.overflow, numbers.get(&offset)) {
                    if ps == g.page_size {
                        let followed =
                            super::numbering::follow(data, size, offset, pgno, &c.record, c.payload_size, first);
                        if let Some(payload) = followed.filter(|p| text_is_valid(p, c.payload_size)) {
                            c.record = payload;
                        }
                    }
                }
                let Some(rec) = to_record(&c, t, input, &group_id, offset) else { continue };
                // A copy of a live row of a database found whole is that row, not a deletion.
                let live = live.get_or_insert_with(|| {
                    let mut m: HashMap<super::ContentKey, (bool, std::collections::HashSet<i64>)> = HashMap::new();
                    for r in containers.databases.iter().flat_map(|d| &d.records) {
                        if r.status == RecordStatus::Live {
                            let e = m.entry(r.content_key()).or_default();
                            match r.rowid {
                                Some(id) => {
                                    e.1.insert(id);
                                }
                                None => e.0 = true,
                            }
                        }
                    }
                    m
                });
                // Rowids agree when equal or when one is unknown (see `sightings::rowids_agree`).
                let copies_live = live
                    .get(&rec.content_key())
                    .is_some_and(|(unknown, ids)| *unknown || rec.rowid.is_none_or(|id| ids.contains(&id)));
                if !copies_live {
                    group.records.push(rec);
                }
            }
            group.records.extend(unknown);
        }
    }
    for (g, e) in out.iter_mut().zip(&entries) {
        g.records = super::sightings::fold(std::mem::take(&mut g.records));
        g.links = links(e, &g.records);
    }
    out
}

/// The whole cells of the page, and what its freeblocks and unallocated space hold, each with
/// the template that fits it best.
pub(crate) fn page_records(
    img: &[u8],
    page: &BtreePage<'_>,
    usable: usize,
    templates: &[Template],
) -> Vec<(Carved, usize)> {
    let ctx = Ctx { usable, encoding: TextEncoding::Utf8, templates, cut_at: None };
    // An interior page holds no records, but its unallocated space may still hold the leaf
    // cells it had before it split (a root leaf that grew).
    let mut found = if page.kind.is_leaf() { carve::page_cells(img, page, ctx) } else { Vec::new() };
    found.extend(carve::whole_cells(img, page.pointer_array_end(), page.cell_content_start, ctx));
    found.sort_by_key(|c| c.pos);
    found
        .into_iter()
        .filter_map(|c| {
            let rec = Record::parse(&c.record, c.payload_size).ok()?;
            let t = best_template(&rec.serial_types, templates)?;
            Some((c, t))
        })
        .collect()
}

/// Above any count of native columns (a record has fewer columns than this).
const MAX_COLUMNS_SCORE: usize = 1 << 16;

/// The template a record's serial types fit most specifically: each column whose type is what
/// its affinity stores natively (an integer in an INTEGER column, text in a TEXT column) scores
/// one. `None` when no template fits or when two templates of different column names tie.
pub fn best_template(types: &[u64], templates: &[Template]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    let mut tie = false;
    for (i, t) in templates.iter().enumerate() {
        if !t.fits(types) {
            continue;
        }
        // A table of the record's exact column count before one it is a shorter or longer
        // version of; then the most native types.
        let native = types.iter().zip(&t.affinities).filter(|(&ty, a)| a.native(ty)).count();
        let score = usize::from(types.len() == t.len()) * (MAX_COLUMNS_SCORE + 1) + native;
        match best {
            Some((s, j)) if score == s => {
                if templates.get(j).is_some_and(|o| o.columns != t.columns) {
                    tie = true;
                }
            }
            Some((s, _)) if score < s => {}
            _ => {
                best = Some((score, i));
                tie = false;
            }
        }
    }
    if tie {
        return None;
    }
    best.map(|(_, i)| i)
}

/// Page numbers (with the page size) of the orphan table leaves that interior orphan pages name
/// unambiguously (see [`super::numbering`]), by offset.
fn number_orphan_leaves(data: &[u8], groups: &[PageGroup], covered: &[(u64, u64)]) -> HashMap<u64, (u32, u32)> {
    type Pages = (Vec<(u64, i64, i64)>, Vec<super::numbering::Interior>);
    let mut by_size: HashMap<u32, Pages> = HashMap::new();
    for g in groups {
        let size = g.page_size as usize;
        for k in 0..g.pages {
            let offset = g.offset + k * u64::from(g.page_size);
            if is_covered(covered, offset) {
                continue;
            }
            let Some(img) = usize::try_from(offset).ok().and_then(|o| data.get(o..o.checked_add(size)?)) else {
                continue;
            };
            let Ok(page) = BtreePage::parse(img, 0, size) else { continue };
            let entry = by_size.entry(g.page_size).or_default();
            if let Some((first, last)) = super::numbering::leaf_span(&page) {
                entry.0.push((offset, first, last));
            } else if let Some(i) = super::numbering::interior(&page) {
                entry.1.push(i);
            }
        }
    }
    let mut out = HashMap::new();
    for (size, (leaves, interiors)) in by_size {
        for (off, pgno) in super::numbering::number_leaves(&leaves, &interiors) {
            out.insert(off, (pgno, size));
        }
    }
    out
}

/// Whether a whole payload decodes as a complete record with plausible texts (an overflow page
/// read from the wrong place would rarely give one).
fn text_is_valid(payload: &[u8], payload_size: u64) -> bool {
    Record::parse(payload, payload_size)
        .is_ok_and(|rec| rec.is_complete() && carve::values_plausible(&rec, TextEncoding::Utf8))
}

/// Detail added to a record whose payload spills to overflow pages that were not followed.
const NOT_FOLLOWED: &str = "; payload spills to overflow pages not followed: values truncated";

/// Evidence of a record on a page outside every database found whole.
fn stray_evidence(
    input: usize,
    group_id: &str,
    (offset, length): (u64, usize),
    detail: String,
    rebuilt: u8,
) -> Evidence {
    Evidence {
        source: EvidenceSource::OrphanPage,
        input,
        offset,
        length: length as u64,
        artifact: group_id.to_owned(),
        page_number: None,
        detail: Some(detail),
        rebuilt_header_bytes: rebuilt,
    }
}

/// Table name given to records of a page whose schema is not known.
pub const UNKNOWN_TABLE: &str = "(unknown schema)";

/// The live cells of a leaf page that no known table fits (`known`: the cells that fit one,
/// in position order), decoded generically: their
/// values as stored, columns named `c1`, `c2`, … by position, so that an examiner sees the
/// records of an app we have no schema for.
pub(crate) fn unknown_schema_records(
    img: &[u8],
    page: &BtreePage<'_>,
    usable: usize,
    known: &[(Carved, usize)],
    input: usize,
    group_id: &str,
    page_offset: u64,
) -> Vec<RecoveredRecord> {
    let mut out = Vec::new();
    if !page.kind.is_leaf() {
        return out;
    }
    for i in 0..page.cell_count {
        let Some(pos) = page.cell_pointer(i) else { continue };
        // `known` is in position order (see `page_records`).
        if known.binary_search_by_key(&pos, |(c, _)| c.pos).is_ok() {
            continue;
        }
        let Ok(cell) = crate::sqlite::cell::Cell::parse(img, pos, page.kind, usable) else { continue };
        let Ok(rec) = Record::parse(cell.local, cell.payload_size) else { continue };
        let values: Vec<FieldValue> = rec.values().iter().map(|v| owned_value(v, TextEncoding::Utf8)).collect();
        let values_len = values.len();
        let columns: Arc<[String]> = (1..=values.len()).map(|k| format!("c{k}")).collect();
        let truncated = !rec.is_complete() || values.len() < rec.column_count();
        let mut detail =
            String::from("page outside every database found whole; no known table fits: decoded generically");
        if truncated {
            detail.push_str(NOT_FOLLOWED);
        }
        out.push(RecoveredRecord {
            table: Arc::from(UNKNOWN_TABLE),
            columns,
            rowid: cell.rowid,
            values,
            truncated,
            cut_from: truncated.then_some(values_len),
            status: RecordStatus::Deleted,
            evidence: stray_evidence(input, group_id, (page_offset + pos as u64, cell.len), detail, 0),
            also_seen: Vec::new(),
            rowid_alias: None,
            dropped_table: false,
        });
    }
    out
}

pub(crate) fn to_record(
    c: &Carved,
    t: &Template,
    input: usize,
    group_id: &str,
    page_offset: u64,
) -> Option<RecoveredRecord> {
    let rec = Record::parse(&c.record, c.payload_size).ok()?;
    let decoded = rec.values();
    let values: Vec<FieldValue> = (0..t.len())
        .map(|i| match decoded.get(i) {
            _ if t.rowid_alias == Some(i) => c.rowid.map_or(FieldValue::Null, FieldValue::Integer),
            Some(v) => owned_value(v, TextEncoding::Utf8),
            None => FieldValue::Null,
        })
        .collect();
    let truncated = !rec.is_complete() || decoded.len() < rec.column_count();
    let mut detail = String::from("page outside every database found whole");
    if c.rebuilt > 0 {
        detail.push_str(&format!("; {} header byte(s) rebuilt", c.rebuilt));
    }
    if truncated {
        detail.push_str(NOT_FOLLOWED);
    }
    Some(RecoveredRecord {
        table: Arc::clone(&t.table),
        columns: Arc::clone(&t.columns),
        rowid: c.rowid,
        values,
        truncated,
        cut_from: truncated.then_some(decoded.len()),
        status: RecordStatus::Deleted,
        evidence: stray_evidence(input, group_id, (page_offset + c.pos as u64, c.len), detail, c.rebuilt),
        also_seen: Vec::new(),
        rowid_alias: t.rowid_alias,
        dropped_table: false,
    })
}
