//! One record seen in several places is one record: a deleted row in a freeblock and in an
//! older WAL frame, a live row copied by b-tree rebalancing onto a freed page, a row in a
//! journal page image equal to the live one. Sightings fold into the first one, which gains
//! their evidence; a live sighting comes first, so copies of live rows never read as deleted.
//!
//! Two sightings are of the same row when their table and every value other than the rowid
//! alias are equal and their rowids agree (equal, or unknown on one side: a freeblock
//! overwrites the rowid of the cell it frees). Records of one row that differ are versions,
//! kept apart.

use std::collections::HashMap;

use super::{FieldValue, RecoveredRecord};

/// Folds `records` (in the order they were found) into one record per row, keeping the order
/// of first sightings. Linear in the number of records, apart from rows whose content repeats
/// under different rowids.
pub fn fold(records: Vec<RecoveredRecord>) -> Vec<RecoveredRecord> {
    let mut out: Vec<RecoveredRecord> = Vec::with_capacity(records.len());
    let mut by_content: HashMap<String, Vec<usize>> = HashMap::new();
    for r in records {
        let key = r.content_key();
        let slots = by_content.entry(key).or_default();
        let same = slots.iter().copied().find(|&i| out.get(i).is_some_and(|o| rowids_agree(o.rowid, r.rowid)));
        match same.and_then(|i| out.get_mut(i)) {
            Some(first) => attach(first, r),
            None => {
                slots.push(out.len());
                out.push(r);
            }
        }
    }
    out
}

/// Whether rowid `a` of one sighting and `b` of another can be the same row's.
pub fn rowids_agree(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Adds what sighting `r` tells to `first`: its evidence (once), the rowid if `first` lost it,
/// and whole values where `first` was truncated.
fn attach(first: &mut RecoveredRecord, r: RecoveredRecord) {
    if first.rowid.is_none() {
        if let Some(id) = r.rowid {
            first.rowid = Some(id);
            if let Some(v) = first.rowid_alias.and_then(|i| first.values.get_mut(i)) {
                *v = FieldValue::Integer(id);
            }
        }
    }
    first.truncated &= r.truncated;
    for e in std::iter::once(r.evidence).chain(r.also_seen) {
        if !first.all_evidence().any(|x| x.source == e.source && x.offset == e.offset) {
            first.also_seen.push(e);
        }
    }
}
