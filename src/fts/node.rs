//! FTS3/FTS4 b-tree nodes: leaf nodes (terms with doclists) and interior nodes (separator terms).
//!
//! A segment is a b-tree of terms. Its root is `%_segdir.root`; when the segment does not fit
//! in one node the root is an interior node and the other nodes are `%_segments.block` rows
//! (leaves `start_block..=leaves_end_block`, interior nodes up to `end_block`). Every node starts
//! with its height; all integers are FTS varints ([`super::varint`]). Layout
//! (<https://sqlite.org/fts3.html>, "Data Structures", checked against `fts3_write.c`):
//!
//! ```text
//! leaf (height 0):
//!   [0] [term len] [term] [doclist len] [doclist]                       first term, whole
//!   [prefix len] [suffix len] [suffix] [doclist len] [doclist]          each later term
//! interior (height h > 0):
//!   [h] [left-child blockid] [term len] [term]                          first term, whole
//!   [prefix len] [suffix len] [suffix]                                  each later term
//! ```
//!
//! A later term is the first `prefix len` bytes of the term before it followed by `suffix`.
//! SQLite's writer puts a prefix length of 0 before a leaf's first term: that byte is the
//! height, so both readings agree. Terms are in strictly ascending byte order. An interior
//! node's terms are separators, not whole words: the shortest prefix of the first term of the
//! next child that is greater than the last term of the child before (`fts3SegWriterAdd`
//! passes `nPrefix + 1` bytes), so `harbour` may appear there as `h` or `ha`, and a separator
//! may end inside a multi-byte UTF-8 character (one byte of `日`).
//!
//! A doclist lists, for one term, the documents holding it and where:
//!
//! ```text
//! doclist   = entry*
//! entry     = [docid or delta] [position list] [0]
//! positions = ( [1] [column] | [delta + 2] )*      column 0 is implicit at the start;
//!                                                  positions restart from 0 in each column
//! ```
//!
//! The first docid is absolute, each later one the (positive) difference from the one before.
//! An entry whose position list is empty (the docid followed at once by 0) is a deletion
//! marker, written in a segment newer than the one holding the document's words: deleting a
//! document writes one under every term it held; changing its text, under every term of the old
//! text that the new one lacks (a term of both gets the new positions in the same entry, since
//! SQLite deletes and re-inserts the document in one pending list). A merge whose output is the
//! highest level (or an `optimize`) drops the markers and the words they cancel; other merges
//! keep the markers (`fts3SegmentMerge`, `bIgnoreEmpty`).
//!
//! Decoding never panics and never reads outside the node: a node cut short (a truncated
//! record, a blob whose tail was overwritten) is decoded as far as it goes and reports
//! [`Stop::Truncated`]; a value the format cannot hold (a zero-length suffix, a prefix longer than
//! the term before it, terms or docids out of order, a column number beyond
//! [`MAX_COLUMN`]) ends decoding with [`Stop::Invalid`]. Every loop is bounded by the bytes left
//! and by the caps below.
#![deny(clippy::indexing_slicing)]

use super::varint::varint;

/// Largest node height accepted: FTS b-trees are a few levels deep (each interior level
/// multiplies the fan-out by ~100), so anything higher is not a node.
pub const MAX_HEIGHT: u64 = 32;
/// Most terms decoded from one node; the rest is reported as [`Stop::Capped`].
pub const MAX_TERMS_PER_NODE: usize = 1 << 20;
/// Most entries (documents) decoded from one doclist; the rest is reported as [`Stop::Capped`].
pub const MAX_ENTRIES_PER_DOCLIST: usize = 1 << 22;
/// Most varints in one entry's position list (a 64 Ki-character message has at most 32 Ki
/// tokens); an entry with more is [`Stop::Invalid`].
pub const MAX_POSITIONS_PER_ENTRY: usize = 1 << 17;
/// Largest column number (SQLite's default `SQLITE_MAX_COLUMN`).
pub const MAX_COLUMN: u64 = 2000;
/// Largest token position accepted.
pub const MAX_POSITION: u64 = u32::MAX as u64;

