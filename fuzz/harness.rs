//! What each fuzz target does with its input, in one place.
//!
//! The fuzz targets in `fuzz_targets/` are one-line wrappers around these functions, and
//! `tests/fuzz_regressions.rs` includes this file (`#[path = "../fuzz/harness.rs"]`) to replay
//! every file of `fixtures/crashes/` through exactly the same code. A target "fails" when it
//! panics: either inside chatcarve (a bug on hostile input) or on one of the `assert!`s below,
//! which check contracts the decoders state in their docs.
//!
//! Input layouts (the first bytes of some inputs steer the call, so one corpus covers the
//! parameters as well as the bytes):
//!
//! | target | input |
//! |---|---|
//! | `page` | the page, then two steering bytes: `flags` (bit 0: page header at 100, as on page 1) and `reserved` (bytes at the page end); usable = page length − reserved. The steering bytes come last so that offsets in a crash file's dump are page offsets |
//! | `record` | `flags`; bit 0 clear: the rest is the whole payload; set: a big-endian u32 payload size, then the (possibly truncated) payload |
//! | `wal` | a WAL file from its header on |
//! | `journal` | a rollback journal from its header on (also searched for journals without their header) |
//! | `schema` | a database file from page 1 on; the same bytes are also parsed as `CREATE TABLE` text |
//! | `scan_chunk` | a raw image |
//! | `fts_node` | an FTS3/FTS4 segment node (`_segdir.root` or `_segments.block`) |
//! | `android_sparse` | an Android sparse image (`img2simg` output) |
//!
//! Only chatcarve's public API is used, so this file compiles both in the fuzz crate and as a
//! module of an integration test of chatcarve.
#![allow(dead_code)]

use chatcarve::scan::{self, ScanSettings};
use chatcarve::sqlite::btree::Database;
use chatcarve::sqlite::cell::Cell;
use chatcarve::sqlite::page::{BtreePage, PageKind};
use chatcarve::sqlite::record::Record;
use chatcarve::sqlite::{journal, schema, wal, TextEncoding};

/// Largest page number a WAL frame or journal record may name (what `recover::database` uses).
pub const MAX_PAGE_NUMBER: u32 = 0x7fff_ffff;

/// Every target, by the name used for its fuzz binary and as the prefix of its crash files.
pub const TARGETS: [(&str, fn(&[u8])); 10] = [
    ("page", page),
    ("record", record),
    ("wal", wal),
    ("journal", journal),
    ("schema", schema),
    ("scan_chunk", scan_chunk),
    ("export_text", export_text),
    ("fts_node", fts_node),
    ("android_sparse", android_sparse),
    ("tar", tar),
];

/// The most an `android_sparse` input may expand to: larger declared images are refused.
const SPARSE_LIMIT: u64 = 16 << 20;

/// `android_sparse`: the input as an Android sparse image, expanded into a scratch file; on
/// success the expansion is exactly the size its header declares, never more than the limit.
pub fn android_sparse(data: &[u8]) {
    use chatcarve::source::{android_sparse_len, expand_android_sparse, ByteSource};
    let scratch = std::env::temp_dir();
    if let Ok(image) = expand_android_sparse(data, std::path::Path::new("fuzz.simg"), &scratch, SPARSE_LIMIT) {
        assert_eq!(Some(image.len()), android_sparse_len(data), "expanded to the declared size");
        assert!(image.len() <= SPARSE_LIMIT, "expanded past the limit");
    }
}

/// `tar`: the input as a tar archive (`source::tar::list`): members in offset order, each
/// non-empty, inside the input and not overlapping the next.
pub fn tar(data: &[u8]) {
    let _ = chatcarve::source::tar::looks_like_tar(data);
    let (members, _) = chatcarve::source::tar::list(data);
    let mut end = 0u64;
    for m in &members {
        assert!(m.offset >= end && m.length > 0, "members overlap or are empty");
        end = m.offset + m.length;
        assert!(end <= data.len() as u64, "member outside the input");
    }
}

