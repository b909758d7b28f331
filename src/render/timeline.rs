//! The timeline: one row per message that has a time, ordered by time, as CSV or JSON Lines that
//! Timesketch imports as they are (its three required columns `message`, `datetime`,
//! `timestamp_desc` first, then the columns an examiner filters on).
//!
//! - `datetime` is ISO 8601 with milliseconds and the offset of the examiner's time zone
//!   (`2020-09-13T14:27:40.000+02:00`): the same instant in any zone, shown as the examiner asked.
//! - A message without a time (or one outside the years 0 … 9999) cannot be placed on a
//!   timeline: it is left out and counted in [`TimelineOutcome::undated`], which the CLI reports;
//!   the JSON report and the case database keep it.
//! - CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
//!   or a carriage return) are prefixed with `'` ([`neutralise`]); JSON Lines hold the values as
//!   they are.

use std::io::Write;

use serde::Serialize;

use super::reader::{Conversation, Message, ReportDoc};
use super::{CaseInfo, RenderError};

/// The columns, in order (the CSV header; the JSON Lines keys).
pub const COLUMNS: [&str; 22] = [
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp_ms",
    "timezone",
    "chat",
    "chat_jid",
    "app",
    "sender",
    "sender_jid",
    "from_me",
    "status",
    "confidence",
    "message_type",
    "text",
    "source",
    "message_id",
    "key_id",
    "input",
    "input_path",
    "offset",
    "artifact",
];

/// The `timestamp_desc` of every row: the message's time as its app stored it (for WhatsApp,
/// when it was sent, or received by the server).
pub const TIMESTAMP_DESC: &str = "Message Time";

/// One row of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What Timesketch shows: `[status] sender in chat: text`.
    pub message: String,
    /// ISO 8601 with offset, in the examiner's time zone.
    pub datetime: String,
    /// [`TIMESTAMP_DESC`].
    pub timestamp_desc: &'static str,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The zone `datetime` is shown in.
    pub timezone: String,
    /// The chat's name, else its JID.
    pub chat: Option<String>,
    /// The chat's JID.
    pub chat_jid: Option<String>,
    /// The app.
    pub app: Option<String>,
    /// The sender's name or JID, `me` for the device owner, the other party in a one-to-one chat.
    pub sender: Option<String>,
    /// The sender's JID.
    pub sender_jid: Option<String>,
    /// Sent by the device owner.
    pub from_me: Option<bool>,
    /// live, deleted, superseded, fragment.
    pub status: Option<String>,
    /// 0 … 1.
    pub confidence: Option<f64>,
    /// text, image, …
    pub message_type: Option<String>,
    /// The text exactly as stored.
    pub text: Option<String>,
    /// The evidence sources, `;`-separated, in evidence order.
    pub source: String,
    /// The message's id in the report.
    pub message_id: Option<String>,
    /// The app's message id.
    pub key_id: Option<String>,
    /// Input index of the first evidence item.
    pub input: Option<u64>,
    /// Its path.
    pub input_path: Option<String>,
    /// Absolute offset of the first evidence item in its input.
    pub offset: Option<u64>,
    /// The artifact holding it.
    pub artifact: Option<String>,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimelineOutcome {
    /// Rows written.
    pub rows: u64,
    /// Messages left out because they have no time.
    pub undated: u64,
}

fn chat_label(c: Option<&Conversation>, m: &Message) -> Option<String> {
    c.and_then(|c| c.chat_name.clone())
        .or_else(|| m.chat_jid.clone())
        .or_else(|| c.and_then(|c| c.chat_jid.clone()))
        .or_else(|| c.and_then(|c| c.chat_row_id).map(|id| format!("chat row {id}")))
}

/// The sender: `me` for the device owner, else the name or JID stored, else (a one-to-one chat
/// names no sender) the other party.
fn sender_label(c: Option<&Conversation>, m: &Message) -> Option<String> {
    if m.from_me == Some(true) {
        return Some("me".to_owned());
    }
    m.sender_name.clone().or_else(|| m.sender_jid.clone()).or_else(|| {
        let c = c.filter(|c| c.kind.as_deref() == Some("individual") && m.from_me == Some(false))?;
        c.chat_jid.clone()
    })
}

fn body(m: &Message) -> String {
    match (&m.text, &m.text_bytes, &m.message_type) {
        (Some(t), _, _) => t.clone(),
        (None, Some(b), _) => format!("[stored bytes that are not text, base64 {b}]"),
        (None, None, Some(ty)) => format!("[{ty}]"),
        (None, None, None) => "[no text]".to_owned(),
    }
}

