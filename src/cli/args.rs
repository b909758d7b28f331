//! Command-line arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Forensic recovery of SQLite databases and WhatsApp chats from raw storage images.
#[derive(Debug, Parser)]
#[command(name = "chatcarve", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan images read-only and write a JSON report of artifacts and conversations (and, with
    /// the output flags of `report`, the formats rendered from it).
    Scan(ScanCommand),
    /// List every record (live and deleted) of every table of every database found.
    Records(ScanArgs),
    /// Render a JSON report (written by any chatcarve version) as a case database, a timeline or
    /// CASE/UCO JSON-LD.
    Report(ReportArgs),
    /// Join the partials that `scan IMAGE --shard K/N` wrote on several machines and write the
    /// report one scan of the whole image would give (the image is read again where structures
    /// were found, and hashed).
    Merge(MergeCommand),
    /// Decrypt a WhatsApp backup (msgstore.db.crypt12, .crypt14, .crypt15) to the database it holds.
    Decrypt(DecryptArgs),
}

#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    /// The backup file.
    pub backup: PathBuf,
    /// The key: a key file (`files/key` for crypt12/14, `files/encrypted_backup.key` for crypt15)
    /// or the 64-hex-digit end-to-end backup key.
    #[arg(long, value_name = "FILE|HEX")]
    pub key: String,
    /// Where to write the database.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScanCommand {
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// With --out-dir: the formats to render beside each image's report (`<name>.html`,
    /// `<name>.case.sqlite`, `<name>.timeline.csv`, `<name>.timeline.jsonl`,
    /// `<name>.case-uco.jsonld`); comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMAT,...", requires = "out_dir")]
    pub formats: Vec<Format>,
}

/// A format rendered beside each report of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The HTML report.
    Html,
    /// The case database (SQLite).
    CaseDb,
    /// The timeline as CSV.
    Timeline,
    /// The timeline as JSON Lines.
    TimelineJsonl,
    /// CASE/UCO JSON-LD.
    CaseUco,
}

