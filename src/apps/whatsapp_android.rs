//! WhatsApp on Android, current schema (`message`, `chat`, `jid`): live messages with their chat
//! and sender resolved through `chat.jid_row_id → jid` and `message.sender_jid_row_id → jid`.
//! Columns are found by name in the database's own `CREATE TABLE`, never by position.

use std::collections::BTreeMap;

use crate::conversations::{Message, MessageText};
use crate::recover::database::DbFinding;
use crate::recover::{FieldValue, RecoveredRecord};
use crate::sqlite::schema::TableDef;

/// The report's app name.
pub const APP: &str = "whatsapp-android";

const MESSAGE_COLUMNS: [&str; 4] = ["chat_row_id", "from_me", "key_id", "timestamp"];

fn has_columns(t: &TableDef, names: &[&str]) -> bool {
    names.iter().all(|n| t.columns.iter().any(|c| c.name == *n))
}

/// True when the tables are WhatsApp's current message schema.
pub fn recognise(tables: &[TableDef]) -> bool {
    let find = |name: &str| tables.iter().find(|t| t.name == name);
    find("message").is_some_and(|t| has_columns(t, &MESSAGE_COLUMNS))
        && find("jid").is_some_and(|t| has_columns(t, &["user", "server"]))
        && find("chat").is_some_and(|t| has_columns(t, &["jid_row_id"]))
}

/// Tables whose records this profile reads.
pub fn wanted_table(t: &TableDef) -> bool {
    match t.name.as_str() {
        "message" => has_columns(t, &MESSAGE_COLUMNS),
        "jid" => has_columns(t, &["user", "server"]),
        "chat" => has_columns(t, &["jid_row_id"]),
        _ => false,
    }
}

/// The name of a `message_type` value (whatsapp.md; unknown values keep their number).
pub fn message_type_name(t: i64) -> String {
    match t {
        0 => "text",
        1 => "image",
        2 => "audio",
        3 => "video",
        4 => "contact",
        5 => "location",
        7 => "system",
        8 => "call",
        9 => "document",
        13 => "gif",
        15 => "revoked",
        16 => "live_location",
        20 => "sticker",
        42 | 43 => "view_once",
        n => return format!("type_{n}"),
    }
    .to_owned()
}

fn int(r: &RecoveredRecord, col: &str) -> Option<i64> {
    r.get(col).and_then(FieldValue::as_i64)
}

fn text(r: &RecoveredRecord, col: &str) -> Option<String> {
    r.get(col).and_then(FieldValue::as_str).map(str::to_owned)
}

/// A JID row as `user@server` (or its `raw_string`).
fn jid_string(r: &RecoveredRecord) -> Option<String> {
    if let Some(raw) = text(r, "raw_string").filter(|s| s.contains('@')) {
        return Some(raw);
    }
    let user = text(r, "user")?;
    let server = text(r, "server")?;
    Some(if user.is_empty() {
        server
    } else {
        format!("{user}@{server}")
    })
}

/// The messages of a database recognised as WhatsApp Android.
pub fn messages(db: &DbFinding) -> Vec<Message> {
    let rows = |table: &'static str| db.records.iter().filter(move |r| &*r.table == table);
    let jids: BTreeMap<i64, String> = rows("jid").filter_map(|r| Some((r.rowid?, jid_string(r)?))).collect();
    let chats: BTreeMap<i64, (Option<String>, Option<String>)> = rows("chat")
        .filter_map(|r| {
            let jid = int(r, "jid_row_id").and_then(|j| jids.get(&j).cloned());
            Some((r.rowid?, (jid, text(r, "subject"))))
        })
        .collect();
    rows("message")
        .filter_map(|r| {
            let chat_row_id = int(r, "chat_row_id");
            let key_id = text(r, "key_id");
            // The sentinel row the app keeps at _id 1 (chat_row_id -1, key_id "-1") is no message.
            if chat_row_id.is_some_and(|c| c < 0) || key_id.as_deref() == Some("-1") {
                return None;
            }
            let (chat_jid, chat_name) = chat_row_id.and_then(|c| chats.get(&c).cloned()).unwrap_or((None, None));
            let from_me = int(r, "from_me").map(|v| v != 0);
            let sender_jid = match from_me {
                Some(true) => None,
                _ => int(r, "sender_jid_row_id")
                    .filter(|&s| s > 0)
                    .and_then(|s| jids.get(&s).cloned()),
            };
            let text = match r.get("text_data") {
                Some(FieldValue::Text(s)) => Some(MessageText::Text(s.clone())),
                Some(FieldValue::TextBytes(b)) => Some(MessageText::Bytes(b.clone())),
                _ => None,
            };
            Some(Message {
                app: APP,
                key_id,
                chat_row_id,
                chat_jid,
                chat_name,
                sender_jid,
                from_me,
                timestamp_ms: int(r, "timestamp").filter(|&t| t > 0),
                message_type: int(r, "message_type").map(message_type_name),
                text,
                sort_key: int(r, "sort_id").filter(|&s| s > 0).or(r.rowid),
                status: r.status,
                truncated: r.truncated,
                evidence: vec![r.evidence.clone()],
            })
        })
        .collect()
}
