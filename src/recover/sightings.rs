//! One record seen in several places is one record: a deleted row in a freeblock and in an
//! older WAL frame, a live row copied by b-tree rebalancing onto a freed page, a row in a
//! journal page image equal to the live one. Sightings fold into the first one, which gains
//! their evidence; a live sighting comes first, so copies of live rows never read as deleted.
//!
//! Two sightings are of the same row when their table and every value other than the rowid
//! alias are equal and their rowids agree (equal, or unknown on one side: a freeblock
//! overwrites the rowid of the cell it frees). Records of one row that differ are versions,
//! kept apart. A truncated sighting (its overflow chain cut) with the rowid of a whole record
//! whose values it begins is a partial copy of that record, and folds into it too.

use std::collections::HashMap;

use super::{FieldValue, RecoveredRecord};

/// Folds `records` (in the order they were found) into one record per row, keeping the order
/// of first sightings: each folds into the first record of its content whose rowid agrees.
/// Linear in the number of records.
pub fn fold(records: Vec<RecoveredRecord>) -> Vec<RecoveredRecord> {
    let mut out: Vec<RecoveredRecord> = Vec::with_capacity(records.len());
    let mut by_content: HashMap<super::ContentKey, Slots> = HashMap::new();
    for r in records {
        let slots = by_content.entry(r.content_key()).or_default();
        let same = match r.rowid {
            None => slots.first,
            Some(id) => {
                let unknown = slots.first_unknown(&out);
                match (slots.by_rowid.get(&id).copied(), unknown) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        };
        match same.and_then(|i| out.get_mut(i).map(|o| (i, o))) {
            Some((i, first)) => {
                attach(first, r);
                if let Some(id) = first.rowid {
                    slots.by_rowid.entry(id).or_insert(i);
                }
            }
            None => {
                let i = out.len();
                slots.first.get_or_insert(i);
                match r.rowid {
                    Some(id) => {
                        slots.by_rowid.insert(id, i);
                    }
                    None => slots.unknown.push(i),
                }
                out.push(r);
            }
        }
    }
    fold_partial_copies(out)
}

/// The records of one content found so far: the first, by rowid, and those whose rowid is
/// unknown (in order; one may learn its rowid from a later sighting).
#[derive(Default)]
struct Slots {
    first: Option<usize>,
    by_rowid: HashMap<i64, usize>,
    unknown: Vec<usize>,
    /// How many of `unknown` are known to have learnt their rowid.
    resolved: usize,
}

impl Slots {
    /// The first record of this content whose rowid is still unknown.
    fn first_unknown(&mut self, out: &[RecoveredRecord]) -> Option<usize> {
        while let Some(&i) = self.unknown.get(self.resolved) {
            if out.get(i).is_some_and(|r| r.rowid.is_none()) {
                return Some(i);
            }
            self.resolved += 1;
        }
        None
    }
}

/// Folds each truncated record into the whole record of the same table whose values it begins
/// and whose rowid agrees: first those with its rowid, then those whose rowid was lost, as far
/// as [`PARTIAL_BUDGET`] comparisons go.
fn fold_partial_copies(records: Vec<RecoveredRecord>) -> Vec<RecoveredRecord> {
    let mut whole: HashMap<(&str, Option<i64>), Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate().filter(|(_, r)| !r.truncated) {
        whole.entry((&r.table, r.rowid)).or_default().push(i);
    }
    let mut budget = PARTIAL_BUDGET;
    let mut into: Vec<Option<usize>> = vec![None; records.len()];
    for (i, r) in records.iter().enumerate().filter(|(_, r)| r.truncated) {
        if budget == 0 {
            break; // no comparison is left: the rest would walk their candidates for nothing
        }
        let by_rowid = r.rowid.and_then(|id| whole.get(&(&*r.table, Some(id))));
        let rowid_lost = whole.get(&(&*r.table, None));
        let target = by_rowid.into_iter().chain(rowid_lost).flatten().copied().find(|&j| {
            budget = budget.saturating_sub(1);
            budget > 0 && records.get(j).is_some_and(|w| begins(r, w))
        });
        if let Some(slot) = into.get_mut(i) {
            *slot = target;
        }
    }
    if into.iter().all(Option::is_none) {
        return records;
    }
    let mut out: Vec<Option<RecoveredRecord>> = records.into_iter().map(Some).collect();
    for (i, target) in into.iter().enumerate() {
        let Some(t) = *target else { continue };
        let Some(part) = out.get_mut(i).and_then(Option::take) else { continue };
        if let Some(Some(w)) = out.get_mut(t) {
            if w.rowid.is_none() {
                w.rowid = part.rowid;
                if let (Some(a), Some(id)) = (w.rowid_alias, part.rowid) {
                    if let Some(v) = w.values.get_mut(a) {
                        *v = FieldValue::Integer(id);
                    }
                }
            }
            for e in std::iter::once(part.evidence).chain(part.also_seen) {
                if !w.all_evidence().any(|x| x.source == e.source && x.offset == e.offset) {
                    w.also_seen.push(e);
                }
            }
        }
    }
    out.into_iter().flatten().collect()
}

/// Comparisons of truncated records with whole ones, per database.
const PARTIAL_BUDGET: usize = 1 << 20;

/// Whether the values of a truncated record begin those of a whole one: equal column by
/// column, except the rowid alias (compared as rowids), the cut column (a prefix) and the
/// columns lost after it (NULL).
fn begins(part: &RecoveredRecord, whole: &RecoveredRecord) -> bool {
    part.values.len() == whole.values.len()
        && part.values.iter().zip(&whole.values).enumerate().all(|(i, (p, w))| match (p, w) {
            _ if Some(i) == part.rowid_alias => rowids_agree(part.rowid, whole.rowid),
            (FieldValue::Null, _) => true,
            (FieldValue::Text(a), FieldValue::Text(b)) => b.starts_with(a.as_str()),
            (FieldValue::TextBytes(a) | FieldValue::Blob(a), FieldValue::TextBytes(b) | FieldValue::Blob(b)) => {
                b.starts_with(a)
            }
            _ => p == w,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recover::{Evidence, EvidenceSource, RecordStatus};
    use std::sync::Arc;

    fn rec(rowid: Option<i64>, body: &str, source: EvidenceSource, offset: u64) -> RecoveredRecord {
        RecoveredRecord {
            table: Arc::from("t"),
            columns: Arc::from(vec!["id".to_owned(), "body".to_owned()]),
            rowid,
            values: vec![rowid.map_or(FieldValue::Null, FieldValue::Integer), FieldValue::Text(body.to_owned())],
            truncated: false,
            cut_from: None,
            status: if source == EvidenceSource::LiveRecord { RecordStatus::Live } else { RecordStatus::Deleted },
            evidence: Evidence {
                source,
                input: 0,
                offset,
                length: 10,
                artifact: "db".to_owned(),
                page_number: Some(2),
                detail: None,
                rebuilt_header_bytes: 0,
            },
            also_seen: Vec::new(),
            rowid_alias: Some(0),
            dropped_table: false,
        }
    }

    #[test]
    fn a_copy_that_lost_its_rowid_folds_into_its_row_and_rows_of_equal_content_stay_apart() {
        let out = fold(vec![
            rec(Some(1), "a", EvidenceSource::LiveRecord, 0),
            rec(Some(2), "a", EvidenceSource::LiveRecord, 100),
            rec(None, "a", EvidenceSource::Freeblock, 200),
            rec(Some(3), "b", EvidenceSource::FreelistPage, 300),
            rec(None, "b", EvidenceSource::Freeblock, 400),
            rec(Some(2), "a", EvidenceSource::WalFrame, 500),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].also_seen.len(), 1, "the rowid-less copy joins the first row of its content");
        assert_eq!(out[1].also_seen.len(), 1, "the WAL copy of row 2 joins row 2");
        assert_eq!(out[2].rowid, Some(3));
        assert_eq!(out[2].also_seen.len(), 1);
    }

    #[test]
    fn a_rowid_learnt_from_a_later_sighting_is_kept() {
        let out = fold(vec![
            rec(None, "x", EvidenceSource::Freeblock, 0),
            rec(Some(7), "x", EvidenceSource::WalFrame, 100),
            rec(Some(8), "x", EvidenceSource::WalFrame, 200),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].rowid, Some(7));
        assert_eq!(out[0].values[0], FieldValue::Integer(7));
        assert_eq!(out[1].rowid, Some(8));
    }

    #[test]
    fn many_rows_of_one_content_fold_in_linear_time() {
        // 100 000 rows that differ only by rowid: a quadratic fold would not finish.
        let records: Vec<RecoveredRecord> =
            (0..100_000).map(|i| rec(Some(i), "same", EvidenceSource::LiveRecord, i as u64)).collect();
        let out = fold(records);
        assert_eq!(out.len(), 100_000);
    }
}
