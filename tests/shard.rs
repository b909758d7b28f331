//! One image scanned in shards and merged gives the report of one scan of the whole image
//! (outside `run`), for every generated scenario, any number of shards and chunk size; and
//! partials that do not belong together are refused.

mod common;
#[path = "../fixtures/gen/generator.rs"]
mod generator;

use chatcarve::report::{self, InputOutcome, RunInfo};
use chatcarve::scan::ScanSettings;
use chatcarve::shard::{self, Partial, Shard, ShardError};
use chatcarve::source::MemorySource;

fn json(findings: chatcarve::InputFindings) -> Vec<u8> {
    let outcome = InputOutcome { path: "image".into(), result: Ok(findings) };
    let r = report::build_report(&[outcome], RunInfo::default());
    let mut out = Vec::new();
    report::write_json(&r, &mut out).expect("json");
    out
}

fn partials(src: &MemorySource, count: usize, settings: &ScanSettings) -> Vec<Partial> {
    (1..=count).map(|index| shard::scan_shard(src, "image", Shard { index, count }, settings, &())).collect()
}

#[test]
fn every_scenario_merged_from_shards_equals_one_scan() {
    for name in generator::scenario_names() {
        let scenario = generator::build(name).expect("scenario builds");
        let src = MemorySource::new(scenario.image.clone());
        for (count, chunk) in [(4, 4096), (3, 65536), (7, 4096 * 5), (1, 8 << 20), (5, 8 << 20)] {
            let settings = ScanSettings::default().chunk_size(chunk);
            let single = json(chatcarve::analyse(&src, 0, &settings, &()));
            let mut parts = partials(&src, count, &settings);
            // Partials arrive in any order.
            parts.reverse();
            let parts = shard::check_parts(parts).expect("parts fit");
            let merged = json(shard::analyse_parts(&src, 0, &parts, &settings, &()).expect("merge"));
            assert!(merged == single, "{name}: {count} shards of chunk {chunk} differ from one scan");
        }
    }
}

/// A backup header a few bytes before a shard boundary, found by the needle after it: every
/// chunk is a shard of its own, and the image is shifted so that each backup starts 1 byte
/// before a chunk boundary.
#[test]
fn a_backup_header_just_before_a_shard_boundary() {
    let scenario = generator::build("phone_backups").expect("scenario builds");
    let mut image = vec![0u8; 4095];
    image.extend_from_slice(&scenario.image);
    image.resize(image.len().next_multiple_of(4096), 0);
    let src = MemorySource::new(image);
    let settings = ScanSettings::default().chunk_size(4096);
    let single = json(chatcarve::analyse(&src, 0, &settings, &()));
    let count = chatcarve::scan::driver::chunk_count(chatcarve::source::ByteSource::len(&src) as usize, &settings);
    let parts = shard::check_parts(partials(&src, count, &settings)).expect("parts fit");
    assert!(
        parts.iter().any(|p| p.backups.iter().any(|&b| b < p.chunks.0 as u64 * 4096)),
        "a backup header starts before the shard that found it"
    );
    let merged = json(shard::analyse_parts(&src, 0, &parts, &settings, &()).expect("merge"));
    assert!(merged == single, "merged shards differ from one scan");
}

#[test]
fn partials_that_do_not_belong_together_are_refused() {
    let scenario = generator::build("phone_backups").expect("scenario builds");
    let src = MemorySource::new(scenario.image.clone());
    let settings = ScanSettings::default().chunk_size(4096);
    let parts = partials(&src, 4, &settings);

    let missing = parts[..3].to_vec();
    assert!(matches!(shard::check_parts(missing), Err(ShardError::Coverage { shard: 4, problem: "missing", .. })));
    let mut twice = parts.clone();
    twice[3] = parts[2].clone();
    assert!(matches!(shard::check_parts(twice), Err(ShardError::Coverage { shard: 3, problem: "given twice", .. })));
    let mut other_chunks = parts.clone();
    other_chunks[1].chunk_size = 8192;
    assert!(matches!(shard::check_parts(other_chunks), Err(ShardError::Mismatch { index: 2, .. })));
    assert!(matches!(shard::check_parts(Vec::new()), Err(ShardError::Empty)));

    // Another image of the same size.
    let mut other = scenario.image.clone();
    other[100] ^= 1;
    let other = MemorySource::new(other);
    let checked = shard::check_parts(parts.clone()).expect("parts fit");
    assert!(matches!(
        shard::analyse_parts(&other, 0, &checked, &settings, &()),
        Err(ShardError::OtherImage { what: "fingerprint" })
    ));

    // A partial edited to point where nothing starts, or outside its shard.
    let mut edited = checked.clone();
    let export = edited.iter_mut().find(|p| !p.key_files.is_empty()).expect("a shard holds the key file");
    export.key_files[0] += 1;
    assert!(matches!(shard::analyse_parts(&src, 0, &edited, &settings, &()), Err(ShardError::Inconsistent { .. })));
    let mut edited = checked.clone();
    edited[0].hits.push(chatcarve::scan::hit::Hit { offset: u64::MAX, kind: chatcarve::scan::hit::HitKind::DbHeader });
    assert!(matches!(shard::analyse_parts(&src, 0, &edited, &settings, &()), Err(ShardError::Inconsistent { .. })));
}

