//! Helpers shared by the integration tests: the report schema, the binary, small WhatsApp-like
//! databases built with rusqlite, deterministic noise, and library-side scans.
//!
//! Each test crate includes this with `mod common;` and uses a subset, hence the `dead_code`
//! allowance.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Path of the published report schema.
pub fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report-v1.schema.json")
}

/// The report schema as JSON.
pub fn schema() -> Value {
    let text = std::fs::read_to_string(schema_path()).expect("read schemas/report-v1.schema.json");
    serde_json::from_str(&text).expect("the schema is valid JSON")
}

/// Compiles the schema, with `format` asserted (2020-12 only annotates it by default).
pub fn validator() -> jsonschema::Validator {
    let schema = schema();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the report schema does not compile: {e}"))
}

/// Every schema violation of `json`, as `instance path: message`.
pub fn schema_errors(json: &Value) -> Vec<String> {
    let v = validator();
    let errors: Vec<String> = v.iter_errors(json).map(|e| format!("{}: {}", e.instance_path, e)).collect();
    errors
}

/// Panics, listing every violation, unless `json` is valid against the report schema.
pub fn validate_report(json: &Value) {
    let errors = schema_errors(json);
    if !errors.is_empty() {
        panic!(
            "report does not match schemas/report-v1.schema.json ({} error(s)):\n  {}",
            errors.len(),
            errors.join("\n  ")
        );
    }
}

