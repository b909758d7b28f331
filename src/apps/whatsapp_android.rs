//! WhatsApp on Android, current schema (`message`, `chat`, `jid`): live messages with their chat
//! and sender resolved through `chat.jid_row_id → jid` and `message.sender_jid_row_id → jid`.
//! Columns are found by name in the database's own `CREATE TABLE`, never by position.

use std::collections::BTreeMap;

use crate::conversations::{Message, MessageText};
use crate::recover::{FieldValue, RecordStatus, RecoveredRecord};
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
    Some(if user.is_empty() { server } else { format!("{user}@{server}") })
}

/// The schema of the tables this profile reads, as WhatsApp 2.22 writes them (whatsapp.md):
/// the templates for pages found without their database.
pub const BUILTIN_SCHEMA: [&str; 3] = [
    "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL, \
     key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER, broadcast INTEGER, recipient_count INTEGER, \
     participant_hash TEXT, origination_flags INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER, \
     receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER, lookup_tables INTEGER, \
     message_add_on_flags INTEGER, sort_id INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, agent INTEGER, \
     device INTEGER, type INTEGER, raw_string TEXT)",
    "CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER, subject TEXT, \
     created_timestamp INTEGER, display_message_row_id INTEGER, last_message_row_id INTEGER, \
     last_read_message_row_id INTEGER, last_read_receipt_sent_message_row_id INTEGER, \
     last_important_message_row_id INTEGER, archived INTEGER, sort_timestamp INTEGER, mod_tag INTEGER, gen REAL, \
     spam_detection INTEGER)",
];

/// [`BUILTIN_SCHEMA`] parsed.
pub fn builtin_tables() -> Vec<TableDef> {
    BUILTIN_SCHEMA
        .iter()
        .zip(["message", "jid", "chat"])
        .filter_map(|(sql, name)| {
            let (columns, without_rowid) = crate::sqlite::schema::parse_create_table(sql)?;
            Some(TableDef { name: name.to_owned(), rootpage: 0, columns, without_rowid })
        })
        .collect()
}

/// The messages in the records of a database (or page group) recognised as WhatsApp Android.
/// `links` pair artifacts (runs of orphan pages) known to come from one database.
pub fn messages(records: &[RecoveredRecord], links: &[(String, String)]) -> Vec<Message> {
    let rows = |table: &'static str| records.iter().filter(move |r| &*r.table == table);
    // Live rows first: a deleted row of the same id (an older chat or contact) never overrides
    // the live one.
    let live_first = |table: &'static str| {
        rows(table)
            .filter(|r| r.status == RecordStatus::Live)
            .chain(rows(table).filter(|r| r.status != RecordStatus::Live))
    };
    let mut jids: Resolver<String> = Resolver::default();
    for r in live_first("jid") {
        if let (Some(id), Some(j)) = (jid_row_id(r), jid_string(r).filter(|j| plausible_jid(j))) {
            jids.add(id, r, j);
        }
    }
    // A `jid` row never changes which JID its id names: two recovered rows of one id that
    // disagree come from two databases (deleted files of two phones among orphan pages), and
    // then no id is resolved across their runs of pages.
    jids.mixed = jids.disagrees();
    let clusters = Clusters::of(links, &last_message_links(records));
    jids.clusters = clusters.clone();
    let mut chats: Resolver<(Option<String>, Option<String>)> =
        Resolver { mixed: jids.mixed, clusters, ..Resolver::default() };
    for r in live_first("chat") {
        let Some(id) = r.rowid.or_else(|| int(r, "_id")) else { continue };
        let jid = int(r, "jid_row_id").and_then(|j| jids.get(j, r));
        chats.add(id, r, (jid, text(r, "subject")));
    }
    let window = time_window(rows("message").filter(|r| r.status == RecordStatus::Live));
    rows("message")
        .filter_map(|r| {
            let chat_row_id = int(r, "chat_row_id");
            let key_id = text(r, "key_id");
            // The sentinel row the app keeps at _id 1 (chat_row_id -1, key_id "-1") is no message.
            if chat_row_id.is_some_and(|c| c < 0) || key_id.as_deref() == Some("-1") {
                return None;
            }
            // A record carved from free space becomes a message only when every field an
            // examiner relies on is plausible (precision first).
            if r.status != RecordStatus::Live && !plausible_message(r, key_id.as_deref(), chat_row_id, window) {
                return None;
            }
            let (chat_jid, chat_name) = chat_row_id.and_then(|c| chats.get(c, r)).unwrap_or((None, None));
            let from_me = int(r, "from_me").map(|v| v != 0);
            let sender_row = match from_me {
                Some(true) => None,
                _ => int(r, "sender_jid_row_id").filter(|&s| s > 0),
            };
            let sender_jid = sender_row.and_then(|s| jids.get(s, r));
            let sender_unresolved = sender_row.is_some() && sender_jid.is_none();
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
                sender_name: None,
                from_me,
                timestamp_ms: int(r, "timestamp").filter(|&t| t > 0),
                message_type: int(r, "message_type").map(message_type_name),
                text,
                sort_key: int(r, "sort_id").filter(|&s| s > 0).or(r.rowid),
                status: r.status,
                truncated: r.truncated,
                sender_unresolved,
                date_order_ambiguous: None,
                evidence: r.all_evidence().cloned().collect(),
            })
        })
        .collect()
}

