//! The timeline (CSV and JSON Lines), CASE/UCO JSON-LD and the `report` command: rendered from
//! the JSON report, formula-safe CSV, times in the examiner's zone, CASE validated by the CASE
//! project's own `case_validate` (skipped with a message when it is not installed, unless
//! `CHATCARVE_REQUIRE_TOOLS=1`), and `scan` and `report` writing the same files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use chatcarve::render::{self, CaseInfo, Zone};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.img")
}

fn doc(report: &Value) -> render::ReportDoc {
    render::parse_report(&serde_json::to_vec(report).unwrap()).unwrap()
}

/// A small report whose texts and names are hostile to spreadsheets.
fn hostile_report() -> Value {
    let msg = |id: &str, text: Option<&str>, ts: Option<i64>| {
        json!({
            "id": id, "chat_jid": "=evil@s.whatsapp.net", "sender_jid": "@SUM(A1)@s.whatsapp.net",
            "from_me": false, "timestamp_ms": ts, "message_type": "text", "text": text,
            "status": "deleted", "confidence": 0.5,
            "evidence": [{"source": "freeblock", "input": 0, "offset": 4096, "length": 10,
                          "artifact": "sqlite_db-0-000000000000", "page_number": 2, "detail": null}]
        })
    };
    json!({
        "report_version": "1",
        "tool": {"name": "chatcarve", "version": "0.1.0"},
        "inputs": [{"index": 0, "path": "-evil.img", "sha256": null}],
        "conversations": [{
            "chat_jid": "=evil@s.whatsapp.net", "chat_name": "+CMD|' /C calc'!A0", "kind": "individual",
            "app": "whatsapp-android",
            "messages": [
                msg("m1", Some("=HYPERLINK(\"http://x\",\"y\")"), Some(1_600_000_000_000)),
                msg("m2", Some("-2+3"), Some(1_600_000_001_000)),
                msg("m3", Some("\tTAB"), Some(1_600_000_002_000)),
                msg("m4", Some("\rCR"), Some(1_600_000_003_000)),
                msg("m5", Some("line1\nline2, \"quoted\""), Some(1_600_000_004_000)),
                msg("m6", Some("no time"), None),
            ]
        }]
    })
}

fn csv_rows(text: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

#[test]
fn timeline_csv_neutralises_formulas_and_leaves_out_undated_messages() {
    let case = CaseInfo { zone: Zone::parse("+02:00").unwrap(), ..CaseInfo::default() };
    let mut out = Vec::new();
    let outcome = render::timeline::write_csv(&doc(&hostile_report()), &case, &mut out).unwrap();
    assert_eq!((outcome.rows, outcome.undated), (5, 1));
    let (header, rows) = csv_rows(&out);
    assert_eq!(header, render::timeline::COLUMNS);
    assert_eq!(&header[..3], ["message", "datetime", "timestamp_desc"], "Timesketch's required columns first");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 5);
    let texts: Vec<&str> = rows.iter().map(|r| r[col("text")].as_str()).collect();
    assert_eq!(
        texts,
        ["'=HYPERLINK(\"http://x\",\"y\")", "'-2+3", "'\tTAB", "'\rCR", "line1\nline2, \"quoted\""],
        "formula cells start with ' and other text is kept whole"
    );
    for r in &rows {
        for cell in r {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a cell a spreadsheet would run: {cell:?}");
        }
        assert_eq!(r[col("chat")], "'+CMD|' /C calc'!A0");
        assert_eq!(r[col("chat_jid")], "'=evil@s.whatsapp.net");
        assert_eq!(r[col("sender")], "'@SUM(A1)@s.whatsapp.net");
        assert_eq!(r[col("input_path")], "'-evil.img");
        assert_eq!(r[col("timestamp_desc")], "Message Time");
        assert_eq!(r[col("timezone")], "'+02:00", "every cell is neutralised, ours too");
        assert_eq!(r[col("status")], "deleted");
        assert_eq!(r[col("source")], "freeblock");
        assert_eq!(r[col("offset")], "4096");
    }
    assert_eq!(rows[0][col("datetime")], "2020-09-13T14:26:40.000+02:00");
    assert!(rows[0][col("message")].starts_with("[deleted] @SUM(A1)@s.whatsapp.net in +CMD"));
}

