//! Decoder and scan throughput on generated data. Each benchmark checks its answer (page,
//! record and hit counts) before timing, so a fast wrong decoder cannot pass unnoticed.
//! Whole-image ratios against `dd` and SHA-256 are measured by `scripts/ratios`.
#![allow(missing_docs)] // criterion's macros generate undocumented public functions

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use chatcarve::scan::{scan_source, HitKind, ScanSettings};
use chatcarve::sqlite::btree::Database;
use chatcarve::sqlite::page::BtreePage;
use chatcarve::sqlite::record::Record;

fn sample_db(rows: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA page_size=4096; CREATE TABLE message(_id INTEGER PRIMARY KEY, chat_row_id INTEGER, key_id TEXT,
         timestamp INTEGER, text_data TEXT); BEGIN;",
    )
    .expect("schema");
    for i in 0..rows {
        conn.execute(
            "INSERT INTO message(chat_row_id, key_id, timestamp, text_data) VALUES(?1, ?2, ?3, ?4)",
            rusqlite::params![
                (i % 17) as i64,
                format!("{:032X}", i * 7919),
                1_600_000_000_000i64 + i as i64,
                format!("message {i} Grüße 😀 {}", "lorem ipsum ".repeat(i % 9))
            ],
        )
        .expect("insert");
    }
    conn.execute_batch("COMMIT;").expect("commit");
    drop(conn);
    std::fs::read(path).expect("read")
}

fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let db = sample_db(20_000);
    let pages: Vec<&[u8]> = db.chunks_exact(4096).skip(1).collect();
    let valid = pages
        .iter()
        .filter(|p| BtreePage::parse(p, 0, 4096).is_ok_and(|pg| pg.validate(&mut Vec::new()).is_ok()))
        .count();
    assert_eq!(valid, pages.len(), "every page of an intact database validates");

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes((pages.len() * 4096) as u64));
    g.bench_function("validate_pages", |b| {
        let mut scratch = Vec::new();
        b.iter(|| {
            pages
                .iter()
                .filter(|p| BtreePage::parse(p, 0, 4096).is_ok_and(|pg| pg.validate(&mut scratch).is_ok()))
                .count()
        })
    });
    let database = Database::new(&db, 0).expect("header");
    let mut rows = 0;
    database.walk_table(2, |_| rows += 1);
    assert_eq!(rows, 20_000);
    g.bench_function("walk_and_decode_records", |b| {
        b.iter(|| {
            let mut n = 0usize;
            database.walk_table(2, |row| {
                if let Ok(r) = Record::parse(&row.payload, row.payload_size) {
                    n += r.values().len();
                }
            });
            n
        })
    });
    g.finish();

    let mut img = noise(64 << 20);
    for k in 0..4 {
        let at = (k * 16 + 3) << 20;
        img[at..at + db.len()].copy_from_slice(&db);
    }
    let settings = ScanSettings::default().hash(false);
    let out = scan_source(&img, &settings, &());
    assert_eq!(out.hits.iter().filter(|h| h.kind == HitKind::DbHeader).count(), 4);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(img.len() as u64));
    g.sample_size(10);
    g.bench_function("scan_64MiB_no_hash", |b| b.iter(|| scan_source(&img, &settings, &()).hits.len()));
    g.finish();
}

/// 256 MiB of noise, a quarter of it log-like text lines (where the export scan works hardest:
/// every line start is tried), with one 40 KiB export written into it: the page scan alone, the
/// export scan alone, and both as `analyse` runs them.
fn export_scan(c: &mut Criterion) {
    let mut img = noise(256 << 20);
    let log = b"2023-05-01T12:00:00.123Z nas01 sshd[1234]: Accepted publickey for backup from 10.0.1.2 port 5222\n";
    for mib in (0..256).step_by(4) {
        for (i, b) in img[mib << 20..(mib + 1) << 20].iter_mut().enumerate() {
            *b = log[i % log.len()];
        }
    }
    let export: String =
        (0..600).map(|i| format!("31/12/2020, 21:{:02} - Bob: message number {i}\n", i % 60)).collect();
    img[(100 << 20) + 4096..(100 << 20) + 4096 + export.len()].copy_from_slice(export.as_bytes());
    let settings = ScanSettings::default().hash(false);
    let runs = chatcarve::export_text::scan(&img, settings.chunk_size);
    assert_eq!(runs.iter().map(|r| r.lines.len()).sum::<usize>(), 600, "the export is found whole");
    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Bytes(img.len() as u64));
    g.sample_size(10);
    g.bench_function("page_scan_256MiB", |b| b.iter(|| scan_source(&img, &settings, &()).hits.len()));
    g.bench_function("export_scan_256MiB", |b| {
        b.iter(|| chatcarve::export_text::scan(&img, settings.chunk_size).len())
    });
    g.bench_function("both_256MiB", |b| {
        b.iter(|| {
            rayon::join(
                || scan_source(&img, &settings, &()).hits.len(),
                || chatcarve::export_text::scan(&img, settings.chunk_size).len(),
            )
        })
    });
    g.finish();
}

criterion_group!(decode, benches, export_scan);
criterion_main!(decode);