/// Rows of `jid` or `chat` by id, to resolve the ids a message names. A live row answers for
/// its id. Without one, the recovered rows of that id answer when they agree; when they
/// disagree (two versions of a row), or when the records come from several databases
/// ([`Resolver::mixed`]), only the rows from the asking record's own artifact (its database, or
/// its run of orphan pages) may answer, and only when they agree: a chat left unknown is
/// better than a wrong one.
struct Resolver<V> {
    live: BTreeMap<i64, V>,
    recovered: BTreeMap<i64, Vec<(String, V)>>,
    /// The records come from several databases: recovered rows answer only within the asking
    /// record's own artifact.
    mixed: bool,
    /// Ids with more than [`MAX_VERSIONS`] different recovered rows: none answers for them.
    crowded: std::collections::BTreeSet<i64>,
    /// Artifacts known to come from one database: when mixed, a row answers within the asking
    /// record's cluster.
    clusters: Clusters,
}

/// Different recovered rows kept per id (a crafted input may hold any number).
const MAX_VERSIONS: usize = 64;

impl<V> Default for Resolver<V> {
    fn default() -> Self {
        Resolver {
            live: BTreeMap::new(),
            recovered: BTreeMap::new(),
            mixed: false,
            crowded: Default::default(),
            clusters: Clusters::default(),
        }
    }
}

impl<V: Clone + PartialEq> Resolver<V> {
    fn add(&mut self, id: i64, r: &RecoveredRecord, v: V) {
        if r.status == RecordStatus::Live {
            self.live.entry(id).or_insert(v);
        } else {
            let rows = self.recovered.entry(id).or_default();
            // A row seen in several places answers in each (the same row in two files).
            for artifact in r.all_evidence().map(|e| &e.artifact) {
                if !rows.iter().any(|(a, x)| a == artifact && *x == v) {
                    if rows.len() >= MAX_VERSIONS {
                        self.crowded.insert(id);
                        return;
                    }
                    rows.push((artifact.clone(), v.clone()));
                }
            }
        }
    }

    fn get(&self, id: i64, asking: &RecoveredRecord) -> Option<V> {
        if let Some(v) = self.live.get(&id) {
            return Some(v.clone());
        }
        if self.crowded.contains(&id) {
            return None;
        }
        let rows = self.recovered.get(&id)?;
        let own =
            || agreed(rows.iter().filter(|(a, _)| self.clusters.same(a, &asking.evidence.artifact)).map(|(_, v)| v));
        if self.mixed {
            return own();
        }
        agreed(rows.iter().map(|(_, v)| v)).or_else(own)
    }

    /// Whether two recovered rows of one id hold different values.
    fn disagrees(&self) -> bool {
        self.recovered.values().any(|rows| agreed(rows.iter().map(|(_, v)| v)).is_none())
    }
}

/// Artifacts grouped into the databases they come from: connected components of the links.
#[derive(Debug, Clone, Default)]
struct Clusters {
    component: BTreeMap<String, usize>,
}

impl Clusters {
    fn of(links: &[(String, String)], more: &[(String, String)]) -> Self {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (a, b) in links.iter().chain(more) {
            for x in [a, b] {
                let n = index.len();
                index.entry(x.as_str()).or_insert(n);
            }
        }
        // Union-find with path halving and union by index: near-linear in the links.
        let mut parent: Vec<usize> = (0..index.len()).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while let Some(&p) = parent.get(x).filter(|&&p| p != x) {
                let grand = parent.get(p).copied().unwrap_or(p);
                if let Some(slot) = parent.get_mut(x) {
                    *slot = grand;
                }
                x = p;
            }
            x
        }
        for (a, b) in links.iter().chain(more) {
            let (Some(&ia), Some(&ib)) = (index.get(a.as_str()), index.get(b.as_str())) else { continue };
            let (ra, rb) = (find(&mut parent, ia), find(&mut parent, ib));
            if let Some(slot) = parent.get_mut(ra.max(rb)) {
                *slot = ra.min(rb);
            }
        }
        let component = index.iter().map(|(&k, &i)| (k.to_owned(), find(&mut parent, i))).collect();
        Clusters { component }
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b || matches!((self.component.get(a), self.component.get(b)), (Some(x), Some(y)) if x == y)
    }
}

