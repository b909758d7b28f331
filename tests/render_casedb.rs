//! The case database holds exactly what the JSON report holds: fixtures are scanned to JSON, the
//! database is rendered from that JSON, read back with rusqlite, and the report's inputs,
//! artifacts, conversations, messages (with their confidence factors and evidence), gaps and
//! warnings are rebuilt from its rows and compared with the JSON field by field. The example
//! queries of docs/case-database.md are run and checked against the JSON too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use chatcarve::render::{self, CaseInfo, Zone};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Renders `report` (its JSON text) into a case database in `dir` and opens it.
fn render_db(report: &Value, case: &CaseInfo, dir: &Path) -> Connection {
    let text = serde_json::to_vec_pretty(report).unwrap();
    let doc = render::parse_report(&text).expect("the report parses");
    let path = dir.join("case.sqlite");
    let mut conn = Connection::open(&path).unwrap();
    let outcome = render::casedb::write(&mut conn, &doc, case).expect("the case database is written");
    assert!(outcome.dangling_references.is_empty(), "dangling: {:?}", outcome.dangling_references);
    conn.close().unwrap();
    let conn = Connection::open(&path).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let fk: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 0, "every foreign key resolves");
    conn
}

fn json_of(v: Sql) -> Value {
    match v {
        Sql::Null => Value::Null,
        Sql::Integer(i) => json!(i),
        Sql::Real(f) => json!(f),
        Sql::Text(s) => json!(s),
        Sql::Blob(_) => panic!("no blobs in the case database"),
    }
}

/// Every row of `sql` as an object keyed by column name.
fn rows(conn: &Connection, sql: &str) -> Vec<Map<String, Value>> {
    let mut st = conn.prepare(sql).unwrap();
    let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let mut q = st.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let mut m = Map::new();
        for (i, n) in names.iter().enumerate() {
            m.insert(n.clone(), json_of(r.get::<_, Sql>(i).unwrap()));
        }
        out.push(m);
    }
    out
}

fn take(m: &mut Map<String, Value>, k: &str) -> Value {
    m.remove(k).unwrap_or(Value::Null)
}

fn boolean(v: Value) -> Value {
    match v {
        Value::Null => Value::Null,
        v => json!(v.as_i64().expect("0 or 1") != 0),
    }
}

fn parsed(v: Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(&s).expect("JSON text"),
        v => v,
    }
}

