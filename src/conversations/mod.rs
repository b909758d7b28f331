//! Messages from every app and source, merged and grouped into conversations: one message seen
//! in several places becomes one message with several evidence items; messages are grouped by
//! chat and ordered by time, then by the app's sort key.

use std::collections::BTreeMap;

use crate::recover::{Evidence, RecordStatus};

/// Message text: valid text, or bytes that are not valid in their encoding (never lossy).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageText {
    /// Valid text.
    Text(String),
    /// Undecodable bytes.
    Bytes(Vec<u8>),
}

/// A message recovered from some source.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// App profile name.
    pub app: &'static str,
    /// The app's own message id.
    pub key_id: Option<String>,
    /// The app's chat row id (keeps messages of a lost chat together); for chat exports, the
    /// offset of the file's first run, which keeps the messages of one exported file together.
    pub chat_row_id: Option<i64>,
    /// Chat JID.
    pub chat_jid: Option<String>,
    /// Chat name (a group's subject).
    pub chat_name: Option<String>,
    /// Sender JID in groups; `None` when sent by the owner or unknown.
    pub sender_jid: Option<String>,
    /// Sender's display name, when the source gives only a name (chat exports).
    pub sender_name: Option<String>,
    /// Sent by the device owner.
    pub from_me: Option<bool>,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    /// Type name.
    pub message_type: Option<String>,
    /// Text or caption.
    pub text: Option<MessageText>,
    /// The app's sort key (WhatsApp `sort_id`, else the rowid).
    pub sort_key: Option<i64>,
    /// Live, deleted or superseded.
    pub status: RecordStatus,
    /// True when part of the record was lost.
    pub truncated: bool,
    /// True when the record names a sender whose row could not be told (missing, or several
    /// recovered rows of that id disagree).
    pub sender_unresolved: bool,
    /// For sources whose dates are written without a known field order (chat exports): None
    /// when the order is sure, `Some(true)` when only the locale's convention decided it,
    /// `Some(false)` when nothing did.
    pub date_order_ambiguous: Option<bool>,
    /// Where its bytes are, sorted.
    pub evidence: Vec<Evidence>,
}

impl Message {
    fn identity(&self) -> impl Ord + '_ {
        (
            self.app,
            &self.chat_jid,
            &self.key_id,
            self.from_me,
            &self.sender_jid,
            &self.sender_name,
            self.timestamp_ms,
            &self.text,
            &self.message_type,
            self.status,
        )
    }
}

/// A conversation: the messages of one chat of one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// App profile name.
    pub app: &'static str,
    /// Chat JID, if known.
    pub chat_jid: Option<String>,
    /// Chat name, if known.
    pub chat_name: Option<String>,
    /// Messages ordered by time, then sort key.
    pub messages: Vec<Message>,
}

/// Kind of chat from its JID (whatsapp.md, JIDs).
pub fn chat_kind(jid: Option<&str>) -> &'static str {
    let Some(jid) = jid else { return "unknown" };
    match jid.rsplit_once('@').map(|(_, server)| server) {
        _ if jid == "status@broadcast" => "status",
        Some("s.whatsapp.net" | "lid" | "c.us") => "individual",
        Some("g.us") => "group",
        Some("broadcast") => "broadcast",
        Some("newsletter") => "channel",
        _ => "unknown",
    }
}

/// Merges duplicates (same identity and content: one message, all evidence), then groups by
/// chat. Returns the conversations, ordered by app and chat, and the messages whose chat is
/// unknown. The result does not depend on the order of `messages`.
pub fn build(messages: Vec<Message>) -> (Vec<Conversation>, Vec<Message>) {
    group(merge(messages))
}

/// Merges duplicates: messages of the same identity and content become one message with all
/// their evidence. The result is sorted by identity and does not depend on the input order.
pub fn merge(messages: Vec<Message>) -> Vec<Message> {
    let mut merged: Vec<Message> = Vec::with_capacity(messages.len());
    let mut sorted = messages;
    for m in &mut sorted {
        m.evidence.sort();
    }
    {
        use rayon::slice::ParallelSliceMut;
        sorted.par_sort_by(|a, b| a.identity().cmp(&b.identity()).then_with(|| a.evidence.cmp(&b.evidence)));
    }
    for m in sorted {
        match merged.last_mut() {
            Some(last) if last.identity() == m.identity() && last.key_id.is_some() => {
                last.evidence.extend(m.evidence);
                last.evidence.sort();
                last.evidence.dedup();
                last.truncated &= m.truncated;
            }
            _ => merged.push(m),
        }
    }
    merged
}

/// Groups merged messages by chat, each conversation ordered by time then sort key; returns
/// the conversations, ordered by app and chat, and the messages whose chat is unknown.
fn group(merged: Vec<Message>) -> (Vec<Conversation>, Vec<Message>) {
    let mut chats: BTreeMap<(&'static str, Option<String>, Option<i64>), Conversation> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for m in merged {
        if m.chat_jid.is_none() && m.chat_row_id.is_none() {
            unattributed.push(m);
            continue;
        }
        let key = (m.app, m.chat_jid.clone(), if m.chat_jid.is_some() { None } else { m.chat_row_id });
        let conv = chats.entry(key).or_insert_with(|| Conversation {
            app: m.app,
            chat_jid: m.chat_jid.clone(),
            chat_name: None,
            messages: Vec::new(),
        });
        if conv.chat_name.is_none() {
            conv.chat_name = m.chat_name.clone();
        }
        conv.messages.push(m);
    }
    let mut convs: Vec<Conversation> = chats.into_values().collect();
    for c in &mut convs {
        c.messages
            .sort_by(|a, b| (a.timestamp_ms, a.sort_key, &a.evidence).cmp(&(b.timestamp_ms, b.sort_key, &b.evidence)));
    }
    unattributed.sort_by(|a, b| (a.timestamp_ms, &a.evidence).cmp(&(b.timestamp_ms, &b.evidence)));
    (convs, unattributed)
}
