//! Databases, WAL files and rollback journals found whole: their extents in the input, the
//! pairing of each WAL with the database it belongs to, and the live view of a database with
//! its WAL replayed.

use std::collections::BTreeMap;

use super::in_page::{self, TableLeaves};
use super::live_record::{read_table, Artifacts, TableStats};
use super::template::Template;
use super::RecoveredRecord;
use crate::scan::{Hit, HitKind};
use crate::sqlite::btree::Database;
use crate::sqlite::header::DbHeader;
use crate::sqlite::journal::{self, Journal};
use crate::sqlite::page::BtreePage;
use crate::sqlite::schema::{self, SchemaEntry, TableDef};
use crate::sqlite::wal::{self, Wal};

/// Consecutive pages that fail validation before an untrusted database is taken to end.
const MAX_MISSES_AT_END: u32 = 64;
/// Databases considered as the owner of one WAL: the nearest ones by offset.
const PAIRING_CANDIDATES: usize = 16;
/// Largest page number considered when following a WAL or a journal.
const MAX_PAGE_NUMBER: u32 = 0x7fff_ffff;

/// A database file found whole (its header found and followed).
#[derive(Debug, Clone)]
pub struct DbFinding {
    /// Stable artifact id.
    pub id: String,
    /// Absolute offset of page 1.
    pub offset: u64,
    /// Bytes of the file, as far as it could be established.
    pub length: u64,
    /// The header.
    pub header: DbHeader,
    /// Whether the length comes from the header (true) or from following valid pages.
    pub size_from_header: bool,
    /// True when the whole file fits in the input and every b-tree walked without a problem.
    pub intact: bool,
    /// Rows of `sqlite_schema`.
    pub schema: Vec<SchemaEntry>,
    /// Tables with their columns.
    pub tables: Vec<TableDef>,
    /// Records read per table.
    pub table_stats: BTreeMap<String, TableStats>,
    /// Problems met while walking b-trees.
    pub problems: u64,
    /// Offset of the WAL replayed over this database.
    pub wal_offset: Option<u64>,
    /// Live records of the tables that were asked for.
    pub records: Vec<RecoveredRecord>,
    /// Pages the database was seen to use, sorted: its b-tree and overflow pages reached,
    /// freelist pages, page 1. In a file that is not intact, the other pages of its extent may
    /// be another file's that now lie there, and are left to orphan-page recovery.
    pub claimed: Vec<u32>,
}

impl DbFinding {
    /// The bytes the database is known to own, as sorted `[start, end)` intervals: its whole
    /// extent when intact, else the pages it was seen to use.
    pub fn owned(&self) -> Vec<(u64, u64)> {
        if self.intact {
            return vec![(self.offset, self.offset + self.length)];
        }
        let ps = self.header.page_size as u64;
        let mut out: Vec<(u64, u64)> = Vec::new();
        for &p in &self.claimed {
            let s = self.offset + u64::from(p.saturating_sub(1)) * ps;
            let e = (s + ps).min(self.offset + self.length);
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ if s < e => out.push((s, e)),
                _ => {}
            }
        }
        out
    }
}

/// A WAL file found by its header.
#[derive(Debug, Clone)]
pub struct WalFinding {
    /// Stable artifact id.
    pub id: String,
    /// Absolute offset of the header.
    pub offset: u64,
    /// The decoded WAL.
    pub wal: Wal,
    /// Offset of the database it was paired with.
    pub database_offset: Option<u64>,
}

/// A rollback journal, found by its header or by its first record
/// ([`Journal::header_state`](crate::sqlite::journal::Journal::header_state) says which).
#[derive(Debug, Clone)]
pub struct JournalFinding {
    /// Stable artifact id.
    pub id: String,
    /// Absolute offset of the header (zeroed or not), or of the first record when the header
    /// is absent.
    pub offset: u64,
    /// The decoded journal.
    pub journal: Journal,
    /// Offset of the database it was paired with.
    pub database_offset: Option<u64>,
}

