//! Batch runs (`chatcarve scan DIR/ IMG... --out-dir REPORTS/`): every image scanned on its own
//! into `REPORTS/<name>.json`, and `REPORTS/index.json` listing each input with its status,
//! hash and counts (the fields are in docs/batch.md).
//!
//! Every file is written to a temporary file in the out-dir and renamed into place, and the
//! index is rewritten after each image (at most twice a second), so a batch killed at any moment
//! leaves only whole reports and a valid index, and `--resume` finishes it with the result an
//! uninterrupted run gives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use chatcarve::report::{self, InputOutcome, RunInfo};
use chatcarve::scan::ScanSettings;
use chatcarve::source::{ByteSource, OpenOptions};

use super::args::{Format, RenderArgs, ScanCommand};
use super::output::Target;
use super::progress::{BatchBars, ImageBar};

/// The index file's name in the out-dir.
const INDEX: &str = "index.json";
/// The prefix of the temporary files [`Target`] writes before renaming them.
const TEMP_PREFIX: &str = ".chatcarve-report-";
/// Test-only: the process aborts (as `kill -9` would stop it) once this many inputs are in the
/// index. Lets the tests interrupt a batch at a known point.
const ABORT_AFTER_ENV: &str = "CHATCARVE_TEST_ABORT_AFTER";
/// The index is rewritten after every input, but not more often than this: a batch of
/// thousands of small files would otherwise spend its time rewriting a growing index. A batch
/// killed in between loses nothing, as `--resume` goes by the reports.
const INDEX_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);
/// Longest report name kept before the hash suffix, in bytes (file names stop at 255).
const MAX_NAME: usize = 160;

/// One input of the batch: a file argument, or a file found under a directory argument.
struct Planned {
    path: PathBuf,
    /// The command-line argument it came from.
    argument: PathBuf,
    /// Its path relative to the argument (the file name for a file argument).
    relative: PathBuf,
    /// Why its directory could not be listed (the input is then the directory itself).
    walk_error: Option<String>,
    /// The report's name without `.json`.
    name: String,
}

/// `index.json`.
#[derive(Serialize)]
struct Index {
    index_version: &'static str,
    tool: Tool,
    run: report::model::Run,
    complete: bool,
    summary: Summary,
    inputs: Vec<Entry>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, Default)]
struct Summary {
    inputs_planned: usize,
    inputs_done: usize,
    ok: usize,
    failed: usize,
    skipped_resumed: usize,
    duplicate: usize,
    bytes: u64,
}

/// One input in the index.
#[derive(Serialize, Clone)]
struct Entry {
    path: String,
    argument: String,
    report: Option<String>,
    outputs: Vec<String>,
    size_bytes: Option<u64>,
    sha256: Option<String>,
    container: Option<String>,
    status: Status,
    reason: Option<String>,
    duplicate_of: Option<String>,
    resumed: bool,
    counts: Option<Counts>,
    duration_ms: u64,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Failed,
    SkippedResumed,
    Duplicate,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::SkippedResumed => "skipped_resumed",
            Status::Duplicate => "duplicate",
        }
    }
}

#[derive(Serialize, Clone, Copy, Default)]
struct Counts {
    artifacts: u64,
    messages: u64,
    deleted_messages: u64,
    conversations: u64,
}

/// What an input's report says, enough to tell whether it can be kept and to index it.
struct Scanned {
    size: Option<u64>,
    sha256: Option<String>,
    container: Option<String>,
    counts: Counts,
}

/// What every input of a batch is scanned with.
struct Batch<'a> {
    c: &'a ScanCommand,
    out_dir: PathBuf,
    pool: rayon::ThreadPool,
    settings: ScanSettings,
    open: OpenOptions,
    started: Option<String>,
}