/// Links the app itself leaves between a chat row and a message row of one database: the
/// chat's last message is that message (`last_message_row_id` its id, `sort_timestamp` its
/// time, and the message's `chat_row_id` the chat's id).
fn last_message_links(records: &[RecoveredRecord]) -> Vec<(String, String)> {
    let mut last: BTreeMap<(i64, i64, i64), Vec<&str>> = BTreeMap::new();
    for r in records.iter().filter(|r| &*r.table == "chat") {
        let (Some(id), Some(m), Some(t)) =
            (r.rowid.or_else(|| int(r, "_id")), int(r, "last_message_row_id"), int(r, "sort_timestamp"))
        else {
            continue;
        };
        let artifacts = last.entry((id, m, t)).or_default();
        if artifacts.len() < MAX_VERSIONS {
            artifacts.push(&r.evidence.artifact);
        }
    }
    let mut out = Vec::new();
    for r in records.iter().filter(|r| &*r.table == "message") {
        let (Some(id), Some(c), Some(t)) =
            (r.rowid.or_else(|| int(r, "_id")), int(r, "chat_row_id"), int(r, "timestamp"))
        else {
            continue;
        };
        let Some(chats) = last.get(&(c, id, t)) else { continue };
        // The millisecond time makes the match distinctive; two chat rows of different
        // artifacts matching one message would be a contradiction: then no link.
        if let Some(first) = chats.first().filter(|f| chats.iter().all(|a| a == *f)) {
            out.push(((*first).to_owned(), r.evidence.artifact.clone()));
        }
    }
    out
}

/// The value every item holds, if they all agree (and there is one).
fn agreed<'a, V: Clone + PartialEq + 'a>(mut values: impl Iterator<Item = &'a V>) -> Option<V> {
    let first = values.next()?;
    values.all(|v| v == first).then(|| first.clone())
}

/// The `_id` of a `jid` record: its rowid, or the `_id` value when the rowid was destroyed.
fn jid_row_id(r: &RecoveredRecord) -> Option<i64> {
    r.rowid.or_else(|| int(r, "_id"))
}

/// JID syntax (whatsapp.md): `user@server` with a known server, or `status@broadcast`.
pub fn plausible_jid(jid: &str) -> bool {
    let Some((user, server)) = jid.rsplit_once('@') else { return false };
    let user = user.split(':').next().unwrap_or("");
    let known =
        matches!(server, "s.whatsapp.net" | "g.us" | "broadcast" | "lid" | "newsletter" | "c.us" | "call" | "temp");
    let user_ok = user == "status"
        || (!user.is_empty() && user.len() <= 40 && user.chars().all(|c| c.is_ascii_digit() || c == '-'));
    known && user_ok
}

/// Earliest and latest plausible message times: 2009-01-01 (WhatsApp's launch) to 2100.
const MIN_TIMESTAMP_MS: i64 = 1_230_768_000_000;
const MAX_TIMESTAMP_MS: i64 = 4_102_444_800_000;

/// How far before the oldest live message of a database a deleted one may be dated.
const BEFORE_OLDEST_LIVE_MS: i64 = 10 * 366 * 86_400_000;
/// How far after the newest live message a deleted one may be dated (the newest chat may be
/// the one deleted).
const AFTER_NEWEST_LIVE_MS: i64 = 366 * 86_400_000;