/// The report's messages, conversations and the rest, rebuilt from the database.
fn rebuild(conn: &Connection) -> Value {
    let mut factors: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for mut f in rows(conn, "SELECT * FROM confidence_factors ORDER BY message, ordinal") {
        let id = take(&mut f, "message").as_str().unwrap().to_owned();
        factors
            .entry(id)
            .or_default()
            .push(json!({ "factor": take(&mut f, "factor"), "effect": take(&mut f, "effect") }));
    }
    let mut evidence: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for mut e in rows(conn, "SELECT * FROM evidence ORDER BY message, ordinal") {
        let id = take(&mut e, "message").as_str().unwrap().to_owned();
        let mut item = Map::new();
        for k in ["source", "input", "offset", "length", "artifact", "page_number", "detail"] {
            item.insert(k.into(), take(&mut e, k));
        }
        let (path, offset) = (take(&mut e, "member_path"), take(&mut e, "member_offset"));
        if !path.is_null() {
            item.insert("member".into(), json!({ "path": path, "offset": offset }));
        }
        evidence.entry(id).or_default().push(Value::Object(item));
    }
    let message = |mut m: Map<String, Value>| -> (Value, Value) {
        let id = take(&mut m, "message");
        let key = id.as_str().unwrap().to_owned();
        let mut out = Map::new();
        out.insert("id".into(), id);
        for k in ["key_id", "chat_jid", "sender_jid"] {
            out.insert(k.into(), take(&mut m, k));
        }
        let row_id = take(&mut m, "row_id");
        if !row_id.is_null() {
            out.insert("row_id".into(), row_id);
        }
        out.insert("sender_name".into(), take(&mut m, "sender_name"));
        out.insert("from_me".into(), boolean(take(&mut m, "from_me")));
        for k in ["timestamp_ms", "timestamp", "message_type", "text"] {
            out.insert(k.into(), take(&mut m, k));
        }
        let bytes = take(&mut m, "text_bytes");
        if !bytes.is_null() {
            out.insert("text_bytes".into(), bytes);
        }
        let details = take(&mut m, "details");
        if !details.is_null() {
            out.insert("details".into(), parsed(details));
        }
        out.insert("status".into(), take(&mut m, "status"));
        out.insert("confidence".into(), take(&mut m, "confidence"));
        out.insert("confidence_factors".into(), json!(factors.get(&key).cloned().unwrap_or_default()));
        out.insert("evidence".into(), json!(evidence.get(&key).cloned().unwrap_or_default()));
        if let Value::Object(extra) = parsed(take(&mut m, "extra")) {
            out.extend(extra);
        }
        (take(&mut m, "conversation"), Value::Object(out))
    };
    let mut conversations = Vec::new();
    for mut c in rows(conn, "SELECT * FROM conversations ORDER BY conversation") {
        let n = take(&mut c, "conversation").as_i64().unwrap();
        let messages: Vec<Value> =
            rows(conn, &format!("SELECT * FROM messages WHERE conversation = {n} ORDER BY position"))
                .into_iter()
                .map(|m| message(m).1)
                .collect();
        assert_eq!(take(&mut c, "message_count"), json!(messages.len()));
        let gaps: Vec<Value> = rows(conn, &format!("SELECT * FROM gaps WHERE conversation = {n} ORDER BY ordinal"))
            .into_iter()
            .map(|mut g| {
                let mut o = Map::new();
                for k in ["after_message", "before_message", "numbering", "first_missing", "last_missing", "missing"] {
                    o.insert(k.into(), take(&mut g, k));
                }
                Value::Object(o)
            })
            .collect();
        let mut o = Map::new();
        for k in ["chat_jid", "chat_name", "kind", "app", "chat_row_id", "first_timestamp_ms", "last_timestamp_ms"] {
            o.insert(k.into(), take(&mut c, k));
        }
        o.insert("messages".into(), json!(messages));
        o.insert("gaps".into(), json!(gaps));
        conversations.push(Value::Object(o));
    }
    let unattributed: Vec<Value> = rows(conn, "SELECT * FROM messages WHERE conversation IS NULL ORDER BY position")
        .into_iter()
        .map(|m| message(m).1)
        .collect();
    let inputs: Vec<Value> = rows(conn, "SELECT * FROM inputs ORDER BY input")
        .into_iter()
        .map(|mut i| {
            let n = take(&mut i, "input");
            let members: Vec<Value> = rows(
                conn,
                &format!("SELECT path, offset, length, sha256 FROM input_members WHERE input = {n} ORDER BY ordinal"),
            )
            .into_iter()
            .map(Value::Object)
            .collect();
            let mut o = Map::new();
            o.insert("index".into(), n);
            for k in ["path", "size_bytes", "sha256", "container", "error"] {
                o.insert(k.into(), take(&mut i, k));
            }
            if !members.is_empty() {
                o.insert("members".into(), json!(members));
            }
            Value::Object(o)
        })
        .collect();
    let artifacts: Vec<Value> = rows(conn, "SELECT * FROM artifacts ORDER BY ordinal")
        .into_iter()
        .map(|mut a| {
            let mut o = Map::new();
            o.insert("id".into(), take(&mut a, "artifact"));
            for k in ["kind", "input", "offset", "length", "page_size", "app"] {
                o.insert(k.into(), take(&mut a, k));
            }
            o.insert("intact".into(), boolean(take(&mut a, "intact")));
            o.insert("details".into(), parsed(take(&mut a, "details")));
            Value::Object(o)
        })
        .collect();
    let warnings: Vec<Value> = rows(conn, "SELECT warning FROM warnings ORDER BY ordinal")
        .into_iter()
        .map(|mut w| take(&mut w, "warning"))
        .collect();
    let mut case = rows(conn, r#"SELECT * FROM "case""#).pop().expect("one case row");
    json!({
        "report_version": take(&mut case, "report_version"),
        "tool": { "name": take(&mut case, "tool_name"), "version": take(&mut case, "tool_version") },
        "run": {
            "started": take(&mut case, "run_started"),
            "finished": take(&mut case, "run_finished"),
            "threads": take(&mut case, "run_threads"),
            "arguments": parsed(take(&mut case, "run_arguments")),
        },
        "inputs": inputs,
        "summary": parsed(take(&mut case, "summary")),
        "artifacts": artifacts,
        "conversations": conversations,
        "unattributed_messages": unattributed,
        "warnings": warnings,
    })
}

/// Compares two JSON values and names the first path where they differ.
fn diff(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => diff(&format!("{path}.{k}"), p, q),
                (p, q) => Some(format!("{path}.{k}: {p:?} in the report, {q:?} in the database")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| diff(&format!("{path}[{i}]"), p, q))
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(format!("{path}: {a} in the report, {b} in the database")),
    }
}