/// Why decoding of a node or doclist ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stop {
    /// Every byte was decoded.
    End,
    /// The bytes ran out in the middle of a structure.
    Truncated,
    /// A value the format cannot hold; what was decoded before it stands.
    Invalid(&'static str),
    /// A cap of this module was reached.
    Capped,
}

impl Stop {
    /// True unless decoding reached the end cleanly.
    pub fn is_damaged(self) -> bool {
        self != Self::End
    }
}

/// Leaf or interior node, from its first varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// Height 0: terms with doclists.
    Leaf,
    /// Height > 0: separator terms and the blockid of the left-most child.
    Interior {
        /// Height of the node (1 for the parent of leaves).
        height: u32,
        /// `%_segments` blockid of the left-most child; the children of later terms follow it
        /// in blockid order.
        left_child: u64,
    },
}

/// A node, borrowed from a `root` or `block` blob.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    bytes: &'a [u8],
    kind: NodeKind,
    body: usize,
}

impl<'a> Node<'a> {
    /// Reads the node header. `None` when `bytes` is empty, the header varints are cut, or the
    /// height exceeds [`MAX_HEIGHT`]. Does not allocate.
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (height, n) = varint(bytes, 0)?;
        if height == 0 {
            return Some(Self { bytes, kind: NodeKind::Leaf, body: n });
        }
        if height > MAX_HEIGHT {
            return None;
        }
        let (left_child, m) = varint(bytes, n)?;
        let kind = NodeKind::Interior { height: height as u32, left_child };
        Some(Self { bytes, kind, body: n + m })
    }

    /// Leaf or interior.
    pub fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The node's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// A cursor over the terms. Its term buffer never grows beyond the node's length.
    pub fn terms(&self) -> Terms<'a> {
        Terms {
            bytes: self.bytes,
            pos: self.body,
            leaf: self.kind == NodeKind::Leaf,
            term: Vec::new(),
            count: 0,
            stop: None,
            pending: None,
        }
    }
}

/// One term of a node, as handed out by [`Terms::next_term`].
#[derive(Debug)]
pub struct TermEntry<'t, 'a> {
    /// The whole term (prefix of the term before, then the suffix).
    pub term: &'t [u8],
    /// Position in the node of the entry's first byte.
    pub pos: usize,
    /// The doclist (leaf nodes only).
    pub doclist: Option<Doclist<'a>>,
}

/// Cursor over the terms of a node. A lending iterator: each term borrows the cursor's buffer,
/// rebuilt in place from the prefix and suffix, so decoding a node costs time linear in its
/// length.
#[derive(Debug)]
pub struct Terms<'a> {
    bytes: &'a [u8],
    pos: usize,
    leaf: bool,
    term: Vec<u8>,
    count: usize,
    stop: Option<(Stop, usize)>,
    /// Set when the last term handed out had its doclist cut: the stop to report next.
    pending: Option<(Stop, usize)>,
}

impl<'a> Terms<'a> {
    /// The next term, or `None` at the end of the node or at the first damage (see
    /// [`Terms::stop`]).
    pub fn next_term(&mut self) -> Option<TermEntry<'_, 'a>> {
        if self.stop.is_some() {
            return None;
        }
        if let Some(pending) = self.pending.take() {
            self.stop = Some(pending);
            return None;
        }
        match self.step() {
            Ok(entry) => {
                let (pos, doclist) = entry?;
                Some(TermEntry { term: &self.term, pos, doclist })
            }
            Err(stop) => {
                self.stop = Some((stop, self.pos));
                None
            }
        }
    }

    /// Why decoding ended and where (a position in the node), once [`Terms::next_term`] has
    /// returned `None`. The position is that of the first entry not decoded.
    pub fn stop(&self) -> Option<(Stop, usize)> {
        self.stop
    }

