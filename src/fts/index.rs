//! Documents of FTS3/FTS4 tables rebuilt from the recovered records of their shadow tables.
//!
//! [`from_records`] takes every record of a database (or of orphan pages), live or deleted,
//! keeps those of tables named `<fts>_segdir` (column `root`) and `<fts>_segments` (column
//! `block`), decodes each blob as a [node](super::node), and gathers per FTS table (`<fts>`, e.g.
//! `message_ftsv2`) the words of every docid: `(column, position, term)`, sorted and without
//! duplicates (one document is in several segments until they are merged, and one segment may
//! be seen in several places: live page, WAL frame, journal). Deletion markers (entries with no
//! position) are kept apart, with the term they were found under: the words a deleted document
//! held, even when its positions were merged away.
//!
//! The words alone do not say which version of a document they belong to: a docid whose text
//! changed has its old words in an older segment and its new ones in a newer one, and both
//! appear here at their positions (see [`FtsDocument::column_text`]).
//!
//! Output is deterministic: tables by name, documents by docid, words by (column, position,
//! term), nodes in the order of the records given. Memory is bounded by the caps below.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::node::{Node, NodeKind, Stop};
use crate::recover::{Evidence, FieldValue, RecordStatus, RecoveredRecord};

/// Most words kept per FTS table (after deduplication); past it, words are dropped and the
/// table is flagged [`FtsTable::capped`]. About 24 bytes each.
pub const MAX_WORDS_PER_TABLE: usize = 1 << 24;
/// Most words kept per document; past it, the document is flagged [`FtsDocument::capped`].
pub const MAX_WORDS_PER_DOCUMENT: usize = 1 << 16;
/// Most documents kept per FTS table; past it, new docids are dropped and the table flagged.
pub const MAX_DOCUMENTS_PER_TABLE: usize = 1 << 22;
/// Longest term kept, in bytes; longer terms are counted in [`FtsTable::long_terms`] and
/// dropped (no real token is that long; a corrupt node can rebuild one that is).
pub const MAX_TERM_LEN: usize = 1024;

/// Which shadow table a node was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shadow {
    /// `<fts>_segdir.root`: the root node of a segment (the whole segment when it is small).
    Segdir,
    /// `<fts>_segments.block`: a leaf or interior node below a root.
    Segments,
}

/// One blob decoded as a node, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSource {
    /// Index of the record in the slice given to [`from_records`].
    pub record: usize,
    /// Which shadow table.
    pub shadow: Shadow,
    /// `blockid` of a `_segments` row (its rowid), when known.
    pub blockid: Option<i64>,
    /// `level` and `idx` of a `_segdir` row, when known.
    pub level_idx: Option<(i64, i64)>,
    /// Live, deleted or superseded record.
    pub status: RecordStatus,
    /// Where the record's bytes are.
    pub evidence: Evidence,
    /// Leaf or interior; `None` when the blob is not a node (empty, bad header).
    pub kind: Option<NodeKind>,
    /// Terms decoded.
    pub terms: usize,
    /// Why decoding ended, and where in the blob.
    pub stop: Stop,
    /// Position in the blob where decoding ended (the first entry not wholly decoded).
    pub stop_pos: usize,
    /// True when a doclist of the node ended early (truncated, invalid or capped).
    pub doclist_damaged: bool,
}

/// A term at a position of a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Word {
    /// Column index in the FTS table's declaration (the app profile of its content table says
    /// which holds what: `c0content`, `c1fts_jid`).
    pub column: u32,
    /// Token number within the column, from 0.
    pub position: u32,
    /// The token as the tokenizer wrote it (the simple tokenizer lower-cases ASCII).
    pub term: Arc<[u8]>,
}

impl Word {
    /// The term as text, when it is valid UTF-8.
    pub fn term_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.term).ok()
    }
}

/// What the FTS index holds about one docid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FtsDocument {
    /// The docid (WhatsApp: `message._id`).
    pub docid: i64,
    /// Its words, sorted by (column, position, term), without duplicates.
    pub words: Vec<Word>,
    /// Terms under which a deletion marker for this docid was found, sorted: the document was
    /// deleted, or its text changed and no longer holds them.
    pub deleted_terms: Vec<Arc<[u8]>>,
    /// Indices into [`FtsTable::nodes`] of the nodes its words came from, ascending.
    pub word_nodes: Vec<usize>,
    /// Indices into [`FtsTable::nodes`] of the nodes holding its deletion markers, ascending.
    pub marker_nodes: Vec<usize>,
    /// True when [`MAX_WORDS_PER_DOCUMENT`] words were kept and more were dropped.
    pub capped: bool,
}

impl FtsDocument {
    /// True when a deletion marker for this docid was seen.
    pub fn has_deletion_marker(&self) -> bool {
        !self.deleted_terms.is_empty()
    }