/// Checks what the schema cannot express: unique and resolvable ids, evidence inside its input,
/// summary counts that add up, and the ordering guarantees of docs/report-format.md.
/// Panics listing every problem.
pub fn check_invariants(r: &Value) {
    let mut problems: Vec<String> = Vec::new();
    let inputs = r["inputs"].as_array().expect("inputs");
    for (i, input) in inputs.iter().enumerate() {
        if input["index"].as_u64() != Some(i as u64) {
            problems.push(format!("inputs[{i}].index is {}", input["index"]));
        }
    }
    let artifacts = r["artifacts"].as_array().expect("artifacts");
    let mut ids = std::collections::BTreeSet::new();
    let extent: std::collections::BTreeMap<String, (u64, u64)> = artifacts
        .iter()
        .map(|a| {
            let off = a["offset"].as_u64().unwrap_or(0);
            (a["id"].as_str().unwrap_or_default().to_owned(), (off, off + a["length"].as_u64().unwrap_or(0)))
        })
        .collect();
    let mut last: Option<(u64, u64)> = None;
    for a in artifacts {
        let id = a["id"].as_str().unwrap_or_default();
        if !ids.insert(id.to_owned()) {
            problems.push(format!("artifact id {id} appears twice"));
        }
        let input = a["input"].as_u64().unwrap_or(u64::MAX);
        let offset = a["offset"].as_u64().unwrap_or(0);
        let kind = a["kind"].as_str().unwrap_or_default();
        let expected = format!("{kind}-{input}-{offset:012x}");
        if id != expected {
            problems.push(format!("artifact id {id}: expected {expected}"));
        }
        match inputs.get(input as usize) {
            None => problems.push(format!("artifact {id}: no input {input}")),
            Some(inp) => {
                let size = inp["size_bytes"].as_u64().unwrap_or(0);
                let end = offset + a["length"].as_u64().unwrap_or(0);
                if end > size {
                    problems.push(format!("artifact {id} ends at {end}, past the input ({size})"));
                }
            }
        }
        if let Some(prev) = last {
            if (input, offset) < prev {
                problems.push(format!("artifact {id} is out of (input, offset) order"));
            }
        }
        last = Some((input, offset));
    }
    for a in artifacts {
        let d = &a["details"];
        for key in ["wal", "database", "within"] {
            if let Some(target) = d.get(key).and_then(Value::as_str) {
                if !ids.contains(target) {
                    problems.push(format!("artifact {}: details.{key} {target} not found", a["id"]));
                }
            }
        }
    }

    let mut message_ids = std::collections::BTreeSet::new();
    let mut by_status = std::collections::BTreeMap::<String, u64>::new();
    let mut by_source = std::collections::BTreeMap::<String, u64>::new();
    let mut count = 0u64;
    let mut check_message = |m: &Value, problems: &mut Vec<String>| {
        count += 1;
        let id = m["id"].as_str().unwrap_or_default().to_owned();
        if !message_ids.insert(id.clone()) {
            problems.push(format!("message id {id} appears twice"));
        }
        *by_status.entry(m["status"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
        let evidence = m["evidence"].as_array().cloned().unwrap_or_default();
        let mut sources: Vec<String> =
            evidence.iter().map(|e| e["source"].as_str().unwrap_or_default().to_owned()).collect();
        sources.sort();
        sources.dedup();
        for s in sources {
            *by_source.entry(s).or_default() += 1;
        }
        if let Some(first) = evidence.first() {
            let expected = format!(
                "msg-{}-{:012x}-{}",
                first["input"].as_u64().unwrap_or(0),
                first["offset"].as_u64().unwrap_or(0),
                first["source"].as_str().unwrap_or_default()
            );
            if id != expected {
                problems.push(format!("message id {id}: expected {expected}"));
            }
        }
        for e in &evidence {
            let art = e["artifact"].as_str().unwrap_or_default();
            if !ids.contains(art) {
                problems.push(format!("message {id}: evidence artifact {art} not found"));
            }
            if let Some(&(start, end)) = extent.get(art) {
                let off = e["offset"].as_u64().unwrap_or(0);
                let len = e["length"].as_u64().unwrap_or(0);
                if off < start || off + len > end {
                    problems.push(format!("message {id}: evidence [{off}, +{len}) lies outside artifact {art}"));
                }
            }
            let input = e["input"].as_u64().unwrap_or(u64::MAX);
            match inputs.get(input as usize) {
                None => problems.push(format!("message {id}: evidence input {input} missing")),
                Some(inp) => {
                    let size = inp["size_bytes"].as_u64().unwrap_or(0);
                    let end = e["offset"].as_u64().unwrap_or(0) + e["length"].as_u64().unwrap_or(0);
                    if end > size {
                        problems.push(format!("message {id}: evidence ends at {end}, past input ({size})"));
                    }
                }
            }
        }
    };
    let conversations = r["conversations"].as_array().expect("conversations");
    for c in conversations {
        let messages = c["messages"].as_array().cloned().unwrap_or_default();
        let times: Vec<Option<i64>> = messages.iter().map(|m| m["timestamp_ms"].as_i64()).collect();
        if times.windows(2).any(|w| w[0] > w[1]) {
            problems.push(format!("conversation {}: messages out of time order", c["chat_jid"]));
        }
        let min = times.iter().flatten().min().copied();
        let max = times.iter().flatten().max().copied();
        if c["first_timestamp_ms"].as_i64() != min || c["last_timestamp_ms"].as_i64() != max {
            problems.push(format!("conversation {}: first/last timestamps", c["chat_jid"]));
        }
        for m in &messages {
            if m["chat_jid"] != c["chat_jid"] {
                problems.push(format!("message {} is in conversation {}", m["id"], c["chat_jid"]));
            }
            check_message(m, &mut problems);
        }
    }
    for m in r["unattributed_messages"].as_array().expect("unattributed_messages") {
        check_message(m, &mut problems);
    }
    let s = &r["summary"];
    if s["messages"].as_u64() != Some(count) {
        problems.push(format!("summary.messages {} but {count} messages", s["messages"]));
    }
    if s["conversations"].as_u64() != Some(conversations.len() as u64) {
        problems.push(format!("summary.conversations {}", s["conversations"]));
    }
    let as_map = |v: &Value| -> std::collections::BTreeMap<String, u64> {
        v.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect()).unwrap_or_default()
    };
    if as_map(&s["messages_by_status"]) != by_status {
        problems.push(format!("summary.messages_by_status {} vs {by_status:?}", s["messages_by_status"]));
    }
    if as_map(&s["messages_by_source"]) != by_source {
        problems.push(format!("summary.messages_by_source {} vs {by_source:?}", s["messages_by_source"]));
    }
    let kinds = |k: &str| artifacts.iter().filter(|a| a["kind"] == k).count() as u64;
    for (field, kind) in [("databases", "sqlite_db"), ("wal_files", "wal"), ("journals", "journal")] {
        if s[field].as_u64() != Some(kinds(kind)) {
            problems.push(format!("summary.{field} {} but {} {kind} artifacts", s[field], kinds(kind)));
        }
    }
    let bytes: u64 = inputs.iter().filter_map(|i| i["size_bytes"].as_u64()).sum();
    if s["bytes_scanned"].as_u64() != Some(bytes) {
        problems.push(format!("summary.bytes_scanned {} vs inputs {bytes}", s["bytes_scanned"]));
    }
    if !problems.is_empty() {
        panic!("report invariants broken:\n  {}", problems.join("\n  "));
    }
}

/// Schema and invariants.
pub fn check_report(r: &Value) {
    validate_report(r);
    check_invariants(r);
}

/// The `chatcarve` binary of this crate.
pub fn chatcarve_bin() -> assert_cmd::Command {
    // Cargo builds the binary for integration tests and names it here.
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_chatcarve"))
}

/// `CREATE TABLE` statements of WhatsApp Android's current schema (whatsapp.md).
pub const CREATE_JID: &str =
    "CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, agent INTEGER,
  device INTEGER, type INTEGER, raw_string TEXT)";
