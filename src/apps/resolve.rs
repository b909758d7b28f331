//! Resolving the ids a message names (its chat, its sender) through rows of other tables that
//! survive, live or deleted, without ever answering with another database's row.
//!
//! A live row answers for its id. Without one, the recovered rows of that id answer when they
//! agree; when they disagree (two versions of a row), or when the records come from several
//! databases (`mixed`), only the rows from the asking record's own artifact (its
//! database, or its run of orphan pages, or runs linked to it) may answer, and only when they
//! agree: a chat left unknown is better than a wrong one.

use std::collections::{BTreeMap, BTreeSet};

use crate::recover::{RecordStatus, RecoveredRecord};

/// A key or a value of a row: ids are integers, JIDs and addresses texts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl Key {
    /// The integer, if this is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Key::Int(v) => Some(*v),
            Key::Text(_) => None,
        }
    }

    /// The text form (integers written in decimal).
    pub fn text(&self) -> String {
        match self {
            Key::Int(v) => v.to_string(),
            Key::Text(s) => s.clone(),
        }
    }
}

/// Different recovered rows kept per id (a crafted input may hold any number).
pub const MAX_VERSIONS: usize = 64;

/// Rows of one table by id, to resolve the ids a message names.
pub struct Resolver<V> {
    live: BTreeMap<Key, V>,
    recovered: BTreeMap<Key, Vec<(String, V)>>,
    /// Ids with more than [`MAX_VERSIONS`] different recovered rows: none answers for them.
    crowded: BTreeSet<Key>,
}

impl<V> Default for Resolver<V> {
    fn default() -> Self {
        Resolver { live: BTreeMap::new(), recovered: BTreeMap::new(), crowded: BTreeSet::new() }
    }
}

impl<V: Clone + PartialEq> Resolver<V> {
    /// Adds the row `r` of id `id`, giving `v`. Add live rows first: the first live row of an
    /// id answers for it.
    pub fn add(&mut self, id: Key, r: &RecoveredRecord, v: V) {
        if r.status == RecordStatus::Live {
            self.live.entry(id).or_insert(v);
        } else {
            if self.crowded.contains(&id) {
                return;
            }
            let rows = self.recovered.entry(id.clone()).or_default();
            // A row seen in several places answers in each (the same row in two files).
            for artifact in r.all_evidence().map(|e| &e.artifact) {
                if !rows.iter().any(|(a, x)| a == artifact && *x == v) {
                    if rows.len() >= MAX_VERSIONS {
                        self.recovered.remove(&id);
                        self.crowded.insert(id);
                        return;
                    }
                    rows.push((artifact.clone(), v.clone()));
                }
            }
        }
    }

    /// The row of `id` as seen from the record `asking`, if one can answer. `clusters` are the
    /// artifacts known to come from one database; `mixed`: the records come from several
    /// databases, so recovered rows answer only within the asking record's cluster.
    pub fn get(&self, id: &Key, asking: &RecoveredRecord, clusters: &Clusters, mixed: bool) -> Option<&V> {
        if let Some(v) = self.live.get(id) {
            return Some(v);
        }
        let rows = self.recovered.get(id)?;
        let own = || agreed(rows.iter().filter(|(a, _)| clusters.same(a, &asking.evidence.artifact)).map(|(_, v)| v));
        if mixed {
            return own();
        }
        agreed(rows.iter().map(|(_, v)| v)).or_else(own)
    }

    /// Whether two recovered rows of one id hold different values.
    pub fn disagrees(&self) -> bool {
        self.recovered.values().any(|rows| agreed(rows.iter().map(|(_, v)| v)).is_none())
    }
}

/// The value every item holds, if they all agree (and there is one).
fn agreed<'a, V: PartialEq + 'a>(mut values: impl Iterator<Item = &'a V>) -> Option<&'a V> {
    let first = values.next()?;
    values.all(|v| v == first).then_some(first)
}

/// Artifacts grouped into the databases they come from: connected components of the links.
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    component: BTreeMap<String, usize>,
}

impl Clusters {
    /// The components of `links`.
    pub fn of(links: &[(String, String)]) -> Self {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (a, b) in links {
            for x in [a, b] {
                let n = index.len();
                index.entry(x.as_str()).or_insert(n);
            }
        }
        // Union-find with path halving and union by index: near-linear in the links.
        let mut parent: Vec<usize> = (0..index.len()).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while let Some(&p) = parent.get(x).filter(|&&p| p != x) {
                let grand = parent.get(p).copied().unwrap_or(p);
                if let Some(slot) = parent.get_mut(x) {
                    *slot = grand;
                }
                x = p;
            }
            x
        }
        for (a, b) in links {
            let (Some(&ia), Some(&ib)) = (index.get(a.as_str()), index.get(b.as_str())) else { continue };
            let (ra, rb) = (find(&mut parent, ia), find(&mut parent, ib));
            if let Some(slot) = parent.get_mut(ra.max(rb)) {
                *slot = ra.min(rb);
            }
        }
        let component = index.iter().map(|(&k, &i)| (k.to_owned(), find(&mut parent, i))).collect();
        Clusters { component }
    }

    /// Whether artifacts `a` and `b` come from one database.
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b || matches!((self.component.get(a), self.component.get(b)), (Some(x), Some(y)) if x == y)
    }
}