impl Format {
    /// What follows the report's name in the file name.
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Html => ".html",
            Format::CaseDb => ".case.sqlite",
            Format::Timeline => ".timeline.csv",
            Format::TimelineJsonl => ".timeline.jsonl",
            Format::CaseUco => ".case-uco.jsonld",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MergeCommand {
    /// The partials, one per shard (`scan IMAGE --shard K/N --json PART`), in any order.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// The image, when it is not at the path the shards were given (another mount point).
    #[arg(long, value_name = "PATH")]
    pub image: Option<PathBuf>,
    #[command(flatten)]
    pub options: RecoverArgs,
    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The JSON report to render (`chatcarve scan … --json REPORT.json`).
    pub report: PathBuf,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// No notes on stderr (messages left out of the timeline, dangling references).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The formats rendered from the report, and what the examiner says about the case.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Write the HTML report (one self-contained file for the client) here; '-' for standard
    /// output.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the case database (SQLite) here.
    #[arg(long, value_name = "FILE")]
    pub case_db: Option<PathBuf>,
    /// Write the timeline as CSV (Timesketch) here; '-' for standard output.
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
    /// Write the timeline as JSON Lines (Timesketch) here; '-' for standard output.
    #[arg(long, value_name = "FILE")]
    pub timeline_jsonl: Option<PathBuf>,
    /// Write the case as CASE/UCO JSON-LD here; '-' for standard output.
    #[arg(long, value_name = "FILE")]
    pub case_uco: Option<PathBuf>,
    /// The case's identifier, shown in every format.
    #[arg(long, value_name = "ID")]
    pub case_id: Option<String>,
    /// The examiner's name, shown in every format.
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,
    /// The time zone times are shown in: UTC, an offset such as +02:00, or an IANA name such as
    /// Europe/Berlin (daylight saving time followed).
    #[arg(long, value_name = "TZ", default_value = "UTC", value_parser = time_zone)]
    pub timezone: chatcarve::render::Zone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HashMode {
    /// SHA-256 of every input, computed during the scan.
    Sha256,
    /// No hash.
    None,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Images to scan (raw disk images, device dumps, single files); with --out-dir, also
    /// directories, whose files are scanned one by one.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Scan only the K-th of N parts of the image (1 ≤ K ≤ N) and write a partial to --json
    /// instead of a report; `chatcarve merge` joins the N partials (docs/cluster.md).
    #[arg(long, value_name = "K/N", value_parser = shard)]
    pub shard: Option<chatcarve::shard::Shard>,
    /// Scan every input on its own (directories walked) and write one report per image,
    /// `DIR/<name>.json`, and the batch's index, `DIR/index.json` (see docs/batch.md).
    #[arg(long, value_name = "DIR", conflicts_with = "json")]
    pub out_dir: Option<PathBuf>,
    /// With --out-dir: keep the reports of an earlier run whose image is unchanged (same size
    /// and SHA-256) and scan the rest.
    #[arg(long, requires = "out_dir", conflicts_with = "force")]
    pub resume: bool,
    #[command(flatten)]
    pub options: RecoverArgs,
}

/// How inputs are read and recovered, and where the report goes.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// Where to write the JSON report; '-' for standard output (`scan` takes --out-dir instead
    /// for a batch).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Overwrite an existing report file (with --out-dir: every report and the index).
    #[arg(long)]
    pub force: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Hash of each input to compute during the scan.
    #[arg(long, value_enum, default_value_t = HashMode::Sha256)]
    pub hash: HashMode,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Leave out messages scored below this confidence (0 to 1; the report says how many).
    #[arg(long, value_name = "SCORE", default_value_t = 0.0, value_parser = confidence_score)]
    pub min_confidence: f64,
    /// A WhatsApp backup key the examiner holds, tried beside the key files found in the image:
    /// a key file or the 64-hex-digit key; repeat for several. Never printed or reported (only its
    /// SHA-256).
    #[arg(long = "key", value_name = "FILE|HEX")]
    pub keys: Vec<String>,
    /// An app profile to use beside the built-in ones (a TOML file, see docs/profiles.md);
    /// repeat for several.
    #[arg(long = "profile", value_name = "FILE")]
    pub profiles: Vec<PathBuf>,
    /// Read every input as this container instead of telling it by content.
    #[arg(long, value_name = "KIND", value_parser = container)]
    pub container: Option<chatcarve::source::Container>,
    /// Where inputs that must be decoded (E01, sparse, compressed) are expanded while they are
    /// scanned: an unnamed file, with holes for zeros, gone when the scan ends (default: the
    /// system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub scratch: Option<PathBuf>,
    /// Chunk size in bytes (tests and benchmarks; the output does not depend on it).
    #[arg(long, hide = true)]
    pub chunk_size: Option<usize>,
}

/// A confidence score: a number from 0 to 1.
fn confidence_score(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number; give a score from 0 to 1, e.g. 0.5"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside 0..1; give a score from 0 to 1, e.g. 0.5"))
    }
}

/// A container name, as `inputs[].container` gives it.
fn container(s: &str) -> Result<chatcarve::source::Container, String> {
    chatcarve::source::Container::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = chatcarve::source::Container::ALL.iter().map(|c| c.name()).collect();
        format!("{s:?} is no container chatcarve reads; give one of {}", names.join(", "))
    })
}

/// A shard: `K/N`.
fn shard(s: &str) -> Result<chatcarve::shard::Shard, String> {
    chatcarve::shard::Shard::parse(s).map_err(|e| e.to_string())
}

impl RenderArgs {
    /// Whether any format is asked for.
    pub fn any(&self) -> bool {
        [&self.html, &self.case_db, &self.timeline, &self.timeline_jsonl, &self.case_uco].iter().any(|o| o.is_some())
    }
}

impl RecoverArgs {
    /// How the inputs are opened.
    pub fn open_options(&self) -> chatcarve::source::OpenOptions {
        let default = chatcarve::source::OpenOptions::default();
        chatcarve::source::OpenOptions {
            container: self.container,
            scratch: self.scratch.clone().unwrap_or(default.scratch),
        }
    }
}

/// A time zone: UTC, a fixed offset or an IANA name.
fn time_zone(s: &str) -> Result<chatcarve::render::Zone, String> {
    chatcarve::render::Zone::parse(s).ok_or_else(|| {
        format!("{s:?} is no time zone; give UTC, an offset such as +02:00, or an IANA name such as Europe/Berlin")
    })
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks (names referred to by `requires`, `conflicts_with`, …), which
    /// otherwise run only in debug builds, when a command is parsed.
    #[test]
    fn the_command_line_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