/// `chat`, without the many later columns.
pub const CREATE_CHAT: &str = "CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER, subject TEXT,
  created_timestamp INTEGER, display_message_row_id INTEGER, last_message_row_id INTEGER, last_read_message_row_id INTEGER,
  last_read_receipt_sent_message_row_id INTEGER, last_important_message_row_id INTEGER, archived INTEGER,
  sort_timestamp INTEGER, mod_tag INTEGER, gen REAL, spam_detection INTEGER)";
/// `message`.
pub const CREATE_MESSAGE: &str = "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL,
  key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER, broadcast INTEGER, recipient_count INTEGER,
  participant_hash TEXT, origination_flags INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER,
  receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER, lookup_tables INTEGER,
  sort_id INTEGER NOT NULL DEFAULT 0)";

/// First message time of generated databases (2020-09-13T12:26:40Z), one minute apart.
pub const BASE_TIMESTAMP_MS: i64 = 1_600_000_000_000;

/// The JIDs of generated databases: two people, a group, a channel.
pub const JIDS: [(&str, &str); 4] = [
    ("33612345678", "s.whatsapp.net"),
    ("447700900123", "s.whatsapp.net"),
    ("120363012345678901", "g.us"),
    ("120363098765432109", "newsletter"),
];

/// Text of generated message `i` (1-based).
pub fn message_text(i: usize) -> String {
    format!("message {i}: the quick brown fox é ✓")
}

/// `key_id` of generated message `i`.
pub fn message_key_id(i: usize) -> String {
    format!("3EB0{:016X}", i as u64 * 0x9E37_79B9)
}

fn create_schema(conn: &Connection) {
    conn.execute_batch(&format!("{CREATE_JID};\n{CREATE_CHAT};\n{CREATE_MESSAGE};")).expect("create tables");
    for (i, (user, server)) in JIDS.iter().enumerate() {
        conn.execute(
            "INSERT INTO jid (_id, user, server, agent, device, type, raw_string) VALUES (?1, ?2, ?3, 0, 0, 0, ?4)",
            rusqlite::params![i as i64 + 1, user, server, format!("{user}@{server}")],
        )
        .expect("insert jid");
        let subject = match *server {
            "g.us" => Some("Family group"),
            "newsletter" => Some("News channel"),
            _ => None,
        };
        conn.execute(
            "INSERT INTO chat (_id, jid_row_id, hidden, subject, created_timestamp, archived, sort_timestamp)
             VALUES (?1, ?1, 0, ?2, ?3, 0, ?3)",
            rusqlite::params![i as i64 + 1, subject, BASE_TIMESTAMP_MS],
        )
        .expect("insert chat");
    }
}