/// Runs a batch; the exit code is 0 when every input was scanned (or kept), 1 when some failed,
/// 3 when none could be scanned.
pub fn run(c: ScanCommand) -> anyhow::Result<std::process::ExitCode> {
    let inputs = &c.scan.inputs;
    let a = &c.scan.options;
    let Some(out_dir) = c.scan.out_dir.clone() else { bail!("--out-dir is missing") };
    refuse_single_file_outputs(&c.render)?;
    let started = super::now();
    if out_dir.exists() && !out_dir.is_dir() {
        bail!("--out-dir {} is not a directory; give a directory for the reports", out_dir.display());
    }
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create the out-dir {}", out_dir.display()))?;
    let mut planned = plan(inputs, &out_dir);
    if planned.is_empty() {
        bail!("no files to scan in {}; give image files or directories holding them", display_list(inputs));
    }
    name_reports(&mut planned);
    let resume = c.scan.resume;
    check_targets(&planned, &out_dir, &c.formats, resume || a.force)?;
    if resume || a.force {
        remove_stale_temporaries(&out_dir);
    }
    super::install_profiles(&a.profiles)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.threads).build().context("cannot start worker threads")?;
    let settings = super::settings(a)?;
    let batch = Batch { c: &c, out_dir, pool, settings, open: a.open_options(), started };
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER_ENV).ok().and_then(|v| v.parse().ok());

    let sizes: Vec<u64> = planned.iter().map(|p| std::fs::metadata(&p.path).map_or(0, |m| m.len())).collect();
    let mut bars = BatchBars::new(sizes.iter().sum(), a.quiet);
    let mut entries: Vec<Entry> = Vec::new();
    let mut first_with_hash: BTreeMap<String, String> = BTreeMap::new();
    let mut last_index: Option<Instant> = None;
    for (i, (p, size)) in planned.iter().zip(&sizes).enumerate() {
        let mut entry = batch.input(p, (i + 1, planned.len()), *size, &mut bars);
        mark_duplicate(&mut entry, &mut first_with_hash);
        entries.push(entry);
        let complete = entries.len() == planned.len();
        let abort = abort_after.is_some_and(|n| entries.len() >= n) && !complete;
        if complete || abort || last_index.is_none_or(|t| t.elapsed() >= INDEX_INTERVAL) {
            write_index(&batch.out_dir, &entries, planned.len(), complete, batch.run_info())?;
            last_index = Some(Instant::now());
        }
        if abort {
            std::process::abort();
        }
    }
    bars.finish();
    if !a.quiet {
        closing_table(&entries);
    }
    let failed = entries.iter().filter(|e| e.status == Status::Failed).count();
    Ok(match failed {
        0 => std::process::ExitCode::SUCCESS,
        n if n == entries.len() => std::process::ExitCode::from(3),
        _ => std::process::ExitCode::from(1),
    })
}

impl Batch<'_> {
    fn run_info(&self) -> RunInfo {
        RunInfo {
            started: self.started.clone(),
            finished: super::now(),
            threads: self.pool.current_num_threads(),
            arguments: super::redacted_arguments(std::env::args()),
        }
    }

    /// Scans one input, or keeps its report, and gives its index entry (duplicates not yet
    /// marked). `position`: its place in the batch and the batch's length, for the bars.
    fn input(&self, p: &Planned, position: (usize, usize), file_size: u64, bars: &mut BatchBars) -> Entry {
        let clock = Instant::now();
        let path = p.path.display().to_string();
        let mut image = None;
        let result = match &p.walk_error {
            Some(e) => Err(e.clone()),
            None => chatcarve::source::open(&p.path, &self.open).map_err(|e| e.to_string()).and_then(|source| {
                let bar = bars.image(source.len(), file_size, &path, position.0, position.1);
                let r = self.scan_or_keep(p, &path, source, &bar);
                image = Some(bar);
                r
            }),
        };
        if let Err(e) = &result {
            bars.note(&format!("chatcarve: {e}"));
        }
        bars.input_done(image, file_size);
        let mut entry = Entry {
            path,
            argument: p.argument.display().to_string(),
            report: None,
            outputs: Vec::new(),
            size_bytes: std::fs::metadata(&p.path).ok().filter(|m| m.is_file()).map(|m| m.len()),
            sha256: None,
            container: None,
            status: Status::Failed,
            reason: None,
            duplicate_of: None,
            resumed: false,
            counts: None,
            duration_ms: 0,
        };
        match result {
            Err(reason) => entry.reason = Some(reason),
            Ok((s, resumed)) => {
                entry.report = Some(format!("{}.json", p.name));
                entry.outputs = self.c.formats.iter().map(|f| format!("{}{}", p.name, f.suffix())).collect();
                entry.size_bytes = s.size;
                entry.sha256 = s.sha256;
                entry.container = s.container;
                entry.counts = Some(s.counts);
                entry.resumed = resumed;
                entry.status = if resumed { Status::SkippedResumed } else { Status::Ok };
            }
        }
        entry.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        entry
    }

    /// The input's report kept (`--resume`, unchanged input: true) or written from a new scan.
    fn scan_or_keep(
        &self,
        p: &Planned,
        path: &str,
        source: Box<dyn ByteSource>,
        bar: &ImageBar,
    ) -> Result<(Scanned, bool), String> {
        let report_path = self.out_dir.join(format!("{}.json", p.name));
        if self.c.scan.resume {
            if let Some(kept) = kept_report(&report_path, source.as_ref(), bar) {
                drop(source);
                return self.render_missing(&p.name, &report_path).map(|()| (kept, true)).map_err(|e| format!("{e:#}"));
            }
        }
        let findings = self.pool.install(|| chatcarve::analyse(source.as_ref(), 0, &self.settings, bar));
        drop(source);
        let outcome = InputOutcome { path: path.to_owned(), result: Ok(findings) };
        self.write_report(&p.name, &report_path, &outcome).map(|s| (s, false))
    }
}

