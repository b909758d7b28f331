//! FTS3/FTS4 segments: the decoder against SQLite's own index, and deleted messages' words
//! recovered from a scanned image.
//!
//! One FTS4 table with WhatsApp's column set (`message_ftsv2(content, fts_jid, fts_namespace)`)
//! and one FTS3 table (`messages_fts`), built by the bundled SQLite with `secure_delete` on:
//! 200 documents in one transaction (a segment with leaves in `_segments` under an interior
//! root; one long document alone fills several leaves), then 20 one-document transactions (16
//! level-0 segments get merged into level 1), then an edit and deletions, each in its own
//! transaction (segments holding deletion markers). Expected words come from a model of the
//! `simple` tokenizer.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use chatcarve::fts::node::{Node, Stop};
use chatcarve::fts::{self, FtsTable};
use chatcarve::recover::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};
use chatcarve::scan::ScanSettings;
use proptest::prelude::*;
use rusqlite::Connection;

/// The `simple` tokenizer: ASCII letters and digits and every non-ASCII byte are token
/// characters, ASCII is lower-cased.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            cur.push(b.to_ascii_lowercase());
        } else if !cur.is_empty() {
            out.push(String::from_utf8(std::mem::take(&mut cur)).expect("utf8"));
        }
    }
    if !cur.is_empty() {
        out.push(String::from_utf8(cur).expect("utf8"));
    }
    out
}

/// `(column, position, term)` of every token of `columns`.
fn words_of(columns: &[&str]) -> BTreeSet<(u32, u32, String)> {
    let mut out = BTreeSet::new();
    for (c, text) in columns.iter().enumerate() {
        for (p, t) in tokens(text).into_iter().enumerate() {
            out.insert((c as u32, p as u32, t));
        }
    }
    out
}

const VOCABULARY: [&str; 24] = [
    "meet",
    "me",
    "at",
    "the",
    "harbour",
    "tonight",
    "Café",
    "übermorgen",
    "日本語",
    "Привет",
    "ok",
    "SEE",
    "you",
    "don't",
    "forget",
    "keys",
    "2024",
    "e-mail",
    "naïve",
    "x9",
    "zebra",
    "Zürich",
    "lunch",
    "🙂ok",
];

/// Text of document `docid`: a deterministic pick of words, some long.
fn text(docid: i64) -> String {
    let n = if docid == 50 { 3000 } else { 3 + (docid as usize * 7) % 11 };
    let mut state = docid as u64 * 0x9E37_79B9 + 17;
    let mut words = Vec::with_capacity(n);
    for i in 0..n {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let w = VOCABULARY[(state >> 33) as usize % VOCABULARY.len()];
        // A unique word per document too, so that every document has a term of its own.
        if i == 1 {
            words.push(format!("doc{docid}word"));
        }
        words.push(w.to_owned());
    }
    words.join(if docid % 3 == 0 { ", " } else { " " })
}

fn jid(docid: i64) -> String {
    format!("49151{:07}@s.whatsapp.net", docid % 13)
}

const DELETED: [i64; 5] = [7, 50, 150, 210, 215];
const EDITED: i64 = 20;
const EDITED_TEXT: &str = "changed my mind: Lunch at noon";

/// What was inserted last into each docid (deleted ones included), per table.
struct Db {
    bytes: Vec<u8>,
    /// docid → texts of the FTS4 columns as inserted first.
    fts4: BTreeMap<i64, [String; 3]>,
    /// docid → text of the FTS3 column as inserted first.
    fts3: BTreeMap<i64, String>,
    /// The blobs read back by SQL, as records: `(table, columns, rowid, values)`.
    records: Vec<RecoveredRecord>,
}

fn record(table: &str, columns: &[&str], rowid: Option<i64>, values: Vec<FieldValue>) -> RecoveredRecord {
    RecoveredRecord {
        table: Arc::from(table),
        columns: Arc::from(columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()),
        rowid,
        values,
        truncated: false,
        cut_from: None,
        status: RecordStatus::Live,
        evidence: Evidence {
            source: EvidenceSource::LiveRecord,
            input: 0,
            offset: 0,
            length: 0,
            artifact: "sql".into(),
            page_number: None,
            detail: None,
            rebuilt_header_bytes: 0,
        },
        also_seen: Vec::new(),
        rowid_alias: None,
        dropped_table: false,
    }
}