fn insert_messages(conn: &Connection, range: std::ops::RangeInclusive<usize>) {
    let mut stmt = conn
        .prepare(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, broadcast,
               recipient_count, origination_flags, origin, timestamp, received_timestamp,
               receipt_server_timestamp, message_type, text_data, starred, lookup_tables, sort_id)
             VALUES (?1, ?2, ?3, ?4, ?5, 13, 0, 0, 0, 0, ?6, ?7, ?7, 0, ?8, 0, 0, ?1)",
        )
        .expect("prepare insert");
    for i in range {
        // Chats 1..=4 in turn; in the group (chat 3), others' messages name their sender.
        let chat = (i % 4) as i64 + 1;
        let from_me = i % 5 == 0;
        let sender: i64 = if chat == 3 && !from_me { (i % 2) as i64 + 1 } else { 0 };
        let ts = BASE_TIMESTAMP_MS + i as i64 * 60_000;
        stmt.execute(rusqlite::params![
            i as i64 + 1, // _id 1 is left free, as the app's sentinel row would be
            chat,
            from_me as i64,
            message_key_id(i),
            sender,
            ts,
            ts + 1500,
            message_text(i),
        ])
        .expect("insert message");
    }
}

fn open_new(path: &Path) -> Connection {
    if path.exists() {
        std::fs::remove_file(path).expect("remove old database");
    }
    let conn = Connection::open(path).expect("create database");
    conn.execute_batch("PRAGMA page_size = 4096; PRAGMA auto_vacuum = NONE;").expect("pragmas");
    conn
}

/// Writes a small WhatsApp-Android-like database (`jid`, `chat`, `message` with the real
/// `CREATE TABLE` statements, page size 4096, rollback-journal mode) with `n_messages` text
/// messages spread over two one-to-one chats, a group and a channel.
pub fn make_whatsapp_db(path: &Path, n_messages: usize) {
    let mut conn = open_new(path);
    let tx = conn.transaction().expect("begin");
    create_schema(&tx);
    insert_messages(&tx, 1..=n_messages);
    tx.commit().expect("commit");
    conn.close().expect("close");
}

/// Like [`make_whatsapp_db`], in WAL mode: the schema and the first half of the messages are
/// checkpointed into the database, the rest stay in the WAL. Returns the bytes of the database
/// file and of its `-wal` file, read while the connection is open (closing would checkpoint).
pub fn make_whatsapp_db_with_wal(path: &Path, n_messages: usize) -> (Vec<u8>, Vec<u8>) {
    let conn = open_new(path);
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal mode");
    conn.pragma_update(None, "wal_autocheckpoint", 0).expect("no autocheckpoint");
    conn.execute_batch("BEGIN").expect("begin");
    create_schema(&conn);
    insert_messages(&conn, 1..=n_messages / 2);
    conn.execute_batch("COMMIT").expect("commit");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    conn.execute_batch("BEGIN").expect("begin");
    insert_messages(&conn, n_messages / 2 + 1..=n_messages);
    conn.execute_batch("COMMIT").expect("commit");
    let db = std::fs::read(path).expect("read database");
    let mut wal_path = path.as_os_str().to_owned();
    wal_path.push("-wal");
    let wal = std::fs::read(&wal_path).expect("read wal");
    drop(conn);
    (db, wal)
}

