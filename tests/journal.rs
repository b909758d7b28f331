//! Rollback journals: the page images a journal keeps (the pages as they were before the
//! transaction) give back the rows that transaction deleted or changed, paired with the
//! database the journal belongs to; also when the header was zeroed (`journal_mode=PERSIST`)
//! or lost, and no journal is made up from noise or broken records.
// The helpers below are not `#[test]` functions, which clippy's allow-in-tests settings miss.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chatcarve::recover::{EvidenceSource, FieldValue, RecordStatus};
use chatcarve::scan::ScanSettings;
use chatcarve::sqlite::journal::HeaderState;

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

/// A database in `journal_mode=PERSIST` after a committed transaction that deleted rows 3, 7
/// and 19 and edited row 11 (secure_delete on: the main file keeps nothing of them), and its
/// journal as SQLite leaves it after the commit: the first 28 bytes of the header zeroed, the
/// records of that transaction after it.
fn db_and_persist_journal(page_size: u32) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(&format!(
        "PRAGMA page_size={page_size}; PRAGMA journal_mode=PERSIST; PRAGMA secure_delete=ON;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);"
    ))
    .expect("schema");
    insert_persisted_notes(&conn);
    conn.execute_batch(
        "BEGIN; DELETE FROM notes WHERE n IN (3, 7, 19); UPDATE notes SET body = 'edited' WHERE n = 11; COMMIT;",
    )
    .expect("transaction");
    let journal = std::fs::read(dir.path().join("p.db-journal")).expect("persisted journal");
    drop(conn);
    (std::fs::read(&path).expect("db"), journal)
}

/// `db` in noise, then `journal` 40 KiB further on (at a 4096-aligned offset); returns the
/// image and the journal's offset.
fn image_with(db: &[u8], journal: &[u8]) -> (Vec<u8>, u64) {
    let mut image = common::noise(64 * 1024, 13);
    image.extend_from_slice(db);
    image.extend(common::noise(40 * 1024, 14));
    let journal_at = image.len() as u64;
    image.extend_from_slice(journal);
    image.extend(common::noise(8 * 1024, 15));
    (image, journal_at)
}

/// `(deleted bodies, superseded bodies)` recovered from journal page images.
fn from_journal(f: &chatcarve::InputFindings, journal_at: u64) -> (Vec<String>, Vec<String>) {
    let records: Vec<_> = f
        .containers
        .databases
        .iter()
        .flat_map(|d| d.records.iter())
        .filter(|r| r.evidence.source == EvidenceSource::JournalPage)
        .collect();
    let mut deleted = Vec::new();
    let mut superseded = Vec::new();
    for r in records {
        assert!(r.evidence.offset >= journal_at, "evidence points into the journal");
        assert!(r.evidence.artifact.starts_with("journal-"), "{}", r.evidence.artifact);
        let Some(body) = r.get("body").and_then(FieldValue::as_str).map(str::to_owned) else { continue };
        match r.status {
            RecordStatus::Deleted => deleted.push(body),
            RecordStatus::Superseded => superseded.push(body),
            _ => {}
        }
    }
    (deleted, superseded)
}

fn analyse(image: Vec<u8>) -> chatcarve::InputFindings {
    let src = chatcarve::source::MemorySource::new(image);
    chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true)
}

fn deleted_bodies() -> Vec<String> {
    [3, 7, 19].iter().map(|i| format!("persisted note {i:03}")).collect()
}

#[test]
fn a_persist_journal_with_its_header_zeroed_gives_back_deleted_rows() {
    let (db, journal) = db_and_persist_journal(4096);
    assert!(journal.len() > 512 + 4104, "the journal keeps its records");
    assert!(journal[..28].iter().all(|&b| b == 0), "SQLite zeroed the header at commit");
    for body in deleted_bodies() {
        assert!(!db.windows(body.len()).any(|w| w == body.as_bytes()), "{body} is gone from the main file");
    }
    let (image, journal_at) = image_with(&db, &journal);
    let report = common::scan_bytes_with_library(std::slice::from_ref(&image));
    common::check_report(&report);
    let artifacts = report["artifacts"].as_array().expect("artifacts");
    let j = artifacts.iter().find(|a| a["kind"] == "journal").expect("a journal artifact");
    assert_eq!(j["details"]["header"], "zeroed");
    assert_eq!(j["details"]["nonce_solved"], true);
    assert!(j["details"]["sector_size"].is_null());
    let f = analyse(image);
    assert_eq!(f.containers.journals.len(), 1, "the journal is found");
    let j = &f.containers.journals[0];
    assert_eq!(j.journal.header_state, HeaderState::Zeroed);
    assert_eq!(j.offset, journal_at, "the journal starts at its zeroed header sector");
    assert_eq!(j.journal.header.page_size, 4096);
    let (deleted, superseded) = from_journal(&f, journal_at);
    assert_eq!(deleted, deleted_bodies());
    assert_eq!(superseded, vec!["persisted note 011".to_owned()]);
}

