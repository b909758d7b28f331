//! Archives and compressed dumps, built with the standard tools (`tar`, `zip`, `gzip`, `zstd`,
//! `xz`) and scanned with the binary: a compressed dump gives the raw scan's messages, a tar
//! or zip of an Android-like tree gives the messages of its databases scanned directly, each
//! told WhatsApp or WhatsApp Business by its path. A missing tool skips its test with a
//! message; with `CHATCARVE_REQUIRE_TOOLS=1` (CI) it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::*;

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run tool");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The binary's report on `path`.
fn scan(path: &Path) -> Value {
    let out =
        chatcarve_bin().arg("scan").arg(path).args(["--json", "-", "--quiet", "--threads", "2"]).output().unwrap();
    assert!(out.status.success(), "scan {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_report(&r);
    r
}

/// What identifies a message: text, chat, time, status, app, and its evidence as (source,
/// offset) pairs.
type Key = (String, String, String, String, String, Vec<(String, String)>);

/// The messages of a report by their identity, each evidence offset rebased by `place`.
fn messages(r: &Value, place: &dyn Fn(&Value, u64) -> String) -> Vec<Key> {
    let mut out = Vec::new();
    for c in r["conversations"].as_array().unwrap() {
        for m in c["messages"].as_array().unwrap() {
            let evidence = m["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["source"].to_string(), place(r, e["offset"].as_u64().unwrap())))
                .collect();
            out.push((
                m["text"].to_string(),
                m["chat_jid"].to_string(),
                m["timestamp_ms"].to_string(),
                m["status"].to_string(),
                c["app"].to_string(),
                evidence,
            ));
        }
    }
    out.extend(r["unattributed_messages"].as_array().unwrap().iter().map(|m| {
        (
            m["text"].to_string(),
            "null".into(),
            m["timestamp_ms"].to_string(),
            m["status"].to_string(),
            "null".into(),
            Vec::new(),
        )
    }));
    out.sort();
    out
}

/// Offsets as they are.
fn absolute(_: &Value, offset: u64) -> String {
    offset.to_string()
}

/// An offset as (the name of the member file holding it, offset in that file).
fn in_member(r: &Value, offset: u64) -> String {
    for m in r["inputs"][0]["members"].as_array().into_iter().flatten() {
        let (start, len) = (m["offset"].as_u64().unwrap(), m["length"].as_u64().unwrap());
        if (start..start + len).contains(&offset) {
            let name = Path::new(m["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            return format!("{name}+{}", offset - start);
        }
    }
    // A database given alone: the file itself.
    format!("msgstore.db+{offset}")
}

#[test]
fn compressed_dumps_give_the_raw_scan() {
    let dir = tempfile::tempdir().unwrap();
    for fixture in ["fixtures/demo.img", "fixtures/phone_backups.img"] {
        let raw = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(fixture);
        let want = scan(&raw);
        let want_messages = messages(&want, &absolute);
        assert!(!want_messages.is_empty());
        for (tool, args, ext, container) in [
            ("gzip", &["-c"][..], "gz", "gzip"),
            ("zstd", &["-q", "-c"][..], "zst", "zstd"),
            ("xz", &["-1", "-T0", "-c"][..], "xz", "xz"),
        ] {
            if !common::have_tool(tool, tool_package(tool)) {
                continue;
            }
            let packed = dir.path().join(format!("image.{ext}"));
            let out = Command::new(tool).args(args).arg(&raw).output().unwrap();
            assert!(out.status.success());
            std::fs::write(&packed, &out.stdout).unwrap();
            let got = scan(&packed);
            assert_eq!(got["inputs"][0]["container"], container);
            assert_eq!(got["inputs"][0]["size_bytes"], want["inputs"][0]["size_bytes"]);
            assert_eq!(got["inputs"][0]["sha256"], want["inputs"][0]["sha256"], "the hash is the decoded image's");
            assert_eq!(messages(&got, &absolute), want_messages, "{fixture} through {tool}");
            assert_eq!(got["warnings"], want["warnings"]);

            // Cut short: what decoded is scanned, and a warning says so.
            let cut = dir.path().join(format!("cut.{ext}"));
            std::fs::write(&cut, &out.stdout[..out.stdout.len() * 2 / 3]).unwrap();
            let got = scan(&cut);
            assert!(
                got["inputs"][0]["size_bytes"].as_u64().unwrap() < want["inputs"][0]["size_bytes"].as_u64().unwrap()
            );
            let warnings = got["warnings"].to_string();
            assert!(warnings.contains("cut short or damaged"), "{tool}: {warnings}");
        }
    }
}

#[test]
fn multi_member_gzip_and_concatenated_frames_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let raw = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.img");
    let bytes = std::fs::read(&raw).unwrap();
    let want = messages(&scan(&raw), &absolute);
    let (a, b) = bytes.split_at(bytes.len() / 3 + 12345);
    for (tool, args, ext) in
        [("gzip", &["-c"][..], "gz"), ("zstd", &["-q", "-c"][..], "zst"), ("xz", &["-c"][..], "xz")]
    {
        if !common::have_tool(tool, tool_package(tool)) {
            continue;
        }
        let mut joined = Vec::new();
        for part in [a, b] {
            let p = dir.path().join("part");
            std::fs::write(&p, part).unwrap();
            joined.extend(Command::new(tool).args(args).arg(&p).output().unwrap().stdout);
        }
        let packed = dir.path().join(format!("joined.{ext}"));
        std::fs::write(&packed, joined).unwrap();
        let got = scan(&packed);
        assert_eq!(got["inputs"][0]["size_bytes"].as_u64(), Some(bytes.len() as u64), "{tool}");
        assert_eq!(messages(&got, &absolute), want, "{tool}");
    }
}

/// An Android-like tree: WhatsApp's database with its WAL, WhatsApp Business's database (other
/// messages), and `filler` small files besides.
struct Tree {
    dir: tempfile::TempDir,
}

const CONSUMER: &str = "data/data/com.whatsapp/databases/msgstore.db";
const BUSINESS: &str = "data/data/com.whatsapp.w4b/databases/msgstore.db";

impl Tree {
    fn new(filler: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        // The consumer database, with half of its messages in the WAL.
        let (db, wal) = make_whatsapp_db_with_wal(&work.join("c.db"), 40);
        let c = root.join(CONSUMER);
        std::fs::create_dir_all(c.parent().unwrap()).unwrap();
        std::fs::write(&c, db).unwrap();
        std::fs::write(root.join(format!("{CONSUMER}-wal")), wal).unwrap();
        // The business database: other key ids and texts.
        let b = root.join(BUSINESS);
        std::fs::create_dir_all(b.parent().unwrap()).unwrap();
        make_whatsapp_db(&b, 25);
        let conn = rusqlite::Connection::open(&b).unwrap();
        conn.execute_batch("UPDATE message SET key_id = 'B' || key_id, text_data = 'business ' || text_data").unwrap();
        conn.close().unwrap();
        // Files beside them, one with a path too long for a plain tar header.
        let long = root.join(format!("data/media/0/{}", "very-long-directory-name/".repeat(6)));
        std::fs::create_dir_all(&long).unwrap();
        std::fs::write(long.join("note.txt"), "not a database").unwrap();
        for i in 0..filler {
            let d = root.join(format!("system/app/{}", i % 10));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}.bin")), noise(100 + i * 37, i as u64)).unwrap();
        }
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The messages of each database scanned directly (the consumer one read with its WAL
    /// beside it), offsets as (file, offset in it).
    fn direct(&self) -> Vec<Key> {
        let mut want = messages(&scan(&self.root().join(CONSUMER)), &in_member);
        want.extend(messages(&scan(&self.root().join(BUSINESS)), &in_member));
        want.sort();
        want
    }
}

/// Checks an archive's report against the databases scanned directly.
fn check_archive(r: &Value, container: &str, tree: &Tree, want: &[Key], files: usize) {
    let input = &r["inputs"][0];
    assert_eq!(input["container"], container);
    assert_eq!(input["member_count"].as_u64(), Some(files as u64), "every regular file is a member");
    let listed: Vec<&str> = input["members"].as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap()).collect();
    for p in [CONSUMER, &format!("{CONSUMER}-wal"), BUSINESS] {
        assert!(listed.iter().any(|l| l.ends_with(p)), "{p} listed in {listed:?}");
    }
    assert_eq!(listed.len(), 3, "only the members holding evidence are listed: {listed:?}");
    let got = messages(r, &in_member);
    assert_eq!(got, want, "{container}: the same messages as the databases scanned directly");
    let apps: BTreeMap<bool, Vec<&str>> =
        r["conversations"].as_array().unwrap().iter().fold(BTreeMap::new(), |mut m, c| {
            let business = c["messages"][0]["text"].as_str().unwrap_or("").starts_with("business ");
            m.entry(business).or_default().push(c["app"].as_str().unwrap());
            m
        });
    assert!(apps[&true].iter().all(|a| *a == "whatsapp-business-android"), "{apps:?}");
    assert!(apps[&false].iter().all(|a| *a == "whatsapp-android"), "{apps:?}");
    let _ = tree;
}

#[test]
fn tar_lists_paths_and_tells_business_by_path() {
    if !common::have_tool("tar", "tar") {
        return;
    }
    let filler = 300;
    let tree = Tree::new(filler);
    let want = tree.direct();
    assert_eq!(want.iter().filter(|k| k.0.contains("business ")).count(), 25);
    assert!(want.len() >= 65, "{}", want.len());
    let files = filler + 4;
    for format in ["gnu", "pax", "ustar"] {
        let tar = tree.path(&format!("fs-{format}.tar"));
        let mut cmd = Command::new("tar");
        cmd.arg(format!("--format={format}")).arg("-cf").arg(&tar).arg("-C").arg(tree.root()).arg("data").arg("system");
        let out = cmd.output().unwrap();
        if format == "ustar" && !out.status.success() {
            // ustar cannot hold the long path: skip the variant.
            continue;
        }
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r = scan(&tar);
        check_archive(&r, "tar", &tree, &want, files);
    }
    for (tool, flag, container) in [("gzip", "-z", "tar.gz"), ("zstd", "--zstd", "tar.zst"), ("xz", "-J", "tar.xz")] {
        if !common::have_tool(tool, tool_package(tool)) {
            continue;
        }
        let packed = tree.path(&format!("fs.{container}"));
        run(Command::new("tar").arg(flag).arg("-cf").arg(&packed).arg("-C").arg(tree.root()).arg("data").arg("system"));
        check_archive(&scan(&packed), container, &tree, &want, files);
    }
}

#[test]
fn zip_gives_the_messages_of_its_files() {
    if !common::have_tool("zip", "zip") {
        return;
    }
    let filler = 50;
    let tree = Tree::new(filler);
    let want = tree.direct();
    for level in ["-6", "-0"] {
        let z = tree.path(&format!("fs{level}.zip"));
        run(Command::new("zip").current_dir(tree.root()).args(["-q", "-r", level]).arg(&z).args(["data", "system"]));
        let r = scan(&z);
        check_archive(&r, "zip", &tree, &want, filler + 4);
        // Members lie at 4096-aligned logical offsets.
        assert!(r["inputs"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["offset"].as_u64().unwrap() % 4096 == 0));
    }
    // Cut short inside its last file (no central directory): the files are read from their
    // local headers, with a warning.
    let z = std::fs::read(tree.path("fs-6.zip")).unwrap();
    let eocd = &z[z.len() - 22..];
    assert_eq!(&eocd[..4], b"PK\x05\x06");
    let directory = u32::from_le_bytes(eocd[16..20].try_into().unwrap()) as usize;
    let cut = tree.path("cut.zip");
    std::fs::write(&cut, &z[..directory - 50]).unwrap();
    let r = scan(&cut);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("central directory cannot be read"), "{warnings}");
    assert_eq!(messages(&r, &in_member), want, "the files before the cut are read");
    // An encrypted member is skipped with a warning; the rest is read.
    let z = tree.path("fs-6.zip");
    std::fs::write(tree.root().join("secret.txt"), "hidden").unwrap();
    run(Command::new("zip").current_dir(tree.root()).args(["-q", "-P", "pw"]).arg(&z).arg("secret.txt"));
    let r = scan(&z);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("secret.txt: encrypted"), "{warnings}");
    assert_eq!(messages(&r, &in_member), want);
}

#[test]
fn a_corrupt_archive_is_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.gz");
    std::fs::write(&p, [0x1f, 0x8b, 0xff, 0xff, 0, 1, 2, 3]).unwrap();
    let out = chatcarve_bin().arg("scan").arg(&p).args(["--json", "-", "--quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = r["inputs"][0]["error"].as_str().unwrap();
    assert!(e.contains("--container raw"), "{e}");
    // The same bytes named raw are scanned as they are.
    let out =
        chatcarve_bin().arg("scan").arg(&p).args(["--json", "-", "--quiet", "--container", "raw"]).output().unwrap();
    assert!(out.status.success());
}

/// The Debian package holding `tool`.
fn tool_package(tool: &str) -> &'static str {
    match tool {
        "xz" => "xz-utils",
        "zstd" => "zstd",
        "zip" => "zip",
        "gzip" => "gzip",
        _ => "tar",
    }
}
