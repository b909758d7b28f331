//! Formats rendered from the JSON report, for the examiner's client, the court and the next tool.
//!
//! Every format is rendered from the JSON report itself (parsed by [`reader`] into a permissive
//! model), never from the scanner's structs: a report written by any version of chatcarve renders,
//! and `chatcarve scan --case-db …` renders the report it has just serialised, through the same
//! code as `chatcarve report REPORT.json --case-db …`.
//!
//! | format | module | what it is |
//! |---|---|---|
//! | case database | [`casedb`] | a SQLite file: inputs, artifacts, conversations, messages, evidence, with keys and indexes (`docs/case-database.md`) |
//! | timeline | [`timeline`] | one row per dated message, as CSV (formula-safe) or JSON Lines, that Timesketch imports as it is |
//! | CASE/UCO | [`case_uco`] | JSON-LD in the CASE 1.5 ontology: the tool, its run, the inputs with their hashes, messages, threads, provenance |
//! | HTML | [`html`] | one self-contained page for the client: case header, summary, conversations searchable and filterable, chats read like the messenger |
//!
//! Every renderer takes the [`CaseInfo`] the examiner gives (`--case-id`, `--examiner`,
//! `--timezone`). Nothing here touches the terminal or opens a file: renderers write to a
//! `std::io::Write` or, for the case database, into a `rusqlite::Connection` the caller opened.

pub mod case_uco;
pub mod casedb;
pub mod html;
pub mod reader;
pub mod timeline;
mod zone;

pub use reader::ReportDoc;
pub use zone::Zone;

/// What the examiner says about the case, shown in every format.
#[derive(Debug, Clone, Default)]
pub struct CaseInfo {
    /// The case's identifier (`--case-id`).
    pub case_id: Option<String>,
    /// Who examined the evidence (`--examiner`).
    pub examiner: Option<String>,
    /// The time zone times are shown in (`--timezone`, UTC by default).
    pub zone: Zone,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The text is not JSON, or a field has the wrong type.
    #[error("not a chatcarve JSON report: {0}")]
    Parse(#[source] serde_json::Error),
    /// A report of another contract version.
    #[error("report_version {0:?} is not supported: this chatcarve reads version \"1\"")]
    UnsupportedVersion(String),
    /// The case database could not be written.
    #[error("case database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A number the report holds does not fit the format (an offset above 2^63 in SQLite).
    #[error("{what} {value} is too large for the case database")]
    TooLarge {
        /// Which field.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Writing CSV failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// Writing JSON failed.
    #[error(transparent)]
    Json(serde_json::Error),
}

/// Reads a JSON report (contract v1) into the renderers' model. Fields it does not know are
/// ignored, missing optional fields are tolerated; a `report_version` other than `"1"` is refused.
pub fn parse_report(json: &[u8]) -> Result<ReportDoc, RenderError> {
    let doc: ReportDoc = serde_json::from_slice(json).map_err(RenderError::Parse)?;
    match doc.report_version.as_deref() {
        None | Some("1") => Ok(doc),
        Some(v) => Err(RenderError::UnsupportedVersion(v.to_owned())),
    }
}

/// The version of chatcarve that renders (written beside the report's own `tool.version`).
pub const RENDERER_VERSION: &str = env!("CARGO_PKG_VERSION");