    /// Number of terms handed out so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Decodes the entry at `self.pos`; `Ok(None)` (and `stop` set) at the clean end.
    #[allow(clippy::type_complexity)]
    fn step(&mut self) -> Result<Option<(usize, Option<Doclist<'a>>)>, Stop> {
        let bytes = self.bytes;
        let start = self.pos;
        if start >= bytes.len() {
            self.stop = Some((Stop::End, start));
            return Ok(None);
        }
        if self.count >= MAX_TERMS_PER_NODE {
            return Err(Stop::Capped);
        }
        let mut p = start;
        let first = self.count == 0;
        let prefix = if first {
            0
        } else {
            let (v, n) = varint(bytes, p).ok_or(Stop::Truncated)?;
            p += n;
            v
        };
        let (suffix_len, n) = varint(bytes, p).ok_or(Stop::Truncated)?;
        p += n;
        if suffix_len == 0 {
            return Err(Stop::Invalid("empty term suffix"));
        }
        if prefix > self.term.len() as u64 {
            return Err(Stop::Invalid("prefix longer than the term before"));
        }
        let prefix = prefix as usize;
        let left = bytes.len().saturating_sub(p);
        if suffix_len > left as u64 {
            return Err(Stop::Truncated);
        }
        let suffix = bytes.get(p..p + suffix_len as usize).ok_or(Stop::Truncated)?;
        p += suffix.len();
        if let (Some(&before), Some(&now)) = (self.term.get(prefix), suffix.first()) {
            // The prefix is the longest shared one: the next byte must differ, and be greater.
            if now <= before {
                return Err(Stop::Invalid("terms out of order"));
            }
        }
        let doclist = if self.leaf {
            let (len, n) = varint(bytes, p).ok_or(Stop::Truncated)?;
            p += n;
            if len == 0 {
                return Err(Stop::Invalid("empty doclist"));
            }
            let left = bytes.len().saturating_sub(p);
            let (doclist, cut) = if len > left as u64 {
                (bytes.get(p..).unwrap_or(&[]), true)
            } else {
                (bytes.get(p..p + len as usize).unwrap_or(&[]), false)
            };
            p += doclist.len();
            Some(Doclist { bytes: doclist, cut })
        } else {
            None
        };
        self.term.truncate(prefix);
        self.term.extend_from_slice(suffix);
        self.count += 1;
        self.pos = p;
        if doclist.is_some_and(|d| d.cut) {
            // Hand out what there is; the next call reports the truncation.
            self.pending = Some((Stop::Truncated, start));
        }
        Ok(Some((start, doclist)))
    }
}

/// A doclist, borrowed from its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doclist<'a> {
    bytes: &'a [u8],
    cut: bool,
}

impl<'a> Doclist<'a> {
    /// A doclist over `bytes` (`cut`: its length field promised more than the node holds).
    pub fn new(bytes: &'a [u8], cut: bool) -> Self {
        Self { bytes, cut }
    }

    /// The doclist's bytes (those inside the node, when cut).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when the node ended before the length its header gave.
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// The entries, in docid order.
    pub fn entries(&self) -> DocEntries<'a> {
        DocEntries { bytes: self.bytes, cut: self.cut, pos: 0, docid: 0, count: 0, stop: None }
    }
}

/// One document of a doclist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocEntry<'a> {
    /// The document's docid (the `rowid` of the FTS table; WhatsApp's `message._id`).
    pub docid: i64,
    /// Position in the doclist of the entry's first byte.
    pub pos: usize,
    /// The position list, without its terminating 0.
    pub positions: PositionList<'a>,
    /// False when the doclist ended before the terminating 0: the positions are those that
    /// survived.
    pub complete: bool,
}

impl DocEntry<'_> {
    /// A complete entry with no position: the document was deleted (or its text changed and
    /// lost this term) after the segments holding its words were written.
    pub fn is_deletion_marker(&self) -> bool {
        self.complete && self.positions.bytes.is_empty()
    }
}

/// Iterator over the entries of a doclist. Stops at the end, at the first damage (see
/// [`DocEntries::stop`]) or after [`MAX_ENTRIES_PER_DOCLIST`] entries.
#[derive(Debug, Clone)]
pub struct DocEntries<'a> {
    bytes: &'a [u8],
    cut: bool,
    pos: usize,
    docid: i64,
    count: usize,
    stop: Option<(Stop, usize)>,
}