/// Everything followed from the header hits of one input.
#[derive(Debug, Clone, Default)]
pub struct Containers {
    /// Databases, by offset.
    pub databases: Vec<DbFinding>,
    /// WAL files, by offset.
    pub wals: Vec<WalFinding>,
    /// Journals, by offset.
    pub journals: Vec<JournalFinding>,
}

impl Containers {
    /// The extents `(start, end, artifact id)` of every database, WAL and journal, sorted.
    pub fn extents(&self) -> Vec<(u64, u64, String)> {
        let mut v: Vec<(u64, u64, String)> = self
            .databases
            .iter()
            .map(|d| (d.offset, d.offset + d.length, d.id.clone()))
            .chain(self.wals.iter().map(|w| (w.offset, w.offset + w.wal.length as u64, w.id.clone())))
            .chain(self.journals.iter().map(|j| (j.offset, j.offset + j.journal.length as u64, j.id.clone())))
            .collect();
        v.sort();
        v
    }

    /// The bytes they cover, as sorted, disjoint `[start, end)` intervals: the extents of WALs
    /// and journals, and what each database owns ([`DbFinding::owned`]).
    pub fn covered(&self) -> Vec<(u64, u64)> {
        let mut all: Vec<(u64, u64)> = self
            .databases
            .iter()
            .flat_map(DbFinding::owned)
            .chain(self.wals.iter().map(|w| (w.offset, w.offset + w.wal.length as u64)))
            .chain(self.journals.iter().map(|j| (j.offset, j.offset + j.journal.length as u64)))
            .collect();
        all.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::new();
        for (s, e) in all {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        out
    }
}

/// In a database that is not intact (a fragmented file read from its page 1), the leaf pages
/// whose records mostly do not fit their table are another file's pages lying where the
/// table's should be: their records are dropped, and the pages given up (not claimed, not
/// carved as this table's), so that orphan-page recovery reads them for what they are.
fn drop_foreign_pages(
    reads: &mut [super::live_record::TableRead],
    records: &mut Vec<RecoveredRecord>,
    seen: &mut crate::sqlite::btree::PageSet,
    table_stats: &mut BTreeMap<String, TableStats>,
    tables: &[TableDef],
) {
    let mut foreign: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for (t, read) in tables.iter().zip(reads.iter_mut()) {
        let pages: std::collections::HashSet<u32> =
            read.fit_by_page.iter().filter(|(_, &(n, bad))| 2 * bad > n).map(|(&p, _)| p).collect();
        if pages.is_empty() {
            continue;
        }
        read.leaves.retain(|(p, _)| !pages.contains(p));
        if let Some(s) = table_stats.get_mut(&t.name) {
            let dropped: u32 = pages.iter().filter_map(|p| read.fit_by_page.get(p)).map(|f| f.0).sum();
            s.records = s.records.saturating_sub(u64::from(dropped));
            s.problems += pages.len() as u64;
        }
        foreign.extend(pages);
    }
    if foreign.is_empty() {
        return;
    }
    records.retain(|r| r.evidence.page_number.is_none_or(|p| !foreign.contains(&p)));
    for p in &foreign {
        seen.remove(p);
    }
}

/// Whether `off` lies in one of the sorted, disjoint `covered` intervals.
pub fn is_covered(covered: &[(u64, u64)], off: u64) -> bool {
    let i = covered.partition_point(|&(_, e)| e <= off);
    covered.get(i).is_some_and(|&(s, _)| s <= off)
}

/// The artifact id for a structure of `kind` at `offset` of input `input`.
pub fn artifact_id(kind: &str, input: usize, offset: u64) -> String {
    format!("{kind}-{input}-{offset:012x}")
}

/// Follows every header hit over `data` (the whole input) and reads the live records of the
/// tables `keep` selects. Databases are processed in parallel; the result is in offset order.
pub fn follow(data: &[u8], input: usize, hits: &[Hit], keep: &(dyn Fn(&TableDef) -> bool + Sync)) -> Containers {
    use rayon::prelude::*;
    let tail = |off: u64| usize::try_from(off).ok().and_then(|o| data.get(o..)).unwrap_or(&[]);
    // Each structure is followed no further than the next header of its own kind, so that a
    // crafted run of headers costs linear, not quadratic, time.
    let upto = |off: u64, next: Option<u64>| {
        let t = tail(off);
        let len = next.map_or(t.len(), |n| usize::try_from(n - off).unwrap_or(usize::MAX).min(t.len()));
        t.get(..len).unwrap_or(&[])
    };
    let offsets_of = |kind: HitKind| -> Vec<u64> { hits.iter().filter(|h| h.kind == kind).map(|h| h.offset).collect() };
    let (wal_offsets, journal_offsets) = (offsets_of(HitKind::WalHeader), offsets_of(HitKind::JournalHeader));
    let wals: Vec<WalFinding> = wal_offsets
        .iter()
        .enumerate()
        .filter_map(|(i, &off)| {
            let wal = wal::parse(upto(off, wal_offsets.get(i + 1).copied()), MAX_PAGE_NUMBER)?;
            Some(WalFinding { id: artifact_id("wal", input, off), offset: off, wal, database_offset: None })
        })
        .collect();
    let mut journals: Vec<JournalFinding> = journal_offsets
        .iter()
        .enumerate()
        .filter_map(|(i, &off)| {
            let journal = journal::parse(upto(off, journal_offsets.get(i + 1).copied()), MAX_PAGE_NUMBER)?;
            Some(JournalFinding { id: artifact_id("journal", input, off), offset: off, journal, database_offset: None })
        })
        .collect();
    journals.extend(headerless_journals(data, input, hits, &journals));
    journals.sort_by_key(|j| j.offset);
    // A database header inside a WAL frame or a journal record is a page image of page 1,
    // reported with its WAL or journal, not a database file.
    let mut page_images: Vec<u64> = wals
        .iter()
        .flat_map(|w| w.wal.frames.iter().map(|f| w.offset + (f.pos + wal::FRAME_HEADER_SIZE) as u64))
        .chain(journals.iter().flat_map(|j| j.journal.records.iter().map(|r| j.offset + r.pos as u64 + 4)))
        .collect();
    page_images.sort_unstable();
    let db_offsets: Vec<u64> = hits
        .iter()
        .filter(|h| h.kind == HitKind::DbHeader && page_images.binary_search(&h.offset).is_err())
        .map(|h| h.offset)
        .collect();
    let views: Vec<Option<Database<'_>>> = db_offsets
        .iter()
        .enumerate()
        .map(|(i, &off)| {
            let db = Database::new(tail(off), off)?;
            let len = match db.header.size_is_trustworthy() {
                true => db_extent(&db, tail(off)),
                false => db_extent(&db, upto(off, db_offsets.get(i + 1).copied())),
            };
            Database::new(tail(off).get(..len)?, off)
        })
        .collect();
    let pairing = pair_wals(data, &views, &db_offsets, &wals);
    let journal_pairing = pair_journals(data, &views, &db_offsets, &journals);
    for (ji, di) in journal_pairing.iter().enumerate() {
        if let Some(j) = journals.get_mut(ji) {
            j.database_offset = di.and_then(|i| db_offsets.get(i).copied());
        }
    }
    let mut wals = wals;
    for (wi, di) in pairing.iter().enumerate() {
        if let Some(w) = wals.get_mut(wi) {
            w.database_offset = di.and_then(|i| db_offsets.get(i).copied());
        }
    }
    let databases: Vec<DbFinding> = views
        .into_par_iter()
        .enumerate()
        .filter_map(|(di, view)| {
            let mut db = view?;
            let offset = db.base_offset();
            let length = (db.page_count() as u64) * db.page_size() as u64;
            let size_from_header = db.header.size_is_trustworthy();
            let fits = !size_from_header || db.page_count() >= db.header.page_count;
            let wal_index = pairing.iter().position(|d| *d == Some(di));
            if let Some(w) = wal_index.and_then(|wi| wals.get(wi)) {
                replay_wal(&mut db, data, w);
            }
            let id = artifact_id("sqlite_db", input, offset);
            let wal_id = wal_index.and_then(|wi| wals.get(wi)).map(|w| w.id.as_str());
            let artifacts = Artifacts { database: &id, wal: wal_id };
            let (schema_rows, schema_problems) = schema::read_schema(&db);
            let tables = schema::tables(&schema_rows);
            let mut problems = schema_problems.len() as u64;
            let mut records = Vec::new();
            let mut table_stats = BTreeMap::new();
            let mut seen = crate::sqlite::btree::PageSet::new();
            // The schema's own pages are the database's too.
            let _ = db.walk_table_claiming(1, &mut seen, |_| {});
            let mut reads = Vec::with_capacity(tables.len());
            for t in &tables {
                let read = read_table(&db, t, input, artifacts, &mut seen, keep(t), &mut records);
                problems += read.stats.problems;
                table_stats.insert(t.name.clone(), read.stats);
                reads.push(read);
            }
            if !fits || problems > 0 {
                drop_foreign_pages(&mut reads, &mut records, &mut seen, &mut table_stats, &tables);
            }
            let mut carve_tables = Vec::new();
            for (t, read) in tables.iter().zip(reads) {
                if let Some(mut template) = keep(t).then(|| Template::of(t)).flatten() {
                    template.learn(records.iter().filter(|r| *r.table == *t.name));
                    carve_tables.push(TableLeaves { template, leaves: read.leaves });
                }
            }
            let mut deleted = Vec::new();
            let mut claimed: Vec<u32> = in_page::freelist(&db).iter().map(|f| f.0).collect();
            in_page::carve_database(&db, &carve_tables, input, artifacts, &mut seen, &mut deleted);
            records.append(&mut deleted);
            if let Some(w) = wal_index.and_then(|wi| wals.get(wi)) {
                let wal_bytes = usize::try_from(w.offset).ok().and_then(|o| data.get(o..)).unwrap_or(&[]);
                super::wal_frame::recover(&db, w, wal_bytes, &carve_tables, input, artifacts, &records, &mut deleted);
            }
            records.append(&mut deleted);
            for (_, j) in journals.iter().enumerate().filter(|(ji, _)| journal_pairing.get(*ji) == Some(&Some(di))) {
                let buf = usize::try_from(j.offset).ok().and_then(|o| data.get(o..)).unwrap_or(&[]);
                let images = super::journal_page::images(j, buf);
                super::wal_frame::older_image_records(
                    &db,
                    &images,
                    &carve_tables,
                    input,
                    artifacts,
                    &records,
                    &mut deleted,
                );
            }
            records.append(&mut deleted);
            claimed.extend(seen.iter().copied());
            claimed.push(1);
            claimed.sort_unstable();
            claimed.dedup();
            let mut records = super::sightings::fold(records);
            super::generation::classify(&mut records);
            Some(DbFinding {
                id,
                offset,
                length,
                header: db.header,
                size_from_header,
                intact: fits && problems == 0,
                schema: schema_rows,
                tables,
                table_stats,
                problems,
                wal_offset: wal_index.and_then(|wi| wals.get(wi)).map(|w| w.offset),
                records,
                claimed,
            })
        })
        .collect();
    Containers { databases, wals, journals }
}

/// Follows the first records of journals without their header (hits of kind
/// [`HitKind::JournalRecords`]), in offset order. A hit inside a journal already followed (one
/// with its header and records, `with_header`, or an earlier one without) is one of its
/// records, not a journal of its own; skipping those keeps the work linear in the input. A
/// header whose records did not hold does not hide a hit: with a sector larger than the page,
/// SQLite writes the header once per page-sized slice of the sector, and PERSIST zeroes only
/// the first copy, so the others announce records at the wrong place.
fn headerless_journals(data: &[u8], input: usize, hits: &[Hit], with_header: &[JournalFinding]) -> Vec<JournalFinding> {
    let mut out: Vec<JournalFinding> = Vec::new();
    let mut scratch = Vec::new();
    let inside = |found: &[JournalFinding], off: u64| {
        let i = found.partition_point(|j| j.offset + j.journal.length as u64 <= off);
        found.get(i).is_some_and(|j| j.offset <= off && !j.journal.records.is_empty())
    };
    for h in hits.iter().filter(|h| h.kind == HitKind::JournalRecords) {
        if inside(with_header, h.offset) || out.last().is_some_and(|j| h.offset < j.offset + j.journal.length as u64) {
            continue;
        }
        let Ok(at) = usize::try_from(h.offset) else { continue };
        let Some(found) = crate::scan::detect::journal::detect(data, at, &mut scratch) else { continue };
        let Some(buf) = data.get(found.start..) else { continue };
        let Some(journal) =
            journal::parse_headerless(buf, found.first_record, found.page_size, MAX_PAGE_NUMBER, found.header_state)
        else {
            continue;
        };
        let offset = found.start as u64;
        out.push(JournalFinding { id: artifact_id("journal", input, offset), offset, journal, database_offset: None });
    }
    out
}

/// Length in bytes of the database at the start of `bytes`: page count × page size when the
/// header's size is trustworthy (clamped to what the input holds), else as far as valid
/// b-tree pages go (the file ends after [`MAX_MISSES_AT_END`] pages in a row fail).
fn db_extent(db: &Database<'_>, bytes: &[u8]) -> usize {
    let page_size = db.page_size();
    if db.header.size_is_trustworthy() {
        return (db.header.page_count as usize).saturating_mul(page_size).min(bytes.len() / page_size * page_size);
    }
    let usable = db.usable_size();
    let mut scratch = Vec::new();
    let mut last_valid = 1usize;
    let mut misses = 0;
    let mut n = 2usize;
    while let Some(page) = bytes.get((n - 1) * page_size..n * page_size) {
        let valid = BtreePage::parse(page, 0, usable).is_ok_and(|p| p.validate(&mut scratch).is_ok());
        if valid {
            last_valid = n;
            misses = 0;
        } else {
            misses += 1;
            if misses > MAX_MISSES_AT_END {
                break;
            }
        }
        n += 1;
    }
    last_valid * page_size
}

/// Lays the current frames of `w` over `db`, in log order, and takes the page count of the
/// last commit.
fn replay_wal<'a>(db: &mut Database<'a>, data: &'a [u8], w: &WalFinding) {
    let Some(buf) = usize::try_from(w.offset).ok().and_then(|o| data.get(o..)) else {
        return;
    };
    for image in w.wal.frames.iter().filter(|f| f.current).filter_map(|f| super::wal_frame::frame_image(w, buf, f)) {
        db.overlay_page(image.pgno, image.img, image.origin);
    }
    if let Some(n) = w.wal.committed_page_count() {
        db.set_page_count(n);
    }
}

