//! `chatcarve records`: every record of every table, live and deleted, and the traps that make
//! recovery tools report what was never deleted: a row seen in several places is one record
//! with several evidence items; b-tree rebalancing leaves copies of live rows on freed pages
//! that must not come back as deleted; a table dropped and created again with the same schema
//! leaves rows that belong to the old table, not deleted rows of the new one.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Runs `chatcarve records` on `image` and returns the report.
fn records_of(image: &[u8]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = dir.path().join("image.bin");
    std::fs::write(&img, image).expect("write image");
    let out = dir.path().join("records.json");
    common::chatcarve_bin()
        .args(["records", "--quiet", "--hash", "none", "--json"])
        .arg(&out)
        .arg(&img)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(&out).expect("report")).expect("JSON")
}

fn records(report: &Value) -> Vec<&Value> {
    report["records"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

fn text_at(r: &Value, column: &str) -> Option<String> {
    let i = r["columns"].as_array()?.iter().position(|c| c.as_str() == Some(column))?;
    r["values"][i].as_str().map(str::to_owned)
}

fn open(path: &Path, pragmas: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch(pragmas).expect("pragmas");
    conn
}

#[test]
fn a_row_seen_in_several_places_is_one_record_with_all_its_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.db");
    let conn = open(
        &path,
        "PRAGMA page_size=4096; PRAGMA secure_delete=OFF; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    );
    for i in 0..40 {
        conn.execute("INSERT INTO notes(body, n) VALUES(?1, ?2)", rusqlite::params![format!("note number {i}"), i])
            .expect("insert");
    }
    // The delete goes to the WAL after a checkpoint: the main file then holds the row as a
    // freed cell after the second checkpoint, and the WAL frames the page before and after.
    conn.execute_batch(
        "PRAGMA wal_checkpoint(PASSIVE); DELETE FROM notes WHERE n = 7; PRAGMA wal_checkpoint(PASSIVE);",
    )
    .expect("delete");
    let db = std::fs::read(&path).expect("db");
    let wal = std::fs::read(dir.path().join("w.db-wal")).expect("wal");
    drop(conn);
    let mut image = common::noise(32 * 1024, 11);
    image.extend_from_slice(&db);
    image.extend(common::noise(16 * 1024, 12));
    image.extend_from_slice(&wal);
    image.extend(common::noise(16 * 1024, 13));
    let report = records_of(&image);
    let note7: Vec<&Value> =
        records(&report).into_iter().filter(|r| text_at(r, "body").as_deref() == Some("note number 7")).collect();
    assert_eq!(note7.len(), 1, "one record for the deleted row: {note7:#?}");
    let r = note7[0];
    assert_eq!(r["status"], "deleted");
    let sources: BTreeSet<&str> =
        r["evidence"].as_array().expect("evidence").iter().filter_map(|e| e["source"].as_str()).collect();
    assert!(sources.len() >= 2, "evidence from several places: {sources:?}");
    assert!(sources.iter().any(|s| s.starts_with("wal")), "a WAL frame among them: {sources:?}");
    // Every live row is reported once, live.
    let live: Vec<String> =
        records(&report).into_iter().filter(|r| r["status"] == "live").filter_map(|r| text_at(r, "body")).collect();
    assert_eq!(live.len(), 39);
    assert_eq!(live.iter().collect::<BTreeSet<_>>().len(), 39);
}

/// Rows of varied size, then deletes spread over the table so that leaves underflow and
/// SQLite rebalances: cells of live rows are copied to siblings and the emptied pages freed,
/// with the copies still on them.
#[test]
fn live_rows_copied_by_rebalancing_onto_freed_pages_are_not_reported_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.db");
    let conn = open(
        &path,
        "PRAGMA page_size=1024; PRAGMA secure_delete=OFF; PRAGMA journal_mode=DELETE;
         CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    );
    let body = |i: i64| format!("row {i} {}", "x".repeat(20 + (i as usize * 37) % 180));
    conn.execute_batch("BEGIN").expect("begin");
    for i in 1..=600i64 {
        conn.execute("INSERT INTO t(id, body, n) VALUES(?1, ?2, ?1)", rusqlite::params![i, body(i)]).expect("insert");
    }
    conn.execute_batch("COMMIT").expect("commit");
    let mut deleted = BTreeSet::new();
    for i in (1..=600i64).filter(|i| i % 5 != 0 || (200..260).contains(i)) {
        if i % 3 == 0 || (100..400).contains(&i) {
            conn.execute("DELETE FROM t WHERE id = ?1", [i]).expect("delete");
            deleted.insert(body(i));
        }
    }
    let freelist: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).expect("freelist");
    let live: BTreeSet<String> = conn
        .prepare("SELECT body FROM t")
        .expect("select")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .flatten()
        .collect();
    drop(conn);
    let db = std::fs::read(&path).expect("db");
    assert!(freelist > 5, "the deletes freed pages ({freelist})");
    // The trap is set: a freed page holds a copy of a live row.
    let page_size = 1024;
    let first_trunk = u32::from_be_bytes([db[32], db[33], db[34], db[35]]) as usize;
    let trunk = &db[(first_trunk - 1) * page_size..first_trunk * page_size];
    let leaves: Vec<usize> = (0..u32::from_be_bytes([trunk[4], trunk[5], trunk[6], trunk[7]]) as usize)
        .map(|k| {
            u32::from_be_bytes([trunk[8 + 4 * k], trunk[9 + 4 * k], trunk[10 + 4 * k], trunk[11 + 4 * k]]) as usize
        })
        .collect();
    let copies = live
        .iter()
        .filter(|b| {
            leaves.iter().any(|&p| {
                db.get((p - 1) * page_size..p * page_size)
                    .is_some_and(|pg| memchr::memmem::find(pg, b.as_bytes()).is_some())
            })
        })
        .count();
    assert!(copies > 0, "no live row was copied onto a freed page: the trap is not set");

    let report = records_of(&db);
    let mut reported_deleted = BTreeSet::new();
    for r in records(&report).into_iter().filter(|r| r["status"] != "live" && r["truncated"] == false) {
        let b = text_at(r, "body").expect("body");
        assert!(!live.contains(&b), "a live row reported {}: {b}", r["status"]);
        assert!(deleted.contains(&b), "never a row: {b}");
        reported_deleted.insert(b);
    }
    let live_reported: BTreeSet<String> =
        records(&report).into_iter().filter(|r| r["status"] == "live").filter_map(|r| text_at(r, "body")).collect();
    assert_eq!(live_reported, live);
    eprintln!(
        "{} of {} deleted rows recovered, {copies} live copies on freed pages",
        reported_deleted.len(),
        deleted.len()
    );
}