/// Marks `entry` a duplicate when an earlier input had its SHA-256, else remembers it as the
/// first with that hash.
fn mark_duplicate(entry: &mut Entry, first_with_hash: &mut BTreeMap<String, String>) {
    let Some(h) = &entry.sha256 else { return };
    match first_with_hash.get(h) {
        Some(first) => {
            entry.duplicate_of = Some(first.clone());
            entry.status = Status::Duplicate;
        }
        None => {
            first_with_hash.insert(h.clone(), entry.path.clone());
        }
    }
}

/// The file flags of `scan` name one file each; a batch renders per image with `--formats`.
fn refuse_single_file_outputs(r: &RenderArgs) -> anyhow::Result<()> {
    let given = [
        ("--html", &r.html, "html"),
        ("--case-db", &r.case_db, "case-db"),
        ("--timeline", &r.timeline, "timeline"),
        ("--timeline-jsonl", &r.timeline_jsonl, "timeline-jsonl"),
        ("--case-uco", &r.case_uco, "case-uco"),
    ];
    if let Some((flag, _, format)) = given.iter().find(|(_, p, _)| p.is_some()) {
        bail!("{flag} names one file, and --out-dir writes one report per image; give --formats {format} to render each image's report beside it");
    }
    Ok(())
}

fn display_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The inputs, in argument order; the files under a directory argument sorted by path, without
/// the parts of split sets and the database companions that their first file reads (see
/// [`chatcarve::source::walk`]), and without the out-dir.
fn plan(arguments: &[PathBuf], out_dir: &Path) -> Vec<Planned> {
    let skip = std::fs::canonicalize(out_dir).ok();
    let mut planned = Vec::new();
    for argument in arguments {
        if !argument.is_dir() {
            let relative = argument.file_name().map_or_else(|| PathBuf::from("input"), PathBuf::from);
            planned.push(Planned {
                path: argument.clone(),
                argument: argument.clone(),
                relative,
                walk_error: None,
                name: String::new(),
            });
            continue;
        }
        let mut files = Vec::new();
        let mut errors = Vec::new();
        walk(argument, skip.as_deref(), &mut files, &mut errors);
        files.sort();
        for path in chatcarve::source::walk::inputs_of_walk(files) {
            let relative = path.strip_prefix(argument).map_or_else(|_| path.clone(), Path::to_path_buf);
            planned.push(Planned { path, argument: argument.clone(), relative, walk_error: None, name: String::new() });
        }
        errors.sort();
        for (dir, e) in errors {
            let relative = dir.strip_prefix(argument).map_or_else(|_| dir.clone(), Path::to_path_buf);
            let walk_error =
                Some(format!("{}: cannot list the directory: {e}; run with read access to it", dir.display()));
            planned.push(Planned { path: dir, argument: argument.clone(), relative, walk_error, name: String::new() });
        }
    }
    planned
}