/// A WAL or a journal as pairing sees it: its offset, its page size, and the `(page number,
/// page image)` pairs it holds.
type ImageSet<'a> = (u64, usize, Vec<(u32, &'a [u8])>);

/// Chooses for each WAL the database it belongs to (see [`pair_by_images`]), by its current
/// frames.
fn pair_wals(data: &[u8], dbs: &[Option<Database<'_>>], db_offsets: &[u64], wals: &[WalFinding]) -> Vec<Option<usize>> {
    let items: Vec<ImageSet<'_>> = wals
        .iter()
        .map(|w| {
            let buf = usize::try_from(w.offset).ok().and_then(|o| data.get(o..)).unwrap_or(&[]);
            let images = w
                .wal
                .frames
                .iter()
                .filter(|f| f.current)
                .filter_map(|f| Some((f.page_number, w.wal.page_image(buf, f)?)))
                .collect();
            (w.offset, w.wal.header.page_size as usize, images)
        })
        .collect();
    pair_by_images(dbs, db_offsets, &items)
}

/// Chooses for each journal the database it belongs to (see [`pair_by_images`]), by its
/// page records.
fn pair_journals(
    data: &[u8],
    dbs: &[Option<Database<'_>>],
    db_offsets: &[u64],
    journals: &[JournalFinding],
) -> Vec<Option<usize>> {
    let items: Vec<ImageSet<'_>> = journals
        .iter()
        .map(|j| {
            let buf = usize::try_from(j.offset).ok().and_then(|o| data.get(o..)).unwrap_or(&[]);
            let images =
                j.journal.records.iter().filter_map(|r| Some((r.page_number, j.journal.page_image(buf, r)?))).collect();
            (j.offset, j.journal.header.page_size as usize, images)
        })
        .collect();
    pair_by_images(dbs, db_offsets, &items)
}

/// Chooses for each item (a WAL or a journal: its offset, page size and `(page number, image)`
/// pairs) the database it belongs to: same page size, and the most images whose page has the
/// same b-tree type byte in the database (page 1 counts more when its header fields agree).
/// Ties go to the nearest database before the item. Each database takes at most one item (the
/// best scoring). Only the databases nearest an item are candidates, which bounds the work on
/// images holding thousands of both.
fn pair_by_images(dbs: &[Option<Database<'_>>], db_offsets: &[u64], items: &[ImageSet<'_>]) -> Vec<Option<usize>> {
    let mut best_for_db: BTreeMap<usize, (u64, usize)> = BTreeMap::new();
    for (ii, (item_offset, page_size, images)) in items.iter().enumerate() {
        let mut best: Option<(u64, usize)> = None;
        let at = db_offsets.partition_point(|&o| o < *item_offset);
        let lo = at.saturating_sub(PAIRING_CANDIDATES / 2);
        for (di, db) in dbs.iter().enumerate().skip(lo).take(PAIRING_CANDIDATES) {
            let Some(db) = db else { continue };
            if db.page_size() != *page_size {
                continue;
            }
            let mut score = 0u64;
            for &(pgno, img) in images {
                if pgno == 1 {
                    if let Ok(h) = DbHeader::parse(img) {
                        if h.application_id == db.header.application_id && h.page_size == db.header.page_size {
                            score += 4;
                        }
                    }
                    continue;
                }
                if let Some((mine, _)) = db.main_page(pgno) {
                    if mine.first().is_some_and(|b| Some(b) == img.first() && matches!(b, 2 | 5 | 10 | 13)) {
                        score += 1;
                    }
                }
            }
            let closer = |a: usize| db_distance(db_offsets, a, *item_offset);
            if score > 0 && best.is_none_or(|(s, d)| score > s || (score == s && closer(di) < closer(d))) {
                best = Some((score, di));
            }
        }
        if let Some((score, di)) = best {
            if best_for_db.get(&di).is_none_or(|&(s, _)| score > s) {
                best_for_db.insert(di, (score, ii));
            }
        }
    }
    let mut out = vec![None; items.len()];
    for (di, (_, ii)) in best_for_db {
        if let Some(slot) = out.get_mut(ii) {
            *slot = Some(di);
        }
    }
    out
}

/// Distance from database `i` to a WAL at `wal_offset`; databases before the WAL come first.
fn db_distance(db_offsets: &[u64], i: usize, wal_offset: u64) -> (bool, u64) {
    let off = db_offsets.get(i).copied().unwrap_or(u64::MAX);
    (off > wal_offset, off.abs_diff(wal_offset))
}