/// Every `_segdir` and `_segments` row of `fts`, read by SQL, as records.
fn shadow_records(conn: &Connection, fts: &str) -> Vec<RecoveredRecord> {
    let mut out = Vec::new();
    let segdir = format!("{fts}_segdir");
    let mut st = conn.prepare(&format!("SELECT level, idx, root FROM {segdir} ORDER BY level, idx")).expect("segdir");
    let rows =
        st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?))).expect("query");
    for row in rows {
        let (level, idx, root) = row.expect("row");
        let values = vec![
            FieldValue::Integer(level),
            FieldValue::Integer(idx),
            FieldValue::Null,
            FieldValue::Null,
            FieldValue::Null,
            FieldValue::Blob(root),
        ];
        out.push(record(
            &segdir,
            &["level", "idx", "start_block", "leaves_end_block", "end_block", "root"],
            None,
            values,
        ));
    }
    let segments = format!("{fts}_segments");
    let mut st = conn.prepare(&format!("SELECT blockid, block FROM {segments} ORDER BY blockid")).expect("segments");
    let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).expect("query");
    for row in rows {
        let (blockid, block) = row.expect("row");
        let values = vec![FieldValue::Integer(blockid), FieldValue::Blob(block)];
        out.push(record(&segments, &["blockid", "block"], Some(blockid), values));
    }
    out
}

fn build() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=4096; PRAGMA secure_delete=ON; PRAGMA journal_mode=DELETE;
         CREATE VIRTUAL TABLE message_ftsv2 USING FTS4(content, fts_jid, fts_namespace);
         CREATE VIRTUAL TABLE messages_fts USING FTS3();",
    )
    .expect("FTS3/FTS4 are compiled into the bundled SQLite");
    let mut fts4 = BTreeMap::new();
    let mut fts3 = BTreeMap::new();
    let insert =
        |conn: &Connection, docid: i64, fts4: &mut BTreeMap<i64, [String; 3]>, fts3: &mut BTreeMap<i64, String>| {
            let cols = [text(docid), jid(docid), format!("ns{}", docid % 2)];
            conn.execute(
                "INSERT INTO message_ftsv2(docid, content, fts_jid, fts_namespace) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![docid, cols[0], cols[1], cols[2]],
            )
            .expect("insert fts4");
            conn.execute("INSERT INTO messages_fts(docid, content) VALUES (?1, ?2)", rusqlite::params![docid, cols[0]])
                .expect("insert fts3");
            fts3.insert(docid, cols[0].clone());
            fts4.insert(docid, cols);
        };
    conn.execute_batch("BEGIN").expect("begin");
    for docid in 1..=200 {
        insert(&conn, docid, &mut fts4, &mut fts3);
    }
    conn.execute_batch("COMMIT").expect("commit");
    for docid in 201..=220 {
        insert(&conn, docid, &mut fts4, &mut fts3);
    }
    conn.execute("UPDATE message_ftsv2 SET content = ?1 WHERE docid = ?2", rusqlite::params![EDITED_TEXT, EDITED])
        .expect("edit");
    conn.execute("UPDATE messages_fts SET content = ?1 WHERE docid = ?2", rusqlite::params![EDITED_TEXT, EDITED])
        .expect("edit");
    for docid in DELETED {
        conn.execute("DELETE FROM message_ftsv2 WHERE docid = ?1", [docid]).expect("delete");
        conn.execute("DELETE FROM messages_fts WHERE docid = ?1", [docid]).expect("delete");
    }
    let mut records = shadow_records(&conn, "message_ftsv2");
    records.extend(shadow_records(&conn, "messages_fts"));
    drop(conn);
    let bytes = std::fs::read(&path).expect("db file");
    Db { bytes, fts4, fts3, records }
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(build)
}

fn table<'t>(tables: &'t [FtsTable], name: &str) -> &'t FtsTable {
    tables.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no FTS table {name}"))
}

fn got_words(t: &FtsTable, docid: i64) -> BTreeSet<(u32, u32, String)> {
    t.document(docid)
        .map(|d| d.words.iter().map(|w| (w.column, w.position, w.term_str().expect("utf8").to_owned())).collect())
        .unwrap_or_default()
}

fn deleted_terms(t: &FtsTable, docid: i64) -> BTreeSet<String> {
    t.document(docid)
        .map(|d| d.deleted_terms.iter().map(|x| String::from_utf8(x.to_vec()).expect("utf8")).collect())
        .unwrap_or_default()
}

