//! Every report, from the library and from the binary, matches `schemas/report-v1.schema.json`
//! (and the invariants the schema cannot express); and the schema rejects what it must.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{json, Value};

use common::*;

/// A temporary directory with the test images.
struct Images {
    dir: tempfile::TempDir,
}

impl Images {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write image");
        p
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs the binary on `paths` and returns its report, checking that stdout is one JSON object.
fn scan_with_binary(paths: &[&Path]) -> Value {
    let out = chatcarve_bin().arg("scan").args(paths).args(["--json", "-", "--quiet"]).output().expect("run chatcarve");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}); status {:?}; stderr: {}", out.status, String::from_utf8_lossy(&out.stderr))
    });
    report
}

/// Checks a report from both paths: the library's and the binary's.
fn check_both(paths: &[&Path]) -> (Value, Value) {
    let lib = scan_with_library(paths);
    check_report(&lib);
    let bin = scan_with_binary(paths);
    check_report(&bin);
    // The two differ only in `run` (and in nothing else: same pipeline).
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().expect("object").remove("run");
        v
    };
    assert_eq!(strip(&lib), strip(&bin), "library and binary reports differ outside `run`");
    (lib, bin)
}

fn db_in_noise(images: &Images, n: usize) -> (PathBuf, Vec<u8>) {
    let db_path = images.path("msgstore.db");
    make_whatsapp_db(&db_path, n);
    let text = add_invalid_utf8_message(&db_path);
    let db = std::fs::read(&db_path).expect("read db");
    (images.write("db-in-noise.img", &embed_in_noise(&db, 5 * 4096, 3 * 4096 + 77, 1)), text)
}

#[test]
fn the_schema_compiles_against_the_2020_12_meta_schema() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    // Building validates the schema against its meta-schema.
    let _ = validator();
}