    /// The columns that have words, ascending.
    pub fn columns(&self) -> Vec<u32> {
        let mut c: Vec<u32> = self.words.iter().map(|w| w.column).collect();
        c.dedup();
        c
    }

    /// The words of `column` as text: see [`column_text`].
    pub fn column_text(&self, column: u32) -> String {
        column_text(&self.words, column)
    }
}

/// Everything decoded for one FTS table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FtsTable {
    /// The FTS table's name: the shadow tables' name without `_segdir`/`_segments`.
    pub name: String,
    /// Every blob decoded, in the order of the records given.
    pub nodes: Vec<NodeSource>,
    /// Documents by ascending docid.
    pub documents: Vec<FtsDocument>,
    /// Separator terms of interior nodes (prefixes of words, no docids), sorted, unique.
    pub interior_terms: Vec<Arc<[u8]>>,
    /// Terms longer than [`MAX_TERM_LEN`] that were dropped.
    pub long_terms: usize,
    /// True when a cap of this module dropped words or documents.
    pub capped: bool,
}

impl FtsTable {
    /// The document with `docid`, if any.
    pub fn document(&self, docid: i64) -> Option<&FtsDocument> {
        self.documents.binary_search_by_key(&docid, |d| d.docid).ok().and_then(|i| self.documents.get(i))
    }
}

/// The words of `column` as text: the terms in position order separated by single spaces, `…`
/// standing for each run of missing positions (before the first word too, when position 0 is
/// missing). Several terms at one position (two versions of the document, or damage) are joined
/// by `|`, which no token of the simple or unicode61 tokenizer contains. Terms that are not
/// valid UTF-8 are rendered with U+FFFD. `words` must be sorted as [`FtsDocument::words`] is.
pub fn column_text(words: &[Word], column: u32) -> String {
    let mut out = String::new();
    let mut last: Option<u32> = None;
    for w in words.iter().filter(|w| w.column == column) {
        let term = String::from_utf8_lossy(&w.term);
        match last {
            Some(p) if p == w.position => {
                out.push('|');
            }
            Some(p) => {
                out.push(' ');
                if w.position > p.saturating_add(1) {
                    out.push_str("… ");
                }
            }
            None if w.position > 0 => out.push_str("… "),
            None => {}
        }
        out.push_str(&term);
        last = Some(w.position);
    }
    out
}

/// The FTS table a shadow table belongs to, and which shadow it is.
fn shadow_of(table: &str) -> Option<(&str, Shadow, &'static str)> {
    if let Some(name) = table.strip_suffix("_segdir") {
        return (!name.is_empty()).then_some((name, Shadow::Segdir, "root"));
    }
    let name = table.strip_suffix("_segments")?;
    (!name.is_empty()).then_some((name, Shadow::Segments, "block"))
}

#[derive(Default)]
struct DocAcc {
    words: BTreeSet<Word>,
    deleted_terms: BTreeSet<Arc<[u8]>>,
    word_nodes: BTreeSet<usize>,
    marker_nodes: BTreeSet<usize>,
    capped: bool,
}

#[derive(Default)]
struct TableAcc {
    nodes: Vec<NodeSource>,
    docs: BTreeMap<i64, DocAcc>,
    terms: BTreeSet<Arc<[u8]>>,
    interior: BTreeSet<Arc<[u8]>>,
    words: usize,
    long_terms: usize,
    capped: bool,
}

impl TableAcc {
    fn intern(&mut self, term: &[u8]) -> Arc<[u8]> {
        if let Some(t) = self.terms.get(term) {
            return Arc::clone(t);
        }
        let t: Arc<[u8]> = Arc::from(term);
        self.terms.insert(Arc::clone(&t));
        t
    }

    /// The accumulator of `docid`, unless the document cap drops it.
    fn doc(&mut self, docid: i64) -> Option<&mut DocAcc> {
        if !self.docs.contains_key(&docid) && self.docs.len() >= MAX_DOCUMENTS_PER_TABLE {
            self.capped = true;
            return None;
        }
        Some(self.docs.entry(docid).or_default())
    }