impl DocEntries<'_> {
    /// Why the entries ended and where (a position in the doclist), once the iterator is done.
    pub fn stop(&self) -> Option<(Stop, usize)> {
        self.stop
    }
}

impl<'a> Iterator for DocEntries<'a> {
    type Item = DocEntry<'a>;

    fn next(&mut self) -> Option<DocEntry<'a>> {
        if self.stop.is_some() {
            return None;
        }
        let start = self.pos;
        let fail = |s: &mut Self, stop: Stop| {
            s.stop = Some((stop, start));
            None
        };
        if start >= self.bytes.len() {
            let stop = if self.cut { Stop::Truncated } else { Stop::End };
            return fail(self, stop);
        }
        if self.count >= MAX_ENTRIES_PER_DOCLIST {
            return fail(self, Stop::Capped);
        }
        let Some((v, n)) = varint(self.bytes, start) else { return fail(self, Stop::Truncated) };
        let docid = if self.count == 0 {
            v as i64
        } else if v == 0 {
            return fail(self, Stop::Invalid("docid delta 0"));
        } else {
            self.docid.wrapping_add(v as i64)
        };
        let list_start = start + n;
        let mut p = list_start;
        let mut column: u64 = 0;
        let mut position: u64 = 0;
        let mut varints = 0usize;
        let complete = loop {
            let Some((v, n)) = varint(self.bytes, p) else { break false };
            varints += 1;
            if varints > MAX_POSITIONS_PER_ENTRY {
                return fail(self, Stop::Invalid("too many positions"));
            }
            match v {
                0 => break true,
                1 => {
                    let Some((c, m)) = varint(self.bytes, p + n) else { break false };
                    if c <= column || c > MAX_COLUMN {
                        return fail(self, Stop::Invalid("column number out of order or too large"));
                    }
                    column = c;
                    position = 0;
                    p += n + m;
                    continue;
                }
                delta => {
                    position = position.saturating_add(delta - 2);
                    if position > MAX_POSITION {
                        return fail(self, Stop::Invalid("position too large"));
                    }
                }
            }
            p += n;
        };
        let positions = PositionList { bytes: self.bytes.get(list_start..p).unwrap_or(&[]) };
        self.docid = docid;
        self.count += 1;
        if complete {
            self.pos = p + 1;
        } else {
            // The bytes ran out inside the position list: hand out what survived, then stop.
            self.pos = self.bytes.len();
            self.stop = Some((Stop::Truncated, start));
        }
        Some(DocEntry { docid, pos: start, positions, complete })
    }
}

/// The position list of one document for one term, without its terminating 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionList<'a> {
    bytes: &'a [u8],
}

impl<'a> PositionList<'a> {
    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The positions, in (column, position) order.
    pub fn iter(&self) -> Positions<'a> {
        Positions { bytes: self.bytes, pos: 0, column: 0, position: 0 }
    }
}

impl<'a> IntoIterator for PositionList<'a> {
    type Item = Position;
    type IntoIter = Positions<'a>;
    fn into_iter(self) -> Positions<'a> {
        self.iter()
    }
}

/// Where a term occurs in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Column index in the FTS table's declaration (0 = the first column).
    pub column: u32,
    /// Token number within the column, from 0.
    pub position: u32,
}

/// Iterator over a position list (already checked by [`DocEntries`]: it ends at the first value
/// that does not decode).
#[derive(Debug, Clone)]
pub struct Positions<'a> {
    bytes: &'a [u8],
    pos: usize,
    column: u64,
    position: u64,
}

