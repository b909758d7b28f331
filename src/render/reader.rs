//! The report as the renderers read it: a permissive model of the JSON report (contract v1,
//! `docs/report-format.md`), independent of the scanner's own structs in [`crate::report`].
//!
//! Every field is optional or defaults to empty, so a report written by an older chatcarve (which
//! lacked fields added since) or a newer one (which adds fields) reads the same way; fields this
//! model does not know are ignored, except those of a message, which are kept in
//! [`Message::extra`] so the case database can carry them. A JSON `null` where a list is expected
//! reads as an empty list. What does fail: text that is not JSON, a value of the wrong type
//! (a string where a number is expected), and a `report_version` other than `"1"`.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value as Json};

/// A `null` (or absent, with `#[serde(default)]`) value reads as the type's default.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The whole report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportDoc {
    /// `"1"`; absent in no report chatcarve ever wrote, read as `"1"`.
    pub report_version: Option<String>,
    /// The tool that wrote the report.
    #[serde(deserialize_with = "nullable")]
    pub tool: Tool,
    /// When and how the scan ran.
    #[serde(deserialize_with = "nullable")]
    pub run: Run,
    /// The images scanned.
    #[serde(deserialize_with = "nullable")]
    pub inputs: Vec<Input>,
    /// The summary counts, kept as they are.
    pub summary: Option<Json>,
    /// What was found.
    #[serde(deserialize_with = "nullable")]
    pub artifacts: Vec<Artifact>,
    /// Messages grouped by chat.
    #[serde(deserialize_with = "nullable")]
    pub conversations: Vec<Conversation>,
    /// Messages whose chat is unknown.
    #[serde(deserialize_with = "nullable")]
    pub unattributed_messages: Vec<Message>,
    /// What a reader must know.
    #[serde(deserialize_with = "nullable")]
    pub warnings: Vec<String>,
}

/// `tool`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Tool {
    /// `"chatcarve"`.
    pub name: Option<String>,
    /// The version that wrote the report.
    pub version: Option<String>,
}

/// `run`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    /// RFC 3339 UTC.
    pub started: Option<String>,
    /// RFC 3339 UTC.
    pub finished: Option<String>,
    /// Worker threads.
    pub threads: Option<u64>,
    /// The command line.
    #[serde(deserialize_with = "nullable")]
    pub arguments: Vec<String>,
}

/// One entry of `inputs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    /// Position in `inputs` (the `input` of evidence refers to it); when absent, the position.
    pub index: Option<u64>,
    /// The path as given.
    pub path: Option<String>,
    /// Size of the image.
    pub size_bytes: Option<u64>,
    /// Lower-case hex SHA-256.
    pub sha256: Option<String>,
    /// Lower-case hex MD5, where the container stores one to check.
    pub md5: Option<String>,
    /// Hashes the container stores (`md5`, `sha1`), kept as they are.
    pub stored_hashes: Option<serde_json::Value>,
    /// Whether the computed MD5 equals the stored one.
    pub stored_hash_verified: Option<bool>,
    /// How it was read.
    pub container: Option<String>,
    /// Why it could not be read.
    pub error: Option<String>,
    /// The files of a `sqlite_files` input.
    #[serde(deserialize_with = "nullable")]
    pub members: Vec<Member>,
}

/// One file of an input made of several.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Member {
    /// Its path.
    pub path: Option<String>,
    /// Logical offset of its first byte.
    pub offset: Option<u64>,
    /// Its length.
    pub length: Option<u64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
}

/// One entry of `artifacts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Artifact {
    /// `<kind>-<input>-<offset>`.
    pub id: Option<String>,
    /// `sqlite_db`, `wal`, …
    pub kind: Option<String>,
    /// Input index.
    pub input: Option<u64>,
    /// Absolute offset.
    pub offset: Option<u64>,
    /// Length in bytes.
    pub length: Option<u64>,
    /// SQLite page size.
    pub page_size: Option<u64>,
    /// App profile.
    pub app: Option<String>,
    /// Whole and consistent.
    pub intact: Option<bool>,
    /// Kind-specific details, kept as they are.
    pub details: Option<Json>,
}

