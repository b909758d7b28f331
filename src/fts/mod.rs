//! SQLite FTS3/FTS4 full-text indexes: the words of messages, deleted ones included.
//!
//! WhatsApp Android keeps a full-text index of message text, `message_ftsv2` (FTS4, columns
//! `content, fts_jid, fts_namespace`, docid = `message._id`; the legacy `messages_fts` is FTS3).
//! Its shadow tables keep the index as b-trees of terms ("segments"):
//!
//! ```text
//! <fts>_segdir(level, idx, start_block, leaves_end_block, end_block, root BLOB)  one row per segment
//! <fts>_segments(blockid INTEGER PRIMARY KEY, block BLOB)                       nodes below the roots
//! ```
//!
//! FTS never rewrites a segment: inserting, deleting or changing a document writes a new
//! segment (a deletion as entries with no positions, "deletion markers"), and only a merge of
//! segments drops the old words. So after a message row and its `_content` row were zeroed by
//! `secure_delete`, the words of the message (lower-cased tokens with their positions) are
//! still in the live `_segdir`/`_segments` rows, and in older copies of their pages.
//!
//! | module | role |
//! |---|---|
//! | [`varint`] | FTS varints (little-endian base-128, ≤ 10 bytes; not the record varint) |
//! | [`node`] | zero-copy decoding of leaf and interior nodes, doclists and position lists |
//! | [`index`] | from recovered `_segdir`/`_segments` records to documents: words per docid, deletion markers, evidence |
//!
//! Depends on [`crate::recover`] (its records are the input) and nothing above it. Format:
//! <https://sqlite.org/fts3.html>, section "Data Structures"; details checked against SQLite's
//! `ext/fts3/fts3_write.c`.
//!
//! ```
//! use chatcarve::fts::node::{Node, NodeKind};
//! // A leaf with the term "hi" in docid 5 at position 0 of column 0.
//! let leaf = [0x00, 0x02, b'h', b'i', 0x03, 0x05, 0x02, 0x00];
//! let node = Node::parse(&leaf).unwrap();
//! assert_eq!(node.kind(), NodeKind::Leaf);
//! let mut terms = node.terms();
//! let entry = terms.next_term().unwrap();
//! assert_eq!(entry.term, b"hi");
//! let doc = entry.doclist.unwrap().entries().next().unwrap();
//! assert_eq!((doc.docid, doc.positions.iter().next().unwrap().position), (5, 0));
//! ```

pub mod index;
pub mod node;
pub mod varint;

pub use index::{column_text, from_records, simple_tokens, FtsDocument, FtsTable, Word};
