//! The SQLite Forensic Corpus (Nemetz, Schmitt & Freiling, DFRWS EU 2018), scored the way the
//! published comparisons score it: a recovered non-live record is a true positive when its
//! values equal a deleted row of the answer key, a live re-read when they equal a live row
//! (counted apart), and a false positive otherwise; recall is over all deleted rows. Integers
//! compare as integers, reals to the five decimals the key keeps, text exactly. Records flagged
//! truncated (an overflow chain broken: the text that survives, reported as a low-confidence
//! fragment) are counted apart as fragments, not as claims of a whole row.
//!
//! Reads `../shared/corpus/sqlite_forensic_corpus_v1.0` and skips with a message when it is
//! absent. Every database of categories 01–0B must also be read without error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chatcarve::recover::{FieldValue, RecordStatus};
use chatcarve::scan::ScanSettings;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sqlite_forensic_corpus_v1.0");
    dir.is_dir().then_some(dir)
}

/// Rows of the answer key: (table, values as text, deleted).
fn answer_key(xml: &str) -> Vec<(String, Vec<String>, bool)> {
    let mut out = Vec::new();
    for element in xml.split("<element>").skip(1) {
        let Some(name) = between(element, "<name>", "</name>") else { continue };
        for row in element.split("<row").skip(1) {
            let deleted = row.starts_with(" deleted=\"1\"");
            let values: Vec<String> =
                row.split("<content>").skip(1).filter_map(|c| c.split("</content>").next()).map(unescape).collect();
            out.push((name.to_owned(), values, deleted));
        }
    }
    out
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let start = s.find(a)? + a.len();
    let end = s.get(start..)?.find(b)? + start;
    s.get(start..end)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn as_key_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Null => "NULL".to_owned(),
        FieldValue::Integer(i) => i.to_string(),
        FieldValue::Real(f) => format!("{f:.5}"),
        FieldValue::Text(s) => s.clone(),
        FieldValue::TextBytes(b) | FieldValue::Blob(b) => hex::encode(b),
    }
}

fn key_matches(ours: &[String], key: &[String]) -> bool {
    ours.len() == key.len() && ours.iter().zip(key).all(|(a, b)| {
        a == b
            || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if format!("{x:.5}") == format!("{y:.5}"))
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    deleted_rows: usize,
    found: usize,
    true_positives: usize,
    false_positives: usize,
    live_rereads: usize,
    fragments: usize,
}

fn score(db: &Path) -> Tally {
    let xml = std::fs::read_to_string(db.with_extension("xml")).expect("answer key");
    let key = answer_key(&xml);
    let bytes = std::fs::read(db).expect("database");
    let src = chatcarve::source::MemorySource::new(bytes);
    let f = chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true);
    let mut t = Tally { deleted_rows: key.iter().filter(|k| k.2).count(), ..Tally::default() };
    let mut matched = vec![false; key.len()];
    for d in &f.containers.databases {
        for r in d.records.iter().filter(|r| r.status != RecordStatus::Live) {
            if r.truncated {
                t.fragments += 1;
                continue;
            }
            let ours: Vec<String> = r.values.iter().map(as_key_text).collect();
            let hit = key.iter().enumerate().find(|(_, k)| k.0 == *r.table && key_matches(&ours, &k.1));
            match hit {
                Some((i, k)) if k.2 => {
                    t.true_positives += 1;
                    if let Some(m) = matched.get_mut(i) {
                        *m = true;
                    }
                }
                Some(_) => t.live_rereads += 1,
                None => t.false_positives += 1,
            }
        }
    }
    t.found = key.iter().zip(&matched).filter(|(k, m)| k.2 && **m).count();
    t
}