/// `fts_node`: the input as an FTS3/FTS4 node (`fts::node`): every term, doclist entry and
/// position, each inside the input; then as the `root` of a `_segdir` record and the `block` of
/// a `_segments` record through `fts::from_records`, whose words each cost at least one byte.
pub fn fts_node(data: &[u8]) {
    use chatcarve::fts::{self, node::Node};
    use chatcarve::recover::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};
    if let Some(node) = Node::parse(data) {
        let mut terms = node.terms();
        while let Some(e) = terms.next_term() {
            assert!(e.pos < data.len() && e.term.len() <= data.len(), "term outside the node");
            if let Some(dl) = e.doclist {
                let mut entries = dl.entries();
                for d in entries.by_ref() {
                    assert!(d.pos < dl.bytes().len(), "entry outside its doclist");
                    assert!(d.positions.iter().count() <= d.positions.bytes().len(), "a position per byte at most");
                }
                assert!(entries.stop().is_some_and(|(_, at)| at <= dl.bytes().len()), "doclist stop outside");
            }
        }
        assert!(terms.stop().is_some_and(|(_, at)| at <= data.len()), "node stop outside the node");
    }
    let record = |table: &str, column: &str| RecoveredRecord {
        table: table.into(),
        columns: vec![column.to_owned()].into(),
        rowid: Some(1),
        values: vec![FieldValue::Blob(data.to_vec())],
        truncated: false,
        cut_from: None,
        status: RecordStatus::Deleted,
        evidence: Evidence {
            source: EvidenceSource::OrphanPage,
            input: 0,
            offset: 0,
            length: data.len() as u64,
            artifact: "fuzz".into(),
            page_number: None,
            detail: None,
            rebuilt_header_bytes: 0,
        },
        also_seen: Vec::new(),
        rowid_alias: None,
        dropped_table: false,
    };
    let records = [record("t_segdir", "root"), record("t_segments", "block")];
    for t in fts::from_records(&records) {
        assert_eq!(t.nodes.len(), 2);
        for d in &t.documents {
            assert!(d.words.len() + d.deleted_terms.len() <= data.len(), "more words than bytes");
            for c in d.columns() {
                let _ = d.column_text(c);
            }
        }
    }
}

/// `export_text`: the export-line scan over the input with 4 KiB chunks (one thread) and with
/// one chunk, which must give the same runs; every line inside the input; then the messages.
pub fn export_text(data: &[u8]) {
    let small = chatcarve::export_text::scan(data, 4096);
    let whole = chatcarve::export_text::scan(data, data.len().max(1));
    assert_eq!(small, whole, "export runs depend on the chunk size");
    for r in &whole {
        for l in &r.lines {
            assert!(l.offset <= l.body.min(l.end) && l.end <= data.len(), "line outside the input");
        }
    }
    let _ = chatcarve::export_text::messages::messages(&whole, data, 0);
}

/// The target named `name`, if any.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

const KINDS: [PageKind; 4] =
    [PageKind::InteriorIndex, PageKind::InteriorTable, PageKind::LeafIndex, PageKind::LeafTable];

const ENCODINGS: [TextEncoding; 3] = [TextEncoding::Utf8, TextEncoding::Utf16le, TextEncoding::Utf16be];

/// `page`: the page detector, then header parse, validation, the freeblock iterator, every
/// cell (decoded as its own kind and as the three others) and every cell's record.
pub fn page(data: &[u8]) {
    let [page @ .., flags, reserved] = data else {
        return;
    };
    let header_pos = if flags & 1 == 1 { 100 } else { 0 };
    let usable = page.len().saturating_sub(usize::from(*reserved));
    let mut scratch = Vec::new();
    if let Some(found) = scan::detect::page::detect(page, &mut scratch) {
        assert!(found.page_size as usize <= page.len(), "detected page larger than its window");
    }
    let Ok(p) = BtreePage::parse(page, header_pos, usable) else {
        return;
    };
    let validated = p.validate(&mut scratch);
    let mut freeblocks = 0usize;
    for (pos, size) in p.freeblocks() {
        assert!(size >= 4 && pos + size <= usable, "freeblock ({pos}, {size}) outside the page");
        freeblocks += 1;
    }
    assert!(freeblocks <= usable / 4, "freeblock iterator exceeded its bound");
    if let Ok(stats) = validated {
        assert_eq!(stats.freeblocks, freeblocks, "validate and freeblocks() disagree");
    }
    for i in 0..p.cell_count {
        match p.cell(i) {
            Some(c) => {
                assert!(c.len >= 4 && c.pos + c.len <= usable, "cell {i} outside the usable area");
                record_checks(c.local, c.payload_size);
            }
            None => assert!(validated.is_err(), "cell {i} of a validated page does not decode"),
        }
        if let Some(ptr) = p.cell_pointer(i) {
            for kind in KINDS {
                if let Ok(c) = Cell::parse(page, ptr, kind, usable) {
                    assert!(c.pos + c.len <= usable, "cell at {ptr} as {kind:?} overruns");
                }
            }
        }
    }
}

