//! The command line: argument parsing, progress on stderr, atomic output, exit codes.
//! The only place that touches the terminal and writes files.

mod args;
mod batch;
mod output;
mod progress;
mod render;
mod shard;

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::Parser;

use chatcarve::report::{self, InputOutcome, RunInfo};
use chatcarve::scan::ScanSettings;
use chatcarve::source::ByteSource;

use args::{Cli, Command, DecryptArgs, HashMode, RecoverArgs, RenderArgs, ReportArgs, ScanArgs};

/// Runs the command line and returns the process exit code: 0 when every input was scanned,
/// 1 when some input failed (the others are still reported), 2 on a usage or output error, 3
/// when no input of a batch (`--out-dir`) could be scanned.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) if a.scan.out_dir.is_some() => batch::run(a),
        Command::Scan(a) => scan(a.scan, Mode::Messages, Some(&a.render)),
        Command::Records(a) => scan(a, Mode::Records, None),
        Command::Report(a) => report(a),
        Command::Merge(a) => shard::merge(a),
        Command::Decrypt(a) => decrypt(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chatcarve: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn now() -> Option<String> {
    let ms = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis();
    report::build::rfc3339_ms(i64::try_from(ms).ok()?)
}

/// What a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The scan report: artifacts and conversations (tables the app profiles need).
    Messages,
    /// The records report: every record of every table.
    Records,
}

