//! Batch runs (`scan DIR/ IMG... --out-dir REPORTS/`): what index.json says of every input
//! (scanned, failed, duplicate, resumed), that each image's report is the report of a scan of
//! that image alone, exit statuses, refusal to overwrite, and that a batch killed half-way
//! resumes to the result of an uninterrupted one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn copy_fixture(name: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(name), to).unwrap();
}

fn stderr_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn batch(args: &[&Path], out_dir: &Path, extra: &[&str]) -> std::process::Output {
    chatcarve_bin().arg("scan").args(args).arg("--out-dir").arg(out_dir).arg("--quiet").args(extra).output().unwrap()
}

/// The entry of `index` whose path ends with `tail`.
fn entry<'a>(index: &'a Value, tail: &str) -> &'a Value {
    index["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with(tail))
        .unwrap_or_else(|| panic!("no input ending with {tail} in {index:#}"))
}

/// A report without its `run` object (the only part allowed to differ between runs).
fn without_run(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("run");
    report
}

/// The index as two runs over the same inputs must agree on it: no run block, no durations,
/// and a report kept by `--resume` counted as scanned.
fn comparable_index(mut index: Value) -> Value {
    index.as_object_mut().unwrap().remove("run");
    let summary = index["summary"].as_object_mut().unwrap();
    let resumed = summary.remove("skipped_resumed").unwrap().as_u64().unwrap();
    *summary.get_mut("ok").unwrap() = (summary["ok"].as_u64().unwrap() + resumed).into();
    for e in index["inputs"].as_array_mut().unwrap() {
        let e = e.as_object_mut().unwrap();
        e.remove("duration_ms");
        e.remove("resumed");
        if e["status"] == "skipped_resumed" {
            e.insert("status".into(), "ok".into());
        }
    }
    index
}