/// Adds to a database made by [`make_whatsapp_db`] a message whose `text_data` holds bytes that
/// are not UTF-8 (`CAST(blob AS TEXT)` stores them unchanged). Returns those bytes.
pub fn add_invalid_utf8_message(path: &Path) -> Vec<u8> {
    let bytes = vec![b'b', b'a', b'd', 0xff, 0xfe, b' ', 0xc3, 0x28, b'!'];
    let conn = Connection::open(path).expect("open database");
    conn.execute(
        "INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp,
           message_type, text_data, sort_id)
         VALUES (1, 0, 'BADUTF8000000000', 0, 13, ?1, 0, CAST(?2 AS TEXT), 100000)",
        rusqlite::params![BASE_TIMESTAMP_MS - 60_000, bytes],
    )
    .expect("insert message with invalid text");
    conn.close().expect("close");
    bytes
}

/// Builds a database with [`make_whatsapp_db`] in a temporary directory and returns its bytes.
pub fn whatsapp_db_bytes(n_messages: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    make_whatsapp_db(&path, n_messages);
    std::fs::read(&path).expect("read database")
}

/// `len` bytes of deterministic noise (xorshift64*) from `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    if state == 0 {
        state = 0x2545_F491_4F6C_DD1D;
    }
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// `db` between `before` and `after` bytes of deterministic noise.
pub fn embed_in_noise(db: &[u8], before: usize, after: usize, seed: u64) -> Vec<u8> {
    let mut out = noise(before, seed);
    out.extend_from_slice(db);
    out.extend_from_slice(&noise(after, seed.wrapping_add(0x5eed)));
    out
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read file"))
}

/// Scans `paths` through the library, as the binary does, and returns the report as JSON (the
/// text written by `report::write_json`, parsed back). An input that cannot be opened becomes an
/// input with an error.
pub fn scan_with_library(paths: &[&Path]) -> Value {
    use chatcarve::report::{self, InputOutcome, RunInfo};
    use chatcarve::scan::ScanSettings;
    let settings = ScanSettings::default();
    let outcomes: Vec<InputOutcome> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| InputOutcome {
            path: path.display().to_string(),
            result: chatcarve::source::open(path, &chatcarve::source::OpenOptions::default())
                .map(|src| chatcarve::analyse(src.as_ref(), index, &settings, &()))
                .map_err(|e| e.to_string()),
        })
        .collect();
    let report = report::build_report(&outcomes, RunInfo::default());
    let mut text = Vec::new();
    report::write_json(&report, &mut text).expect("write_json");
    serde_json::from_slice(&text).expect("write_json writes valid JSON")
}

/// Scans in-memory images through the library (`MemorySource`, container `memory`).
pub fn scan_bytes_with_library(images: &[Vec<u8>]) -> Value {
    use chatcarve::report::{self, InputOutcome, RunInfo};
    use chatcarve::scan::ScanSettings;
    use chatcarve::source::MemorySource;
    let settings = ScanSettings::default().chunk_size(4096);
    let outcomes: Vec<InputOutcome> = images
        .iter()
        .enumerate()
        .map(|(index, bytes)| InputOutcome {
            path: format!("memory-{index}"),
            result: Ok(chatcarve::analyse(&MemorySource::new(bytes.clone()), index, &settings, &())),
        })
        .collect();
    let report = report::build_report(&outcomes, RunInfo::default());
    let mut text = Vec::new();
    report::write_json(&report, &mut text).expect("write_json");
    serde_json::from_slice(&text).expect("write_json writes valid JSON")
}

/// All messages of a report: those of every conversation, then the unattributed ones.
pub fn all_messages(r: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = r["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
        .collect();
    out.extend(r["unattributed_messages"].as_array().cloned().unwrap_or_default());
    out
}

/// Whether the command-line tool `tool` (Debian package `package`) is installed. Without it a
/// test skips with a message, unless CHATCARVE_REQUIRE_TOOLS=1 (CI), where it fails.
pub fn have_tool(tool: &str, package: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let required = std::env::var("CHATCARVE_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
        assert!(!required, "CHATCARVE_REQUIRE_TOOLS=1 but {tool} is not installed (apt-get install {package})");
        eprintln!("SKIPPED: {tool} not found (apt-get install {package}); what needs it was not tested");
    }
    found
}