/// `record`: the record header check, value decoding, text decoding in every encoding and the
/// `sqlite_schema` row builder.
pub fn record(data: &[u8]) {
    let [flags, rest @ ..] = data else {
        return;
    };
    if flags & 1 == 0 {
        record_checks(rest, rest.len() as u64);
    } else if let [a, b, c, d, payload @ ..] = rest {
        record_checks(payload, u64::from(u32::from_be_bytes([*a, *b, *c, *d])));
    }
}

fn record_checks(payload: &[u8], payload_size: u64) {
    let Ok(rec) = Record::parse(payload, payload_size) else {
        return;
    };
    let values = rec.values();
    assert!(values.len() <= rec.column_count(), "more values than columns");
    if rec.is_complete() {
        assert_eq!(values.len(), rec.column_count(), "a complete record lost columns");
    }
    for enc in ENCODINGS {
        for v in &values {
            if let chatcarve::sqlite::record::Value::Text(t) = v {
                let _ = enc.decode(t);
            }
        }
        let _ = schema::schema_entry(&values, enc);
    }
}

/// `wal`: header, frames and checksum chain; every frame's page image must lie in the buffer.
pub fn wal(data: &[u8]) {
    let Some(w) = wal::parse(data, MAX_PAGE_NUMBER) else {
        return;
    };
    assert!(w.length <= data.len(), "WAL length past the buffer");
    for f in &w.frames {
        assert!(f.page_number >= 1 && f.page_number <= MAX_PAGE_NUMBER);
        assert!(w.page_image(data, f).is_some(), "frame {} has no page image", f.index);
    }
    let _ = w.committed_page_count();
}

/// `journal`: header and checksummed page records; every record's image must lie in the buffer.
/// The same bytes are then searched for journals without their header (the scan's detector at
/// every 512-byte boundary, the decoder where it fires), with the same contract.
pub fn journal(data: &[u8]) {
    let check = |j: &journal::Journal, buf: &[u8]| {
        for r in &j.records {
            assert!(r.page_number >= 1 && r.page_number <= MAX_PAGE_NUMBER);
            assert!(j.page_image(buf, r).is_some(), "record at {} has no page image", r.pos);
        }
        assert!(j.length <= buf.len(), "journal length {} past its {}-byte buffer", j.length, buf.len());
    };
    if let Some(j) = journal::parse(data, MAX_PAGE_NUMBER) {
        check(&j, data);
    }
    let mut scratch = Vec::new();
    for at in (0..data.len()).step_by(512) {
        let Some(found) = scan::detect::journal::detect(data, at, &mut scratch) else { continue };
        let buf = data.get(found.start..).unwrap_or(&[]);
        let j =
            journal::parse_headerless(buf, found.first_record, found.page_size, MAX_PAGE_NUMBER, found.header_state);
        let Some(j) = j else { panic!("detected at {at} but not decoded") };
        assert_eq!(j.header.nonce, found.nonce, "detector and decoder solve the same nonce");
        check(&j, buf);
    }
}

/// `schema`: input that does not start with the database magic is parsed as `CREATE TABLE`
/// text; a database goes the database path: header, schema walk from page 1, the column lists
/// of every table, and a bounded walk of every root page the schema names plus pages 1 to 4.
pub fn schema(data: &[u8]) {
    if !data.starts_with(chatcarve::sqlite::header::MAGIC) {
        let _ = schema::parse_create_table(&String::from_utf8_lossy(data));
        return;
    }
    let Some(db) = Database::new(data, 0) else {
        return;
    };
    let _ = db.page_count();
    let (entries, _) = schema::read_schema(&db);
    for e in &entries {
        if let Some(sql) = &e.sql {
            let _ = schema::parse_create_table(sql);
        }
    }
    let _ = schema::tables(&entries);
    let mut roots: Vec<u32> = (1..=4).chain(entries.iter().map(|e| e.rootpage)).collect();
    roots.sort_unstable();
    roots.dedup();
    for root in roots.into_iter().take(16) {
        let _ = db.walk_table(root, |row| {
            assert!(row.payload.len() as u64 <= row.payload_size, "payload longer than declared");
            if let Ok(rec) = Record::parse(&row.payload, row.payload_size) {
                let _ = rec.values();
            }
        });
    }
}