/// The regular files under `dir` (symbolic links to files included, linked directories not
/// followed), and the directories that could not be listed.
fn walk(dir: &Path, skip: Option<&Path>, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, String)>) {
    if skip.is_some_and(|s| std::fs::canonicalize(dir).is_ok_and(|d| d == s)) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push((dir.to_path_buf(), e.to_string()));
                continue;
            }
        };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&path, skip, files, errors);
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            files.push(path);
        }
    }
}

/// Gives each input its report's name: its path relative to its argument, path separators and
/// characters file systems refuse made `_`, and, where two inputs would get the same name (on a
/// case-insensitive file system too) or a name is the index's, a suffix from the input's path.
/// The same arguments give the same names on every run.
fn name_reports(planned: &mut [Planned]) {
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    taken.insert("index".to_owned(), 0);
    for p in planned.iter_mut() {
        let base = safe_name(&p.relative);
        let mut name = base.clone();
        let mut n = 0u32;
        while taken.contains_key(&name.to_lowercase()) {
            n += 1;
            let mut h = Sha256::new();
            h.update(p.path.as_os_str().as_encoded_bytes());
            h.update(n.to_le_bytes());
            name = format!("{base}~{}", &hex::encode(h.finalize())[..8]);
        }
        taken.insert(name.to_lowercase(), 0);
        p.name = name;
    }
}

fn safe_name(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let joined = parts.join("_");
    let mut name: String = joined
        .chars()
        .map(|ch| if ch.is_alphanumeric() || matches!(ch, '.' | '-' | '_' | '+' | '@' | ',') { ch } else { '_' })
        .collect();
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.len() > MAX_NAME {
        let mut end = MAX_NAME;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut h = Sha256::new();
        h.update(joined.as_bytes());
        name = format!("{}~{}", &name[..end], &hex::encode(h.finalize())[..8]);
    }
    if name.is_empty() {
        name = "input".to_owned();
    }
    name
}

/// Refuses, before anything is scanned, to write over an existing report, rendered format or
/// index unless the run resumes or forces.
fn check_targets(planned: &[Planned], out_dir: &Path, formats: &[Format], may_replace: bool) -> anyhow::Result<()> {
    let mut targets = vec![out_dir.join(INDEX)];
    for p in planned {
        targets.push(out_dir.join(format!("{}.json", p.name)));
        targets.extend(formats.iter().map(|f| out_dir.join(format!("{}{}", p.name, f.suffix()))));
    }
    let inputs: Vec<FileId> = planned.iter().filter_map(|p| file_id(&p.path)).collect();
    for t in &targets {
        if file_id(t).is_some_and(|id| inputs.contains(&id)) {
            bail!(
                "{} is one of the inputs; give another --out-dir (evidence is never overwritten, even with --force)",
                t.display()
            );
        }
        if let Ok(m) = std::fs::metadata(t) {
            if m.is_dir() {
                bail!("{} is a directory; move it out of the out-dir", t.display());
            }
            if !may_replace {
                bail!(
                    "{} already exists; use --resume to finish that batch or --force to overwrite its reports",
                    t.display()
                );
            }
        }
    }
    Ok(())
}

/// What tells two paths of one file apart from two files.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<FileId> {
    let _ = path;
    None
}

