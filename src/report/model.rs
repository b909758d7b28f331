//! Serialisation structs of the report, field order = output order. Field by field:
//! see `docs/report.md` and the published JSON Schema.

use serde::Serialize;
use serde_json::Value as Json;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always "1".
    pub report_version: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// The only part that may differ between two runs on the same input.
    pub run: Run,
    /// One entry per input.
    pub inputs: Vec<Input>,
    /// Counts.
    pub summary: Summary,
    /// What was found.
    pub artifacts: Vec<Artifact>,
    /// Conversations, ordered by app and chat.
    pub conversations: Vec<Conversation>,
    /// Messages whose chat could not be determined.
    pub unattributed_messages: Vec<Message>,
    /// What a reader must know.
    pub warnings: Vec<String>,
}

/// Tool identity.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// "chatcarve".
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// The run block.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// RFC 3339 start time.
    pub started: Option<String>,
    /// RFC 3339 finish time.
    pub finished: Option<String>,
    /// Worker threads.
    pub threads: usize,
    /// Command-line arguments.
    pub arguments: Vec<String>,
}

/// One input image.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// Position in the run.
    pub index: usize,
    /// Path as given.
    pub path: String,
    /// Size in bytes (null when it could not be opened).
    pub size_bytes: Option<u64>,
    /// Lower-case hex SHA-256 (null when hashing was off or the input failed).
    pub sha256: Option<String>,
    /// Lower-case hex MD5 of the logical bytes: only where the container stores hashes to check
    /// (E01); computed as it is decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// The hashes of the media the container stores (E01), as the acquisition tool wrote them;
    /// absent where it stores none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hashes: Option<StoredHashes>,
    /// Whether the MD5 computed over the logical bytes equals the stored MD5: absent without
    /// `stored_hashes`, null where it could not be checked (no MD5 stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hash_verified: Option<Option<bool>>,
    /// Container kind.
    pub container: Option<&'static str>,
    /// Why it could not be read, or null.
    pub error: Option<String>,
    /// The files the input is made of, when several (container `sqlite_files`: a database
    /// with the WAL and journal beside it); evidence offsets are logical offsets over them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// How many files an archive is made of, `members` listing only those that hold evidence;
    /// absent where `members` lists them all (or there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
}

/// Hashes a container stores of the media it holds, lower-case hex; null where not stored.
#[derive(Debug, Clone, Serialize)]
pub struct StoredHashes {
    /// MD5.
    pub md5: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
}

/// One file of an input made of several.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// The file's path.
    pub path: String,
    /// Logical offset of its first byte in the input.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
    /// Its SHA-256, lower-case hex, or null where it was not computed.
    pub sha256: Option<String>,
}

/// Counts over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Bytes scanned over all inputs.
    pub bytes_scanned: u64,
    /// Databases found by their header.
    pub databases: u64,
    /// WAL files.
    pub wal_files: u64,
    /// Rollback journals.
    pub journals: u64,
    /// Validated b-tree pages found at 512-byte boundaries.
    pub pages: u64,
    /// Of those, pages outside every database, WAL and journal found whole.
    pub orphan_pages: u64,
    /// Live records read from databases found whole, all tables.
    pub records: u64,
    /// Messages over all conversations and unattributed.
    pub messages: u64,
    /// Messages by status.
    pub messages_by_status: std::collections::BTreeMap<&'static str, u64>,
    /// Messages by evidence source (a message counts once per source it has).
    pub messages_by_source: std::collections::BTreeMap<&'static str, u64>,
    /// Conversations.
    pub conversations: u64,
}

/// Something found in an input.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Stable id: kind, input, offset.
    pub id: String,
    /// sqlite_db, wal, journal, page_group, text_fragment.
    pub kind: &'static str,
    /// Input index.
    pub input: usize,
    /// Absolute offset.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Page size.
    pub page_size: u32,
    /// App profile, if recognised.
    pub app: Option<&'static str>,
    /// Whether the structure is whole and consistent.
    pub intact: bool,
    /// Kind-specific details.
    pub details: Json,
}

/// A conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    /// Chat JID.
    pub chat_jid: Option<String>,
    /// Chat name.
    pub chat_name: Option<String>,
    /// individual, group, broadcast, status, channel, unknown.
    pub kind: &'static str,
    /// App.
    pub app: &'static str,
    /// The app's id of the chat when its JID is unknown: the messages of one lost chat.
    pub chat_row_id: Option<i64>,
    /// Earliest message time.
    pub first_timestamp_ms: Option<i64>,
    /// Latest message time.
    pub last_timestamp_ms: Option<i64>,
    /// Messages ordered by time.
    pub messages: Vec<Message>,
    /// Places where messages are missing.
    pub gaps: Vec<Gap>,
}

/// Messages missing between two messages of a conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// `id` of the message before the gap.
    pub after_message: String,
    /// `id` of the message after it.
    pub before_message: String,
    /// `row_id` (ids shared by every chat of a database) or `sort_key` (counted per chat).
    pub numbering: &'static str,
    /// First missing number.
    pub first_missing: i64,
    /// Last missing number.
    pub last_missing: i64,
    /// How many numbers in that range no recovered message holds.
    pub missing: u64,
}

/// A recovered message.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Stable id.
    pub id: String,
    /// The app's message id.
    pub key_id: Option<String>,
    /// Chat JID.
    pub chat_jid: Option<String>,
    /// Sender JID (null for the owner or unknown).
    pub sender_jid: Option<String>,
    /// The message's row id in its app's message table (for an `fts_index` fragment, the
    /// index's docid), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_id: Option<i64>,
    /// The sender's name as the source stored it (a group member's name, an export's sender).
    pub sender_name: Option<String>,
    /// Sent by the owner.
    pub from_me: Option<bool>,
    /// Milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    /// RFC 3339 UTC.
    pub timestamp: Option<String>,
    /// Type name.
    pub message_type: Option<String>,
    /// Text exactly as stored (null when none, or when not valid text: see `text_bytes`).
    pub text: Option<String>,
    /// Base64 of text bytes that are not valid in the database encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_bytes: Option<String>,
    /// What else gives the message its meaning, by name (media, quoted message, system action,
    /// edit, revocation, reactions): a text, or a list of texts for `reactions`.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, Json>,
    /// live, deleted, superseded, fragment.
    pub status: &'static str,
    /// 0..1.
    pub confidence: f64,
    /// What moved the confidence.
    pub confidence_factors: Vec<ConfidenceFactor>,
    /// Where its bytes are.
    pub evidence: Vec<Evidence>,
}

/// A confidence factor.
#[derive(Debug, Clone, Serialize)]
pub struct ConfidenceFactor {
    /// Name.
    pub factor: &'static str,
    /// Signed effect.
    pub effect: f64,
}

/// One place a message's bytes were found.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Source kind.
    pub source: &'static str,
    /// Input index.
    pub input: usize,
    /// Absolute offset in the input.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Artifact id.
    pub artifact: String,
    /// Page number in its database.
    pub page_number: Option<u32>,
    /// Detail.
    pub detail: Option<String>,
    /// The file of the input that holds `offset` (a segment, an archive member, a database's
    /// WAL beside it) and the offset inside that file; absent where the input is one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberOffset>,
}

/// Where an offset of an input made of several files lies in one of them.
#[derive(Debug, Clone, Serialize)]
pub struct MemberOffset {
    /// The file's path, as `inputs[].members` gives it.
    pub path: String,
    /// The offset inside that file.
    pub offset: u64,
}
