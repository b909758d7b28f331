//! Disk-image containers (split raw, E01, Android sparse) give the same findings as the raw
//! image they hold: the fixtures are cut with `split`, acquired with `ewfacquire` and made
//! sparse with `img2simg`, scanned with the binary, and their messages and artifacts compared
//! with the raw scan's. A missing tool skips its test with a message, unless
//! `CHATCARVE_REQUIRE_TOOLS=1` (CI installs them), which fails it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::{chatcarve_bin, validate_report};

const FIXTURES: &[&str] = &["phone_backups.img", "demo.img"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scan(path: &Path, extra: &[&str]) -> Value {
    let out = chatcarve_bin().arg("scan").arg(path).args(["--json", "-", "--quiet"]).args(extra).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_report(&r);
    r
}

/// The scan of `container_path` finds what the raw scan of `raw` finds, read as `container`.
fn assert_same_findings(raw: &Path, container_path: &Path, container: &str) -> Value {
    let want = scan(raw, &[]);
    let got = scan(container_path, &[]);
    let input = &got["inputs"][0];
    assert_eq!(input["container"], container, "{}", container_path.display());
    assert_eq!(input["error"], Value::Null);
    assert_eq!(input["size_bytes"], want["inputs"][0]["size_bytes"]);
    assert_eq!(input["sha256"], want["inputs"][0]["sha256"], "the logical bytes are the raw image's");
    assert!(want["summary"]["messages"].as_u64().unwrap() > 0);
    // Evidence of an image made of several files also names the file holding it (`member`),
    // consistently with the members the input lists; apart from that, the same as the raw scan's.
    let members = input["members"].as_array().cloned().unwrap_or_default();
    let mut got_plain = got.clone();
    for m in got_plain["conversations"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|c| c["messages"].as_array_mut().unwrap())
    {
        for e in m["evidence"].as_array_mut().unwrap() {
            if let Some(place) = e.as_object_mut().unwrap().remove("member") {
                let holder = members.iter().find(|m| m["path"] == place["path"]).expect("the member is listed");
                assert_eq!(
                    e["offset"].as_u64().unwrap() - place["offset"].as_u64().unwrap(),
                    holder["offset"].as_u64().unwrap(),
                    "member offset of {e}"
                );
            }
        }
    }
    for key in ["messages", "artifacts", "conversations"] {
        assert_eq!(got_plain[key], want[key], "{key} of {} differ from the raw scan's", container_path.display());
    }
    assert_eq!(got["summary"], want["summary"]);
    got
}

fn member_paths(r: &Value) -> Vec<String> {
    r["inputs"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Path::new(m["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn split_raw_numeric_and_alphabetic() {
    if !common::have_tool("split", "coreutils") {
        return;
    }
    for name in FIXTURES {
        let raw = fixture(name);
        let dir = tempfile::tempdir().unwrap();
        // Numeric from 000, page-sized segments: mapped in place.
        let prefix = dir.path().join(format!("{name}."));
        run(Command::new("split").args(["-b", "1M", "-d", "-a", "3"]).arg(&raw).arg(&prefix));
        let first = dir.path().join(format!("{name}.000"));
        let r = assert_same_findings(&raw, &first, "split-raw");
        let size = std::fs::metadata(&raw).unwrap().len();
        let segments = size.div_ceil(1 << 20) as usize;
        assert_eq!(member_paths(&r).len(), segments);
        assert_eq!(r["inputs"][0]["members"][1]["offset"], 1 << 20);
        // A later segment opens the whole set.
        assert_same_findings(&raw, &dir.path().join(format!("{name}.001")), "split-raw");

        // Alphabetic, segments not a multiple of the page size: copied into the scratch file.
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("x.");
        run(Command::new("split").args(["-b", "1000000"]).arg(&raw).arg(&prefix));
        let r = assert_same_findings(&raw, &dir.path().join("x.aa"), "split-raw");
        assert_eq!(member_paths(&r)[..2], ["x.aa", "x.ab"]);

        // Numeric from 001 (FTK Imager's names).
        let dir = tempfile::tempdir().unwrap();
        run(Command::new("split")
            .args(["-b", "2M", "--numeric-suffixes=1", "-a", "3"])
            .arg(&raw)
            .arg(dir.path().join("d.raw.")));
        assert_same_findings(&raw, &dir.path().join("d.raw.001"), "split-raw");
    }
}

#[test]
fn split_raw_missing_middle_segment_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for (i, n) in ["d.001", "d.002", "d.003", "d.004"].iter().enumerate() {
        std::fs::write(dir.path().join(n), vec![i as u8; 4096]).unwrap();
    }
    std::fs::remove_file(dir.path().join("d.003")).unwrap();
    let out = chatcarve_bin()
        .arg("scan")
        .arg(dir.path().join("d.001"))
        .args(["--json", "-", "--quiet", "--container", "split-raw"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = r["inputs"][0]["error"].as_str().unwrap_or_default().to_owned();
    assert!(err.contains("d.003 is missing"), "{err}");
}

#[test]
fn e01_multi_segment_with_stored_hashes() {
    if !common::have_tool("ewfacquire", "ewf-tools") {
        return;
    }
    let mut most_segments = 0;
    for name in FIXTURES {
        let raw = fixture(name);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("evidence");
        // Segments of 1 MiB (the least ewfacquire writes), so an image that compresses to more
        // spans several (.E01, .E02, …); MD5 and SHA-1 stored.
        run(Command::new("ewfacquire")
            .args(["-u", "-q", "-f", "encase6", "-c", "deflate:fast", "-S", "1MiB", "-d", "sha1", "-t"])
            .arg(&target)
            .arg(&raw));
        let first = dir.path().join("evidence.E01");
        let r = assert_same_findings(&raw, &first, "ewf");
        let input = &r["inputs"][0];
        let md5 = {
            use md5::Digest;
            hex::encode(md5::Md5::digest(std::fs::read(&raw).unwrap()))
        };
        assert_eq!(input["stored_hashes"]["md5"], md5.as_str());
        assert_eq!(input["md5"], md5.as_str());
        assert!(input["stored_hashes"]["sha1"].as_str().is_some_and(|s| s.len() == 40));
        assert_eq!(input["stored_hash_verified"], true);
        let members = member_paths(&r);
        let mut written: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("evidence.E"))
            .collect();
        written.sort();
        assert_eq!(members, written, "every segment written is a member, in order");
        most_segments = most_segments.max(members.len());
        let m = input["members"].as_array().unwrap();
        let covered: u64 = m.iter().map(|m| m["length"].as_u64().unwrap()).sum();
        assert_eq!(covered, input["size_bytes"].as_u64().unwrap(), "the segments' ranges cover the image");

        // The MD5 is computed as the image is decoded: checked even without hashing.
        let r = scan(&first, &["--hash", "none"]);
        assert_eq!(r["inputs"][0]["sha256"], Value::Null);
        assert_eq!(r["inputs"][0]["stored_hashes"]["md5"], md5.as_str());
        assert_eq!(r["inputs"][0]["stored_hash_verified"], true);
    }
    assert!(most_segments >= 2, "no fixture spanned several segments: multi-segment E01 was not exercised");
}

#[test]
fn e01_altered_after_acquisition_does_not_verify() {
    if !common::have_tool("ewfacquire", "ewf-tools") {
        return;
    }
    let raw = fixture("phone_backups.img");
    let dir = tempfile::tempdir().unwrap();
    // No compression: a byte of media changed in the segment file changes the logical bytes.
    run(Command::new("ewfacquire").args(["-u", "-q", "-c", "none", "-t"]).arg(dir.path().join("e")).arg(&raw));
    let e01 = dir.path().join("e.E01");
    let mut bytes = std::fs::read(&e01).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xFF;
    std::fs::write(&e01, bytes).unwrap();
    let html = dir.path().join("case.html");
    let out =
        chatcarve_bin().arg("scan").arg(&e01).args(["--json", "-", "--quiet", "--html"]).arg(&html).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &r["inputs"][0];
    // Either the reader notices (a chunk checksum) and says so, or the hash does not verify,
    // and the client's report says so beside the input.
    if input["error"].is_null() {
        assert_eq!(input["stored_hash_verified"], false, "{input}");
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.contains("DOES NOT MATCH: the image&#x27;s MD5 is")
                || page.contains("DOES NOT MATCH: the image's MD5 is")
        );
    } else {
        assert!(input["error"].as_str().unwrap().contains("e.E01"), "{input}");
    }
}

#[test]
fn android_sparse() {
    if !common::have_tool("img2simg", "android-sdk-libsparse-utils") {
        return;
    }
    for name in FIXTURES {
        let raw = fixture(name);
        let dir = tempfile::tempdir().unwrap();
        let sparse = dir.path().join("userdata.simg");
        run(Command::new("img2simg").arg(&raw).arg(&sparse));
        assert!(std::fs::metadata(&sparse).unwrap().len() < std::fs::metadata(&raw).unwrap().len());
        let r = assert_same_findings(&raw, &sparse, "android-sparse");
        assert!(r["inputs"][0].get("stored_hashes").is_none());
    }
}

#[test]
fn a_truncated_sparse_image_is_an_error_saying_how_far_it_got() {
    if !common::have_tool("img2simg", "android-sdk-libsparse-utils") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sparse = dir.path().join("cut.simg");
    run(Command::new("img2simg").arg(fixture("demo.img")).arg(&sparse));
    let bytes = std::fs::read(&sparse).unwrap();
    std::fs::write(&sparse, &bytes[..bytes.len() / 2]).unwrap();
    let out = chatcarve_bin().arg("scan").arg(&sparse).args(["--json", "-", "--quiet"]).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = r["inputs"][0]["error"].as_str().unwrap_or_default().to_owned();
    assert!(err.contains("truncated: chunk") && err.contains("bytes were expanded"), "{err}");
}