fn listing(d: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The same files in both out-dirs, the same reports and the same index, apart from what may
/// differ between runs (see [`comparable_index`]).
fn assert_same_batch(out_dir: &Path, whole: &Path) {
    assert_eq!(
        comparable_index(read_json(&out_dir.join("index.json"))),
        comparable_index(read_json(&whole.join("index.json")))
    );
    assert_eq!(listing(out_dir), listing(whole), "stale temporary files are gone, nothing else is left");
    for name in listing(whole).iter().filter(|n| *n != "index.json") {
        assert_eq!(without_run(read_json(&out_dir.join(name))), without_run(read_json(&whole.join(name))), "{name}");
    }
}

/// The single-image scan of `img`, as `scan IMG --json -` writes it.
fn single_scan(img: &Path) -> Value {
    let out = chatcarve_bin().arg("scan").arg(img).args(["--json", "-", "--quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Whether a file with mode 000 can still be read here (root can).
fn chmod_blocks_reads(path: &Path) -> bool {
    std::fs::read(path).is_err()
}

#[cfg(unix)]
fn make_unreadable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
}

#[test]
fn a_directory_batch_indexes_every_input_and_each_report_is_a_single_scan() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    copy_fixture("deleted_rows.img", &evidence.join("deleted_rows.img"));
    copy_fixture("live_db_in_noise.img", &evidence.join("phone2/userdata.img"));
    // The same bytes under another name.
    copy_fixture("deleted_rows.img", &evidence.join("phone2/copy_of_deleted_rows.img"));
    // A split set: its second segment is read with the first, never scanned alone.
    copy_fixture("android_legacy.img", &evidence.join("split/disk.001"));
    std::fs::write(evidence.join("split/disk.002"), b"second segment").unwrap();
    std::fs::write(evidence.join("empty.img"), b"").unwrap();
    let unreadable = evidence.join("unreadable.img");
    copy_fixture("android_sms.img", &unreadable);
    #[cfg(unix)]
    make_unreadable(&unreadable);
    let blocked = chmod_blocks_reads(&unreadable);
    if !blocked {
        eprintln!("note: running as root, chmod 000 does not stop reads; the unreadable input is checked as readable");
    }
    // A file argument beside the directory.
    let loose = dir.path().join("loose.img");
    copy_fixture("ios_messages.img", &loose);
    let out_dir = dir.path().join("reports");

    let out = batch(&[&evidence, &loose], &out_dir, &[]);
    assert_eq!(out.status.code(), Some(1), "some inputs failed; stderr: {}", stderr_text(&out));
    let index = read_json(&out_dir.join("index.json"));
    let paths: Vec<&str> = index["inputs"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    let expected: Vec<String> = [
        "evidence/deleted_rows.img",
        "evidence/empty.img",
        "evidence/phone2/copy_of_deleted_rows.img",
        "evidence/phone2/userdata.img",
        "evidence/split/disk.001",
        "evidence/unreadable.img",
        "loose.img",
    ]
    .iter()
    .map(|p| dir.path().join(p).display().to_string())
    .collect();
    assert_eq!(paths, expected, "inputs in sorted order, the second segment left out");
    assert_eq!(index["complete"], true);
    assert_eq!(index["tool"]["version"], env!("CARGO_PKG_VERSION"));

    let empty = entry(&index, "empty.img");
    assert_eq!(empty["status"], "failed");
    assert!(empty["reason"].as_str().unwrap().contains("empty"), "{empty}");
    assert_eq!(empty["report"], Value::Null);
    let dup = entry(&index, "copy_of_deleted_rows.img");
    assert_eq!(dup["status"], "duplicate");
    assert_eq!(dup["duplicate_of"], entry(&index, "evidence/deleted_rows.img")["path"]);
    assert_eq!(dup["sha256"], entry(&index, "evidence/deleted_rows.img")["sha256"]);
    let unread = entry(&index, "unreadable.img");
    if blocked {
        assert_eq!(unread["status"], "failed");
        assert!(unread["reason"].as_str().unwrap().contains("permission denied"), "{unread}");
    } else {
        assert_eq!(unread["status"], "ok");
    }
    assert_eq!(index["summary"]["failed"], if blocked { 2 } else { 1 });

    // Every scanned input: its report is the report of a scan of it alone, and the index's
    // counts are that report's.
    for e in index["inputs"].as_array().unwrap().iter().filter(|e| e["status"] != "failed") {
        let report = read_json(&out_dir.join(e["report"].as_str().unwrap()));
        check_report(&report);
        let single = single_scan(Path::new(e["path"].as_str().unwrap()));
        assert_eq!(without_run(report), without_run(single.clone()), "{}", e["path"]);
        assert_eq!(e["sha256"], single["inputs"][0]["sha256"]);
        assert_eq!(e["size_bytes"], single["inputs"][0]["size_bytes"]);
        assert_eq!(e["container"], single["inputs"][0]["container"]);
        assert_eq!(e["counts"]["messages"], single["summary"]["messages"]);
        assert_eq!(e["counts"]["conversations"], single["summary"]["conversations"]);
        assert_eq!(e["counts"]["artifacts"].as_u64(), single["artifacts"].as_array().map(|a| a.len() as u64));
        let deleted = single["summary"]["messages_by_status"]["deleted"].as_u64().unwrap_or(0);
        assert_eq!(e["counts"]["deleted_messages"], deleted);
    }
    assert!(entry(&index, "evidence/deleted_rows.img")["counts"]["deleted_messages"].as_u64().unwrap() > 0);
    // Names: the path under the argument, made one file name.
    assert_eq!(entry(&index, "phone2/userdata.img")["report"], "phone2_userdata.img.json");
    assert_eq!(entry(&index, "loose.img")["report"], "loose.img.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn exit_status_three_when_nothing_could_be_scanned_two_on_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.img");
    let out = batch(&[&empty, &missing], &dir.path().join("reports"), &[]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr_text(&out));
    let index = read_json(&dir.path().join("reports/index.json"));
    assert_eq!(index["summary"]["failed"], 2);

    let both = chatcarve_bin()
        .arg("scan")
        .arg(&empty)
        .args(["--json", "-", "--out-dir"])
        .arg(dir.path().join("r2"))
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    let html = batch(&[&empty], &dir.path().join("r3"), &["--html", "x.html"]);
    assert_eq!(html.status.code(), Some(2));
    assert!(stderr_text(&html).contains("--formats html"), "{}", stderr_text(&html));
}

#[test]
fn existing_reports_are_refused_without_resume_or_force_and_replaced_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("a.img");
    copy_fixture("deleted_rows.img", &img);
    let out_dir = dir.path().join("reports");
    let first = batch(&[&img], &out_dir, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_text(&first));
    // Only the report is left: it alone must stop the next run.
    std::fs::remove_file(out_dir.join("index.json")).unwrap();
    let report = std::fs::read(out_dir.join("a.img.json")).unwrap();
    let refused = batch(&[&img], &out_dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr_text(&refused);
    assert!(err.contains("a.img.json") && err.contains("--resume") && err.contains("--force"), "{err}");
    assert!(!out_dir.join("index.json").exists(), "a refused run wrote the index");

    let forced = batch(&[&img], &out_dir, &["--force", "--formats", "html,timeline"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr_text(&forced));
    assert_eq!(
        without_run(read_json(&out_dir.join("a.img.json"))),
        without_run(serde_json::from_slice(&report).unwrap())
    );
    assert!(out_dir.join("a.img.html").is_file() && out_dir.join("a.img.timeline.csv").is_file());
    let index = read_json(&out_dir.join("index.json"));
    assert_eq!(index["inputs"][0]["outputs"], serde_json::json!(["a.img.html", "a.img.timeline.csv"]));
}

#[test]
fn a_report_that_would_replace_an_input_is_refused_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let a_json = dir.path().join("a.json");
    copy_fixture("deleted_rows.img", &a);
    std::fs::write(&a_json, b"evidence").unwrap();
    let out = batch(&[&a, &a_json], dir.path(), &["--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_text(&out).contains("is one of the inputs"), "{}", stderr_text(&out));
    assert_eq!(std::fs::read(&a_json).unwrap(), b"evidence");
}

#[test]
fn same_file_names_under_two_arguments_get_distinct_stable_report_names() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("phone_a/disk.img");
    let b = dir.path().join("phone_b/disk.img");
    copy_fixture("deleted_rows.img", &a);
    copy_fixture("live_db_in_noise.img", &b);
    let names = |out: &str| {
        let out_dir = dir.path().join(out);
        let run = batch(&[&a, &b], &out_dir, &[]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr_text(&run));
        let index = read_json(&out_dir.join("index.json"));
        index["inputs"].as_array().unwrap().iter().map(|e| e["report"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let first = names("r1");
    assert_eq!(first[0], "disk.img.json");
    assert_ne!(first[0], first[1]);
    assert_eq!(first, names("r2"), "the same inputs get the same names");
}

/// Five inputs; the batch aborts (as `kill -9` would stop it) after two, with a temporary file
/// left half-written; `--resume` finishes it with the reports and index of an uninterrupted run.
#[test]
fn a_killed_batch_resumes_to_the_result_of_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    for (i, f) in
        ["deleted_rows.img", "live_db_in_noise.img", "android_legacy.img", "ios_messages.img", "android_sms.img"]
            .iter()
            .enumerate()
    {
        copy_fixture(f, &evidence.join(format!("{i}_{f}")));
    }
    let whole = dir.path().join("whole");
    let straight = batch(&[&evidence], &whole, &[]);
    assert_eq!(straight.status.code(), Some(0), "{}", stderr_text(&straight));

    let out_dir = dir.path().join("resumed");
    let killed = chatcarve_bin()
        .arg("scan")
        .arg(&evidence)
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--quiet")
        .env("CHATCARVE_TEST_ABORT_AFTER", "2")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "the batch was not killed: {}", stderr_text(&killed));
    // What a kill in the middle of a write leaves: a temporary file, never a report.
    std::fs::write(out_dir.join(".chatcarve-report-XYZ123"), b"{\"report_version\": \"1\", \"tool").unwrap();
    let partial = read_json(&out_dir.join("index.json"));
    assert_eq!(partial["complete"], false);
    assert_eq!(partial["inputs"].as_array().unwrap().len(), 2);
    let mut reports: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    reports.sort();
    assert_eq!(reports, ["0_deleted_rows.img.json", "1_live_db_in_noise.img.json", "index.json"]);
    for r in &reports {
        read_json(&out_dir.join(r));
    }

    let refused = batch(&[&evidence], &out_dir, &[]);
    assert_eq!(refused.status.code(), Some(2), "a half-done batch was overwritten without --resume");
    let resumed = batch(&[&evidence], &out_dir, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_text(&resumed));
    let index = read_json(&out_dir.join("index.json"));
    let statuses: Vec<&str> =
        index["inputs"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["skipped_resumed", "skipped_resumed", "ok", "ok", "ok"]);
    assert_same_batch(&out_dir, &whole);

    // An input changed since its report was written is scanned again, even at the same size.
    let changed = evidence.join("0_deleted_rows.img");
    let mut bytes = std::fs::read(&changed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&changed, &bytes).unwrap();
    let again = batch(&[&evidence], &out_dir, &["--resume"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_text(&again));
    let index = read_json(&out_dir.join("index.json"));
    assert_eq!(index["inputs"][0]["status"], "ok");
    assert_eq!(index["inputs"][0]["sha256"], sha256_file(&changed).as_str());
    assert_eq!(index["inputs"][1]["status"], "skipped_resumed");
}

/// A real `kill -9` while the batch runs (wherever it happens to be: scanning, writing a report
/// or the index): every JSON file left is whole, and `--resume` gives the uninterrupted result.
#[cfg(unix)]
#[test]
fn a_batch_killed_with_sigkill_leaves_whole_files_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let demo = std::fs::read(fixture("demo.img")).unwrap();
    for i in 0..12u8 {
        let mut bytes = demo.clone();
        let last = bytes.len() - 1;
        bytes[last] = i.wrapping_add(1);
        std::fs::write(evidence.join(format!("img{i:02}.img")), bytes).unwrap();
    }
    let whole = dir.path().join("whole");
    let straight = batch(&[&evidence], &whole, &["--threads", "1"]);
    assert_eq!(straight.status.code(), Some(0), "{}", stderr_text(&straight));

    let out_dir = dir.path().join("killed");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chatcarve"))
        .arg("scan")
        .arg(&evidence)
        .arg("--out-dir")
        .arg(&out_dir)
        .args(["--quiet", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut killed_midway = false;
    while started.elapsed() < std::time::Duration::from_secs(60) {
        let done = std::fs::read(out_dir.join("index.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .map(|i| (i["inputs"].as_array().map_or(0, Vec::len), i["complete"] == true));
        if let Some((n, complete)) = done {
            if complete {
                break;
            }
            if n >= 1 {
                child.kill().unwrap();
                killed_midway = true;
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.wait().unwrap();
    if killed_midway {
        for name in listing(&out_dir).iter().filter(|n| n.ends_with(".json")) {
            read_json(&out_dir.join(name));
        }
        assert_eq!(read_json(&out_dir.join("index.json"))["complete"], false);
    } else {
        eprintln!("note: the batch finished before it could be killed; only the resume is checked");
    }
    let resumed = batch(&[&evidence], &out_dir, &["--resume", "--threads", "1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_text(&resumed));
    assert_same_batch(&out_dir, &whole);
}

fn sh(script: &str, dir: &Path) {
    let out = std::process::Command::new("sh").arg("-c").arg(script).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "{script}: {}", stderr_text(&out));
}

/// Issue 5's batch: every container, made by its standard tool, one corrupt image and one
/// duplicate. The index says what each is; each report is that input's single scan; the demo
/// image as raw, split raw, E01 and Android sparse gives the same messages (and, being the same
/// logical bytes, the later ones are duplicates of the first); a batch killed half-way resumes
/// to the uninterrupted result.
#[test]
fn a_batch_of_every_container_with_a_corrupt_image_and_a_duplicate() {
    let tools = [
        ("split", "coreutils"),
        ("ewfacquire", "ewf-tools"),
        ("img2simg", "android-sdk-libsparse-utils"),
        ("tar", "tar"),
        ("zip", "zip"),
        ("gzip", "gzip"),
        ("zstd", "zstd"),
        ("xz", "xz-utils"),
    ];
    if !tools.iter().all(|(t, p)| have_tool(t, p)) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    std::fs::create_dir_all(ev.join("split")).unwrap();
    let f = |n: &str| fixture(n).display().to_string();
    copy_fixture("demo.img", &ev.join("a_demo.img"));
    copy_fixture("demo.img", &ev.join("b_copy_of_demo.img"));
    sh(&format!("split -b 2M -d -a 3 --numeric-suffixes=1 {} split/c_demo.", f("demo.img")), &ev);
    sh(&format!("ewfacquire -u -q -f encase6 -c deflate:fast -t d_demo {} >/dev/null", f("demo.img")), &ev);
    sh(&format!("img2simg {} e_demo.simg", f("demo.img")), &ev);
    sh(
        &format!("cp {} android.img && tar cf f_android.tar android.img && rm android.img", f("android_legacy.img")),
        &ev,
    );
    sh(&format!("cp {} sms.img && zip -q g_sms.zip sms.img && rm sms.img", f("android_sms.img")), &ev);
    sh(&format!("gzip -c {} > h_live.img.gz", f("live_db_in_noise.img")), &ev);
    sh(&format!("zstd -q -c {} > i_wal.img.zst", f("wal_only_deletes.img")), &ev);
    sh(&format!("xz -1 -c {} > j_secure.img.xz", f("secure_delete.img")), &ev);
    // A sparse image cut short: its chunks promise more than the file holds.
    sh(
        &format!(
            "img2simg {} full.simg && head -c 5000 full.simg > k_corrupt.simg && rm full.simg",
            f("ios_messages.img")
        ),
        &ev,
    );

    let whole = dir.path().join("whole");
    let out = batch(&[&ev], &whole, &[]);
    assert_eq!(out.status.code(), Some(1), "one input failed: {}", stderr_text(&out));
    let index = read_json(&whole.join("index.json"));
    let expect = [
        ("a_demo.img", "ok", "raw"),
        ("b_copy_of_demo.img", "duplicate", "raw"),
        ("split/c_demo.001", "duplicate", "split-raw"),
        ("d_demo.E01", "duplicate", "ewf"),
        ("e_demo.simg", "duplicate", "android-sparse"),
        ("f_android.tar", "ok", "tar"),
        ("g_sms.zip", "ok", "zip"),
        ("h_live.img.gz", "ok", "gzip"),
        ("i_wal.img.zst", "ok", "zstd"),
        ("j_secure.img.xz", "ok", "xz"),
        ("k_corrupt.simg", "failed", ""),
    ];
    assert_eq!(index["inputs"].as_array().unwrap().len(), expect.len(), "{index:#}");
    let demo = single_scan(&fixture("demo.img"));
    // The messages, with where each evidence item lies in the input's files left out: a split
    // image's or an E01's evidence also names its segment.
    let messages = |r: &Value| {
        let mut c = r["conversations"].clone();
        for conv in c.as_array_mut().unwrap() {
            for m in conv["messages"].as_array_mut().unwrap() {
                for e in m["evidence"].as_array_mut().unwrap() {
                    e.as_object_mut().unwrap().remove("member");
                }
            }
        }
        c
    };
    for (tail, status, container) in expect {
        let e = entry(&index, tail);
        assert_eq!(e["status"], status, "{tail}: {e:#}");
        if status == "failed" {
            assert!(e["reason"].as_str().is_some_and(|r| r.contains("truncated")), "{tail}: {e:#}");
            continue;
        }
        assert_eq!(e["container"], container, "{tail}");
        let report = read_json(&whole.join(e["report"].as_str().unwrap()));
        let input = ev.join(tail);
        assert_eq!(
            without_run(report.clone()),
            without_run(single_scan(&input)),
            "{tail}: the batch report is its single scan"
        );
        if tail.contains("demo") {
            assert_eq!(messages(&report), messages(&demo), "{tail}: the demo image's messages");
            assert_eq!(report["inputs"][0]["sha256"], demo["inputs"][0]["sha256"], "{tail}");
            if container == "split-raw" {
                let evidence = report["conversations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|c| c["messages"].as_array().unwrap())
                    .flat_map(|m| m["evidence"].as_array().unwrap());
                let in_third = evidence
                    .filter(|e| e["member"]["path"].as_str().is_some_and(|p| p.ends_with("c_demo.003")))
                    .map(|e| (e["offset"].as_u64().unwrap(), e["member"]["offset"].as_u64().unwrap()))
                    .collect::<Vec<_>>();
                assert!(!in_third.is_empty(), "evidence in the third segment names it");
                assert!(in_third.iter().all(|(o, m)| o - m == 4 << 20), "{in_third:?}");
            }
            if status == "duplicate" {
                assert!(e["duplicate_of"].as_str().is_some_and(|d| d.ends_with("a_demo.img")), "{tail}: {e:#}");
            }
        } else {
            assert!(report["summary"]["messages"].as_u64().unwrap() > 0, "{tail}: messages found");
        }
    }

    let out_dir = dir.path().join("resumed");
    let killed = chatcarve_bin()
        .arg("scan")
        .arg(&ev)
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--quiet")
        .env("CHATCARVE_TEST_ABORT_AFTER", "5")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "the batch was not killed: {}", stderr_text(&killed));
    let resumed = batch(&[&ev], &out_dir, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(1), "{}", stderr_text(&resumed));
    assert_same_batch(&out_dir, &whole);
}