fn databases(dir: &Path, category: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join(category))
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "db")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn deleted_records_of_the_forensic_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus/sqlite_forensic_corpus_v1.0 is absent");
        return;
    };
    let mut totals: BTreeMap<&str, Tally> = BTreeMap::new();
    for cat in ["0C", "0D", "0E"] {
        for db in databases(&dir, cat) {
            let t = score(&db);
            eprintln!("{}: {t:?}", db.file_name().and_then(|n| n.to_str()).unwrap_or("?"));
            let e = totals.entry(cat).or_default();
            e.deleted_rows += t.deleted_rows;
            e.found += t.found;
            e.true_positives += t.true_positives;
            e.false_positives += t.false_positives;
            e.live_rereads += t.live_rereads;
            e.fragments += t.fragments;
        }
    }
    eprintln!("category  deleted rows  recovered  recall  precision  live re-reads  fragments");
    for (cat, t) in &totals {
        let recall = t.found as f64 / t.deleted_rows.max(1) as f64;
        let precision = t.true_positives as f64 / (t.true_positives + t.false_positives).max(1) as f64;
        eprintln!(
            "{cat:<9} {:>12} {:>10} {recall:>7.3} {precision:>10.3} {:>14} {:>10}",
            t.deleted_rows, t.found, t.live_rereads, t.fragments
        );
        assert_eq!(t.live_rereads, 0, "{cat}: live rows reported as deleted");
    }
    for (cat, floor) in FLOORS {
        let t = totals.get(cat).copied().unwrap_or_default();
        let precision = t.true_positives as f64 / (t.true_positives + t.false_positives).max(1) as f64;
        let recall = t.found as f64 / t.deleted_rows.max(1) as f64;
        assert!(precision >= 0.99, "{cat} precision {precision:.3}");
        assert!(recall >= floor, "{cat} recall {recall:.3} fell below {floor}");
    }
}

/// Recall each category must keep. 0C meets the target of issue 3 (0.95); on 0D and 0E the
/// byte ceiling below is 19 of 45 and 4 of 12, under the 0.44 and 0.41: see
/// `every_deleted_row_whose_bytes_survive_is_recovered`.
const FLOORS: [(&str, f64); 3] = [("0C", 0.95), ("0D", 0.42), ("0E", 0.33)];

/// The record body SQLite wrote for one answer-key row: each value as stored (text in UTF-8,
/// integers in their shortest form, 0 and 1 as no bytes, reals as 8 bytes), from the declared
/// affinity of its column; and the header that precedes it.
fn stored_record(values: &[String], text_columns: &[bool]) -> (Vec<u8>, Vec<u8>) {
    let mut types = Vec::new();
    let mut body = Vec::new();
    for (v, &text) in values.iter().zip(text_columns) {
        if v == "NULL" {
            types.push(0u64);
        } else if text {
            types.push(13 + 2 * v.len() as u64);
            body.extend_from_slice(v.as_bytes());
        } else if let Ok(i) = v.parse::<i64>() {
            let (ty, n) = match i {
                0 => (8, 0),
                1 => (9, 0),
                _ if i8::try_from(i).is_ok() => (1, 1),
                _ if i16::try_from(i).is_ok() => (2, 2),
                _ if (-(1 << 23)..(1 << 23)).contains(&i) => (3, 3),
                _ if i32::try_from(i).is_ok() => (4, 4),
                _ if (-(1 << 47)..(1 << 47)).contains(&i) => (5, 6),
                _ => (6, 8),
            };
            types.push(ty);
            body.extend_from_slice(&i.to_be_bytes()[8 - n..]);
        } else if let Ok(f) = v.parse::<f64>() {
            types.push(7);
            body.extend_from_slice(&f.to_be_bytes());
        } else {
            types.push(13 + 2 * v.len() as u64);
            body.extend_from_slice(v.as_bytes());
        }
    }
    let mut header = Vec::new();
    let mut buf = [0u8; 9];
    for t in &types {
        let n = chatcarve::bytes::encode_varint(*t, &mut buf);
        header.extend_from_slice(&buf[..n]);
    }
    header.insert(0, (header.len() + 1) as u8);
    (header, body)
}

