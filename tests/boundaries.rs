//! Chunk boundaries lose nothing and count nothing twice: a database, its pages and a WAL placed
//! across chunk boundaries at every interesting distance are found exactly once, with the same
//! findings for every chunk size and thread count.

mod common;

use chatcarve::scan::{scan_source, HitKind, ScanSettings};
use common::noise;

/// A small database with enough rows for several pages, and its WAL holding later rows.
fn db_and_wal() -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);",
    )
    .expect("setup");
    for i in 0..300 {
        conn.execute("INSERT INTO t(v) VALUES(?1)", [format!("row {i} {}", "x".repeat(i % 50))]).expect("insert");
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    for i in 0..40 {
        conn.execute("INSERT INTO t(v) VALUES(?1)", [format!("wal row {i}")]).expect("insert");
    }
    let db = std::fs::read(&path).expect("db");
    let wal = std::fs::read(dir.path().join("b.db-wal")).expect("wal");
    drop(conn);
    (db, wal)
}

#[test]
fn structures_across_boundaries_are_found_exactly_once() {
    let (db, wal) = db_and_wal();
    let chunk = 64 * 1024;
    // Database header at distances from a chunk boundary: before, on, just after, inside the
    // header, 512-aligned and not.
    for delta in [-4096i64, -512, -100, -16, -1, 0, 1, 50, 512] {
        let db_at = (3 * chunk as i64 + delta) as usize;
        let wal_at = (db_at + db.len() + 8 * chunk - 7).next_multiple_of(8);
        let mut img = noise(wal_at + wal.len() + 3 * chunk, delta.unsigned_abs());
        img[db_at..db_at + db.len()].copy_from_slice(&db);
        img[wal_at..wal_at + wal.len()].copy_from_slice(&wal);
        let mut reference = None;
        for size in [4096, 8192, chunk, 1 << 20, 8 << 20] {
            let settings = ScanSettings::default().chunk_size(size).hash(true);
            let out = scan_source(&img, &settings, &());
            let found = chatcarve::recover::database::follow(&img, 0, &out.hits, &|_| false);
            let dbs: Vec<u64> = found.databases.iter().map(|d| d.offset).collect();
            let wals: Vec<u64> = out.hits.iter().filter(|h| h.kind == HitKind::WalHeader).map(|h| h.offset).collect();
            assert_eq!(found.wals.len(), 1);
            assert_eq!(found.wals[0].database_offset, Some(db_at as u64), "the WAL pairs with its database");
            assert_eq!(found.databases[0].table_stats.get("t").map(|s| s.records), Some(340), "WAL rows replayed");
            assert_eq!(dbs, vec![db_at as u64], "delta {delta}, chunk {size}");
            assert_eq!(wals, vec![wal_at as u64], "delta {delta}, chunk {size}");
            let key = (out.hits.clone(), out.page_groups.clone());
            match &reference {
                None => reference = Some(key),
                Some(r) => assert_eq!(r, &key, "delta {delta}: chunk {size} differs"),
            }
        }
        let pages: u64 = reference.as_ref().map_or(0, |r| r.1.iter().map(|g| g.pages).sum());
        if db_at % 512 == 0 {
            // Every b-tree page but page 1 (whose header sits after the database header).
            let n = (db.len() / 4096) as u64;
            assert!(pages >= n - 1, "delta {delta}: {pages} pages of {n}");
        }
    }
}

#[test]
fn a_page_straddling_a_boundary_is_one_page() {
    let (db, _) = db_and_wal();
    // Page 2 of the database, alone in zeros, straddling a 4096-byte chunk boundary.
    let page = &db[4096..8192];
    let mut img = vec![0u8; 64 * 1024];
    img[4096 + 2048..4096 + 2048 + 4096].copy_from_slice(page);
    for size in [4096, 8192, 1 << 20] {
        let out = scan_source(&img, &ScanSettings::default().chunk_size(size), &());
        let offsets: Vec<(u64, u64)> = out.page_groups.iter().map(|g| (g.offset, g.pages)).collect();
        assert_eq!(offsets, vec![(6144, 1)], "chunk {size}");
    }
}

#[test]
fn thread_count_does_not_change_the_scan() {
    let (db, wal) = db_and_wal();
    let mut img = noise(2 << 20, 9);
    img[300 * 1024..300 * 1024 + db.len()].copy_from_slice(&db);
    img[1 << 20..(1 << 20) + wal.len()].copy_from_slice(&wal);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        pool.install(|| {
            let src = chatcarve::source::MemorySource::new(img.clone());
            let f = chatcarve::analyse(&src, 0, &ScanSettings::default().chunk_size(16384), &());
            let report = chatcarve::report::build_report(
                &[chatcarve::report::InputOutcome { path: "img".into(), result: Ok(f) }],
                chatcarve::report::RunInfo::default(),
            );
            let mut out = Vec::new();
            chatcarve::report::write_json(&report, &mut out).expect("json");
            out
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(8));
    let text = String::from_utf8(one).expect("utf8");
    assert!(text.contains("\"kind\": \"wal\""), "the WAL is reported");
}