#[test]
fn database_in_noise() {
    let images = Images::new();
    let (img, bad_text) = db_in_noise(&images, 30);
    let (r, _) = check_both(&[&img]);
    assert_eq!(r["summary"]["databases"], 1);
    assert_eq!(r["summary"]["messages"], 31);
    assert_eq!(r["summary"]["messages_by_status"], json!({"live": 31}));
    let db = &r["artifacts"][0];
    assert_eq!(db["kind"], "sqlite_db");
    assert_eq!(db["offset"], 5 * 4096);
    assert_eq!(db["app"], "whatsapp-android");
    assert_eq!(db["intact"], true);
    let kinds: Vec<&str> = r["conversations"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    for k in ["individual", "group", "channel"] {
        assert!(kinds.contains(&k), "no {k} conversation in {kinds:?}");
    }
    // Text that is not UTF-8 is carried as base64 bytes, never lossily.
    let messages = all_messages(&r);
    let bad: Vec<&Value> = messages.iter().filter(|m| m.get("text_bytes").is_some()).collect();
    assert_eq!(bad.len(), 1, "one message has text_bytes");
    assert_eq!(bad[0]["text"], Value::Null);
    let decoded = base64::engine::general_purpose::STANDARD.decode(bad[0]["text_bytes"].as_str().unwrap()).unwrap();
    assert_eq!(decoded, bad_text);
    // Valid text is carried exactly.
    assert!(messages.iter().any(|m| m["text"] == message_text(7).as_str()));
}

#[test]
fn database_alone() {
    let images = Images::new();
    let path = images.path("msgstore.db");
    make_whatsapp_db(&path, 12);
    let (r, _) = check_both(&[&path]);
    assert_eq!(r["summary"]["databases"], 1);
    assert_eq!(r["artifacts"][0]["offset"], 0);
    assert_eq!(r["summary"]["messages"], 12);
}

#[test]
fn pure_noise() {
    let images = Images::new();
    let img = images.write("noise.img", &noise(256 * 1024, 42));
    let (r, _) = check_both(&[&img]);
    assert_eq!(r["summary"]["messages"], 0);
    assert_eq!(r["conversations"], json!([]));
    assert_eq!(r["inputs"][0]["size_bytes"], 256 * 1024);
}

#[test]
fn two_databases_in_one_image() {
    let images = Images::new();
    let small = whatsapp_db_bytes(10);
    let large = whatsapp_db_bytes(20);
    let mut img = noise(4096, 7);
    img.extend_from_slice(&small);
    img.extend_from_slice(&noise(3 * 4096 + 512, 8));
    img.extend_from_slice(&large);
    img.extend_from_slice(&noise(1000, 9));
    let path = images.write("two-dbs.img", &img);
    let (r, _) = check_both(&[&path]);
    assert_eq!(r["summary"]["databases"], 2);
    // The first ten messages are in both databases, byte for byte: one entry each, two evidence
    // items (report.md: "one message found in several places is one entry").
    let messages = all_messages(&r);
    assert_eq!(messages.len(), 20, "messages: {}", messages.len());
    let doubled = messages.iter().filter(|m| m["evidence"].as_array().unwrap().len() == 2).count();
    assert_eq!(doubled, 10);
}

#[test]
fn database_with_wal() {
    let images = Images::new();
    let (db, wal) = make_whatsapp_db_with_wal(&images.path("msgstore.db"), 16);
    let mut img = noise(8192, 3);
    img.extend_from_slice(&db);
    img.extend_from_slice(&noise(2048, 4));
    img.extend_from_slice(&wal);
    img.extend_from_slice(&noise(512, 5));
    let path = images.write("db-wal.img", &img);
    let (r, _) = check_both(&[&path]);
    assert_eq!(r["summary"]["wal_files"], 1);
    let wal_artifact = r["artifacts"].as_array().unwrap().iter().find(|a| a["kind"] == "wal").expect("a wal artifact");
    assert!(wal_artifact["details"]["frames_total"].as_u64().unwrap() > 0);
}

#[test]
fn database_cut_by_the_end_of_the_image() {
    let images = Images::new();
    let db = whatsapp_db_bytes(60);
    assert!(db.len() > 3 * 4096);
    let mut img = noise(2048, 12);
    img.extend_from_slice(&db[..db.len() - 4096 - 100]);
    let path = images.write("cut.img", &img);
    let (r, _) = check_both(&[&path]);
    assert_eq!(r["summary"]["databases"], 1);
    assert_eq!(r["artifacts"][0]["intact"], false);
    assert!(!r["warnings"].as_array().unwrap().is_empty(), "no warning for a cut database");
}

#[test]
fn pages_without_their_header_are_orphans() {
    let images = Images::new();
    let mut db = whatsapp_db_bytes(30);
    // Wipe page 1: the database header and schema are gone, its b-tree pages remain.
    db[..4096].copy_from_slice(&noise(4096, 13));
    let path = images.write("orphans.img", &embed_in_noise(&db, 8192, 4096, 14));
    let (r, _) = check_both(&[&path]);
    assert_eq!(r["summary"]["databases"], 0);
    let groups: Vec<&Value> = r["artifacts"].as_array().unwrap().iter().filter(|a| a["kind"] == "page_group").collect();
    assert!(!groups.is_empty(), "no page group");
    assert!(groups.iter().all(|g| g["details"]["within"].is_null()));
    assert!(r["summary"]["orphan_pages"].as_u64().unwrap() > 0);
}

#[test]
fn several_inputs_one_missing() {
    let images = Images::new();
    let (img, _) = db_in_noise(&images, 5);
    let noise_img = images.write("noise.img", &noise(64 * 1024, 11));
    let missing = images.path("does-not-exist.img");
    let lib = scan_with_library(&[&img, &missing, &noise_img]);
    check_report(&lib);
    assert!(lib["inputs"][1]["error"].is_string());
    assert_eq!(lib["inputs"][1]["sha256"], Value::Null);
    let bin = scan_with_binary(&[&img, &missing, &noise_img]);
    check_report(&bin);
    assert!(bin["inputs"][1]["error"].is_string());
    assert_eq!(bin["inputs"][2]["error"], Value::Null);
}

#[test]
fn in_memory_sources() {
    let db = whatsapp_db_bytes(8);
    let r = scan_bytes_with_library(&[embed_in_noise(&db, 1000, 1000, 3), noise(10_000, 4), db]);
    check_report(&r);
    assert_eq!(r["inputs"][0]["container"], "memory");
    assert_eq!(r["summary"]["databases"], 2);
}

// The schema rejects what it must.

fn valid_report() -> Value {
    let db = whatsapp_db_bytes(4);
    let r = scan_bytes_with_library(&[embed_in_noise(&db, 4096, 4096, 99)]);
    validate_report(&r);
    assert!(!all_messages(&r).is_empty());
    r
}

fn assert_rejected(r: &Value, what: &str) {
    let errors = schema_errors(r);
    assert!(!errors.is_empty(), "the schema accepted {what}");
}

fn first_message(r: &mut Value) -> &mut Value {
    &mut r["conversations"][0]["messages"][0]
}

#[test]
fn rejects_a_report_without_inputs() {
    let mut r = valid_report();
    r.as_object_mut().unwrap().remove("inputs");
    assert_rejected(&r, "a report without inputs");
}

#[test]
fn rejects_a_bogus_status() {
    let mut r = valid_report();
    first_message(&mut r)["status"] = json!("bogus");
    assert_rejected(&r, "status \"bogus\"");
}

#[test]
fn rejects_a_confidence_above_one() {
    let mut r = valid_report();
    first_message(&mut r)["confidence"] = json!(1.5);
    assert_rejected(&r, "confidence 1.5");
    first_message(&mut r)["confidence"] = json!(-0.01);
    assert_rejected(&r, "confidence -0.01");
}

type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn rejects_other_violations() {
    let base = valid_report();
    let cases: Vec<(&str, Mutation)> = vec![
        ("report_version 2", Box::new(|r| r["report_version"] = json!("2"))),
        (
            "an upper-case sha256",
            Box::new(|r| {
                let s = r["inputs"][0]["sha256"].as_str().unwrap().to_uppercase();
                r["inputs"][0]["sha256"] = json!(s);
            }),
        ),
        ("a short sha256", Box::new(|r| r["inputs"][0]["sha256"] = json!("abc"))),
        (
            "an unknown evidence source",
            Box::new(|r| first_message(r)["evidence"][0]["source"] = json!("carrier_pigeon")),
        ),
        ("an unknown artifact kind", Box::new(|r| r["artifacts"][0]["kind"] = json!("zip"))),
        ("an unknown conversation kind", Box::new(|r| r["conversations"][0]["kind"] = json!("party"))),
        ("a non-UTC timestamp", Box::new(|r| first_message(r)["timestamp"] = json!("2020-09-13T14:27:40.000+02:00"))),
        (
            "a timestamp that is no date",
            Box::new(|r| first_message(r)["timestamp"] = json!("2020-13-45T12:27:40.000Z")),
        ),
        ("a message without evidence", Box::new(|r| first_message(r)["evidence"] = json!([]))),
        (
            "a message missing key_id",
            Box::new(|r| {
                first_message(r).as_object_mut().unwrap().remove("key_id");
            }),
        ),
        (
            "text and text_bytes together",
            Box::new(|r| {
                first_message(r)["text_bytes"] = json!("AAEC");
            }),
        ),
        (
            "sqlite_db details missing tables",
            Box::new(|r| {
                r["artifacts"][0]["details"].as_object_mut().unwrap().remove("tables");
            }),
        ),
        ("a sqlite_db with page size 1000", Box::new(|r| r["artifacts"][0]["page_size"] = json!(1000))),
        (
            "an artifact id of another kind",
            Box::new(|r| {
                let id = r["artifacts"][0]["id"].as_str().unwrap().replace("sqlite_db", "wal");
                r["artifacts"][0]["id"] = json!(id);
            }),
        ),
        ("a negative offset", Box::new(|r| r["artifacts"][0]["offset"] = json!(-1))),
        ("warnings that are not strings", Box::new(|r| r["warnings"] = json!([1]))),
        ("an unknown status count", Box::new(|r| r["summary"]["messages_by_status"]["bogus"] = json!(1))),
        ("a failed input without error but with no size", Box::new(|r| r["inputs"][0]["size_bytes"] = Value::Null)),
    ];
    let mut accepted = Vec::new();
    for (what, mutate) in &cases {
        let mut r = base.clone();
        mutate(&mut r);
        if schema_errors(&r).is_empty() {
            accepted.push(*what);
        }
    }
    assert!(accepted.is_empty(), "the schema accepted: {accepted:?}");
}

#[test]
fn accepts_additional_fields_and_text_bytes() {
    // Forward compatibility: fields may be added anywhere.
    let mut r = valid_report();
    r["future_top_level"] = json!({"x": 1});
    r["summary"]["future_count"] = json!(3);
    first_message(&mut r)["future_field"] = json!(true);
    first_message(&mut r)["text"] = Value::Null;
    first_message(&mut r)["text_bytes"] = json!("/w==");
    validate_report(&r);
}

#[test]
fn exported_chats_in_unallocated_space() {
    let img = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export_text_unallocated.img");
    let (r, _) = check_both(&[&img]);
    let fragments =
        r["artifacts"].as_array().expect("artifacts").iter().filter(|a| a["kind"] == "text_fragment").count();
    assert!(fragments >= 7, "{fragments} text_fragment artifacts");
    assert!(r["summary"]["messages_by_source"]["export_line"].as_u64().is_some_and(|n| n > 300));
    assert!(r["summary"]["messages_by_status"]["fragment"].as_u64().is_some_and(|n| n > 300));
}
