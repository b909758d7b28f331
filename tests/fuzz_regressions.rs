//! Fuzz regressions: every input kept in `fixtures/crashes/` is replayed through the code of the
//! fuzz target its file name starts with (`page-…`, `record-…`, `wal-…`, `journal-…`,
//! `schema-…`, `scan_chunk-…`, `fts_node-…`), and none may panic.
//!
//! The code is the fuzz targets' own: `fuzz/harness.rs` is included here as a module, so a crash
//! file exercises exactly what the fuzzer ran. Files named `<target>-<8 hex digits>.hex` are
//! minimised fuzzer finds (`python3 fuzz/hexdump.py save TARGET ARTIFACT`); the others are
//! handcrafted hostile inputs written by `fuzz/handcrafted.py`, each named for the lie it tells
//! a decoder. The second test checks that a handcrafted input still reaches the check it is
//! named for, so that a file cannot silently stop testing anything. Format and workflow:
//! `fuzz/README.md`.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use chatcarve::fts::node::{Node, Stop};
use chatcarve::sqlite::btree::{Database, WalkProblem};
use chatcarve::sqlite::page::{BtreePage, PageReject};
use chatcarve::sqlite::record::Record;
use chatcarve::sqlite::{journal, schema, wal};

fn crashes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crashes")
}

/// `(file name, target name, bytes)` of every `.hex` file, sorted by name.
fn crash_inputs() -> Vec<(String, &'static str, Vec<u8>)> {
    let dir = crashes_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())).path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if !name.ends_with(".hex") {
            continue;
        }
        let Some(&(target, _)) = harness::TARGETS.iter().find(|(t, _)| name.starts_with(&format!("{t}-"))) else {
            panic!("{name}: the name must start with a target name and '-' (page-, record-, wal-, journal-, schema-, scan_chunk-)");
        };
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let bytes = harness::read_hex(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name, target, bytes));
    }
    out.sort();
    out
}

#[test]
fn every_crash_file_replays_without_panic() {
    let inputs = crash_inputs();
    assert!(!inputs.is_empty(), "no .hex file in fixtures/crashes/");
    let mut failures = Vec::new();
    for (name, target, bytes) in &inputs {
        let Some(run) = harness::target(target) else {
            panic!("{name}: no target {target}");
        };
        if let Err(panic) = std::panic::catch_unwind(|| run(bytes)) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{name} ({} bytes): {msg}", bytes.len()));
        }
    }
    assert!(failures.is_empty(), "{} of {} crash inputs panic:\n{}", failures.len(), inputs.len(), failures.join("\n"));
}

#[test]
fn every_target_has_hostile_inputs() {
    let inputs = crash_inputs();
    for (target, _) in harness::TARGETS {
        let n = inputs.iter().filter(|(_, t, _)| *t == target).count();
        assert!(n >= 3, "only {n} crash inputs for target {target}");
    }
}