fn round_trip(fixture_name: &str) -> (Value, Connection, tempfile::TempDir) {
    round_trip_of(&fixture(fixture_name))
}

fn round_trip_of(image: &Path) -> (Value, Connection, tempfile::TempDir) {
    let fixture_name = image.display();
    let report = common::scan_with_library(&[image]);
    let dir = tempfile::tempdir().unwrap();
    let case = CaseInfo {
        case_id: Some("2024-0042".into()),
        examiner: Some("A. Examiner".into()),
        zone: Zone::parse("Europe/Berlin").unwrap(),
    };
    let conn = render_db(&report, &case, dir.path());
    let rebuilt = rebuild(&conn);
    if let Some(d) = diff("report", &report, &rebuilt) {
        panic!("{fixture_name}: the case database differs from the JSON report at {d}");
    }
    let (case_id, examiner, tz): (String, String, String) = conn
        .query_row(r#"SELECT case_id, examiner, timezone FROM "case""#, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!((case_id.as_str(), examiner.as_str(), tz.as_str()), ("2024-0042", "A. Examiner", "Europe/Berlin"));
    (report, conn, dir)
}

/// An image made of several files: each evidence item names its segment, in the database too.
#[test]
fn split_image_case_database_holds_exactly_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read(fixture("demo.img")).unwrap();
    let (a, b) = demo.split_at(4 << 20);
    std::fs::write(dir.path().join("demo.001"), a).unwrap();
    std::fs::write(dir.path().join("demo.002"), b).unwrap();
    let (report, conn, _db_dir) = round_trip_of(&dir.path().join("demo.001"));
    assert_eq!(report["inputs"][0]["container"], "split-raw");
    let in_second: i64 = conn
        .query_row(
            "SELECT count(*) FROM evidence WHERE member_path LIKE '%demo.002' AND offset - member_offset = ?1",
            [4i64 << 20],
            |r| r.get(0),
        )
        .unwrap();
    assert!(in_second > 0, "evidence in the second segment names it");
}

#[test]
fn demo_case_database_holds_exactly_the_report() {
    let (report, conn, _dir) = round_trip("demo.img");
    let n = common::all_messages(&report).len() as i64;
    assert!(n > 0);
    let rows: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, n);
    // Local times are in the case's zone, with its offset.
    let local: Vec<String> = conn
        .prepare("SELECT local_time FROM messages WHERE local_time IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!local.is_empty());
    assert!(local.iter().all(|t| t.ends_with("+01:00") || t.ends_with("+02:00")), "{local:?}");
}