impl Iterator for Positions<'_> {
    type Item = Position;

    fn next(&mut self) -> Option<Position> {
        loop {
            let (v, n) = varint(self.bytes, self.pos)?;
            self.pos += n;
            match v {
                0 => return None,
                1 => {
                    let (c, m) = varint(self.bytes, self.pos)?;
                    self.pos += m;
                    self.column = c.min(MAX_COLUMN);
                    self.position = 0;
                }
                delta => {
                    self.position = self.position.saturating_add(delta - 2).min(MAX_POSITION);
                    return Some(Position { column: self.column as u32, position: self.position as u32 });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::varint::push_varint;
    use super::*;

    /// A doclist entry: docid, then (column, positions) groups; no group = deletion marker.
    type Entry<'x> = (i64, &'x [(u64, &'x [u64])]);

    fn doclist(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut last = 0i64;
        for (i, (docid, groups)) in entries.iter().enumerate() {
            push_varint(&mut out, if i == 0 { *docid as u64 } else { (docid - last) as u64 });
            last = *docid;
            for (column, positions) in groups.iter() {
                if *column > 0 {
                    push_varint(&mut out, 1);
                    push_varint(&mut out, *column);
                }
                let mut prev = 0;
                for p in positions.iter() {
                    push_varint(&mut out, p - prev + 2);
                    prev = *p;
                }
            }
            out.push(0);
        }
        out
    }

    fn leaf(terms: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![0];
        let mut prev: &[u8] = &[];
        for (i, (term, dl)) in terms.iter().enumerate() {
            let prefix = prev.iter().zip(term.iter()).take_while(|(a, b)| a == b).count();
            if i > 0 {
                push_varint(&mut out, prefix as u64);
            }
            push_varint(&mut out, (term.len() - prefix) as u64);
            out.extend_from_slice(&term[prefix..]);
            push_varint(&mut out, dl.len() as u64);
            out.extend_from_slice(dl);
            prev = term;
        }
        out
    }

    fn decode(bytes: &[u8]) -> (Vec<(Vec<u8>, i64, Vec<Position>, bool)>, Option<(Stop, usize)>) {
        let node = Node::parse(bytes).expect("node");
        let mut terms = node.terms();
        let mut out = Vec::new();
        while let Some(e) = terms.next_term() {
            let term = e.term.to_vec();
            for d in e.doclist.expect("leaf").entries() {
                out.push((term.clone(), d.docid, d.positions.iter().collect(), d.is_deletion_marker()));
            }
        }
        (out, terms.stop())
    }

    fn pos(column: u32, position: u32) -> Position {
        Position { column, position }
    }

    fn sample() -> Vec<u8> {
        leaf(&[
            (b"harbour", doclist(&[(5, &[(0, &[3])]), (9, &[(0, &[0, 4]), (2, &[1])])])),
            (b"hat", doclist(&[(7, &[])])),
            (b"tonight", doclist(&[(300, &[(0, &[200])])])),
        ])
    }

    #[test]
    fn leaf_terms_doclists_positions_and_markers() {
        let (got, stop) = decode(&sample());
        assert_eq!(stop, Some((Stop::End, sample().len())));
        assert_eq!(
            got,
            vec![
                (b"harbour".to_vec(), 5, vec![pos(0, 3)], false),
                (b"harbour".to_vec(), 9, vec![pos(0, 0), pos(0, 4), pos(2, 1)], false),
                (b"hat".to_vec(), 7, vec![], true),
                (b"tonight".to_vec(), 300, vec![pos(0, 200)], false),
            ]
        );
    }

    #[test]
    fn interior_node_terms() {
        // height 1, left child 42, "ha", then "ho" (prefix 1, suffix "o"), then "t".
        let bytes = [0x01, 42, 0x02, b'h', b'a', 0x01, 0x01, b'o', 0x00, 0x01, b't'];
        let node = Node::parse(&bytes).expect("node");
        assert_eq!(node.kind(), NodeKind::Interior { height: 1, left_child: 42 });
        let mut terms = node.terms();
        let mut got = Vec::new();
        while let Some(e) = terms.next_term() {
            assert!(e.doclist.is_none());
            got.push(e.term.to_vec());
        }
        assert_eq!(got, vec![b"ha".to_vec(), b"ho".to_vec(), b"t".to_vec()]);
        assert_eq!(terms.stop(), Some((Stop::End, bytes.len())));
    }

    #[test]
    fn every_cut_decodes_a_prefix_and_says_so() {
        let whole = sample();
        let (all, _) = decode(&whole);
        for len in 1..whole.len() {
            let (got, stop) = decode(&whole[..len]);
            let (stop, at) = stop.expect("stopped");
            assert!(at <= len);
            assert!(matches!(stop, Stop::Truncated | Stop::End), "cut at {len}: {stop:?}");
            // Every complete entry decoded is one of the whole node's, in order; a cut entry
            // may have lost positions but is never taken for a deletion marker.
            for (i, g) in got.iter().enumerate() {
                let a = &all[i];
                assert_eq!((&g.0, g.1), (&a.0, a.1), "cut at {len}");
                assert!(a.2.starts_with(&g.2), "cut at {len}");
                assert!(!g.3 || a.3, "cut at {len}: a cut entry became a marker");
            }
        }
    }

    #[test]
    fn invalid_values_stop_decoding() {
        // Prefix longer than the term before.
        let mut bytes = leaf(&[(b"ab", doclist(&[(1, &[(0, &[0])])]))]);
        bytes.extend([0x05, 0x01, b'c', 0x02, 0x01, 0x00]);
        assert!(matches!(decode(&bytes).1, Some((Stop::Invalid(_), _))));
        // Terms out of order: "b" then "a".
        let mut bytes = leaf(&[(b"b", doclist(&[(1, &[(0, &[0])])]))]);
        bytes.extend([0x00, 0x01, b'a', 0x02, 0x01, 0x00]);
        let (got, stop) = decode(&bytes);
        assert_eq!(got.len(), 1);
        assert!(matches!(stop, Some((Stop::Invalid("terms out of order"), _))));
        // Docid delta 0.
        let bytes = leaf(&[(b"a", vec![0x01, 0x02, 0x00, 0x00, 0x02, 0x00])]);
        let node = Node::parse(&bytes).expect("node");
        let mut terms = node.terms();
        let e = terms.next_term().expect("term");
        let mut entries = e.doclist.expect("leaf").entries();
        assert_eq!(entries.by_ref().count(), 1);
        assert_eq!(entries.stop(), Some((Stop::Invalid("docid delta 0"), 3)));
        // Column numbers going back.
        let bytes = leaf(&[(b"a", vec![0x01, 0x01, 0x02, 0x02, 0x01, 0x01, 0x02, 0x00])]);
        let (got, _) = decode(&bytes);
        assert!(got.is_empty());
    }

    #[test]
    fn bad_headers_are_not_nodes() {
        assert!(Node::parse(&[]).is_none());
        assert!(Node::parse(&[0x80]).is_none());
        assert!(Node::parse(&[0x01]).is_none(), "interior without its left child");
        assert!(Node::parse(&[33, 1]).is_none(), "too high");
        let empty_leaf = Node::parse(&[0x00]).expect("leaf");
        let mut terms = empty_leaf.terms();
        assert!(terms.next_term().is_none());
        assert_eq!(terms.stop(), Some((Stop::End, 1)));
    }

    #[test]
    fn a_doclist_longer_than_the_node_is_decoded_as_far_as_it_goes() {
        // The doclist claims 100 bytes and has 6: two whole entries, then the cut is reported.
        let bytes = [0x00, 0x01, b'x', 100, 0x01, 0x02, 0x00, 0x01, 0x03, 0x00];
        let node = Node::parse(&bytes).expect("node");
        let mut terms = node.terms();
        let e = terms.next_term().expect("term");
        let dl = e.doclist.expect("leaf");
        assert!(dl.is_cut());
        let mut entries = dl.entries();
        let docids: Vec<i64> = entries.by_ref().map(|d| d.docid).collect();
        assert_eq!(docids, vec![1, 2]);
        assert_eq!(entries.stop(), Some((Stop::Truncated, 6)));
        assert!(terms.next_term().is_none());
        assert_eq!(terms.stop(), Some((Stop::Truncated, 1)));
    }
}
