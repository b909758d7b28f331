//! The formats rendered from a JSON report (`chatcarve report`, and the same flags on `scan`):
//! where each goes, checked before any work, and written atomically like the JSON report.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use chatcarve::render::{self, CaseInfo};

use super::args::RenderArgs;
use super::output::Target;

/// The outputs asked for, each checked (not there yet, or `--force`; its directory exists).
pub struct Outputs {
    html: Option<Target>,
    case_db: Option<Target>,
    timeline: Option<Target>,
    timeline_jsonl: Option<Target>,
    case_uco: Option<Target>,
    case: CaseInfo,
    quiet: bool,
}

impl Outputs {
    /// Checks every output path before any scanning or rendering. `taken` are paths already
    /// spoken for (the images, the report being read or written): no output may be one of them,
    /// nor may two outputs share a path.
    pub fn new(args: &RenderArgs, force: bool, taken: &[PathBuf], quiet: bool) -> anyhow::Result<Self> {
        let mut seen: Vec<PathBuf> = taken.iter().filter(|p| p.as_path() != Path::new("-")).cloned().collect();
        let mut target = |p: &Option<PathBuf>| -> anyhow::Result<Option<Target>> {
            let Some(p) = p else { return Ok(None) };
            if p != Path::new("-") {
                if seen.contains(p) {
                    bail!("{} is given for two outputs (or is an input); give each output its own file", p.display());
                }
                seen.push(p.clone());
            }
            Target::new(p, force, taken).map(Some)
        };
        let outputs = Self {
            html: target(&args.html)?,
            case_db: target(&args.case_db)?,
            timeline: target(&args.timeline)?,
            timeline_jsonl: target(&args.timeline_jsonl)?,
            case_uco: target(&args.case_uco)?,
            case: CaseInfo {
                case_id: args.case_id.clone(),
                examiner: args.examiner.clone(),
                zone: args.timezone.clone(),
            },
            quiet,
        };
        if let Some(t) = &outputs.case_db {
            if !matches!(t, Target::File { .. }) {
                bail!(
                    "the case database needs a regular file (SQLite writes it by name); give a file name for --case-db"
                );
            }
        }
        let stdout = [&outputs.html, &outputs.timeline, &outputs.timeline_jsonl, &outputs.case_uco]
            .iter()
            .filter(|t| matches!(t, Some(Target::Stdout)))
            .count();
        if stdout > 1 {
            bail!("only one output can go to standard output ('-')");
        }
        Ok(outputs)
    }

    /// Whether any format was asked for.
    pub fn is_empty(&self) -> bool {
        self.html.is_none()
            && self.case_db.is_none()
            && self.timeline.is_none()
            && self.timeline_jsonl.is_none()
            && self.case_uco.is_none()
    }

    /// Whether one of them goes to standard output (then the JSON report cannot).
    pub fn uses_stdout(&self) -> bool {
        [&self.html, &self.timeline, &self.timeline_jsonl, &self.case_uco]
            .iter()
            .any(|t| matches!(t, Some(Target::Stdout)))
    }

    fn note(&self, what: &str) {
        if !self.quiet {
            eprintln!("chatcarve: {what}");
        }
    }

    /// Renders every format asked for from the JSON report's text.
    pub fn render(&self, json: &[u8], report_name: &str) -> anyhow::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let doc = render::parse_report(json).with_context(|| format!("cannot read {report_name}"))?;
        if let Some(t) = &self.html {
            // The HTML renderer reads the report as JSON values (any version renders).
            let value: serde_json::Value =
                serde_json::from_slice(json).with_context(|| format!("cannot read {report_name}"))?;
            let options = render::html::HtmlOptions {
                case_id: self.case.case_id.clone(),
                examiner: self.case.examiner.clone(),
                timezone: self.case.zone.clone(),
            };
            t.write_exact(|w| render::html::render_to(&value, &options, w).map_err(std::io::Error::other))?;
        }
        if let Some(t) = &self.case_db {
            t.write_at_path("case database", |path| {
                let mut conn = rusqlite::Connection::open(path)?;
                let outcome = render::casedb::write(&mut conn, &doc, &self.case)?;
                conn.close().map_err(|(_, e)| e)?;
                for d in &outcome.dangling_references {
                    self.note(&format!("case database: {d}"));
                }
                Ok(())
            })?;
        }
        let undated = |what: &str, o: render::timeline::TimelineOutcome| {
            if o.undated > 0 {
                self.note(&format!(
                    "{what}: {} message(s) without a time left out (the report and the case database keep them)",
                    o.undated
                ));
            }
        };
        if let Some(t) = &self.timeline {
            let mut outcome = None;
            t.write_exact(|w| {
                outcome = Some(render::timeline::write_csv(&doc, &self.case, w).map_err(io_error)?);
                Ok(())
            })?;
            outcome.into_iter().for_each(|o| undated("timeline", o));
        }
        if let Some(t) = &self.timeline_jsonl {
            let mut outcome = None;
            t.write_exact(|w| {
                outcome = Some(render::timeline::write_jsonl(&doc, &self.case, w).map_err(io_error)?);
                Ok(())
            })?;
            outcome.into_iter().for_each(|o| undated("timeline (JSON Lines)", o));
        }
        if let Some(t) = &self.case_uco {
            t.write_exact(|w| render::case_uco::write(&doc, &self.case, w).map(|_| ()).map_err(io_error))?;
        }
        Ok(())
    }
}

fn io_error(e: render::RenderError) -> std::io::Error {
    match e {
        render::RenderError::Io(e) => e,
        e => std::io::Error::other(e),
    }
}