#[test]
fn phone_backups_case_database_holds_exactly_the_report() {
    let (report, conn, _dir) = round_trip("phone_backups.img");
    let sources: Vec<String> = conn
        .prepare("SELECT DISTINCT source FROM evidence ORDER BY source")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for s in ["backup", "quoted_copy", "fts_index", "wal_frame", "orphan_page"] {
        assert!(sources.iter().any(|x| x == s), "the fixture exercises {s} evidence: {sources:?}");
    }
    // docs/case-database.md: every message recovered from a given source.
    for source in &sources {
        let expected = common::all_messages(&report)
            .iter()
            .filter(|m| m["evidence"].as_array().unwrap().iter().any(|e| e["source"] == source.as_str()))
            .count() as i64;
        let got: i64 = conn
            .query_row(
                "SELECT count(*) FROM messages m WHERE EXISTS \
                 (SELECT 1 FROM evidence e WHERE e.message = m.message AND e.source = ?1)",
                [source],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(got, expected, "messages with {source} evidence");
        assert_eq!(report["summary"]["messages_by_source"][source.as_str()], json!(expected));
    }
    // docs/case-database.md: every deleted message of one chat in a date range.
    let conversations = report["conversations"].as_array().unwrap();
    let chat = conversations
        .iter()
        .max_by_key(|c| c["messages"].as_array().unwrap().iter().filter(|m| m["status"] == "deleted").count())
        .unwrap();
    let jid = chat["chat_jid"].as_str().expect("a chat with a JID");
    let (from, to) = (chat["first_timestamp_ms"].as_i64().unwrap(), chat["last_timestamp_ms"].as_i64().unwrap());
    let expected: Vec<&str> = chat["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "deleted")
        .filter(|m| m["timestamp_ms"].as_i64().is_some_and(|t| (from..=to).contains(&t)))
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(!expected.is_empty(), "the fixture has deleted messages in {jid}");
    let got: Vec<String> = conn
        .prepare(
            "SELECT m.message FROM messages m JOIN conversations c USING (conversation) \
             WHERE c.chat_jid = ?1 AND m.status = 'deleted' \
               AND m.timestamp >= ?2 AND m.timestamp < ?3 ORDER BY m.timestamp_ms, m.position",
        )
        .unwrap()
        .query_map(
            rusqlite::params![
                jid,
                Zone::default().format_ms(from).unwrap().replace("+00:00", "Z"),
                Zone::default().format_ms(to + 1).unwrap().replace("+00:00", "Z")
            ],
            |r| r.get(0),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn a_sparse_report_of_another_version_still_renders() {
    // Fields missing, nulls for lists, and a field a later version adds.
    let report = json!({
        "report_version": "1",
        "tool": {"name": "chatcarve", "version": "0.0.1"},
        "inputs": [{"index": 0, "path": "old.img"}],
        "conversations": [{
            "chat_jid": "1@s.whatsapp.net", "app": "whatsapp-android",
            "messages": [{"id": "msg-0-000000000001-live_record", "text": "hi", "status": "live",
                          "future_field": {"x": 1},
                          "evidence": [{"source": "live_record", "input": 0, "offset": 1, "artifact": "sqlite_db-0-000000000000"}]}],
            "gaps": null
        }],
        "unattributed_messages": null,
        "warnings": ["w"]
    });
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::to_vec(&report).unwrap();
    let doc = render::parse_report(&text).unwrap();
    let mut conn = Connection::open(dir.path().join("old.sqlite")).unwrap();
    let outcome = render::casedb::write(&mut conn, &doc, &CaseInfo::default()).unwrap();
    assert_eq!(outcome.messages, 1);
    assert_eq!(outcome.dangling_references.len(), 1, "the artifact is not listed: {:?}", outcome.dangling_references);
    let extra: String = conn.query_row("SELECT extra FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(extra, r#"{"future_field":{"x":1}}"#);
    let tz: String = conn.query_row(r#"SELECT timezone FROM "case""#, [], |r| r.get(0)).unwrap();
    assert_eq!(tz, "UTC");
    // Another contract version is refused, with a message saying so.
    let err = render::parse_report(br#"{"report_version": "2"}"#).unwrap_err();
    assert!(err.to_string().contains("report_version \"2\""), "{err}");
}
