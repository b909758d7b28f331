//! Rollback journals: the page images a journal keeps (the pages as they were before the
//! transaction) give back the rows that transaction deleted or changed, paired with the
//! database the journal belongs to.

mod common;

use chatcarve::recover::{EvidenceSource, FieldValue, RecordStatus};
use chatcarve::scan::ScanSettings;

/// A database after a committed transaction, and its journal as it was during that transaction.
fn db_and_hot_journal() -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=4096; PRAGMA journal_mode=DELETE; PRAGMA secure_delete=ON;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    )
    .expect("schema");
    for i in 0..40 {
        conn.execute("INSERT INTO notes(body, n) VALUES(?1, ?2)", rusqlite::params![format!("note number {i}"), i])
            .expect("insert");
    }
    // A journal's magic is written when it is synced, which a cache spill forces mid-transaction.
    conn.execute_batch(
        "BEGIN; DELETE FROM notes WHERE n IN (3, 7); UPDATE notes SET body = 'edited' WHERE n = 11;
         PRAGMA cache_size = 1;
         CREATE TABLE filler(x BLOB);",
    )
    .expect("transaction");
    for _ in 0..64 {
        conn.execute("INSERT INTO filler VALUES(zeroblob(3000))", []).expect("filler");
    }
    let journal = std::fs::read(dir.path().join("j.db-journal")).expect("hot journal");
    conn.execute_batch("COMMIT;").expect("commit");
    drop(conn);
    (std::fs::read(&path).expect("db"), journal)
}

#[test]
fn a_journal_gives_back_deleted_and_edited_rows() {
    let (db, journal) = db_and_hot_journal();
    let mut image = common::noise(64 * 1024, 3);
    image.extend_from_slice(&db);
    image.extend(common::noise(40 * 1024, 4));
    let journal_at = image.len() as u64;
    image.extend_from_slice(&journal);
    image.extend(common::noise(8 * 1024, 5));
    let src = chatcarve::source::MemorySource::new(image);
    let f = chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true);
    assert_eq!(f.containers.journals.len(), 1, "the journal is found");
    let records: Vec<_> = f.containers.databases.iter().flat_map(|d| d.records.iter()).collect();
    let from_journal: Vec<_> = records.iter().filter(|r| r.evidence.source == EvidenceSource::JournalPage).collect();
    let text =
        |r: &&&chatcarve::recover::RecoveredRecord| r.get("body").and_then(FieldValue::as_str).map(str::to_owned);
    let deleted: Vec<String> =
        from_journal.iter().filter(|r| r.status == RecordStatus::Deleted).filter_map(text).collect();
    let superseded: Vec<String> =
        from_journal.iter().filter(|r| r.status == RecordStatus::Superseded).filter_map(text).collect();
    assert_eq!(deleted, vec!["note number 3".to_owned(), "note number 7".to_owned()]);
    assert_eq!(superseded, vec!["note number 11".to_owned()]);
    for r in &from_journal {
        assert!(r.evidence.offset >= journal_at, "evidence points into the journal");
        assert!(r.evidence.artifact.starts_with("journal-"), "{}", r.evidence.artifact);
    }
}
