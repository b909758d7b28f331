//! The `records` report: every record recovered from any table of any database in the inputs,
//! live and deleted, for apps without a profile and for scoring against answer keys.
//!
//! ```json
//! { "report_version": "1", "tool": {…}, "run": {…}, "inputs": [ … as in the scan report … ],
//!   "records": [ { "database": "sqlite_db-0-…", "table": "users", "columns": ["id", …],
//!                  "rowid": 7, "values": [7, "Eric", null, 1.5, {"hex": "00ff"}],
//!                  "status": "deleted", "truncated": false, "confidence": 0.9,
//!                  "evidence": [ { "source": "freeblock", … } ] } ],
//!   "warnings": [] }
//! ```
//! Values: integers and finite reals as JSON numbers, text as strings, NULL as null, BLOBs as
//! `{"hex": …}`, text that is not valid in the database encoding as `{"text_hex": …}`, and
//! non-finite reals as `{"real": "inf" | "-inf" | "nan"}`.

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::build::{InputOutcome, RunInfo};
use super::model::{Evidence, Input, Run, Tool};
use crate::recover::{FieldValue, RecordStatus, RecoveredRecord};

/// The whole records report.
#[derive(Debug, Clone, Serialize)]
pub struct RecordsReport {
    /// Always "1".
    pub report_version: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// The only part that may differ between two runs on the same input.
    pub run: Run,
    /// One entry per input.
    pub inputs: Vec<Input>,
    /// Every record, by input, database offset, table, then evidence offset.
    pub records: Vec<Record>,
    /// What a reader must know.
    pub warnings: Vec<String>,
}

/// One recovered record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Id of the artifact it was read through: the `sqlite_db`, or the `page_group` of an
    /// orphan page.
    pub database: String,
    /// Table name.
    pub table: String,
    /// Column names in record order.
    pub columns: Vec<String>,
    /// Rowid (null when destroyed).
    pub rowid: Option<i64>,
    /// Values in column order.
    pub values: Vec<Json>,
    /// live, deleted, superseded.
    pub status: &'static str,
    /// True when part of the payload was lost.
    pub truncated: bool,
    /// True when the row belongs to an earlier table of this name that was dropped and
    /// created again: it is that table's row, not a deleted row of the table there now.
    pub dropped_table: bool,
    /// Probability that the values are what the app stored.
    pub confidence: f64,
    /// Where its bytes are.
    pub evidence: Vec<Evidence>,
}

/// A value as JSON (see the module documentation).
pub fn value_json(v: &FieldValue) -> Json {
    match v {
        FieldValue::Null => Json::Null,
        FieldValue::Integer(i) => json!(i),
        FieldValue::Real(f) if f.is_finite() => json!(f),
        FieldValue::Real(f) => json!({ "real": if f.is_nan() { "nan" } else if *f > 0.0 { "inf" } else { "-inf" } }),
        FieldValue::Text(s) => json!(s),
        FieldValue::TextBytes(b) => json!({ "text_hex": hex::encode(b) }),
        FieldValue::Blob(b) => json!({ "hex": hex::encode(b) }),
    }
}

/// Confidence of a record: what its source and state make likely (recalibrated on ground
/// truth by the confidence work).
pub fn record_confidence(r: &RecoveredRecord) -> f64 {
    let base = match (r.status, r.evidence.source) {
        (RecordStatus::Live, crate::recover::EvidenceSource::LiveRecord) => 0.99,
        (RecordStatus::Live, _) => 0.98,
        _ if r.evidence.detail.as_deref().is_some_and(|d| d.contains("rebuilt")) => 0.9,
        _ => 0.95,
    };
    if r.truncated {
        base - 0.6
    } else {
        base
    }
}

/// Builds the records report.
pub fn build_records_report(outcomes: &[InputOutcome], run: RunInfo) -> RecordsReport {
    let mut inputs = Vec::new();
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    for (index, o) in outcomes.iter().enumerate() {
        let (input, warning) = super::build::input_entry(index, o);
        inputs.push(input);
        warnings.extend(warning);
        let Ok(f) = &o.result else { continue };
        let in_databases =
            f.containers.databases.iter().flat_map(|db| db.records.iter().map(move |r| (db.id.as_str(), r)));
        let on_orphan_pages =
            f.orphans.iter().flat_map(|g| g.records.iter().map(|r| (r.evidence.artifact.as_str(), r)));
        for (database, r) in in_databases.chain(on_orphan_pages) {
            records.push(Record {
                database: database.to_owned(),
                table: r.table.to_string(),
                columns: r.columns.to_vec(),
                rowid: r.rowid,
                values: r.values.iter().map(value_json).collect(),
                status: r.status.as_str(),
                truncated: r.truncated,
                dropped_table: r.dropped_table,
                confidence: record_confidence(r),
                evidence: r.all_evidence().map(super::build::evidence).collect(),
            });
        }
    }
    RecordsReport {
        report_version: "1",
        tool: super::build::tool(),
        run: Run { started: run.started, finished: run.finished, threads: run.threads, arguments: run.arguments },
        inputs,
        records,
        warnings,
    }
}
