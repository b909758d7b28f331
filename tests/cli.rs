//! The command line: where the report goes, `--force`, exit codes and messages for bad inputs,
//! determinism across thread counts, quietness, and that inputs are only ever read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::*;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// A WhatsApp-like database with `n` messages in noise, written as `name`.
    fn image(&self, name: &str, n: usize, seed: u64) -> PathBuf {
        let db = whatsapp_db_bytes(n);
        let p = self.path(name);
        std::fs::write(&p, embed_in_noise(&db, 3 * 4096, 2 * 4096 + 300, seed)).expect("write image");
        p
    }
    fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn parse(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value: {e}\n{}", String::from_utf8_lossy(stdout)))
}

fn stderr_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The report text without its `run` object (the only part allowed to differ between runs).
fn without_run(report: &[u8]) -> String {
    let text = std::str::from_utf8(report).expect("the report is UTF-8");
    let start = text.find("\n  \"run\": {").expect("a run object");
    let end = start + text[start..].find("\n  },").expect("end of the run object") + "\n  },".len();
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn json_to_stdout_is_a_valid_report_and_the_input_is_untouched() {
    let case = Case::new();
    let img = case.image("evidence.img", 20, 1);
    let before = sha256_file(&img);
    let len = std::fs::metadata(&img).unwrap().len();
    let out = chatcarve_bin().args(["scan"]).arg(&img).args(["--json", "-", "--quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_text(&out));
    assert!(out.stdout.ends_with(b"}\n"), "the report ends with a newline");
    let r = parse(&out.stdout);
    check_report(&r);
    assert_eq!(r["inputs"][0]["sha256"], before.as_str());
    assert_eq!(r["inputs"][0]["size_bytes"], len);
    assert_eq!(r["inputs"][0]["path"], img.display().to_string());
    assert_eq!(r["summary"]["messages"], 20);
    // Read-only: same bytes after the scan.
    assert_eq!(sha256_file(&img), before, "the scan changed its input");
    assert_eq!(std::fs::metadata(&img).unwrap().len(), len);
    assert_eq!(case.listing(), ["evidence.img"], "the scan left files next to its input");
}

#[test]
fn json_to_a_file_refuses_to_overwrite_without_force() {
    let case = Case::new();
    let img = case.image("evidence.img", 6, 2);
    let report = case.path("report.json");
    let run = |force: bool| {
        let mut cmd = chatcarve_bin();
        cmd.arg("scan").arg(&img).arg("--json").arg(&report).arg("--quiet");
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };

    let first = run(false);
    assert_eq!(first.status.code(), Some(0), "stderr: {}", stderr_text(&first));
    assert!(first.stdout.is_empty(), "nothing on stdout when the report goes to a file");
    let written = std::fs::read(&report).expect("the report file exists");
    check_report(&parse(&written));
    assert_eq!(case.listing(), ["evidence.img", "report.json"], "no temporary file left");

    let second = run(false);
    assert_ne!(second.status.code(), Some(0), "overwrote without --force");
    assert_eq!(std::fs::read(&report).unwrap(), written, "the existing report was changed");
    let err = stderr_text(&second);
    assert!(err.contains("--force"), "the refusal does not mention --force: {err}");
    assert!(err.contains("report.json"), "the refusal does not name the file: {err}");

    let third = run(true);
    assert_eq!(third.status.code(), Some(0), "stderr: {}", stderr_text(&third));
    let rewritten = std::fs::read(&report).unwrap();
    check_report(&parse(&rewritten));
    assert_eq!(without_run(&rewritten), without_run(&written));
    assert_eq!(case.listing(), ["evidence.img", "report.json"], "no temporary file left");
}

/// Runs `scan BAD GOOD --json - --quiet` and checks exit status 1, one line on stderr naming
/// the bad input, and a full report in which the good input is still scanned.
fn bad_input_is_reported(bad: &Path, case: &Case) {
    let good = case.image("good.img", 9, 3);
    let good_sha = sha256_file(&good);
    let out = chatcarve_bin().arg("scan").arg(bad).arg(&good).args(["--json", "-", "--quiet"]).output().unwrap();
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(1), "exit status for {}; stderr: {err}", bad.display());
    assert_eq!(err.lines().count(), 1, "expected one line on stderr, got: {err:?}");
    assert!(err.ends_with('\n'));
    assert!(err.contains(&bad.display().to_string()), "the message does not name the input {}: {err}", bad.display());
    let r = parse(&out.stdout);
    check_report(&r);
    let bad_entry = &r["inputs"][0];
    assert!(bad_entry["error"].is_string(), "inputs[0].error: {}", bad_entry["error"]);
    assert_eq!(bad_entry["sha256"], Value::Null);
    assert_eq!(bad_entry["path"], bad.display().to_string());
    let good_entry = &r["inputs"][1];
    assert_eq!(good_entry["error"], Value::Null);
    assert_eq!(good_entry["sha256"], good_sha.as_str());
    assert_eq!(r["summary"]["messages"], 9);
    assert!(r["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["input"] == 1 && a["id"].as_str().unwrap().contains("-1-")));
    assert!(all_messages(&r).iter().all(|m| m["evidence"].as_array().unwrap().iter().all(|e| e["input"] == 1)));
    assert!(
        r["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("input 0")),
        "no warning about the bad input: {}",
        r["warnings"]
    );
}

#[test]
fn a_missing_input_is_reported_and_the_others_are_scanned() {
    let case = Case::new();
    bad_input_is_reported(&case.path("no-such-image.img"), &case);
}

#[test]
fn a_directory_input_is_reported_and_the_others_are_scanned() {
    let case = Case::new();
    let dir = case.path("a-directory");
    std::fs::create_dir(&dir).unwrap();
    bad_input_is_reported(&dir, &case);
}

#[test]
fn an_empty_input_is_reported_and_the_others_are_scanned() {
    let case = Case::new();
    let empty = case.path("empty.img");
    std::fs::write(&empty, b"").unwrap();
    bad_input_is_reported(&empty, &case);
}

#[test]
fn several_bad_inputs_give_one_line_each() {
    let case = Case::new();
    let good = case.image("good.img", 4, 4);
    let missing = case.path("missing.img");
    let empty = case.path("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let out = chatcarve_bin()
        .arg("scan")
        .arg(&missing)
        .arg(&good)
        .arg(&empty)
        .arg(case.dir.path())
        .args(["--json", "-", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_text(&out);
    assert_eq!(err.lines().count(), 3, "stderr: {err}");
    let r = parse(&out.stdout);
    check_report(&r);
    let errors: Vec<bool> = r["inputs"].as_array().unwrap().iter().map(|i| i["error"].is_string()).collect();
    assert_eq!(errors, [true, false, true, true]);
    assert_eq!(r["summary"]["messages"], 4);
}

fn scan_to_stdout(args: &[&str], img: &Path) -> Vec<u8> {
    let out = chatcarve_bin().arg("scan").arg(img).args(["--json", "-", "--quiet"]).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_text(&out));
    out.stdout
}

#[test]
fn thread_count_and_chunk_size_do_not_change_the_report() {
    let case = Case::new();
    // Two databases a megabyte apart, so that small chunks put them in different chunks.
    let a = whatsapp_db_bytes(25);
    let b = whatsapp_db_bytes(7);
    let mut img = noise(300 * 1024 + 512, 21);
    img.extend_from_slice(&a);
    img.extend_from_slice(&noise(1024 * 1024 + 100, 22));
    img.extend_from_slice(&b);
    img.extend_from_slice(&noise(70 * 1024, 23));
    let path = case.path("big.img");
    std::fs::write(&path, &img).unwrap();

    let one = scan_to_stdout(&["--threads", "1"], &path);
    let two = scan_to_stdout(&["--threads", "2"], &path);
    check_report(&parse(&one));
    assert_eq!(parse(&one)["run"]["threads"], 1);
    assert_eq!(parse(&two)["run"]["threads"], 2);
    assert_eq!(parse(&one)["summary"]["databases"], 2);
    assert!(without_run(&one) == without_run(&two), "--threads 1 and --threads 2 give different reports");
    let small_chunks = scan_to_stdout(&["--threads", "2", "--chunk-size", "65536"], &path);
    assert!(without_run(&one) == without_run(&small_chunks), "--chunk-size 65536 gives a different report");
}

#[test]
fn quiet_prints_nothing_on_stderr() {
    let case = Case::new();
    let img = case.image("evidence.img", 3, 5);
    let out = chatcarve_bin().arg("scan").arg(&img).args(["--json", "-", "--quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "stderr: {}", stderr_text(&out));
    // Without --quiet the progress bar is drawn only on a terminal; a pipe gets nothing.
    let out = chatcarve_bin().arg("scan").arg(&img).args(["--json", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "stderr to a pipe: {}", stderr_text(&out));
}

#[test]
fn no_json_option_is_a_usage_error() {
    let case = Case::new();
    let img = case.image("evidence.img", 2, 6);
    let out = chatcarve_bin().arg("scan").arg(&img).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr_text(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr_text(&out).contains("--json"), "stderr: {}", stderr_text(&out));
}

#[test]
fn no_input_is_a_usage_error() {
    let out = chatcarve_bin().args(["scan", "--json", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr_text(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn hash_none_gives_a_null_sha256() {
    let case = Case::new();
    let img = case.image("evidence.img", 2, 7);
    let r = parse(&scan_to_stdout(&["--hash", "none"], &img));
    check_report(&r);
    assert_eq!(r["inputs"][0]["sha256"], Value::Null);
    assert_eq!(r["inputs"][0]["error"], Value::Null);
}

#[test]
fn run_block_records_the_arguments() {
    let case = Case::new();
    let img = case.image("evidence.img", 2, 8);
    let r = parse(&scan_to_stdout(&["--threads", "1"], &img));
    let args: Vec<&str> = r["run"]["arguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(&args[1..], ["scan", &img.display().to_string(), "--json", "-", "--quiet", "--threads", "1"]);
    assert!(r["run"]["started"].is_string() && r["run"]["finished"].is_string());
    assert!(r["run"]["started"].as_str() <= r["run"]["finished"].as_str());
}

#[test]
fn the_report_is_never_written_over_an_input_even_with_force() {
    let case = Case::new();
    let img = case.image("evidence.img", 5, 11);
    let before = std::fs::read(&img).unwrap();
    let out = chatcarve_bin()
        .args(["scan", img.to_str().unwrap(), "--json", img.to_str().unwrap(), "--force", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_text(&out).contains("one of the inputs"), "{}", stderr_text(&out));
    assert_eq!(std::fs::read(&img).unwrap(), before, "the evidence is unchanged");
}

#[test]
fn a_missing_output_directory_is_refused_before_scanning() {
    let case = Case::new();
    let img = case.image("a.img", 5, 12);
    let target = case.path("no/such/dir/report.json");
    let out =
        chatcarve_bin().args(["scan", img.to_str().unwrap(), "--json", target.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_text(&out).contains("does not exist"), "{}", stderr_text(&out));
}

#[cfg(unix)]
#[test]
fn the_report_file_is_readable_by_others_as_the_umask_allows() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::new();
    let img = case.image("a.img", 5, 13);
    let target = case.path("r.json");
    let out =
        chatcarve_bin().args(["scan", img.to_str().unwrap(), "--json", target.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_ne!(mode & 0o044, 0, "mode {mode:o}: not private to the owner");
}

#[cfg(unix)]
#[test]
fn a_device_as_output_is_written_in_place_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let case = Case::new();
    let img = case.image("a.img", 5, 14);
    let out = chatcarve_bin().args(["scan", img.to_str().unwrap(), "--json", "/dev/null", "--quiet"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_text(&out));
    let kind = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(kind.is_char_device(), "/dev/null must still be a device");
}

#[test]
fn records_lists_live_and_deleted_records_of_every_table() {
    let case = Case::new();
    let path = case.path("r.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA secure_delete=OFF; CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER);
         INSERT INTO notes(body, n) VALUES ('first note', 1), ('second note', 2), ('third note', 3), ('fourth', 4);
         DELETE FROM notes WHERE id = 2;",
    )
    .unwrap();
    drop(conn);
    let out = chatcarve_bin().args(["records", path.to_str().unwrap(), "--json", "-", "--quiet"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_text(&out));
    let r = parse(&out.stdout);
    let records = r["records"].as_array().unwrap();
    let live: Vec<&Value> = records.iter().filter(|x| x["status"] == "live").collect();
    let deleted: Vec<&Value> = records.iter().filter(|x| x["status"] == "deleted").collect();
    assert_eq!(live.len(), 3);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["table"], "notes");
    assert_eq!(deleted[0]["values"][1], "second note");
    assert_eq!(deleted[0]["values"][2], 2);
    assert!(deleted[0]["evidence"][0]["offset"].as_u64().is_some());
}

#[test]
fn min_confidence_leaves_out_the_messages_scored_below_it_and_says_how_many() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.img");
    let all = parse(&scan_to_stdout(&["--hash", "none"], &demo));
    let scores: Vec<f64> = all_messages(&all).iter().filter_map(|m| m["confidence"].as_f64()).collect();
    let below = scores.iter().filter(|&&c| c < 0.5).count();
    assert!(below > 0, "the demo holds low-confidence fragments");
    let some = parse(&scan_to_stdout(&["--hash", "none", "--min-confidence", "0.5"], &demo));
    check_report(&some);
    let kept = all_messages(&some);
    assert!(kept.iter().all(|m| m["confidence"].as_f64().is_some_and(|c| c >= 0.5)));
    assert_eq!(kept.len(), scores.len() - below);
    assert_eq!(some["summary"]["messages"], kept.len());
    let warned = some["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .is_some_and(|w| w.starts_with(&format!("{below} recovered message(s) scored below --min-confidence 0.5")))
    });
    assert!(warned, "{:?}", some["warnings"]);
    let bad = chatcarve_bin().arg("scan").arg(&demo).args(["--json", "-", "--min-confidence", "1.5"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr_text(&bad).contains("outside 0..1"), "{}", stderr_text(&bad));
}
