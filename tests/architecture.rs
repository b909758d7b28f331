//! The layering of `docs/style.md`, rule 1, checked on the sources: arrows only point down the
//! pipeline, and only `cli/` (and `source/` for files) touches the terminal and the file system.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn src(layer: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer)
}

/// Lines of the files of `layer` that contain any of `needles`, outside `#[cfg(test)]` modules.
fn offending(layer: &str, needles: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    let path = src(layer);
    let files = if path.is_dir() { rust_files(&path) } else { vec![path.with_extension("rs")] };
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for n in needles {
                if line.contains(n) {
                    hits.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    hits
}

#[test]
fn layers_only_depend_downward() {
    let rules: [(&str, &[&str]); 11] = [
        ("bytes", &["crate::"]),
        ("source", &["crate::sqlite", "crate::scan", "crate::recover", "crate::apps", "crate::report"]),
        (
            "sqlite",
            &["crate::scan", "crate::recover", "crate::apps", "crate::conversations", "crate::report", "crate::source"],
        ),
        ("scan", &["crate::recover", "crate::apps", "crate::conversations", "crate::report"]),
        ("recover", &["crate::apps", "crate::conversations", "crate::confidence", "crate::report"]),
        (
            "backup",
            &[
                "crate::scan",
                "crate::recover",
                "crate::apps",
                "crate::conversations",
                "crate::report",
                "crate::export_text",
            ],
        ),
        ("export_text", &["crate::apps", "crate::report", "crate::confidence"]),
        (
            "fts",
            &[
                "crate::scan",
                "crate::source",
                "crate::backup",
                "crate::export_text",
                "crate::apps",
                "crate::conversations",
                "crate::confidence",
                "crate::report",
            ],
        ),
        ("apps", &["crate::report", "crate::confidence"]),
        ("conversations", &["crate::report", "crate::apps"]),
        // Renderers read the JSON report only, so a report of any version renders.
        (
            "render",
            &[
                "crate::source",
                "crate::scan",
                "crate::sqlite",
                "crate::recover",
                "crate::backup",
                "crate::fts",
                "crate::export_text",
                "crate::apps",
                "crate::conversations",
                "crate::confidence",
            ],
        ),
    ];
    let mut all = Vec::new();
    for (layer, forbidden) in rules {
        all.extend(offending(layer, forbidden));
    }
    assert!(all.is_empty(), "layering violations:\n{}", all.join("\n"));
}

#[test]
fn only_the_cli_touches_the_terminal_and_files() {
    let forbidden =
        ["eprintln!", "println!", "std::fs::", "File::", "indicatif", "clap", "anyhow", "std::process::exit"];
    let mut all = Vec::new();
    for layer in [
        "bytes",
        "sqlite",
        "backup",
        "scan",
        "recover",
        "export_text",
        "fts",
        "apps",
        "conversations",
        "confidence",
        "report",
        "render",
        "lib",
    ] {
        all.extend(offending(layer, &forbidden));
    }
    assert!(all.is_empty(), "terminal or file access outside cli/ and source/:\n{}", all.join("\n"));
}
