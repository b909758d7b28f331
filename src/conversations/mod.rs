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

/// A detail of a message: one value, or the values of several rows (the reactions to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// One value.
    One(String),
    /// The values of several rows.
    Many(Vec<String>),
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
    /// The sender's name as the source stored it: a group member's name, a chat export's sender.
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
    /// The message row's id in its database.
    pub row_id: Option<i64>,
    /// What else gives the message its meaning, by name (media, quoted message, system action,
    /// edit, revocation, reactions), as its app profile reads them.
    pub details: Vec<(String, Detail)>,
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
        )
    }

    /// Which of several sightings of one message says most about it: live, then superseded
    /// (a newer version exists), then deleted, then a text fragment.
    fn status_rank(&self) -> u8 {
        match self.status {
            RecordStatus::Live => 0,
            RecordStatus::Superseded => 1,
            RecordStatus::Deleted => 2,
            RecordStatus::Fragment => 3,
        }
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
    /// The app's id of the chat, when its JID is unknown (the messages of one lost chat).
    pub chat_row_id: Option<i64>,
    /// Messages ordered by time, then sort key.
    pub messages: Vec<Message>,
    /// Places where messages are missing.
    pub gaps: Vec<Gap>,
}

/// How an app numbers its messages, so that missing numbers show missing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// Row ids, shared by every chat of a database: an id between two messages of a chat that
    /// no recovered message of the same app and input holds is missing.
    RowIdPerDatabase,
    /// Sort keys counted per chat: every number between two messages of the chat is one
    /// missing message.
    SortKeyPerChat,
}

/// Messages missing between two messages of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// Index in the conversation's messages of the message before the gap.
    pub after: usize,
    /// Index of the message after it.
    pub before: usize,
    /// Which numbers: row ids or sort keys.
    pub numbering: Numbering,
    /// The first and last missing number.
    pub first_missing: i64,
    /// The last missing number.
    pub last_missing: i64,
    /// How many numbers in that range no recovered message holds.
    pub missing: u64,
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
/// chat and marks gaps (`numbering` tells how each app numbers its messages). Returns the
/// conversations, ordered by app and chat, and the messages whose chat is unknown. The result
/// does not depend on the order of `messages`.
pub fn build(
    messages: Vec<Message>,
    numbering: &dyn Fn(&str) -> Option<Numbering>,
) -> (Vec<Conversation>, Vec<Message>) {
    let (mut convs, unattributed) = group(merge(messages));
    let known = known_row_ids(&convs, &unattributed);
    for c in &mut convs {
        if let Some(n) = numbering(c.app) {
            c.gaps = gaps(c, n, &known);
        }
    }
    (convs, unattributed)
}

/// Row ids of every message, by (app, input), sorted.
type KnownIds = BTreeMap<(&'static str, usize), Vec<i64>>;

fn known_row_ids(convs: &[Conversation], unattributed: &[Message]) -> KnownIds {
    let mut known: KnownIds = BTreeMap::new();
    for m in convs.iter().flat_map(|c| &c.messages).chain(unattributed) {
        if let (Some(id), Some(e)) = (m.row_id, m.evidence.first()) {
            known.entry((m.app, e.input)).or_default().push(id);
        }
    }
    for ids in known.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    known
}

/// The gaps of a conversation: between messages next to each other in the app's numbering.
fn gaps(c: &Conversation, numbering: Numbering, known: &KnownIds) -> Vec<Gap> {
    let number = |m: &Message| match numbering {
        Numbering::RowIdPerDatabase => m.row_id,
        Numbering::SortKeyPerChat => m.sort_key,
    };
    // (number, input, index) of the messages that have one, in numbering order; versions of one
    // message share its number.
    let mut numbered: Vec<(i64, usize, usize)> = c
        .messages
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((number(m)?, m.evidence.first().map_or(0, |e| e.input), i)))
        .collect();
    numbered.sort_unstable();
    numbered.dedup_by_key(|(n, input, _)| (*n, *input));
    let mut out = Vec::new();
    for pair in numbered.windows(2) {
        let [(a, input_a, after), (b, input_b, before)] = [pair[0], pair[1]];
        if input_a != input_b || b.saturating_sub(a) <= 1 {
            continue;
        }
        let (first, last) = (a + 1, b - 1);
        let span = (last - first) as u64 + 1;
        let missing = match numbering {
            Numbering::SortKeyPerChat => span,
            Numbering::RowIdPerDatabase => {
                // Ids held by other chats' messages are not missing from this one.
                let ids = known.get(&(c.app, input_a)).map_or(&[][..], |v| &v[..]);
                let held = ids.partition_point(|&x| x <= last) - ids.partition_point(|&x| x < first);
                span - held as u64
            }
        };
        if missing > 0 {
            out.push(Gap { after, before, numbering, first_missing: first, last_missing: last, missing });
        }
    }
    out
}

/// Merges duplicates: messages of the same identity and content become one message with all
/// their evidence, with the status the best-informed sighting gives (a row live in the database
/// and a copy in a backup is live; a deleted copy and one a backup proves superseded is
/// superseded). The result is sorted by identity and does not depend on the input order.
pub fn merge(messages: Vec<Message>) -> Vec<Message> {
    let mut merged: Vec<Message> = Vec::with_capacity(messages.len());
    let mut sorted = messages;
    for m in &mut sorted {
        m.evidence.sort();
    }
    {
        use rayon::slice::ParallelSliceMut;
        sorted.par_sort_by(|a, b| {
            a.identity()
                .cmp(&b.identity())
                .then_with(|| a.status_rank().cmp(&b.status_rank()))
                .then_with(|| a.evidence.cmp(&b.evidence))
        });
    }
    for m in sorted {
        match merged.last_mut() {
            Some(last) if last.identity() == m.identity() && last.key_id.is_some() => {
                last.evidence.extend(m.evidence);
                last.evidence.sort();
                last.evidence.dedup();
                last.truncated &= m.truncated;
                last.row_id = last.row_id.or(m.row_id);
            }
            _ => merged.push(m),
        }
    }
    merged
}

/// Groups merged messages by chat, each conversation ordered by time then sort key; returns
/// the conversations, ordered by app and chat, and the messages whose chat is unknown. The
/// messages of a chat whose JID is lost stay together by the app's chat id, within one input.
fn group(merged: Vec<Message>) -> (Vec<Conversation>, Vec<Message>) {
    type ChatKey = (&'static str, Option<String>, Option<(usize, i64)>);
    let mut chats: BTreeMap<ChatKey, Conversation> = BTreeMap::new();
    let mut unattributed = Vec::new();
    for m in merged {
        let lost_chat = match (&m.chat_jid, m.chat_row_id, m.evidence.first()) {
            (Some(_), _, _) => None,
            (None, Some(id), Some(e)) => Some((e.input, id)),
            _ => {
                unattributed.push(m);
                continue;
            }
        };
        let key = (m.app, m.chat_jid.clone(), lost_chat);
        let conv = chats.entry(key).or_insert_with(|| Conversation {
            app: m.app,
            chat_jid: m.chat_jid.clone(),
            chat_name: None,
            chat_row_id: lost_chat.map(|(_, id)| id),
            messages: Vec::new(),
            gaps: Vec::new(),
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