#[test]
fn a_journal_without_its_header_sector_is_found_by_its_records() {
    let (db, journal) = db_and_persist_journal(4096);
    // The header sector is 512 bytes (SQLite's sector size where overwrites are powersafe).
    let records = &journal[512..];
    let (image, journal_at) = image_with(&db, records);
    // The noise before the records must not be zero there, or the header would count as zeroed.
    let f = analyse(image);
    assert_eq!(f.containers.journals.len(), 1, "the journal is found");
    let j = &f.containers.journals[0];
    assert_eq!(j.journal.header_state, HeaderState::Absent);
    assert_eq!(j.offset, journal_at);
    let (deleted, superseded) = from_journal(&f, journal_at);
    assert_eq!(deleted, deleted_bodies());
    assert_eq!(superseded, vec!["persisted note 011".to_owned()]);
}

#[test]
fn a_persist_journal_of_1024_byte_pages_is_found() {
    let (db, journal) = db_and_persist_journal(1024);
    let (image, journal_at) = image_with(&db, &journal);
    let f = analyse(image);
    assert_eq!(f.containers.journals.len(), 1, "the journal is found");
    assert_eq!(f.containers.journals[0].journal.header.page_size, 1024);
    let (deleted, _) = from_journal(&f, journal_at);
    assert_eq!(deleted, deleted_bodies());
}

#[test]
fn noise_and_broken_records_give_no_journal_and_never_panic() {
    let (_, journal) = db_and_persist_journal(4096);
    let records = journal[512..].to_vec();
    let record = 4096 + 8;
    let mut scratch = Vec::new();
    let found = |data: &[u8], scratch: &mut Vec<(usize, usize)>| -> Vec<usize> {
        (0..data.len()).filter(|&at| chatcarve::scan::detect::journal::detect(data, at, scratch).is_some()).collect()
    };
    // Noise alone.
    for seed in 0..4 {
        assert!(found(&common::noise(256 * 1024, 100 + seed), &mut scratch).is_empty(), "noise {seed}");
    }
    // Records only, cut inside the second record: one record does not vouch for itself.
    let mut cut = common::noise(4096, 7);
    cut.extend_from_slice(&records[..record + 100]);
    assert!(found(&cut, &mut scratch).is_empty(), "a lone record without a zeroed header");
    // Records only, the second record's checksum garbled.
    let mut garbled = common::noise(4096, 8);
    garbled.extend_from_slice(&records);
    let at = 4096 + 2 * record - 1;
    garbled[at] ^= 0x5a;
    assert!(found(&garbled, &mut scratch).is_empty(), "second checksum garbled");
    // The same with the zeroed header: the first record alone is taken, and no more.
    let mut zeroed = common::noise(4096, 9);
    zeroed.extend_from_slice(&journal);
    let at = 4096 + 512 + 2 * record - 1;
    zeroed[at] ^= 0x5a;
    assert_eq!(found(&zeroed, &mut scratch), vec![4096 + 512]);
    let f = analyse(zeroed);
    assert_eq!(f.containers.journals.len(), 1);
    assert_eq!(f.containers.journals[0].journal.records.len(), 1);
    // Every truncation and a byte flipped at many places: no panic, at most one journal.
    for cut_at in (0..journal.len()).step_by(509) {
        let data = &journal[..cut_at];
        assert!(found(data, &mut scratch).len() <= 1);
    }
    let mut flipped = journal.clone();
    for pos in (0..flipped.len()).step_by(97) {
        flipped[pos] ^= 0xff;
        let _ = found(&flipped, &mut scratch);
        flipped[pos] ^= 0xff;
    }
}

#[test]
fn no_journal_appears_in_fixtures_without_one() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in ["live_db_in_noise", "db_with_wal", "fragmented_copy", "deleted_rows", "straddle", "demo"] {
        let image = std::fs::read(dir.join(format!("{name}.img"))).expect("fixture");
        let f = analyse(image);
        assert!(f.containers.journals.is_empty(), "{name}: {} journal(s)", f.containers.journals.len());
    }
}