/// `scan_chunk`: the whole pipeline on a raw image with 4 KiB chunks (so a 64 KiB input has
/// sixteen chunk boundaries), the report built and serialised; then the scan alone with 12 KiB
/// chunks, whose hits and page groups must be identical (the driver's ownership rule).
pub fn scan_chunk(data: &[u8]) {
    let source = chatcarve::source::MemorySource::new(data.to_vec());
    let settings = ScanSettings::default().chunk_size(4096).hash(false);
    let findings = chatcarve::analyse(&source, 0, &settings, &());
    for h in &findings.scan.hits {
        assert!(h.offset < data.len() as u64, "hit past the end of the input");
    }
    for g in &findings.scan.page_groups {
        assert!(g.end() <= data.len() as u64, "page group past the end of the input");
    }
    let other = scan::scan_source(data, &ScanSettings::default().chunk_size(3 * 4096).hash(false), &());
    assert_eq!(findings.scan.hits, other.hits, "hits depend on the chunk size");
    assert_eq!(findings.scan.page_groups, other.page_groups, "page groups depend on the chunk size");
    let outcome = chatcarve::report::InputOutcome { path: "fuzz.img".into(), result: Ok(findings) };
    let report = chatcarve::report::build_report(&[outcome], chatcarve::report::RunInfo::default());
    let _ = chatcarve::report::write_json(&report, std::io::sink());
}

/// Reads a crash file: SQLite's sparse hex dump (`tool/dbtotxt.c` output: a `| size N …` line,
/// `| page P offset O` lines, `|  OFF: xx xx …` lines of 16 bytes with all-zero lines left
/// out, `| end …`), or plain hex (`xxd -p`, whitespace ignored). `#` starts a comment line.
pub fn read_hex(text: &str) -> Result<Vec<u8>, String> {
    if text.lines().any(|l| l.trim_start().starts_with("| size ")) {
        read_sparse(text)
    } else {
        read_plain(text)
    }
}

fn hex_byte(tok: &str) -> Result<u8, String> {
    if tok.len() != 2 {
        return Err(format!("bad hex byte {tok:?}"));
    }
    u8::from_str_radix(tok, 16).map_err(|e| format!("bad hex byte {tok:?}: {e}"))
}

fn read_plain(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if digits.len() % 2 != 0 {
        return Err("odd number of hex digits".into());
    }
    (0..digits.len()).step_by(2).map(|i| hex_byte(digits.get(i..i + 2).unwrap_or(""))).collect()
}

fn read_sparse(text: &str) -> Result<Vec<u8>, String> {
    let mut out: Option<Vec<u8>> = None;
    let mut page_offset = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let Some(body) = line.strip_prefix('|') else {
            continue; // comments and blank lines
        };
        let mut words = body.split_whitespace();
        let first = words.next().unwrap_or("");
        match first {
            "size" => {
                let size: usize =
                    words.next().and_then(|w| w.parse().ok()).ok_or(format!("line {}: bad size", n + 1))?;
                if size > 16 << 20 {
                    return Err(format!("line {}: size {size} too large", n + 1));
                }
                out = Some(vec![0; size]);
            }
            "page" => {
                // "| page P offset O"
                page_offset =
                    words.nth(2).and_then(|w| w.parse().ok()).ok_or(format!("line {}: bad page line", n + 1))?;
            }
            "end" => break,
            _ => {
                let buf = out.as_mut().ok_or(format!("line {}: data before size", n + 1))?;
                let off: usize = first
                    .strip_suffix(':')
                    .and_then(|w| w.parse().ok())
                    .ok_or(format!("line {}: bad offset {first:?}", n + 1))?;
                for (i, tok) in words.take(16).enumerate() {
                    let b = hex_byte(tok).map_err(|e| format!("line {}: {e}", n + 1))?;
                    let at = page_offset + off + i;
                    // dbtotxt pads the last line with zeros past the file size
                    if let Some(slot) = buf.get_mut(at) {
                        *slot = b;
                    } else if b != 0 {
                        return Err(format!("line {}: byte {at} past the size", n + 1));
                    }
                }
            }
        }
    }
    out.ok_or_else(|| "no `| size` line".into())
}