#[test]
fn timeline_jsonl_holds_the_values_as_they_are() {
    let mut out = Vec::new();
    let outcome = render::timeline::write_jsonl(&doc(&hostile_report()), &CaseInfo::default(), &mut out).unwrap();
    assert_eq!((outcome.rows, outcome.undated), (5, 1));
    let lines: Vec<Value> =
        std::str::from_utf8(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, render::timeline::COLUMNS.iter().collect::<Vec<_>>());
    assert_eq!(lines[0]["text"], "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(lines[0]["datetime"], "2020-09-13T12:26:40.000+00:00");
    assert_eq!(lines[0]["timestamp_ms"], 1_600_000_000_000i64);
    assert_eq!(lines[0]["from_me"], false);
}

#[test]
fn demo_timeline_has_one_row_per_dated_message_in_time_order() {
    let report = common::scan_with_library(&[&demo()]);
    let messages = common::all_messages(&report);
    let dated = messages.iter().filter(|m| m["timestamp_ms"].is_i64()).count();
    let case = CaseInfo { zone: Zone::parse("America/New_York").unwrap(), ..CaseInfo::default() };
    let mut out = Vec::new();
    let outcome = render::timeline::write_csv(&doc(&report), &case, &mut out).unwrap();
    assert_eq!(outcome.rows as usize, dated);
    assert_eq!((outcome.rows + outcome.undated) as usize, messages.len());
    let (header, rows) = csv_rows(&out);
    let ts = header.iter().position(|h| h == "timestamp_ms").unwrap();
    let dt = header.iter().position(|h| h == "datetime").unwrap();
    let times: Vec<i64> = rows.iter().map(|r| r[ts].parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "rows are in time order");
    assert!(rows.iter().all(|r| r[dt].ends_with("-04:00") || r[dt].ends_with("-05:00")));
}

/// Runs `case_validate` on `path` when it is installed; without it, skips with a message, or
/// fails when `CHATCARVE_REQUIRE_TOOLS=1` (CI installs it).
fn case_validate(path: &Path) {
    let required = std::env::var("CHATCARVE_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let out = std::process::Command::new("case_validate").arg(path).output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(!required, "CHATCARVE_REQUIRE_TOOLS=1 but case_validate is not installed (pip install case-utils)");
            eprintln!(
                "SKIPPED: case_validate not found (pip install case-utils); the CASE/UCO output was not validated"
            );
        }
        Err(e) => panic!("cannot run case_validate: {e}"),
        Ok(out) => {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "case_validate rejects {}:\n{text}", path.display());
            assert!(text.contains("Conforms: True"), "{text}");
        }
    }
}

#[test]
fn demo_case_uco_is_valid_case() {
    let report = common::scan_with_library(&[&demo()]);
    let case = CaseInfo {
        case_id: Some("2024-0042".into()),
        examiner: Some("A. Examiner".into()),
        zone: Zone::parse("Europe/Berlin").unwrap(),
    };
    let mut out = Vec::new();
    render::case_uco::write(&doc(&report), &case, &mut out).unwrap();
    let graph: Value = serde_json::from_slice(&out).expect("the JSON-LD is JSON");
    let nodes = graph["@graph"].as_array().unwrap();
    let of_type = |t: &str| nodes.iter().filter(|n| n["@type"] == t).count();
    let messages = common::all_messages(&report);
    assert_eq!(of_type("uco-observable:Message"), messages.len());
    assert_eq!(of_type("uco-observable:MessageThread"), report["conversations"].as_array().unwrap().len());
    assert_eq!(of_type("uco-observable:File"), 1);
    assert_eq!(of_type("case-investigation:ProvenanceRecord"), 1);
    assert_eq!(of_type("case-investigation:InvestigativeAction"), 1);
    let evidence: usize = messages.iter().map(|m| m["evidence"].as_array().unwrap().len()).sum();
    assert_eq!(of_type("uco-core:Relationship"), evidence);
    // The input's hash is the report's.
    let sha = report["inputs"][0]["sha256"].as_str().unwrap().to_ascii_uppercase();
    assert!(String::from_utf8_lossy(&out).contains(&sha));
    // Deterministic: the same report and case give the same bytes.
    let mut again = Vec::new();
    render::case_uco::write(&doc(&report), &case, &mut again).unwrap();
    assert_eq!(out, again);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.jsonld");
    std::fs::write(&path, &out).unwrap();
    case_validate(&path);
}

#[test]
fn hostile_report_case_uco_is_valid_case() {
    let mut out = Vec::new();
    render::case_uco::write(&doc(&hostile_report()), &CaseInfo::default(), &mut out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.jsonld");
    std::fs::write(&path, &out).unwrap();
    case_validate(&path);
}

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    common::chatcarve_bin().args(args).output().unwrap()
}

/// The `case` row without `rendered_by`, and every other table, as text: what two databases
/// rendered from the same report must share.
fn dump(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = String::new();
    for table in
        ["inputs", "artifacts", "conversations", "messages", "confidence_factors", "evidence", "gaps", "warnings"]
    {
        let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")).unwrap();
        let n = st.column_count();
        let mut q = st.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let cells: Vec<String> =
                (0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect();
            out.push_str(&format!("{table}: {}\n", cells.join(" | ")));
        }
    }
    out
}