fn all_terms(words: &BTreeSet<(u32, u32, String)>) -> BTreeSet<String> {
    words.iter().map(|w| w.2.clone()).collect()
}

/// Checks every document of both tables against the tokenizer model.
fn check_documents(tables: &[FtsTable]) {
    let db = db();
    let t4 = table(tables, "message_ftsv2");
    let t3 = table(tables, "messages_fts");
    // docid → (words as first inserted, words after the edit of `content`).
    let fts4: Vec<_> = db
        .fts4
        .iter()
        .map(|(d, c)| (*d, words_of(&[&c[0], &c[1], &c[2]]), words_of(&[EDITED_TEXT, &c[1], &c[2]])))
        .collect();
    let fts3: Vec<_> = db.fts3.iter().map(|(d, c)| (*d, words_of(&[c]), words_of(&[EDITED_TEXT]))).collect();
    for (label, t, expected) in [("fts4", t4, fts4), ("fts3", t3, fts3)] {
        assert_eq!(t.documents.len(), expected.len(), "{label}: one document per docid ever inserted");
        for (docid, want, edited) in expected {
            let got = got_words(t, docid);
            let markers = deleted_terms(t, docid);
            if DELETED.contains(&docid) {
                assert_eq!(got, want, "{label} deleted doc {docid}: its words survive");
                assert_eq!(markers, all_terms(&want), "{label} deleted doc {docid}: a marker under every term");
            } else if docid == EDITED {
                // Old words, new words: both versions at their positions.
                let both: BTreeSet<_> = want.union(&edited).cloned().collect();
                assert_eq!(got, both, "{label}: edited doc {docid}");
                let gone: BTreeSet<String> = all_terms(&want).difference(&all_terms(&edited)).cloned().collect();
                // FTS marks the terms of the old version; those the new version also has get
                // their positions in the same entry, so no marker.
                assert_eq!(markers, gone, "{label}: markers of the edited doc are the old-only terms");
            } else {
                assert_eq!(got, want, "{label} doc {docid}");
                assert!(markers.is_empty(), "{label} doc {docid}: no deletion marker");
            }
        }
        for n in &t.nodes {
            assert_eq!(n.stop, Stop::End, "{label}: SQLite's nodes decode whole: {n:?}");
            assert!(!n.doclist_damaged, "{label}: {n:?}");
        }
        assert!(!t.capped && t.long_terms == 0);
    }
}

#[test]
fn segments_read_by_sql_decode_to_the_tokenizer_output() {
    let db = db();
    let tables = fts::from_records(&db.records);
    assert_eq!(tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["message_ftsv2", "messages_fts"]);
    check_documents(&tables);
    // The shape the test promises: leaves below interior roots, a merged level.
    let t4 = table(&tables, "message_ftsv2");
    let kinds: BTreeSet<_> =
        t4.nodes.iter().map(|n| (n.shadow, n.kind.map(|k| k == fts::node::NodeKind::Leaf))).collect();
    assert!(kinds.contains(&(fts::index::Shadow::Segdir, Some(false))), "an interior root: {kinds:?}");
    assert!(kinds.contains(&(fts::index::Shadow::Segments, Some(true))), "leaves in _segments: {kinds:?}");
    assert!(t4.nodes.iter().any(|n| n.level_idx.is_some_and(|(l, _)| l >= 1)), "a merged segment");
    assert!(!t4.interior_terms.is_empty());
    // The long document fills more than one leaf.
    let long = t4.document(50).expect("doc 50");
    assert!(long.word_nodes.len() > 1, "doc 50 spans leaves: {:?}", long.word_nodes);
    // Text of a document, in position order.
    let d = t4.document(3).expect("doc 3");
    // Column 0: `content`.
    assert_eq!(d.column_text(0), tokens(&text(3)).join(" "));
    assert_eq!(d.column_text(1), tokens(&jid(3)).join(" "));
}