/// Removes the temporary files of a batch that was killed while writing.
fn remove_stale_temporaries(out_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(out_dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The earlier report of this input, when it can be kept: its size and SHA-256 are those of the
/// input now (the size compared first, the input hashed only when it matches).
fn kept_report(report_path: &Path, source: &dyn ByteSource, bar: &ImageBar) -> Option<Scanned> {
    let file = std::fs::File::open(report_path).ok()?;
    let head: ReportHead = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
    let input = head.inputs.into_iter().next().filter(|i| i.error.is_none())?;
    if input.size_bytes != Some(source.len()) {
        return None;
    }
    let recorded = input.sha256?;
    if hash_source(source, bar)? != recorded {
        return None;
    }
    Some(Scanned {
        size: input.size_bytes,
        sha256: Some(recorded),
        container: input.container,
        counts: Counts {
            artifacts: head.artifacts.len() as u64,
            messages: head.summary.messages,
            deleted_messages: head.summary.messages_by_status.get("deleted").copied().unwrap_or(0),
            conversations: head.summary.conversations,
        },
    })
}

/// What `--resume` reads of a report; the rest is skipped without being kept.
#[derive(Deserialize)]
struct ReportHead {
    inputs: Vec<InputHead>,
    summary: SummaryHead,
    artifacts: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct InputHead {
    size_bytes: Option<u64>,
    sha256: Option<String>,
    container: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SummaryHead {
    messages: u64,
    messages_by_status: BTreeMap<String, u64>,
    conversations: u64,
}

/// SHA-256 of the source's logical bytes, as the report's `inputs[].sha256` gives it (every
/// source is read as one slice, as the scan reads it).
fn hash_source(source: &dyn ByteSource, bar: &ImageBar) -> Option<String> {
    source.contiguous().map(|data| hex::encode(chatcarve::scan::driver::sha256(data, bar)))
}

impl Batch<'_> {
    /// Writes one image's report and the formats asked for beside it, the report last: a report
    /// in the out-dir means everything for its image is there.
    fn write_report(&self, name: &str, report_path: &Path, outcome: &InputOutcome) -> Result<Scanned, String> {
        if let Err(e) = &outcome.result {
            return Err(e.clone());
        }
        let options = report::ReportOptions { min_confidence: self.c.scan.options.min_confidence };
        let report = report::build_report_with(std::slice::from_ref(outcome), self.run_info(), &options);
        let input = report.inputs.first();
        let scanned = Scanned {
            size: input.and_then(|i| i.size_bytes),
            sha256: input.and_then(|i| i.sha256.clone()),
            container: input.and_then(|i| i.container).map(str::to_owned),
            counts: Counts {
                artifacts: report.artifacts.len() as u64,
                messages: report.summary.messages,
                deleted_messages: report.summary.messages_by_status.get("deleted").copied().unwrap_or(0),
                conversations: report.summary.conversations,
            },
        };
        let mut json = Vec::new();
        report::write_json(&report, &mut json).map_err(|e| format!("cannot serialise the report of {name}: {e}"))?;
        json.push(b'\n');
        drop(report);
        self.render_formats(name, &json, true).map_err(|e| format!("{e:#}"))?;
        Target::new(report_path, true, &[])
            .and_then(|t| t.write_exact(|w| w.write_all(&json)))
            .map_err(|e| format!("{e:#}"))?;
        Ok(scanned)
    }

    /// Renders the formats asked for from an image's report; with `replace` false, only those
    /// not there yet (a resumed batch asked for a format the first run did not write).
    fn render_formats(&self, name: &str, json: &[u8], replace: bool) -> anyhow::Result<()> {
        let path = |f: Format| {
            let p = self.out_dir.join(format!("{name}{}", f.suffix()));
            (self.c.formats.contains(&f) && (replace || !p.exists())).then_some(p)
        };
        let args = RenderArgs {
            html: path(Format::Html),
            case_db: path(Format::CaseDb),
            timeline: path(Format::Timeline),
            timeline_jsonl: path(Format::TimelineJsonl),
            case_uco: path(Format::CaseUco),
            case_id: self.c.render.case_id.clone(),
            examiner: self.c.render.examiner.clone(),
            timezone: self.c.render.timezone.clone(),
        };
        let outputs = super::render::Outputs::new(&args, true, &[], true)?;
        outputs.render(json, &format!("{name}.json"))
    }

    /// On resume, renders the formats of a kept report that are missing.
    fn render_missing(&self, name: &str, report_path: &Path) -> anyhow::Result<()> {
        if self.c.formats.is_empty() {
            return Ok(());
        }
        let json = std::fs::read(report_path).with_context(|| format!("cannot read {}", report_path.display()))?;
        self.render_formats(name, &json, false)
    }
}

fn write_index(out_dir: &Path, entries: &[Entry], planned: usize, complete: bool, run: RunInfo) -> anyhow::Result<()> {
    let mut summary = Summary { inputs_planned: planned, inputs_done: entries.len(), ..Summary::default() };
    for e in entries {
        match e.status {
            Status::Ok => summary.ok += 1,
            Status::Failed => summary.failed += 1,
            Status::SkippedResumed => summary.skipped_resumed += 1,
            Status::Duplicate => summary.duplicate += 1,
        }
        if e.status != Status::Failed {
            summary.bytes = summary.bytes.saturating_add(e.size_bytes.unwrap_or(0));
        }
    }
    let index = Index {
        index_version: "1",
        tool: Tool { name: "chatcarve", version: env!("CARGO_PKG_VERSION") },
        run: report::model::Run {
            started: run.started,
            finished: run.finished,
            threads: run.threads,
            arguments: run.arguments,
        },
        complete,
        summary,
        inputs: entries.to_vec(),
    };
    Target::new(&out_dir.join(INDEX), true, &[])?
        .write(|w| serde_json::to_writer_pretty(w, &index).map_err(std::io::Error::from))
}

/// The closing table on stderr: input, status, messages, deleted, time.
fn closing_table(entries: &[Entry]) {
    let width = entries.iter().map(|e| e.path.chars().count()).max().unwrap_or(5).clamp(5, 60);
    eprintln!("{:<width$}  {:<15}  {:>8}  {:>8}  {:>8}", "input", "status", "messages", "deleted", "time");
    for e in entries {
        let path: String = if e.path.chars().count() > width {
            let tail: String = e.path.chars().rev().take(width - 1).collect::<Vec<_>>().into_iter().rev().collect();
            format!("…{tail}")
        } else {
            e.path.clone()
        };
        let (messages, deleted) = e
            .counts
            .map_or(("-".to_owned(), "-".to_owned()), |c| (c.messages.to_string(), c.deleted_messages.to_string()));
        eprintln!(
            "{path:<width$}  {:<15}  {messages:>8}  {deleted:>8}  {:>7.1}s",
            e.status.name(),
            e.duration_ms as f64 / 1000.0
        );
        if let Some(reason) = &e.reason {
            eprintln!("  {reason}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn planned(path: &str, relative: &str) -> Planned {
        Planned {
            path: PathBuf::from(path),
            argument: PathBuf::from("."),
            relative: PathBuf::from(relative),
            walk_error: None,
            name: String::new(),
        }
    }

    #[test]
    fn names_are_one_safe_file_name() {
        assert_eq!(safe_name(Path::new("phone2/userdata.img")), "phone2_userdata.img");
        assert_eq!(safe_name(Path::new("a b/c:d*?.img")), "a_b_c_d__.img");
        assert_eq!(safe_name(Path::new(".hidden")), "_hidden");
        assert_eq!(safe_name(Path::new("")), "input");
        let long = "x".repeat(300);
        let name = safe_name(Path::new(&long));
        assert!(name.len() < 200 && name.contains('~'), "{name}");
    }

    #[test]
    fn clashing_names_get_a_suffix_from_their_path_and_the_index_name_is_taken() {
        let mut p = vec![
            planned("a/disk.img", "disk.img"),
            planned("b/DISK.img", "DISK.img"),
            planned("c/index", "index"),
            planned("a/disk.img", "disk.img"),
        ];
        name_reports(&mut p);
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names[0], "disk.img");
        assert!(names[1].starts_with("DISK.img~"), "{names:?}");
        assert!(names[2].starts_with("index~"), "{names:?}");
        assert!(names[3].starts_with("disk.img~") && names[3] != names[1], "{names:?}");
        let mut again = vec![planned("a/disk.img", "disk.img"), planned("b/DISK.img", "DISK.img")];
        name_reports(&mut again);
        assert_eq!(again[1].name, names[1], "the same inputs get the same names");
    }
}
