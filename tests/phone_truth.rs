//! The truth of the `phone_backups` scenario agrees with the files in its image: the backups
//! open with the key file placed beside them (through chatcarve's own reader, not the
//! generator's writer), and every `sources` entry of every message version is what SQLite reads
//! from the files as they lie in the image (the decrypted backups, the live file with its WAL,
//! the reply copies in `message_quoted`, the terms of `message_ftsv2`).

#[path = "../fixtures/gen/generator.rs"]
mod generator;

use std::collections::BTreeSet;

use chatcarve::backup::{self, BackupKey, Generation};
use generator::phone::{database_versions, fts_terms, fts_tokens, quoted_versions, WHOLE_SOURCES};
use generator::{MessageStatus, Scenario, TruthMessage};

#[allow(clippy::expect_used)] // a test helper: a scenario that does not build is a failed test
fn scenario() -> Scenario {
    generator::build("phone_backups").expect("scenario builds")
}

fn slice(s: &Scenario, offset: u64, length: u64) -> &[u8] {
    &s.image[offset as usize..(offset + length) as usize]
}

/// The plaintext of each backup of the truth, opened with its key file as placed in the image.
#[allow(clippy::expect_used)] // a test helper: a backup that does not open is a failed test
fn backup_plaintexts(s: &Scenario) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for b in s.truth.backups.iter().filter(|b| b.kind == "crypt15") {
        let key_file = s.truth.backups.iter().find(|k| Some(k.offset) == b.key_offset).expect("its key file");
        assert_eq!(key_file.kind, "key");
        assert_eq!(key_file.length, 59, "encrypted_backup.key is 59 bytes");
        let key = BackupKey::from_file(slice(s, key_file.offset, key_file.length)).expect("the key file reads");
        let file = slice(s, b.offset, b.length);
        let parsed = backup::parse(file).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(parsed.generation, Generation::Crypt15, "{}", b.name);
        assert!(parsed.md5_trailer, "{}: MD5 trailer", b.name);
        assert_eq!(parsed.app_version.as_deref(), Some("2.24.9.78"), "{}", b.name);
        let plain = backup::decrypt(&parsed, &key).unwrap_or_else(|e| panic!("{}: {e}", b.name)).plaintext;
        assert!(plain.starts_with(b"SQLite format 3\0"), "{}: a database", b.name);
        // Found in raw space (its end unknown), it opens the same.
        let opened = backup::stream::open(&s.image[b.offset as usize..], &key).expect("opens from its first byte");
        assert!(opened.intact && opened.complete && opened.plaintext == plain, "{}: from raw space", b.name);
        out.push((b.name.clone(), plain));
    }
    out
}

fn has(t: &TruthMessage, source: &str) -> bool {
    t.sources.iter().any(|s| s == source)
}

fn version(t: &TruthMessage) -> (String, Option<String>) {
    (t.key_id.clone(), t.text.clone())
}

#[test]
fn the_backups_open_with_the_key_file_in_the_image() {
    let s = scenario();
    let names: Vec<(&str, bool)> = s.truth.backups.iter().map(|b| (b.name.as_str(), b.deleted)).collect();
    assert_eq!(names.len(), 3, "B1, the key file, B2: {names:?}");
    assert!(names.contains(&("msgstore.db.crypt15", false)));
    assert!(names.contains(&("encrypted_backup.key", false)));
    assert!(names.iter().any(|&(n, deleted)| n.starts_with("msgstore-") && n.ends_with(".1.db.crypt15") && deleted));
    let plains = backup_plaintexts(&s);
    assert_eq!(plains.len(), 2);
    for b in &s.truth.backups {
        assert_eq!(b.offset % 4096, 0, "{}: 4 KiB-aligned", b.name);
    }
}

#[test]
fn every_source_of_the_truth_is_what_the_files_hold() {
    let s = scenario();
    let plains = backup_plaintexts(&s);
    let in_backups: Vec<BTreeSet<(String, Option<String>)>> =
        plains.iter().map(|(_, p)| database_versions(p, None)).collect();
    let d = &s.truth.databases[0];
    let w = d.wal.as_ref().expect("the live file has its WAL");
    let db = slice(&s, d.offset, d.length);
    let wal = slice(&s, w.offset, w.length);
    let live = database_versions(db, Some(wal));
    let quoted = quoted_versions(db, wal);
    let terms = fts_terms(db, wal);
    for t in &s.truth.messages {
        let v = version(t);
        let what = format!("rowid {} {:?} {:?}", t.rowid, t.status, t.sources);
        assert_eq!(has(t, "backup"), in_backups.iter().any(|b| b.contains(&v)), "{what}: backup");
        let is_live = matches!(t.status, MessageStatus::Live | MessageStatus::WalOnly);
        assert_eq!(is_live, live.contains(&v), "{what}: live view");
        assert_eq!(has(t, "live_record"), is_live, "{what}: live_record");
        assert_eq!(has(t, "quoted_copy"), t.text.is_some() && quoted.contains(&v), "{what}: quoted_copy");
        let indexed = t
            .text
            .as_deref()
            .is_some_and(|text| fts_tokens(text).into_iter().any(|w| terms.contains(&(w.into_bytes(), t.rowid))));
        assert_eq!(has(t, "fts_index"), indexed, "{what}: fts_index");
        if !is_live {
            let whole = t.sources.iter().any(|s| WHOLE_SOURCES.contains(&s.as_str()));
            assert_eq!(t.bytes_survive, whole, "{what}: bytes_survive");
        }
    }
    // A deleted message is in no live table, and every live message of the backups' days is in
    // the newer backup unless deleted or edited since.
    let b2 = in_backups.last().expect("B2");
    for t in s.truth.messages.iter().filter(|t| t.status == MessageStatus::Live) {
        assert!(b2.contains(&version(t)), "live rowid {} not in msgstore.db.crypt15", t.rowid);
    }
}

#[test]
fn the_scenario_holds_each_kind_of_survival() {
    let s = scenario();
    let m = &s.truth.messages;
    let count = |f: &dyn Fn(&TruthMessage) -> bool| m.iter().filter(|t| f(t)).count();
    let deleted = |t: &TruthMessage| t.status == MessageStatus::Deleted;
    // Deleted on day 2: only the backups (and the index) keep them.
    assert!(count(&|t| deleted(t) && has(t, "backup") && !has(t, "orphan_page") && !has(t, "wal_frame")) >= 5);
    // Deleted on day 3 after a checkpoint: the main file's page and the backups.
    assert!(count(&|t| deleted(t) && has(t, "orphan_page")) >= 3);
    // Inserted and deleted on day 3: only WAL frames.
    assert!(count(&|t| deleted(t) && has(t, "wal_frame") && !has(t, "backup")) >= 2);
    assert!(count(&|t| deleted(t) && has(t, "wal_stale_frame")) >= 1);
    assert!(count(&|t| deleted(t) && has(t, "quoted_copy")) >= 2, "quoted originals deleted later");
    assert!(count(&|t| t.status == MessageStatus::Superseded && has(t, "backup")) == 2, "two edits");
    assert!(count(&|t| t.status == MessageStatus::WalOnly) >= 5);
    assert!(count(&|t| !matches!(t.status, MessageStatus::Live | MessageStatus::WalOnly) && !t.bytes_survive) == 0);
    // The WAL holds stale frames after its current ones.
    let w = s.truth.databases[0].wal.as_ref().expect("WAL");
    assert!(u64::from(w.frames) * 4120 + 32 + 4120 <= w.length, "stale frames after the {} current ones", w.frames);
    assert!(s.image.len() <= 6 << 20);
}