/// One entry of `conversations`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Conversation {
    /// The chat's identifier.
    pub chat_jid: Option<String>,
    /// Its name.
    pub chat_name: Option<String>,
    /// The app's chat id when the JID is unknown.
    pub chat_row_id: Option<i64>,
    /// individual, group, …
    pub kind: Option<String>,
    /// The app.
    pub app: Option<String>,
    /// Earliest message time (ms since the epoch).
    pub first_timestamp_ms: Option<i64>,
    /// Latest message time.
    pub last_timestamp_ms: Option<i64>,
    /// Its messages, in report order.
    #[serde(deserialize_with = "nullable")]
    pub messages: Vec<Message>,
    /// Missing messages.
    #[serde(deserialize_with = "nullable")]
    pub gaps: Vec<Gap>,
}

/// One entry of a conversation's `gaps`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Gap {
    /// Id of the message before the gap.
    pub after_message: Option<String>,
    /// Id of the message after it.
    pub before_message: Option<String>,
    /// `row_id` or `sort_key`.
    pub numbering: Option<String>,
    /// First missing number.
    pub first_missing: Option<i64>,
    /// Last missing number.
    pub last_missing: Option<i64>,
    /// How many are missing.
    pub missing: Option<u64>,
}

/// A recovered message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    /// Stable id within the report.
    pub id: Option<String>,
    /// The app's message id.
    pub key_id: Option<String>,
    /// The chat.
    pub chat_jid: Option<String>,
    /// The sender in a group.
    pub sender_jid: Option<String>,
    /// The row id in the app's message table.
    pub row_id: Option<i64>,
    /// The sender's name as stored.
    pub sender_name: Option<String>,
    /// Sent by the device owner.
    pub from_me: Option<bool>,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: Option<i64>,
    /// The same as RFC 3339 UTC.
    pub timestamp: Option<String>,
    /// text, image, …
    pub message_type: Option<String>,
    /// The text exactly as stored.
    pub text: Option<String>,
    /// Base64 of stored bytes that are not valid text.
    pub text_bytes: Option<String>,
    /// Media, quoted message, edits, reactions…, kept as they are.
    pub details: Option<Map<String, Json>>,
    /// live, deleted, superseded, fragment.
    pub status: Option<String>,
    /// 0 … 1.
    pub confidence: Option<f64>,
    /// What set the confidence.
    #[serde(deserialize_with = "nullable")]
    pub confidence_factors: Vec<ConfidenceFactor>,
    /// Where its bytes are.
    #[serde(deserialize_with = "nullable")]
    pub evidence: Vec<Evidence>,
    /// Fields this model does not know (added by a later version), kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// One entry of `confidence_factors`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfidenceFactor {
    /// Its name.
    pub factor: Option<String>,
    /// Its signed effect.
    pub effect: Option<f64>,
}

/// One entry of `evidence`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Evidence {
    /// live_record, freeblock, …
    pub source: Option<String>,
    /// Input index.
    pub input: Option<u64>,
    /// Absolute offset in the input.
    pub offset: Option<u64>,
    /// Length in bytes.
    pub length: Option<u64>,
    /// The artifact holding the bytes.
    pub artifact: Option<String>,
    /// Page number in its database.
    pub page_number: Option<u64>,
    /// Free text.
    pub detail: Option<String>,
    /// The file of the input holding the offset, and the offset inside it.
    pub member: Option<MemberOffset>,
}

/// Where an offset lies in one of the files of an input made of several.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberOffset {
    /// The file's path.
    pub path: Option<String>,
    /// The offset inside it.
    pub offset: Option<u64>,
}

impl ReportDoc {
    /// Every message with the conversation it belongs to (its index in `conversations`), in
    /// report order: the conversations' messages, then the unattributed ones (`None`).
    pub fn messages(&self) -> impl Iterator<Item = (Option<usize>, &Message)> {
        self.conversations
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.messages.iter().map(move |m| (Some(i), m)))
            .chain(self.unattributed_messages.iter().map(|m| (None, m)))
    }

    /// The input with this index (its `index` field, else its position).
    pub fn input(&self, index: u64) -> Option<&Input> {
        self.inputs.iter().enumerate().find(|(pos, i)| i.index.unwrap_or(*pos as u64) == index).map(|(_, i)| i)
    }
}

impl Message {
    /// The sources of its evidence, each once, in evidence order.
    pub fn sources(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in self.evidence.iter().filter_map(|e| e.source.as_deref()) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}