#[test]
fn scan_and_report_write_the_same_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let flags = |prefix: &str| -> Vec<std::ffi::OsString> {
        vec![
            "--case-db".into(),
            p(&format!("{prefix}.sqlite")).into(),
            "--timeline".into(),
            p(&format!("{prefix}.csv")).into(),
            "--timeline-jsonl".into(),
            p(&format!("{prefix}.jsonl")).into(),
            "--case-uco".into(),
            p(&format!("{prefix}.jsonld")).into(),
            "--case-id".into(),
            "C-1".into(),
            "--examiner".into(),
            "Ex".into(),
            "--timezone".into(),
            "Asia/Kolkata".into(),
        ]
    };
    let mut scan: Vec<std::ffi::OsString> = vec!["scan".into(), demo().into(), "--json".into(), p("r.json").into()];
    scan.push("--quiet".into());
    scan.extend(flags("scan"));
    let out = run(&scan.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut report: Vec<std::ffi::OsString> = vec!["report".into(), p("r.json").into()];
    report.extend(flags("report"));
    let out = run(&report.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for ext in ["csv", "jsonl", "jsonld"] {
        let a = std::fs::read(p(&format!("scan.{ext}"))).unwrap();
        let b = std::fs::read(p(&format!("report.{ext}"))).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "scan and report write different {ext}");
    }
    assert_eq!(dump(&p("scan.sqlite")), dump(&p("report.sqlite")));
    assert!(std::fs::read_to_string(p("scan.csv")).unwrap().contains("+05:30,"));
    // No temporary file is left behind.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 9, "{names:?}");

    // Existing outputs are refused without --force, before anything is written.
    let out = run(&report.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists; use --force"));
    report.push("--force".into());
    let out = run(&report.iter().map(|s| s.as_os_str()).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn report_command_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("v2.json"), r#"{"report_version": "2"}"#).unwrap();
    std::fs::write(p("bad.json"), "not json").unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["report", "v2.json", "--timeline", "t.csv"], "report_version \"2\" is not supported"),
        (&["report", "bad.json", "--timeline", "t.csv"], "not a chatcarve JSON report"),
        (&["report", "missing.json", "--timeline", "t.csv"], "cannot read"),
        (&["report", "v2.json"], "nothing to render"),
        (&["report", "v2.json", "--timeline", "t.csv", "--timezone", "Mars/Olympus"], "is no time zone"),
        (&["report", "v2.json", "--timeline", "same", "--case-uco", "same"], "given for two outputs"),
    ];
    for (args, message) in cases {
        let out = common::chatcarve_bin().current_dir(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let out =
        common::chatcarve_bin().current_dir(dir.path()).args(["report", "v2.json", "--case-db", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("regular file"));
    assert!(!p("t.csv").exists() && !p("same").exists());
}

/// Timings of rendering a large report (100 000 messages): `cargo test --release --test
/// render_formats large_report -- --ignored --nocapture`. No timing is asserted.
#[test]
#[ignore]
fn large_report_renders_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("msgstore.db");
    common::make_whatsapp_db(&db, 100_000);
    let report = common::scan_with_library(&[&db]);
    let text = serde_json::to_vec_pretty(&report).unwrap();
    assert_eq!(common::all_messages(&report).len(), 100_000);
    let t = std::time::Instant::now();
    let doc = render::parse_report(&text).unwrap();
    eprintln!("report: {} bytes, parsed in {:?}", text.len(), t.elapsed());
    let case = CaseInfo { case_id: Some("big".into()), examiner: None, zone: Zone::parse("Europe/Berlin").unwrap() };
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    let t = std::time::Instant::now();
    let p = dir.path().join("case.sqlite");
    let mut conn = rusqlite::Connection::open(&p).unwrap();
    render::casedb::write(&mut conn, &doc, &case).unwrap();
    conn.close().unwrap();
    eprintln!("case database: {} bytes in {:?}", size(&p), t.elapsed());
    let t = std::time::Instant::now();
    let p = dir.path().join("timeline.csv");
    render::timeline::write_csv(&doc, &case, std::io::BufWriter::new(std::fs::File::create(&p).unwrap())).unwrap();
    eprintln!("timeline CSV: {} bytes in {:?}", size(&p), t.elapsed());
    let t = std::time::Instant::now();
    let p = dir.path().join("timeline.jsonl");
    render::timeline::write_jsonl(&doc, &case, std::io::BufWriter::new(std::fs::File::create(&p).unwrap())).unwrap();
    eprintln!("timeline JSON Lines: {} bytes in {:?}", size(&p), t.elapsed());
    let t = std::time::Instant::now();
    let p = dir.path().join("case.jsonld");
    let o = render::case_uco::write(&doc, &case, std::io::BufWriter::new(std::fs::File::create(&p).unwrap())).unwrap();
    eprintln!("CASE/UCO: {} bytes, {} nodes in {:?}", size(&p), o.nodes, t.elapsed());
}