#[test]
fn cli_shards_and_merge_write_the_single_scan_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/phone_backups.img");
    let image = image.to_str().expect("utf-8 path");
    let mut parts = Vec::new();
    for k in 1..=4 {
        let part = dir.path().join(format!("part{k}.json"));
        common::chatcarve_bin()
            .args(["scan", image, "--shard", &format!("{k}/4"), "--chunk-size", "65536", "--quiet", "--json"])
            .arg(&part)
            .assert()
            .success();
        parts.push(part);
    }
    let merged = dir.path().join("merged.json");
    common::chatcarve_bin().arg("merge").args(&parts).args(["--quiet", "--json"]).arg(&merged).assert().success();
    let single = dir.path().join("single.json");
    common::chatcarve_bin()
        .args(["scan", image, "--chunk-size", "65536", "--quiet", "--json"])
        .arg(&single)
        .assert()
        .success();
    let read = |p: &std::path::Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
        common::validate_report(&v);
        v.as_object_mut().expect("object").remove("run");
        v
    };
    let merged = read(&merged);
    assert_eq!(merged, read(&single));
    assert!(merged["inputs"][0]["sha256"].is_string(), "merge hashes the image as one scan does");

    // A missing shard is refused with what to do.
    let out = common::chatcarve_bin()
        .arg("merge")
        .args(&parts[..3])
        .args(["--json"])
        .arg(dir.path().join("x.json"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard 4 of 4 is missing"));
    // A shard with render formats is refused: they are the merge's.
    common::chatcarve_bin()
        .args(["scan", image, "--shard", "1/2", "--html"])
        .arg(dir.path().join("x.html"))
        .arg("--json")
        .arg(dir.path().join("y.json"))
        .assert()
        .code(2);
}

/// The Slurm scripts of docs/cluster/ run as Slurm runs them (array task variables set), with
/// chatcarve on the PATH, give the single-scan report.
#[test]
fn the_documented_slurm_scripts_work() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = assert_cmd::cargo::cargo_bin("chatcarve");
    let path = format!("{}:{}", bin.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    let dir = tempfile::tempdir().expect("tempdir");
    let image = root.join("fixtures/phone_backups.img");
    let parts = dir.path().join("parts");
    for task in 1..=3 {
        let status = std::process::Command::new("bash")
            .arg(root.join("docs/cluster/slurm-shards.sh"))
            .arg(&image)
            .arg(&parts)
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .env("SLURM_CPUS_PER_TASK", "2")
            .status()
            .expect("bash");
        assert!(status.success(), "shard task {task}");
    }
    let status = std::process::Command::new("bash")
        .arg(root.join("docs/cluster/slurm-merge.sh"))
        .arg(&image)
        .arg(&parts)
        .env("PATH", &path)
        .env("SLURM_CPUS_PER_TASK", "2")
        .status()
        .expect("bash");
    assert!(status.success(), "merge");
    let read = |p: &std::path::Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
        v.as_object_mut().expect("object").remove("run");
        v
    };
    let single = dir.path().join("single.json");
    common::chatcarve_bin().arg("scan").arg(&image).args(["--quiet", "--json"]).arg(&single).assert().success();
    assert_eq!(read(&dir.path().join("report.json")), read(&single));
    assert!(dir.path().join("report.html").is_file() && dir.path().join("case.sqlite").is_file());
}
