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

/// Recall each category must keep: what the deleted-record recovery reaches now (0C meets the
/// target of issue 3; 0D and 0E are still below theirs, 0.44 and 0.41).
const FLOORS: [(&str, f64); 3] = [("0C", 0.95), ("0D", 0.40), ("0E", 0.33)];

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