/// A table dropped and created again with the same schema: the old table's leaves lie on the
/// freelist with rowids the new table uses again for other rows.
#[test]
fn rows_of_a_dropped_table_created_again_are_the_old_tables_not_deleted_rows_of_the_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("d.db");
    let conn = open(
        &path,
        "PRAGMA page_size=4096; PRAGMA secure_delete=OFF; PRAGMA journal_mode=DELETE;
         CREATE TABLE other(x TEXT);
         CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);",
    );
    conn.execute_batch("BEGIN").expect("begin");
    for i in 1..300 {
        conn.execute("INSERT INTO t(body, n) VALUES(?1, ?2)", rusqlite::params![format!("old row {i}"), i])
            .expect("insert");
    }
    conn.execute_batch("COMMIT; DROP TABLE t; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);")
        .expect("drop and create");
    for i in 1..40 {
        conn.execute("INSERT INTO t(body, n) VALUES(?1, ?2)", rusqlite::params![format!("new row {i}"), i])
            .expect("insert");
    }
    conn.execute("DELETE FROM t WHERE n IN (5, 6, 20)", []).expect("delete");
    drop(conn);
    let db = std::fs::read(&path).expect("db");
    let report = records_of(&db);
    let rows: Vec<&Value> = records(&report).into_iter().filter(|r| r["table"] == "t").collect();
    let old: Vec<&&Value> = rows.iter().filter(|r| text_at(r, "body").is_some_and(|b| b.starts_with("old"))).collect();
    let new_deleted: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["status"] != "live" && text_at(r, "body").is_some_and(|b| b.starts_with("new")))
        .filter_map(|r| text_at(r, "body"))
        .collect();
    assert!(old.len() >= 250, "the old table's rows are recovered: {}", old.len());
    for r in &old {
        assert_eq!(r["dropped_table"], true, "an old row reported as the new table's: {r}");
        assert_eq!(r["status"], "deleted");
    }
    let expected: BTreeSet<String> = ["new row 5", "new row 6", "new row 20"].iter().map(|s| s.to_string()).collect();
    assert_eq!(new_deleted, expected, "the new table's deleted rows");
    for r in rows.iter().filter(|r| text_at(r, "body").is_some_and(|b| b.starts_with("new"))) {
        assert_eq!(r["dropped_table"], false);
    }
}

