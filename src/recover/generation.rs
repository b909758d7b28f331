//! Which incarnation of a table a carved row belongs to. A table dropped and created again
//! with the same schema leaves its old leaves on the freelist, intact, with rowids that the new
//! table uses again for other rows; those rows are the old table's, not deleted rows of the new
//! one. And a row whose rowid a live row of the same table still holds, with other values, is
//! an older version of that row (`superseded`), not a deletion.
//!
//! A freelist page is the old table's when it holds no copy of a live row and at least two of
//! its intact cells reuse a live rowid with other values. A page the current table freed when
//! it rebalanced held only live rows then, copied to its siblings: it keeps copies of them
//! unless every one was changed or deleted since. Once a table shows such a page, its other freelist pages without any live copy are
//! the old table's too: they are leaves of the same dropped b-tree whose rowids the new table
//! has not reached yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{EvidenceSource, RecordStatus, RecoveredRecord};

/// Marks the rows of dropped tables and the older versions of live rows among `records` (one
/// database's, folded: see [`super::sightings`]).
pub fn classify(records: &mut [RecoveredRecord]) {
    let mut live: HashMap<(&str, i64), super::ContentKey> = HashMap::new();
    // Freelist pages that hold a copy of a live row: the copy was folded into the live row.
    let mut with_live_copy: BTreeSet<(String, u32)> = BTreeSet::new();
    for r in records.iter().filter(|r| r.status == RecordStatus::Live) {
        if let Some(id) = r.rowid {
            live.insert((&r.table, id), r.content_key());
        }
        for e in r.also_seen.iter().filter(|e| e.source == EvidenceSource::FreelistPage) {
            if let Some(p) = e.page_number {
                with_live_copy.insert((r.table.to_string(), p));
            }
        }
    }
    // Per (table, freelist page): the cells that reuse a live rowid with other values.
    let mut pages: BTreeMap<(String, u32), usize> = BTreeMap::new();
    let mut reuses = vec![false; records.len()];
    for (i, r) in records.iter().enumerate().filter(|(_, r)| r.status != RecordStatus::Live) {
        let Some(id) = r.rowid else { continue };
        let reused = live.get(&(&*r.table, id)).is_some_and(|k| *k != r.content_key());
        if let Some(flag) = reuses.get_mut(i) {
            *flag = reused;
        }
        if let (EvidenceSource::FreelistPage, Some(p)) = (r.evidence.source, r.evidence.page_number) {
            *pages.entry((r.table.to_string(), p)).or_default() += usize::from(reused);
        }
    }
    let old_page = |key: &(String, u32), &reused: &usize| !with_live_copy.contains(key) && reused >= 2;
    let dropped: BTreeSet<&str> = pages.iter().filter(|(k, v)| old_page(k, v)).map(|((t, _), _)| t.as_str()).collect();
    let old_pages: BTreeSet<(String, u32)> =
        pages.keys().filter(|k| dropped.contains(k.0.as_str()) && !with_live_copy.contains(*k)).cloned().collect();
    let dropped: BTreeSet<String> = dropped.into_iter().map(str::to_owned).collect();
    for (r, reused) in records.iter_mut().zip(reuses) {
        if r.status == RecordStatus::Live {
            continue;
        }
        let on_old_page = match (r.evidence.source, r.evidence.page_number) {
            (EvidenceSource::FreelistPage, Some(p)) => {
                dropped.contains(&*r.table) && old_pages.contains(&(r.table.to_string(), p))
            }
            _ => false,
        };
        if on_old_page {
            r.dropped_table = true;
            r.status = RecordStatus::Deleted;
            let note = format!("row of an earlier table `{}`, dropped and created again", r.table);
            r.evidence.detail = Some(match r.evidence.detail.take() {
                Some(d) => format!("{d}; {note}"),
                None => note,
            });
        } else if reused {
            r.status = RecordStatus::Superseded;
        }
    }
}
