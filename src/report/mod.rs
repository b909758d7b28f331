//! The JSON report, contract v1 (`docs/report.md`, schema in `schemas/report-v1.schema.json`):
//! the serialisation structs ([`model`]), and the assembly of a report from what the scan and
//! recovery found ([`build`]).

pub mod build;
pub mod model;
pub mod records;

pub use build::{build_report, build_report_with, InputOutcome, ReportOptions, RunInfo};
pub use model::Report;
pub use records::{build_records_report, RecordsReport};

/// Writes `report` as pretty JSON (two-space indent, fields in contract order) to `w`.
pub fn write_json<W: std::io::Write>(report: &Report, w: W) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(w, report)
}

/// Writes the records report as pretty JSON to `w`.
pub fn write_records_json<W: std::io::Write>(report: &RecordsReport, w: W) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(w, report)
}