fn input(name: &str) -> Vec<u8> {
    let path = crashes_dir().join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    harness::read_hex(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A `page` input: the page without its two trailing steering bytes (flags 0, reserved 0).
fn page_input(name: &str) -> Vec<u8> {
    let mut b = input(name);
    assert_eq!(b.split_off(b.len() - 2), [0, 0], "{name}: steering bytes");
    b
}

fn walk_problems(db_bytes: &[u8], root: u32) -> Vec<WalkProblem> {
    let Some(db) = Database::new(db_bytes, 0) else {
        panic!("database header rejected");
    };
    db.walk_table(root, |_| {})
}

#[test]
fn handcrafted_inputs_reach_the_check_they_are_named_for() {
    // page: freeblock chains that loop or do not advance end in a rejection, not a hang
    for name in
        ["page-freeblock-self-loop", "page-freeblock-cycle", "page-freeblock-size-zero", "page-freeblock-size-ffff"]
    {
        let p = page_input(name);
        let page = BtreePage::parse(&p, 0, p.len()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(page.validate(&mut Vec::new()), Err(PageReject::Freeblock), "{name}");
        assert!(page.freeblocks().count() <= 2, "{name}");
    }
    let p = page_input("page-freeblock-chain-1024-long");
    let page = BtreePage::parse(&p, 0, p.len()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(page.validate(&mut Vec::new()).map(|s| s.freeblocks), Ok(1024));
    let p = page_input("page-cell-count-ffff");
    assert_eq!(BtreePage::parse(&p, 0, p.len()).err(), Some(PageReject::CellCount));
    let p = page_input("page-cell-count-max-same-cell");
    let page = BtreePage::parse(&p, 0, p.len()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(page.cell_count, (65536 - 8) / 6);
    assert!(page.validate(&mut Vec::new()).is_err());

    // record: sizes near 2^31 are bounded by the format, not trusted
    let r = input("record-header-claims-2pow31");
    assert!(Record::parse(&r[1..], (r.len() - 1) as u64).is_err());
    let r = input("record-text-2pow31-consistent");
    let rec = Record::parse(&r[5..], 0x7fff_ffff).unwrap_or_else(|e| panic!("{e}"));
    assert!(!rec.is_complete());
    assert!(rec.values().is_empty());
    let r = input("record-many-null-columns");
    let rec = Record::parse(&r[1..], (r.len() - 1) as u64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rec.column_count(), 2000);

    // wal: impossible page sizes are no WAL; broken chains leave no frame current
    for name in ["wal-page-size-0", "wal-page-size-1", "wal-page-size-1000"] {
        assert!(wal::parse(&input(name), harness::MAX_PAGE_NUMBER).is_none(), "{name}");
    }
    for name in ["wal-salt-wraps-below-zero", "wal-broken-chain-then-commit"] {
        let w = wal::parse(&input(name), harness::MAX_PAGE_NUMBER).unwrap_or_else(|| panic!("{name}: header rejected"));
        assert!(!w.frames.is_empty(), "{name}: no frame read");
        assert!(w.frames.iter().all(|f| !f.current), "{name}");
    }
    let w = wal::parse(&input("wal-commit-size-u32-max"), harness::MAX_PAGE_NUMBER)
        .unwrap_or_else(|| panic!("header rejected"));
    assert_eq!(w.committed_page_count(), Some(u32::MAX));

    // journal: impossible sector and page sizes are no journal; the record count is a bound
    for name in ["journal-sector-size-0", "journal-sector-size-1000", "journal-page-size-0", "journal-page-size-1"] {
        assert!(journal::parse(&input(name), harness::MAX_PAGE_NUMBER).is_none(), "{name}");
    }
    let count = |name: &str| {
        journal::parse(&input(name), harness::MAX_PAGE_NUMBER)
            .unwrap_or_else(|| panic!("{name}: header rejected"))
            .records
            .len()
    };
    assert_eq!(count("journal-record-count-limits"), 1);
    assert_eq!(count("journal-record-count-ffffffff-cut"), 2);
    assert_eq!(count("journal-record-page-number-zero"), 0);

    // schema: b-tree cycles, depth and overflow loops are met and reported, not followed
    let problems = walk_problems(&input("schema-db-interior-cycle"), 1);
    assert!(problems.iter().any(|p| matches!(p, WalkProblem::Revisited(_))));
    let problems = walk_problems(&input("schema-db-root-self-child"), 1);
    assert!(problems.iter().any(|p| matches!(p, WalkProblem::Revisited(1))));
    let problems = walk_problems(&input("schema-db-deep-interior-chain"), 1);
    assert!(problems.iter().any(|p| matches!(p, WalkProblem::TooDeep(_))));
    let problems = walk_problems(&input("schema-db-overflow-self-loop"), 1);
    assert!(problems.iter().any(|p| matches!(p, WalkProblem::BrokenOverflow(1))));
    let sql = input("schema-create-deep-parens");
    assert!(schema::parse_create_table(&String::from_utf8_lossy(&sql)).is_none());

    // fts_node: lengths beyond the node are cut to it, impossible values stop decoding
    let fts_stop = |name: &str| {
        let b = input(name);
        let node = Node::parse(&b).unwrap_or_else(|| panic!("{name}: not a node"));
        let mut terms = node.terms();
        let mut docs = Vec::new();
        while let Some(e) = terms.next_term() {
            docs.extend(e.doclist.into_iter().flat_map(|d| d.entries().map(|x| x.docid)));
        }
        (terms.count(), docs, terms.stop().map(|s| s.0))
    };
    assert_eq!(fts_stop("fts_node-doclist-length-2-63"), (1, vec![1, 4], Some(Stop::Truncated)));
    assert_eq!(
        fts_stop("fts_node-prefix-longer-than-term"),
        (1, vec![1], Some(Stop::Invalid("prefix longer than the term before")))
    );
    assert_eq!(fts_stop("fts_node-suffix-length-u64-max"), (0, vec![], Some(Stop::Truncated)));
    assert_eq!(fts_stop("fts_node-ten-continuation-bytes"), (1, vec![], Some(Stop::End)));
    assert_eq!(fts_stop("fts_node-column-and-position-huge"), (1, vec![], Some(Stop::End)));
    assert_eq!(fts_stop("fts_node-many-terms-one-byte-suffixes"), (20000, vec![], Some(Stop::End)));
}

#[test]
fn crash_files_read_in_both_hex_forms() {
    let sparse = "# comment\n| size 40 pagesize 1024 filename x\n| page 1 offset 0\n\
                  |     16: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f   ................\n\
                  |     32: ff 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   ................\n\
                  | end x\n";
    let mut want = vec![0u8; 40];
    want[16..32].copy_from_slice(&(0u8..16).collect::<Vec<_>>());
    want[32] = 0xff;
    assert_eq!(harness::read_hex(sparse), Ok(want.clone()));
    let plain: String = want.iter().map(|b| format!("{b:02x}")).collect();
    let plain = format!("{}\n{}\n", &plain[..60], &plain[60..]);
    assert_eq!(harness::read_hex(&plain), Ok(want));
    assert!(harness::read_hex("| size 4 pagesize 512 filename x\n|  0: 01 02 03 04 05\n").is_err());
}

/// r-journal-length: a journal header with no record after it reported `length` = its sector
/// size even when the buffer ended before that, so the report showed a journal artifact that
/// ran up to 64 KiB past the end of the image.
#[test]
fn journal_length_stays_inside_the_buffer() {
    let buf = input("journal-sector-size-65536-past-end");
    let Some(j) = journal::parse(&buf, harness::MAX_PAGE_NUMBER) else {
        panic!("header rejected");
    };
    assert!(j.length <= buf.len(), "journal length {} past its {}-byte buffer", j.length, buf.len());
}