fn scan(a: ScanArgs, mode: Mode, render: Option<&RenderArgs>) -> anyhow::Result<ExitCode> {
    if let Some(shard) = a.shard {
        if a.out_dir.is_some() {
            bail!("--shard writes one partial; give it a --json file, not --out-dir");
        }
        if mode == Mode::Records {
            bail!("--shard is for the scan report only; run `records` on the whole image");
        }
        return shard::scan(&a.inputs, shard, &a.options, render);
    }
    if a.out_dir.is_some() {
        bail!("--out-dir is for `chatcarve scan`; give `records` a --json file");
    }
    let started = now();
    let run = Run::new(&a.options, &a.inputs, render)?;
    let mut outcomes = Vec::new();
    let mut failed = 0;
    for (index, path) in a.inputs.iter().enumerate() {
        let result = scan_one(path, index, &a.options.open_options(), &run.settings, &run.pool, a.options.quiet, mode);
        if let Err(e) = &result {
            eprintln!("chatcarve: {e}");
            failed += 1;
        }
        outcomes.push(InputOutcome { path: path.display().to_string(), result });
    }
    run.write(outcomes, started, mode, a.options.min_confidence)?;
    Ok(match failed {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// What a run writes to and how it scans, checked before anything is scanned.
struct Run {
    out: output::Target,
    outputs: Option<render::Outputs>,
    pool: rayon::ThreadPool,
    settings: ScanSettings,
}

impl Run {
    /// Checks the outputs (never an input, never an existing file without `--force`), loads the
    /// `--profile` files and the `--key`s and starts the worker threads.
    fn new(a: &RecoverArgs, inputs: &[std::path::PathBuf], render: Option<&RenderArgs>) -> anyhow::Result<Self> {
        let Some(json) = &a.json else {
            bail!("no --json FILE given: say where the report goes ('-' for standard output; `scan` also takes --out-dir DIR for a batch)")
        };
        let out = output::Target::new(json, a.force, inputs)?;
        let mut taken = inputs.to_vec();
        taken.push(json.clone());
        let outputs = render.map(|r| render::Outputs::new(r, a.force, &taken, a.quiet)).transpose()?;
        if outputs.as_ref().is_some_and(render::Outputs::uses_stdout) && json.as_os_str() == "-" {
            bail!("the JSON report and another output both go to standard output ('-'); give one of them a file");
        }
        install_profiles(&a.profiles)?;
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(a.threads).build().context("cannot start worker threads")?;
        Ok(Self { out, outputs, pool, settings: settings(a)? })
    }

    /// Builds the report of `outcomes` and writes it, with the formats rendered from it.
    fn write(
        self,
        outcomes: Vec<InputOutcome>,
        started: Option<String>,
        mode: Mode,
        min_confidence: f64,
    ) -> anyhow::Result<()> {
        let run = RunInfo {
            started,
            finished: now(),
            threads: self.pool.current_num_threads(),
            arguments: redacted_arguments(std::env::args()),
        };
        let out = self.out;
        match mode {
            Mode::Messages => {
                let options = report::ReportOptions { min_confidence };
                let report = report::build_report_with(&outcomes, run, &options);
                // What the inputs held is in the report now: their records go before the JSON is
                // written, so that the two are not held at once.
                drop(outcomes);
                match self.outputs.as_ref().filter(|o| !o.is_empty()) {
                    // The formats are rendered from the report's JSON text, as `chatcarve report`
                    // does.
                    Some(outputs) => {
                        let mut json = Vec::new();
                        report::write_json(&report, &mut json).context("cannot serialise the report")?;
                        drop(report);
                        out.write(|w| w.write_all(&json))?;
                        outputs.render(&json, "the report")?;
                    }
                    // The report alone is written as it is serialised, never held as text.
                    None => out.write(|w| report::write_json(&report, w).map_err(std::io::Error::from))?,
                }
            }
            Mode::Records => {
                let report = report::build_records_report(&outcomes, run);
                out.write(|w| report::write_records_json(&report, w).map_err(std::io::Error::from))?;
            }
        }
        Ok(())
    }
}

/// The scan settings the options ask for.
fn settings(a: &RecoverArgs) -> anyhow::Result<ScanSettings> {
    let mut settings = ScanSettings::default();
    for k in &a.keys {
        settings = settings.key(read_key(k)?);
    }
    Ok(settings
        .threads(a.threads)
        .hash(a.hash == HashMode::Sha256)
        .chunk_size(a.chunk_size.unwrap_or(ScanSettings::default().chunk_size)))
}

/// Renders a JSON report written earlier (by any version) into the formats asked for.
fn report(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let outputs = render::Outputs::new(&a.render, a.force, std::slice::from_ref(&a.report), a.quiet)?;
    if outputs.is_empty() {
        bail!("nothing to render: give --html, --case-db, --timeline, --timeline-jsonl or --case-uco");
    }
    let json = std::fs::read(&a.report).with_context(|| format!("cannot read {}", a.report.display()))?;
    outputs.render(&json, &a.report.display().to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// The command line for the report's `run` block, with every `--key` value that is not a file
/// replaced by its fingerprint: key material never reaches a report.
fn redacted_arguments(args: impl Iterator<Item = String>) -> Vec<String> {
    let hide = |v: &str| {
        if std::path::Path::new(v).is_file() {
            return v.to_owned();
        }
        chatcarve::backup::BackupKey::from_hex(v)
            .map_or_else(|| "<key>".to_owned(), |k| format!("<key sha256:{}>", k.fingerprint()))
    };
    let mut out = Vec::new();
    let mut next_is_key = false;
    for a in args {
        if next_is_key {
            out.push(hide(&a));
            next_is_key = false;
        } else if a == "--key" {
            out.push(a);
            next_is_key = true;
        } else if let Some(v) = a.strip_prefix("--key=") {
            out.push(format!("--key={}", hide(v)));
        } else {
            out.push(a);
        }
    }
    out
}

/// A `--key` argument: a key file's path, or the 64-hex-digit key.
fn read_key(arg: &str) -> anyhow::Result<chatcarve::backup::BackupKey> {
    let key_path = std::path::Path::new(arg);
    if key_path.is_file() {
        let bytes =
            std::fs::read(key_path).with_context(|| format!("cannot read the key file {}", key_path.display()))?;
        chatcarve::backup::BackupKey::from_file(&bytes).with_context(|| {
            format!("{} is no WhatsApp key file (files/key or files/encrypted_backup.key)", key_path.display())
        })
    } else {
        chatcarve::backup::BackupKey::from_hex(arg)
            .context("--key is neither a key file nor a 64-hex-digit key; give the key file's path or the key")
    }
}

/// Decrypts one backup to the database it holds. Key material is never printed: only where the
/// key came from and its SHA-256 fingerprint.
fn decrypt(a: DecryptArgs) -> anyhow::Result<ExitCode> {
    let out = output::Target::new(&a.out, a.force, std::slice::from_ref(&a.backup))?;
    let key = read_key(&a.key)?;
    let file = std::fs::read(&a.backup).with_context(|| format!("cannot read {}", a.backup.display()))?;
    let backup = chatcarve::backup::parse(&file).with_context(|| a.backup.display().to_string())?;
    let plain = chatcarve::backup::decrypt(&backup, &key).with_context(|| a.backup.display().to_string())?;
    out.write_exact(|w| w.write_all(&plain.plaintext))?;
    eprintln!(
        "chatcarve: {} ({}) decrypted with the {} key sha256:{} to {} ({} bytes)",
        a.backup.display(),
        backup.generation.as_str(),
        key.kind(),
        key.fingerprint(),
        a.out.display(),
        plain.plaintext.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads the `--profile` files and adds them to the built-in profiles.
fn install_profiles(paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut profiles = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).with_context(|| format!("cannot read the profile {}", p.display()))?;
        profiles.push(chatcarve::apps::profile::Profile::parse(&p.display().to_string(), &text)?);
    }
    chatcarve::apps::profile::install(profiles)?;
    Ok(())
}

fn scan_one(
    path: &Path,
    index: usize,
    open: &chatcarve::source::OpenOptions,
    settings: &ScanSettings,
    pool: &rayon::ThreadPool,
    quiet: bool,
    mode: Mode,
) -> Result<chatcarve::InputFindings, String> {
    let opened = chatcarve::source::open(path, open).map_err(|e| e.to_string())?;
    let source: &dyn ByteSource = opened.as_ref();
    let bar = progress::Bar::new(source.len(), &path.display().to_string(), quiet);
    let findings = pool.install(|| match mode {
        Mode::Messages => chatcarve::analyse(source, index, settings, &bar),
        Mode::Records => chatcarve::analyse_tables(source, index, settings, &bar, &|_| true),
    });
    bar.finish();
    Ok(findings)
}