/// The times a deleted message of these records may have: the plausible window, narrowed to
/// the span of the database's live messages with a margin on each side when it has some.
fn time_window<'r>(live: impl Iterator<Item = &'r RecoveredRecord>) -> (i64, i64) {
    let times: Vec<i64> =
        live.filter_map(|r| int(r, "timestamp")).filter(|t| (MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(t)).collect();
    match (times.iter().min(), times.iter().max()) {
        (Some(&lo), Some(&hi)) => (
            lo.saturating_sub(BEFORE_OLDEST_LIVE_MS).max(MIN_TIMESTAMP_MS),
            hi.saturating_add(AFTER_NEWEST_LIVE_MS).min(MAX_TIMESTAMP_MS),
        ),
        _ => (MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS),
    }
}

/// A carved message record is believed only with a key id of the app's form, a chat id, a
/// direction of 0 or 1 and a time in `window` ([`time_window`]).
fn plausible_message(r: &RecoveredRecord, key_id: Option<&str>, chat_row_id: Option<i64>, window: (i64, i64)) -> bool {
    let key_ok = key_id.is_some_and(|k| {
        (4..=64).contains(&k.len()) && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    });
    let from_me_ok = matches!(int(r, "from_me"), Some(0 | 1));
    let time_ok = int(r, "timestamp").is_some_and(|t| (window.0..window.1).contains(&t));
    key_ok && from_me_ok && time_ok && chat_row_id.is_some_and(|c| c > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recover::{Evidence, EvidenceSource};
    use std::sync::Arc;

    fn row(table: &str, columns: &[&str], values: Vec<FieldValue>, rowid: i64, artifact: &str) -> RecoveredRecord {
        RecoveredRecord {
            table: Arc::from(table),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rowid: Some(rowid),
            values,
            truncated: false,
            status: RecordStatus::Deleted,
            evidence: Evidence {
                source: EvidenceSource::OrphanPage,
                input: 0,
                offset: 0,
                length: 10,
                artifact: artifact.to_owned(),
                page_number: None,
                detail: None,
            },
            also_seen: Vec::new(),
            rowid_alias: Some(0),
            dropped_table: false,
        }
    }

    fn jid(id: i64, user: &str, artifact: &str) -> RecoveredRecord {
        let v = vec![
            FieldValue::Integer(id),
            FieldValue::Text(user.into()),
            FieldValue::Text("s.whatsapp.net".into()),
            FieldValue::Integer(0),
            FieldValue::Integer(0),
            FieldValue::Integer(0),
            FieldValue::Text(format!("{user}@s.whatsapp.net")),
        ];
        row("jid", &["_id", "user", "server", "agent", "device", "type", "raw_string"], v, id, artifact)
    }

    fn chat(id: i64, jid_row_id: i64, last: i64, at: i64, artifact: &str) -> RecoveredRecord {
        let cols = ["_id", "jid_row_id", "subject", "last_message_row_id", "sort_timestamp"];
        let v = vec![
            FieldValue::Integer(id),
            FieldValue::Integer(jid_row_id),
            FieldValue::Null,
            FieldValue::Integer(last),
            FieldValue::Integer(at),
        ];
        row("chat", &cols, v, id, artifact)
    }

    fn message(id: i64, chat_row_id: i64, at: i64, artifact: &str) -> RecoveredRecord {
        let cols = ["_id", "chat_row_id", "from_me", "key_id", "timestamp", "text_data"];
        let v = vec![
            FieldValue::Integer(id),
            FieldValue::Integer(chat_row_id),
            FieldValue::Integer(1),
            FieldValue::Text(format!("3EB0{id:016X}")),
            FieldValue::Integer(at),
            FieldValue::Text("hello".into()),
        ];
        row("message", &cols, v, id, artifact)
    }

    /// Two phones' rows of the same ids, and a message on a run of pages of its own.
    fn two_phones() -> Vec<RecoveredRecord> {
        vec![
            jid(1, "4915111111111", "a-jid"),
            jid(1, "3361222222222", "b-jid"),
            chat(1, 1, 10, 1_650_000_000_000, "a-chat"),
            chat(1, 1, 20, 1_660_000_000_000, "b-chat"),
            message(10, 1, 1_650_000_000_000, "a-msg"),
            message(11, 1, 1_640_000_000_000, "a-msg"),
        ]
    }

    #[test]
    fn ids_that_two_databases_share_are_not_resolved_across_them() {
        let msgs = messages(&two_phones(), &[]);
        // The chat's last message ties a-msg to a-chat, but nothing ties a-chat to a jid run.
        assert!(msgs.iter().all(|m| m.chat_jid.is_none()), "{msgs:?}");
    }

    #[test]
    fn linked_runs_resolve_within_their_database() {
        let links = [("a-jid".to_owned(), "a-chat".to_owned())];
        let msgs = messages(&two_phones(), &links);
        assert_eq!(msgs.len(), 2);
        assert!(msgs.iter().all(|m| m.chat_jid.as_deref() == Some("4915111111111@s.whatsapp.net")), "{msgs:?}");
    }
}