/// The rows of `report`, ordered by time then report order, and the number of messages left out.
pub fn rows(report: &ReportDoc, case: &CaseInfo) -> (Vec<Row>, u64) {
    let mut out = Vec::new();
    let mut undated = 0;
    for (conversation, m) in report.messages() {
        let c = conversation.and_then(|i| report.conversations.get(i));
        let Some((ms, datetime)) = m.timestamp_ms.and_then(|ms| Some((ms, case.zone.format_ms(ms)?))) else {
            undated += 1;
            continue;
        };
        let chat = chat_label(c, m);
        let sender = sender_label(c, m);
        let status = m.status.clone();
        let prefix = match status.as_deref() {
            Some("live") | None => String::new(),
            Some(s) => format!("[{s}] "),
        };
        let message = format!(
            "{prefix}{} in {}: {}",
            sender.as_deref().unwrap_or("unknown sender"),
            chat.as_deref().unwrap_or("unknown chat"),
            body(m)
        );
        let first = m.evidence.first();
        let input = first.and_then(|e| e.input);
        out.push(Row {
            message,
            datetime,
            timestamp_desc: TIMESTAMP_DESC,
            timestamp_ms: ms,
            timezone: case.zone.name().to_owned(),
            chat,
            chat_jid: m.chat_jid.clone().or_else(|| c.and_then(|c| c.chat_jid.clone())),
            app: c.and_then(|c| c.app.clone()),
            sender,
            sender_jid: m.sender_jid.clone(),
            from_me: m.from_me,
            status,
            confidence: m.confidence,
            message_type: m.message_type.clone(),
            text: m.text.clone(),
            source: m.sources().join(";"),
            message_id: m.id.clone(),
            key_id: m.key_id.clone(),
            input,
            input_path: input.and_then(|i| report.input(i)).and_then(|i| i.path.clone()),
            offset: first.and_then(|e| e.offset),
            artifact: first.and_then(|e| e.artifact.clone()),
        });
    }
    // Stable: messages of the same millisecond keep report order.
    out.sort_by_key(|r| r.timestamp_ms);
    (out, undated)
}

/// A CSV cell a spreadsheet would not run: a cell starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` (OWASP's advice against CSV injection).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl Row {
    /// The row as CSV cells, in [`COLUMNS`] order, not yet neutralised. Absent values are empty.
    pub fn cells(&self) -> [String; 22] {
        [
            self.message.clone(),
            self.datetime.clone(),
            self.timestamp_desc.to_owned(),
            self.timestamp_ms.to_string(),
            self.timezone.clone(),
            opt(&self.chat),
            opt(&self.chat_jid),
            opt(&self.app),
            opt(&self.sender),
            opt(&self.sender_jid),
            opt(&self.from_me),
            opt(&self.status),
            opt(&self.confidence),
            opt(&self.message_type),
            opt(&self.text),
            self.source.clone(),
            opt(&self.message_id),
            opt(&self.key_id),
            opt(&self.input),
            opt(&self.input_path),
            opt(&self.offset),
            opt(&self.artifact),
        ]
    }
}

/// Writes the timeline as CSV (RFC 4180, a header row, UTF-8, cells neutralised against formula
/// injection) to `w`.
pub fn write_csv<W: Write>(report: &ReportDoc, case: &CaseInfo, w: W) -> Result<TimelineOutcome, RenderError> {
    let (rows, undated) = rows(report, case);
    let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w);
    csv.write_record(COLUMNS)?;
    for r in &rows {
        csv.write_record(r.cells().iter().map(|c| neutralise(c).into_owned()))?;
    }
    csv.flush()?;
    Ok(TimelineOutcome { rows: rows.len() as u64, undated })
}

/// Writes the timeline as JSON Lines (one JSON object per line, keys in [`COLUMNS`] order, absent
/// values `null`) to `w`.
pub fn write_jsonl<W: Write>(report: &ReportDoc, case: &CaseInfo, mut w: W) -> Result<TimelineOutcome, RenderError> {
    let (rows, undated) = rows(report, case);
    for r in &rows {
        serde_json::to_writer(&mut w, r).map_err(RenderError::Json)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(TimelineOutcome { rows: rows.len() as u64, undated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        for s in ["hello", "", "1", "'quoted", " =x", "2020-09-13T12:27:40.000+00:00"] {
            assert_eq!(neutralise(s), s);
        }
    }
}