#[test]
fn records_of_an_older_transaction_after_the_last_one_are_read_with_their_own_nonce() {
    // PERSIST rewrites the journal from its start: a short transaction after a long one leaves
    // the long one's later records (another nonce) after its own.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=4096; PRAGMA journal_mode=PERSIST; PRAGMA secure_delete=ON;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    )
    .expect("schema");
    conn.execute_batch("BEGIN").expect("begin");
    for i in 0..400 {
        let body = format!("tail note {i:04} {}", "x".repeat(80));
        conn.execute("INSERT INTO notes(body, n) VALUES(?1, ?2)", rusqlite::params![body, i]).expect("insert");
    }
    conn.execute_batch("COMMIT").expect("commit");
    conn.execute_batch("DELETE FROM notes WHERE n % 10 = 0").expect("long transaction");
    let long = std::fs::read(dir.path().join("t.db-journal")).expect("journal");
    conn.execute_batch("DELETE FROM notes WHERE n = 5").expect("short transaction");
    let journal = std::fs::read(dir.path().join("t.db-journal")).expect("journal");
    drop(conn);
    let db = std::fs::read(&path).expect("db");
    assert_eq!(journal.len(), long.len(), "the short transaction left the long one's tail");
    let (image, journal_at) = image_with(&db, &journal);
    let f = analyse(image);
    assert_eq!(f.containers.journals.len(), 1);
    let records = f.containers.journals[0].journal.records.len();
    assert_eq!(records, (journal.len() - 512) / 4104, "every record of both transactions is read");
    let (deleted, _) = from_journal(&f, journal_at);
    let older: Vec<&String> = deleted.iter().filter(|b| b.starts_with("tail note") && !b.contains(" 0005 ")).collect();
    assert!(older.len() >= 30, "rows deleted by the older transaction: {}", older.len());
    assert!(deleted.iter().any(|b| b.contains(" 0005 ")), "the row deleted last");
}

#[test]
fn a_persist_journal_whose_header_copies_survive_is_found_by_its_records() {
    // Without powersafe overwrite the sector is 4096: with 1024-byte pages SQLite writes the
    // header four times, and PERSIST zeroes only the first copy. Without syncs (synchronous=OFF)
    // the magic is written at once, so the other copies carry it but point at records that are
    // not there (one sector further on).
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
        | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let conn = rusqlite::Connection::open_with_flags(format!("file:{}?psow=0", path.display()), flags).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=1024; PRAGMA journal_mode=PERSIST; PRAGMA secure_delete=ON; PRAGMA synchronous=OFF;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    )
    .expect("schema");
    insert_persisted_notes(&conn);
    conn.execute_batch("DELETE FROM notes WHERE n IN (3, 7, 19);").expect("delete");
    let journal = std::fs::read(dir.path().join("s.db-journal")).expect("journal");
    drop(conn);
    let db = std::fs::read(&path).expect("db");
    assert!(journal[..28].iter().all(|&b| b == 0), "first header copy zeroed");
    assert_eq!(&journal[1024..1032], &chatcarve::sqlite::journal::MAGIC, "second copy kept");
    let (image, journal_at) = image_with(&db, &journal);
    let f = analyse(image);
    let with_records: Vec<_> = f.containers.journals.iter().filter(|j| !j.journal.records.is_empty()).collect();
    assert_eq!(with_records.len(), 1, "one journal holds the records");
    assert_eq!(with_records[0].journal.header_state, HeaderState::Zeroed);
    assert_eq!(with_records[0].journal.records[0].pos as u64 + with_records[0].offset, journal_at + 4096);
    let (deleted, _) = from_journal(&f, journal_at);
    assert_eq!(deleted, deleted_bodies());
}

/// A journal whose database is gone: its page images are read like stray pages, with the
/// schema of its own image of page 1, and the rows they hold reported as deleted.
#[test]
fn a_journal_whose_database_is_gone_gives_back_its_rows() {
    let (_, journal) = db_and_hot_journal();
    let mut image = common::noise(64 * 1024, 41);
    image.extend_from_slice(&journal);
    image.extend(common::noise(16 * 1024, 42));
    let src = chatcarve::source::MemorySource::new(image);
    let f = chatcarve::analyse_tables(&src, 0, &ScanSettings::default(), &(), &|_| true);
    assert_eq!(f.containers.journals.len(), 1, "the journal is found");
    assert!(f.containers.databases.is_empty());
    let bodies: Vec<String> = f
        .orphans
        .iter()
        .flat_map(|g| &g.records)
        .filter(|r| &*r.table == "notes")
        .inspect(|r| {
            assert_eq!(r.status, RecordStatus::Deleted);
            assert_eq!(r.evidence.source, EvidenceSource::JournalPage);
        })
        .filter_map(|r| r.get("body").and_then(FieldValue::as_str).map(str::to_owned))
        .collect();
    // The journal saved the pages the transaction changed: the rows on them before it.
    for n in [3, 7, 11] {
        assert!(bodies.contains(&format!("note number {n}")), "note number {n} in {bodies:?}");
    }
}

/// Rows 0 to 39 of `notes`, "persisted note 000" on, in one transaction.
fn insert_persisted_notes(conn: &rusqlite::Connection) {
    conn.execute_batch("BEGIN").expect("begin");
    for i in 0..40 {
        conn.execute(
            "INSERT INTO notes(body, n) VALUES(?1, ?2)",
            rusqlite::params![format!("persisted note {i:03}"), i],
        )
        .expect("insert");
    }
    conn.execute_batch("COMMIT").expect("commit");
}