    /// Decodes `blob` as a node and adds what it holds; returns the node's description.
    fn add_node(&mut self, blob: &[u8], node_index: usize, mut source: NodeSource) -> NodeSource {
        let Some(node) = Node::parse(blob) else {
            source.stop = Stop::Invalid("not a node header");
            return source;
        };
        source.kind = Some(node.kind());
        let leaf = node.kind() == NodeKind::Leaf;
        let mut terms = node.terms();
        while let Some(entry) = terms.next_term() {
            if entry.term.len() > MAX_TERM_LEN {
                self.long_terms += 1;
                continue;
            }
            let term = self.intern(entry.term);
            if !leaf {
                self.interior.insert(term);
                continue;
            }
            let Some(doclist) = entry.doclist else { continue };
            let mut entries = doclist.entries();
            for e in entries.by_ref() {
                if self.words >= MAX_WORDS_PER_TABLE {
                    self.capped = true;
                    break;
                }
                let marker = e.is_deletion_marker();
                let mut added = 0usize;
                let Some(doc) = self.doc(e.docid) else { continue };
                if marker {
                    doc.deleted_terms.insert(Arc::clone(&term));
                    doc.marker_nodes.insert(node_index);
                    continue;
                }
                for p in e.positions {
                    if doc.words.len() >= MAX_WORDS_PER_DOCUMENT {
                        doc.capped = true;
                        break;
                    }
                    let w = Word { column: p.column, position: p.position, term: Arc::clone(&term) };
                    if doc.words.insert(w) {
                        added += 1;
                    }
                }
                if !e.positions.bytes().is_empty() {
                    doc.word_nodes.insert(node_index);
                }
                self.words += added;
            }
            if entries.stop().is_some_and(|(s, _)| s.is_damaged()) {
                source.doclist_damaged = true;
            }
        }
        source.terms = terms.count();
        if let Some((stop, pos)) = terms.stop() {
            source.stop = stop;
            source.stop_pos = pos;
        }
        source
    }
}

/// Decodes the `root` and `block` blobs of every `*_segdir` and `*_segments` record in `records`
/// (live, deleted or superseded alike) and returns, per FTS table, the documents they hold.
///
/// Tables are sorted by name; see the module docs for the order inside. Records of other
/// tables, and values that are not blobs, are ignored. Time is linear in the blob bytes times
/// at most [`MAX_TERM_LEN`]; memory is bounded by the `MAX_*` caps of this module and of
/// [`super::node`]. Never panics.
pub fn from_records(records: &[RecoveredRecord]) -> Vec<FtsTable> {
    let mut tables: BTreeMap<String, TableAcc> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        let Some((name, shadow, column)) = shadow_of(&r.table) else { continue };
        let Some(FieldValue::Blob(blob)) = r.get(column) else { continue };
        let acc = tables.entry(name.to_owned()).or_default();
        let level_idx = match shadow {
            Shadow::Segdir => {
                r.get("level").and_then(FieldValue::as_i64).zip(r.get("idx").and_then(FieldValue::as_i64))
            }
            Shadow::Segments => None,
        };
        let blockid = match shadow {
            Shadow::Segments => r.rowid.or_else(|| r.get("blockid").and_then(FieldValue::as_i64)),
            Shadow::Segdir => None,
        };
        let source = NodeSource {
            record: i,
            shadow,
            blockid,
            level_idx,
            status: r.status,
            evidence: r.evidence.clone(),
            kind: None,
            terms: 0,
            stop: Stop::End,
            stop_pos: 0,
            doclist_damaged: false,
        };
        let index = acc.nodes.len();
        let source = acc.add_node(blob, index, source);
        acc.nodes.push(source);
    }
    tables
        .into_iter()
        .map(|(name, acc)| FtsTable {
            name,
            nodes: acc.nodes,
            documents: acc
                .docs
                .into_iter()
                .map(|(docid, d)| FtsDocument {
                    docid,
                    words: d.words.into_iter().collect(),
                    deleted_terms: d.deleted_terms.into_iter().collect(),
                    word_nodes: d.word_nodes.into_iter().collect(),
                    marker_nodes: d.marker_nodes.into_iter().collect(),
                    capped: d.capped,
                })
                .collect(),
            interior_terms: acc.interior.into_iter().collect(),
            long_terms: acc.long_terms,
            capped: acc.capped,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(column: u32, position: u32, term: &str) -> Word {
        Word { column, position, term: Arc::from(term.as_bytes()) }
    }

    #[test]
    fn text_with_gaps_and_alternatives() {
        let words = vec![w(0, 0, "meet"), w(0, 1, "me"), w(0, 4, "harbour"), w(0, 4, "port"), w(1, 0, "jid")];
        assert_eq!(column_text(&words, 0), "meet me … harbour|port");
        assert_eq!(column_text(&words, 1), "jid");
        assert_eq!(column_text(&words, 2), "");
        assert_eq!(column_text(&[w(0, 2, "tonight")], 0), "… tonight");
    }

    #[test]
    fn shadow_names() {
        assert_eq!(shadow_of("message_ftsv2_segdir"), Some(("message_ftsv2", Shadow::Segdir, "root")));
        assert_eq!(shadow_of("messages_fts_segments"), Some(("messages_fts", Shadow::Segments, "block")));
        assert_eq!(shadow_of("_segdir"), None);
        assert_eq!(shadow_of("message_ftsv2_content"), None);
    }
}

/// The tokens FTS's `simple` tokenizer makes of `text`: runs of ASCII letters and digits and of
/// non-ASCII characters, ASCII letters lower-cased (SQLite's default tokenizer, which WhatsApp's
/// `message_ftsv2` uses).
pub fn simple_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}