/// Pages of a deleted database of an app no schema in the image describes (its page 1 lost):
/// their records are still decoded, generically, so an examiner sees them.
#[test]
fn records_of_an_unknown_schema_on_stray_pages_are_decoded_generically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("u.db");
    let conn = open(
        &path,
        "PRAGMA page_size=4096; PRAGMA journal_mode=DELETE;
         CREATE TABLE readings(sensor TEXT NOT NULL, value REAL, at INTEGER, raw BLOB);",
    );
    conn.execute_batch("BEGIN").expect("begin");
    for i in 0..300i64 {
        conn.execute(
            "INSERT INTO readings VALUES(?1, ?2, ?3, ?4)",
            rusqlite::params![format!("sensor-{}", i % 7), i as f64 * 0.5, 1_700_000_000 + i, vec![i as u8; 3]],
        )
        .expect("insert");
    }
    conn.execute_batch("COMMIT").expect("commit");
    drop(conn);
    let db = std::fs::read(&path).expect("db");
    // Page 1 is lost: only pages 2.. lie in the image.
    let mut image = common::noise(64 * 1024, 21);
    image.extend_from_slice(&db[4096..]);
    image.extend(common::noise(64 * 1024, 22));
    let report = records_of(&image);
    let generic: Vec<&Value> = records(&report).into_iter().filter(|r| r["table"] == "(unknown schema)").collect();
    assert_eq!(generic.len(), 300, "every row decoded");
    let r = generic.iter().find(|r| r["values"][2] == 1_700_000_042i64).expect("row 42");
    assert_eq!(r["columns"], serde_json::json!(["c1", "c2", "c3", "c4"]));
    assert_eq!(r["values"][0], "sensor-0");
    assert_eq!(r["values"][1], 21.0);
    assert_eq!(r["values"][3], serde_json::json!({ "hex": "2a2a2a" }));
    assert_eq!(r["status"], "deleted");
    assert_eq!(r["evidence"][0]["source"], "orphan_page");
}

/// A database file given as input is read with the `-wal` beside it, as SQLite would: rows
/// only in the WAL are live, rows the WAL deleted are deleted, and the input lists both files.
#[test]
fn a_database_file_is_read_with_the_wal_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.db");
    let conn = open(
        &path,
        "PRAGMA page_size=4096; PRAGMA secure_delete=OFF; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    );
    for i in 0..20 {
        conn.execute("INSERT INTO notes(body) VALUES(?1)", [format!("note number {i}")]).expect("insert");
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    conn.execute("INSERT INTO notes(body) VALUES('only in the wal')", []).expect("insert");
    conn.execute("DELETE FROM notes WHERE body = 'note number 3'", []).expect("delete");
    // Copy the files while the connection is open: closing would checkpoint the WAL away.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).expect("dir");
    std::fs::copy(&path, copy.join("msgstore.db")).expect("copy db");
    std::fs::copy(dir.path().join("w.db-wal"), copy.join("msgstore.db-wal")).expect("copy wal");
    drop(conn);
    let out = copy.join("records.json");
    common::chatcarve_bin()
        .args(["records", "--quiet", "--json"])
        .arg(&out)
        .arg(copy.join("msgstore.db"))
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&std::fs::read(&out).expect("report")).expect("JSON");
    let input = &report["inputs"][0];
    assert_eq!(input["container"], "sqlite_files");
    let members = input["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert!(members[1]["path"].as_str().is_some_and(|p| p.ends_with("msgstore.db-wal")));
    assert_eq!(members[1]["sha256"], common::sha256_file(&copy.join("msgstore.db-wal")));
    let status_of = |body: &str| {
        records(&report)
            .into_iter()
            .find(|r| text_at(r, "body").as_deref() == Some(body))
            .map(|r| r["status"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(status_of("only in the wal").as_deref(), Some("live"));
    assert_eq!(status_of("note number 3").as_deref(), Some("deleted"));
    assert_eq!(status_of("note number 4").as_deref(), Some("live"));
    // The message report of the same input follows the contract, members included.
    let scan = copy.join("scan.json");
    common::chatcarve_bin()
        .args(["scan", "--quiet", "--json"])
        .arg(&scan)
        .arg(copy.join("msgstore.db"))
        .assert()
        .success();
    let scan: Value = serde_json::from_slice(&std::fs::read(&scan).expect("report")).expect("JSON");
    common::validate_report(&scan);
    assert_eq!(scan["inputs"][0]["members"].as_array().map(Vec::len), Some(2));
}

/// The `-wal` of a database that is gone: its frames are read as page images, with the schema
/// its own page 1 gives, and their rows reported as deleted.
#[test]
fn a_wal_whose_database_is_gone_gives_back_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gone.db");
    let conn = open(
        &path,
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    );
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    // Enough rows for the file to grow, so that page 1 (the schema) is written to the WAL.
    for i in 0..400 {
        conn.execute("INSERT INTO notes(body) VALUES(?1)", [format!("wal note {i} {}", "w".repeat(i % 40))])
            .expect("insert");
    }
    let wal = std::fs::read(dir.path().join("gone.db-wal")).expect("wal");
    drop(conn);
    let mut image = common::noise(64 * 1024, 31);
    image.extend_from_slice(&wal);
    image.extend(common::noise(64 * 1024, 32));
    let report = records_of(&image);
    let notes: BTreeSet<String> = records(&report)
        .into_iter()
        .filter(|r| r["table"] == "notes")
        .inspect(|r| {
            assert_eq!(r["status"], "deleted");
            assert!(r["evidence"][0]["source"].as_str().is_some_and(|s| s.starts_with("wal")));
        })
        .filter_map(|r| text_at(r, "body"))
        .collect();
    assert_eq!(notes.len(), 400, "every row, under its table's name");
    assert!(notes.contains(&format!("wal note 399 {}", "w".repeat(399 % 40))));
}