#[test]
fn the_scan_recovers_deleted_documents_words_and_markers() {
    let db = db();
    let mut image = common::noise(48 * 1024, 21);
    image.extend_from_slice(&db.bytes);
    image.extend(common::noise(16 * 1024, 22));
    let src = chatcarve::source::MemorySource::new(image);
    let f = chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true);
    assert_eq!(f.containers.databases.len(), 1);
    let records: Vec<RecoveredRecord> = f.containers.databases.iter().flat_map(|d| d.records.iter().cloned()).collect();
    // secure_delete zeroed the content rows of the deleted documents.
    let content: Vec<i64> = records
        .iter()
        .filter(|r| &*r.table == "message_ftsv2_content" && r.status == RecordStatus::Live)
        .filter_map(|r| r.rowid)
        .collect();
    for docid in DELETED {
        assert!(!content.contains(&docid), "the content row of {docid} is gone");
    }
    let tables = fts::from_records(&records);
    check_documents(&tables);
    let t4 = table(&tables, "message_ftsv2");
    for docid in DELETED {
        let d = t4.document(docid).expect("deleted document");
        assert!(d.has_deletion_marker());
        assert!(!d.word_nodes.is_empty() && !d.marker_nodes.is_empty());
        for &n in d.word_nodes.iter().chain(&d.marker_nodes) {
            let node = &t4.nodes[n];
            let r = &records[node.record];
            assert!(r.table.starts_with("message_ftsv2_seg"));
            assert_eq!(node.evidence, r.evidence);
            assert!(node.evidence.offset >= 48 * 1024, "evidence points into the database");
        }
        let text = d.column_text(0);
        assert_eq!(text, tokens(&db.fts4[&docid][0]).join(" "), "doc {docid}");
    }
}

/// Every blob SQLite wrote for both tables.
fn real_nodes() -> Vec<Vec<u8>> {
    db().records
        .iter()
        .filter_map(|r| match r.values.last() {
            Some(FieldValue::Blob(b)) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// Decodes everything in `bytes` and checks the bounds the decoder promises.
fn decode_bounded(bytes: &[u8]) {
    if let Some(node) = Node::parse(bytes) {
        let mut terms = node.terms();
        let mut n = 0usize;
        while let Some(e) = terms.next_term() {
            n += 1;
            assert!(e.term.len() <= bytes.len());
            assert!(e.pos < bytes.len());
            if let Some(dl) = e.doclist {
                let mut entries = dl.entries();
                let mut k = 0usize;
                for d in entries.by_ref() {
                    k += 1;
                    assert!(d.positions.iter().count() <= d.positions.bytes().len());
                }
                assert!(k <= dl.bytes().len());
                let (_, at) = entries.stop().expect("stopped");
                assert!(at <= dl.bytes().len());
            }
        }
        assert!(n <= bytes.len());
        let (_, at) = terms.stop().expect("stopped");
        assert!(at <= bytes.len());
    }
    let r = record("x_segdir", &["root"], None, vec![FieldValue::Blob(bytes.to_vec())]);
    let tables = fts::from_records(&[r]);
    for t in &tables {
        let words: usize = t.documents.iter().map(|d| d.words.len() + d.deleted_terms.len()).sum();
        assert!(words <= bytes.len(), "every word costs at least one byte");
        for d in &t.documents {
            let _ = d.column_text(0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decode_bounded(&bytes);
    }

    #[test]
    fn mutated_real_nodes_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let nodes = real_nodes();
        let mut bytes = pick.get(&nodes).clone();
        for (at, value, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = value,
                1 => bytes[i] ^= 1 << (value % 8),
                2 => bytes.insert(i, value),
                _ => { bytes.remove(i); }
            }
        }
        decode_bounded(&bytes);
        let keep = cut.index(bytes.len() + 1);
        decode_bounded(&bytes[..keep]);
    }
}

#[test]
fn cut_real_nodes_keep_what_precedes_the_cut() {
    for node in real_nodes().iter().filter(|n| n.len() > 64).take(6) {
        let whole =
            fts::from_records(&[record("x_segments", &["block"], Some(1), vec![FieldValue::Blob(node.clone())])]);
        for len in (1..node.len()).step_by(7) {
            let cut = record("x_segments", &["block"], Some(1), vec![FieldValue::Blob(node[..len].to_vec())]);
            let part = fts::from_records(&[cut]);
            let (Some(w), Some(p)) = (whole.first(), part.first()) else { continue };
            assert!(matches!(p.nodes[0].stop, Stop::Truncated | Stop::End), "{:?}", p.nodes[0]);
            for d in &p.documents {
                let full = w.document(d.docid).expect("a docid of the whole node");
                for word in &d.words {
                    assert!(full.words.contains(word), "cut at {len}: {word:?} not in the whole node");
                }
            }
        }
    }
}