/// Whether every byte of a deleted row's record body is still in the file: the local part of
/// the body and each overflow page's share, each found somewhere in the file. The record
/// header is left out: a freeblock header overwrites part of it, and recovery rebuilds it.
fn body_survives(file: &[u8], header: &[u8], body: &[u8], usable: usize) -> bool {
    let payload = (header.len() + body.len()) as u64;
    let local = chatcarve::sqlite::cell::local_payload_size(payload, usable, true);
    let mut pieces = vec![&body[..local.saturating_sub(header.len()).min(body.len())]];
    let mut rest = &body[pieces[0].len()..];
    while !rest.is_empty() {
        let n = rest.len().min(usable - 4);
        pieces.push(&rest[..n]);
        rest = &rest[n..];
    }
    pieces.iter().all(|p| p.is_empty() || memchr::memmem::find(file, p).is_some())
}

/// Declared affinity of each column of `table` is text (TEXT, CHAR, CLOB in the type name).
fn text_columns(db: &Path, table: &str) -> Vec<bool> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut stmt = conn.prepare(&format!("PRAGMA table_info('{table}')")).expect("table_info");
    let types: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(2)).expect("query").flatten().collect();
    types
        .iter()
        .map(|t| {
            let t = t.to_ascii_uppercase();
            !t.contains("INT") && (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT"))
        })
        .collect()
}

/// Deleted rows of the answer key whose record body survives in the file.
fn byte_ceiling(db: &Path) -> usize {
    let xml = std::fs::read_to_string(db.with_extension("xml")).expect("answer key");
    let file = std::fs::read(db).expect("database");
    let page_size = match u16::from_be_bytes([file[16], file[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let usable = page_size - usize::from(file[20]);
    let mut columns: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    answer_key(&xml)
        .into_iter()
        .filter(|k| k.2)
        .filter(|(table, values, _)| {
            let text = columns.entry(table.clone()).or_insert_with(|| text_columns(db, table));
            let (header, body) = stored_record(values, text);
            body_survives(&file, &header, &body, usable)
        })
        .count()
}

/// The ceiling of the corpus: every deleted row whose bytes all survive in its file is
/// recovered, in every category. On 0D and 0E the ceiling lies under the targets:
/// 0D-01 row 20004 lost five bytes of its last float to a cell inserted after the delete, and
/// 0E-01 row 20003 lost 24 bytes of its text to the freelist trunk header written over its
/// overflow page; the other rows left out are overwritten whole.
#[test]
fn every_deleted_row_whose_bytes_survive_is_recovered() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus/sqlite_forensic_corpus_v1.0 is absent");
        return;
    };
    for cat in ["0C", "0D", "0E"] {
        let (mut ceiling, mut found) = (0, 0);
        for db in databases(&dir, cat) {
            let c = byte_ceiling(&db);
            let t = score(&db);
            assert!(t.found <= c, "{}: {} recovered, but only {c} rows survive", db.display(), t.found);
            ceiling += c;
            found += t.found;
        }
        eprintln!("{cat}: {found} recovered of {ceiling} deleted rows whose bytes survive");
        assert_eq!(found, ceiling, "{cat}: rows whose bytes survive were missed");
    }
}

#[test]
fn every_database_of_categories_01_to_0b_reads_without_error() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus/sqlite_forensic_corpus_v1.0 is absent");
        return;
    };
    let mut n = 0;
    for cat in ["01", "02", "03", "04", "05", "06", "07", "08", "09", "0A", "0B"] {
        for db in databases(&dir, cat) {
            let bytes = std::fs::read(&db).expect("database");
            let src = chatcarve::source::MemorySource::new(bytes);
            let f = chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true);
            assert_eq!(f.containers.databases.len(), 1, "{}: database found", db.display());
            let d = &f.containers.databases[0];
            assert_eq!(d.problems, 0, "{}: {} problems", db.display(), d.problems);
            n += 1;
        }
    }
    assert!(n >= 50, "only {n} databases in 01–0B");
}
