//! Records to messages, as a profile says: the one reader behind every app profile. Columns
//! are found by name in the records (from the database's own `CREATE TABLE`), never by
//! position; ids resolve through lookups ([`super::resolve`]).

use std::collections::BTreeMap;

use super::profile::{Field, MessageSpec, Profile, TimeSpec};
use super::resolve::{Clusters, Key, Resolver};
use crate::conversations::{Detail, Message, MessageText};
use crate::recover::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};

/// The values a lookup row gives, by field name.
type Row = BTreeMap<String, Option<Key>>;

/// The rows of a `many` lookup by key, each with its artifact and whether it is live.
type ManyRows = BTreeMap<Key, Vec<(String, bool, Row)>>;

/// A field's value for one record.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    /// The record holds no reference (NULL, 0, empty).
    Absent,
    /// It names a row that could not be told.
    Unresolved,
    /// The value.
    Value(Key),
}

/// Whether a record is one of `table`'s as the profile means it: same name, and the columns
/// the profile recognises the table by (tables of two apps may share a name).
pub(crate) fn is_table(p: &Profile, r: &RecoveredRecord, table: &str) -> bool {
    *r.table == *table
        && p.file.recognise.get(table).is_none_or(|cols| cols.iter().all(|c| r.columns.iter().any(|rc| rc == c)))
}

/// The raw value of `column` (`rowid`: the row's id).
fn raw(r: &RecoveredRecord, column: &str, decode: Option<&str>) -> Option<Key> {
    if column == "rowid" {
        return r
            .rowid
            .or_else(|| r.rowid_alias.and_then(|i| r.values.get(i)).and_then(FieldValue::as_i64))
            .map(Key::Int);
    }
    match (r.get(column)?, decode) {
        (FieldValue::Blob(b), Some("typedstream")) => super::typedstream::text(b).map(Key::Text),
        (FieldValue::Integer(v), _) => Some(Key::Int(*v)),
        (FieldValue::Real(f), _) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(Key::Int(*f as i64)),
        (FieldValue::Real(f), _) if f.is_finite() => Some(Key::Text(f.to_string())),
        (FieldValue::Text(s), _) if !s.is_empty() => Some(Key::Text(s.clone())),
        _ => None,
    }
}

/// A `{column}` format over the record's columns; None when a column it names is empty.
fn format(r: &RecoveredRecord, template: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let value = raw(r, &rest[open + 1..close], None)?;
        out.push_str(&value.text());
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Everything needed to read one group of records (a database, or related orphan pages).
struct Reader<'a> {
    lookups: BTreeMap<&'a str, Resolver<Row>>,
    /// Lookups whose key many rows share (`many`): every row, with its artifact and whether it
    /// is live, at most [`super::resolve::MAX_VERSIONS`] per key.
    many: BTreeMap<&'a str, ManyRows>,
    /// Artifacts known to come from one database.
    clusters: Clusters,
    /// A stable lookup's recovered rows disagree: the records come from several databases, and
    /// recovered rows answer only within the asking record's cluster.
    mixed: bool,
}

impl<'a> Reader<'a> {
    fn new(profile: &'a Profile, records: &[RecoveredRecord], links: &[(String, String)]) -> Self {
        let mut all_links = links.to_vec();
        all_links.extend(last_message_links(profile, records));
        let mut reader = Reader {
            lookups: BTreeMap::new(),
            many: BTreeMap::new(),
            clusters: Clusters::of(&all_links),
            mixed: false,
        };
        for name in &profile.lookup_order {
            let Some(spec) = profile.file.lookup.get(name) else { continue };
            if spec.many {
                let mut rows: ManyRows = BTreeMap::new();
                for r in records.iter().filter(|r| is_table(profile, r, &spec.table)) {
                    let Some(key) = raw(r, &spec.key, None) else { continue };
                    let row: Row =
                        spec.fields.iter().map(|(k, fields)| (k.clone(), reader.first(fields, r).value())).collect();
                    if !gives_required(spec, &row) {
                        continue;
                    }
                    let of_key = rows.entry(key).or_default();
                    if of_key.len() < super::resolve::MAX_VERSIONS {
                        of_key.push((r.evidence.artifact.clone(), r.status == RecordStatus::Live, row));
                    }
                }
                reader.many.insert(name.as_str(), rows);
                continue;
            }
            let mut resolver: Resolver<Row> = Resolver::default();
            // Live rows first: a deleted row of the same id never overrides the live one.
            let rows = records.iter().filter(|r| is_table(profile, r, &spec.table));
            let live_first = rows
                .clone()
                .filter(|r| r.status == RecordStatus::Live)
                .chain(rows.filter(|r| r.status != RecordStatus::Live));
            for r in live_first {
                let Some(key) = raw(r, &spec.key, None) else { continue };
                let row: Row =
                    spec.fields.iter().map(|(k, fields)| (k.clone(), reader.first(fields, r).value())).collect();
                // A row that gives nothing, or not what its table's rows always give, answers nothing.
                if row.values().all(Option::is_none) || !gives_required(spec, &row) {
                    continue;
                }
                resolver.add(key, r, row);
            }
            // A stable table's rows never change which value their id names: two recovered rows
            // of one id that disagree come from two databases, and then no id is resolved across
            // the runs of pages they lie on.
            if spec.stable && resolver.disagrees() {
                reader.mixed = true;
            }
            reader.lookups.insert(name.as_str(), resolver);
        }
        reader
    }

    /// The first of `fields` that resolves; Unresolved when one names a row that cannot be told
    /// and none resolves.
    fn first(&self, fields: &[Field], r: &RecoveredRecord) -> Resolved {
        let mut out = Resolved::Absent;
        for f in fields {
            match self.field(f, r) {
                Resolved::Value(v) => return Resolved::Value(v),
                Resolved::Unresolved => out = Resolved::Unresolved,
                Resolved::Absent => {}
            }
        }
        out
    }

    fn field(&self, f: &Field, r: &RecoveredRecord) -> Resolved {
        let value = match (&f.column, &f.format) {
            (Some(c), _) => raw(r, c, f.decode.as_deref()),
            (None, Some(t)) => format(r, t).map(Key::Text),
            (None, None) => None,
        };
        let Some(value) = value else { return Resolved::Absent };
        let value = match &f.lookup {
            None => value,
            Some(l) => {
                // Ids are positive; 0 and negative ids name no row.
                if value.int().is_some_and(|v| v <= 0) {
                    return Resolved::Absent;
                }
                let take = f.take.as_deref().unwrap_or("value");
                let found = self.lookups.get(l.as_str()).and_then(|res| res.get(&value, r, &self.clusters, self.mixed));
                match found.and_then(|row| row.get(take).cloned().flatten()) {
                    Some(v) => v,
                    None => return Resolved::Unresolved,
                }
            }
        };
        match &f.compiled {
            Some(re) if !re.is_match(&value.text()) => Resolved::Unresolved,
            _ => Resolved::Value(value),
        }
    }
}

/// Whether a lookup row gives every value its lookup requires.
fn gives_required(spec: &super::profile::LookupSpec, row: &Row) -> bool {
    spec.require.iter().all(|name| row.get(name).is_some_and(Option::is_some))
}

impl Reader<'_> {
    /// The value of a detail field: the values of all rows when it takes from a `many` lookup
    /// (rows that are live, or from the asking record's own database), else the one value it
    /// resolves to.
    fn detail(&self, f: &Field, r: &RecoveredRecord) -> Option<Detail> {
        let Some(rows) = f.lookup.as_deref().and_then(|l| self.many.get(l)) else {
            return self.field(f, r).value().map(|v| Detail::One(v.text()));
        };
        let key = f.column.as_deref().and_then(|c| raw(r, c, None))?;
        let take = f.take.as_deref().unwrap_or("value");
        let mut out: Vec<String> = Vec::new();
        for (artifact, live, row) in rows.get(&key).into_iter().flatten() {
            if !*live && !self.clusters.same(artifact, &r.evidence.artifact) {
                continue;
            }
            if let Some(v) = row.get(take).cloned().flatten().map(|v| v.text()) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        (!out.is_empty()).then_some(Detail::Many(out))
    }
}

impl Resolved {
    fn value(self) -> Option<Key> {
        match self {
            Resolved::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Links the app itself leaves between a chat row and a message row of one database: the
/// chat's last message is that message (its id, its time, and the message's chat the chat).
fn last_message_links(p: &Profile, records: &[RecoveredRecord]) -> Vec<(String, String)> {
    let Some(m) = &p.file.message else { return Vec::new() };
    let Some(chat_id) = m.chat_id.as_ref().and_then(|f| f.column.as_deref()) else { return Vec::new() };
    let mut out = Vec::new();
    for spec in p.file.lookup.values() {
        let Some(last) = &spec.last_message else { continue };
        let mut by_message: BTreeMap<(Key, Key, Key), Vec<&str>> = BTreeMap::new();
        for r in records.iter().filter(|r| is_table(p, r, &spec.table)) {
            let (Some(id), Some(msg), Some(t)) =
                (raw(r, &spec.key, None), raw(r, &last.message_id, None), raw(r, &last.time, None))
            else {
                continue;
            };
            let artifacts = by_message.entry((id, msg, t)).or_default();
            if artifacts.len() < super::resolve::MAX_VERSIONS {
                artifacts.push(&r.evidence.artifact);
            }
        }
        for r in records.iter().filter(|r| is_table(p, r, &m.table)) {
            let (Some(chat), Some(id), Some(t)) =
                (raw(r, chat_id, None), raw(r, "rowid", None), m.time.as_ref().and_then(|t| raw(r, &t.column, None)))
            else {
                continue;
            };
            let Some(chats) = by_message.get(&(chat, id, t)) else { continue };
            // The stored time makes the match distinctive; two chat rows of different artifacts
            // matching one message would be a contradiction: then no link.
            if let Some(first) = chats.first().filter(|f| chats.iter().all(|a| a == *f)) {
                out.push(((*first).to_owned(), r.evidence.artifact.clone()));
            }
        }
    }
    out
}

/// Milliseconds since the Unix epoch of a stored time.
pub fn time_ms(v: &FieldValue, spec: &TimeSpec) -> Option<i64> {
    const COCOA_MS: i64 = 978_307_200_000;
    let epoch = if spec.epoch == "cocoa" { COCOA_MS } else { 0 };
    // Nanoseconds since 2001 are above 1e17 today; seconds since 1970 below 1e10.
    let unit = match (spec.unit.as_str(), v) {
        ("s_or_ns", FieldValue::Integer(i)) if i.unsigned_abs() >= 1_000_000_000_000 => "ns",
        ("s_or_ns", _) => "s",
        (u, _) => u,
    };
    let ms = match *v {
        FieldValue::Integer(i) => match unit {
            "s" => i.checked_mul(1000)?,
            "ms" => i,
            "us" => i.div_euclid(1000),
            "ns" => i.div_euclid(1_000_000),
            _ => return None,
        },
        FieldValue::Real(f) if f.is_finite() => {
            let scaled = match unit {
                "s" => f * 1000.0,
                "ms" => f,
                "us" => f / 1000.0,
                "ns" => f / 1_000_000.0,
                _ => return None,
            };
            // Rounded, not truncated: 1.001 s is stored as 1.00099999…
            let scaled = if unit == "s" || unit == "ms" { scaled.round() } else { scaled.floor() };
            if scaled.abs() >= 9.0e15 {
                return None;
            }
            scaled as i64
        }
        _ => return None,
    };
    ms.checked_add(epoch)
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
fn time_window(live: impl Iterator<Item = i64>) -> (i64, i64) {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for t in live.filter(|t| (MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(t)) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if lo > hi {
        return (MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS);
    }
    (
        lo.saturating_sub(BEFORE_OLDEST_LIVE_MS).max(MIN_TIMESTAMP_MS),
        hi.saturating_add(AFTER_NEWEST_LIVE_MS).min(MAX_TIMESTAMP_MS),
    )
}

fn type_name(spec: &MessageSpec, r: &RecoveredRecord) -> Option<String> {
    let stored = spec.kind.column.as_deref().and_then(|c| raw(r, c, None));
    match stored {
        Some(v) => {
            let key = v.text();
            Some(spec.kind.names.get(&key).cloned().unwrap_or_else(|| format!("type_{key}")))
        }
        None => spec.kind.default.clone(),
    }
}

/// The columns of the message row a message is made of (its id, chat, direction, sender, time,
/// text, type): a record whose lost tail spares them gives a whole message.
fn message_columns(spec: &MessageSpec) -> Vec<String> {
    let mut fields: Vec<&Field> = Vec::new();
    fields.extend(spec.key_id.iter());
    fields.extend(spec.chat_id.iter());
    for list in [&spec.chat, &spec.sender, &spec.text] {
        fields.extend(list.iter());
    }
    let mut out: Vec<String> = Vec::new();
    out.extend(spec.from_me.iter().map(|f| f.column.clone()));
    out.extend(spec.time.iter().map(|t| t.column.clone()));
    out.extend(spec.kind.column.iter().cloned());
    for f in fields {
        out.extend(f.column.iter().cloned());
        if let Some(t) = &f.format {
            out.extend(t.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(name, _)| name.to_owned()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether the record lost part of a value the message is made of.
fn message_cut(r: &RecoveredRecord, used: &[String]) -> bool {
    match (r.truncated, r.cut_from) {
        (false, _) => false,
        (true, None) => true,
        (true, Some(first_lost)) => {
            r.columns.iter().enumerate().any(|(i, c)| i >= first_lost && Some(i) != r.rowid_alias && used.contains(c))
        }
    }
}

fn skipped(spec: &MessageSpec, r: &RecoveredRecord) -> bool {
    spec.skip.iter().any(|rule| {
        let v = raw(r, &rule.column, None);
        rule.equals.as_ref().is_some_and(|e| v.as_ref().is_some_and(|v| v.text() == *e))
            || rule.below.is_some_and(|b| v.as_ref().and_then(Key::int).is_some_and(|i| i < b))
    })
}

fn message_text(reader: &Reader<'_>, fields: &[Field], r: &RecoveredRecord) -> Option<MessageText> {
    for f in fields {
        // Text bytes that are not valid in the database encoding are kept as they are.
        if let (Some(c), None, None) = (&f.column, &f.lookup, &f.decode) {
            match r.get(c) {
                Some(FieldValue::Text(s)) if !s.is_empty() => return Some(MessageText::Text(s.clone())),
                Some(FieldValue::TextBytes(b)) => return Some(MessageText::Bytes(b.clone())),
                _ => continue,
            }
        }
        if let Resolved::Value(Key::Text(s)) = reader.field(f, r) {
            return Some(MessageText::Text(s));
        }
    }
    None
}

/// The messages of `records` read with `profile` as app `app`. `links` pair artifacts (runs of
/// orphan pages) known to come from one database.
pub fn messages(
    profile: &Profile,
    app: &'static str,
    records: &[RecoveredRecord],
    links: &[(String, String)],
) -> Vec<Message> {
    let Some(spec) = &profile.file.message else { return Vec::new() };
    let reader = Reader::new(profile, records, links);
    let used = message_columns(spec);
    let rows = || records.iter().filter(|r| is_table(profile, r, &spec.table));
    let window = time_window(
        rows()
            .filter(|r| r.status == RecordStatus::Live)
            .filter_map(|r| spec.time.as_ref().and_then(|t| time_ms(r.get(&t.column)?, t))),
    );
    // A copy of a message stands for it only when the message itself was not found.
    let copy_by = spec.copy_of.as_ref().map(|c| c.by.as_deref().unwrap_or("rowid"));
    let originals: std::collections::BTreeSet<Key> = spec
        .copy_of
        .as_ref()
        .map(|c| {
            let only_live = c.unless.as_deref() == Some("live");
            records
                .iter()
                .filter(|r| *r.table == *c.table && (!only_live || r.status == RecordStatus::Live))
                .filter_map(|r| raw(r, &c.column, None))
                .collect()
        })
        .unwrap_or_default();
    let copy_source = spec.copy_of.as_ref().and_then(|c| c.source.as_deref()).and_then(EvidenceSource::from_name);
    rows()
        .filter(|r| !skipped(spec, r))
        .filter(|r| copy_by.and_then(|by| raw(r, by, None)).is_none_or(|id| !originals.contains(&id)))
        .filter_map(|r| {
            let key_id = spec.key_id.as_ref().and_then(|f| reader.field(f, r).value()).map(|k| k.text());
            let chat_id = spec.chat_id.as_ref().and_then(|f| reader.field(f, r).value()).and_then(|k| k.int());
            let chat = reader.first(&spec.chat, r);
            let from_me = spec.from_me.as_ref().and_then(|f| {
                let v = raw(r, &f.column, None)?.int()?;
                if f.sent.contains(&v) {
                    Some(true)
                } else if f.received.contains(&v) {
                    Some(false)
                } else {
                    None
                }
            });
            let time = spec.time.as_ref().and_then(|t| time_ms(r.get(&t.column)?, t));
            let text = message_text(&reader, &spec.text, r);
            // A record carved from free space becomes a message only when every field the
            // profile requires is plausible (precision first).
            if r.status != RecordStatus::Live {
                let ok = spec.required.iter().all(|req| match req.as_str() {
                    "key_id" => {
                        key_id.as_deref().is_some_and(|k| profile.key_pattern.as_ref().is_none_or(|re| re.is_match(k)))
                    }
                    "chat" => matches!(chat, Resolved::Value(_)),
                    "chat_id" => chat_id.is_some_and(|c| c > 0),
                    "from_me" => from_me.is_some(),
                    "time" => time.is_some_and(|t| (window.0..window.1).contains(&t)),
                    "text" => text.is_some(),
                    _ => true,
                });
                if !ok {
                    return None;
                }
            }
            let chat_jid = chat.clone().value().map(|k| k.text());
            let chat_name = reader.first(&spec.chat_name, r).value().map(|k| k.text());
            let (sender_jid, sender_unresolved) = match from_me {
                Some(true) => (None, false),
                _ => match reader.first(&spec.sender, r) {
                    // In a one-to-one chat the counterpart is the chat, no group sender.
                    Resolved::Value(v) if Some(v.text()) == chat_jid => (None, false),
                    Resolved::Value(v) => (Some(v.text()), false),
                    Resolved::Unresolved => (None, true),
                    Resolved::Absent => (None, false),
                },
            };
            let sender_name = match from_me {
                Some(true) => None,
                _ => reader.first(&spec.sender_name, r).value().map(|k| k.text()),
            };
            let record_id = raw(r, "rowid", None).and_then(|k| k.int());
            // A copy found by another id than its own row's (a reply's copy of the message it
            // quotes) does not know the message's row id.
            let row_id = record_id.filter(|_| copy_by.is_none_or(|by| by == "rowid"));
            let details: Vec<(String, Detail)> = spec
                .details
                .iter()
                .filter_map(|(name, fields)| fields.iter().find_map(|f| reader.detail(f, r)).map(|d| (name.clone(), d)))
                .collect();
            let sort_key =
                spec.sort.as_deref().and_then(|c| raw(r, c, None)).and_then(|k| k.int()).filter(|&s| s > 0).or(row_id);
            Some(Message {
                app,
                key_id,
                chat_row_id: chat_id,
                chat_jid,
                chat_name,
                sender_jid,
                sender_name,
                from_me,
                timestamp_ms: time.filter(|&t| t > 0),
                message_type: type_name(spec, r),
                text,
                sort_key,
                row_id,
                // A copy standing for a message that was not found: the message is gone.
                status: if spec.copy_of.is_some() { RecordStatus::Deleted } else { r.status },
                truncated: message_cut(r, &used),
                sender_unresolved,
                date_order_ambiguous: None,
                details,
                evidence: r
                    .all_evidence()
                    .map(|e| match copy_source {
                        Some(source) => copy_evidence(e, source, &r.table, record_id),
                        None => e.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The evidence of a message known from a copy of it: the copy's record, named as that source.
fn copy_evidence(e: &Evidence, source: EvidenceSource, table: &str, row_id: Option<i64>) -> Evidence {
    let row = row_id.map(|id| format!(" row {id}")).unwrap_or_default();
    Evidence {
        source,
        detail: Some(format!("{table}{row}: {} at offset {}", e.source.as_str(), e.offset)),
        ..e.clone()
    }
}

/// Names by chat identifier from an address-book table: live rows first, then recovered rows
/// whose names agree.
pub fn contacts(profile: &Profile, records: &[RecoveredRecord]) -> Vec<(String, String, RecordStatus)> {
    let Some(spec) = &profile.file.contacts else { return Vec::new() };
    let mut out = Vec::new();
    for r in records.iter().filter(|r| is_table(profile, r, &spec.table)) {
        let Some(Key::Text(id)) = raw(r, &spec.id, None) else { continue };
        let name = spec.name.iter().find_map(|c| match raw(r, c, None) {
            Some(Key::Text(s)) => Some(s),
            _ => None,
        });
        if let Some(name) = name {
            out.push((id, name, r.status));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn row(table: &str, columns: &[&str], values: Vec<FieldValue>, rowid: i64, artifact: &str) -> RecoveredRecord {
        RecoveredRecord {
            table: Arc::from(table),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rowid: Some(rowid),
            values,
            truncated: false,
            cut_from: None,
            status: RecordStatus::Deleted,
            evidence: Evidence {
                source: EvidenceSource::OrphanPage,
                input: 0,
                offset: 0,
                length: 10,
                artifact: artifact.to_owned(),
                page_number: None,
                detail: None,
                rebuilt_header_bytes: 0,
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

    fn whatsapp() -> &'static Profile {
        super::super::profile::builtin()
            .iter()
            .find(|p| p.app() == "whatsapp-android" && p.file.message.as_ref().is_some_and(|m| m.table == "message"))
            .expect("built-in profile")
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
        let msgs = messages(whatsapp(), "whatsapp-android", &two_phones(), &[]);
        assert_eq!(msgs.len(), 2);
        // The chat's last message ties a-msg to a-chat, but nothing ties a-chat to a jid run.
        assert!(msgs.iter().all(|m| m.chat_jid.is_none()), "{msgs:?}");
    }

    #[test]
    fn linked_runs_resolve_within_their_database() {
        let links = [("a-jid".to_owned(), "a-chat".to_owned())];
        let msgs = messages(whatsapp(), "whatsapp-android", &two_phones(), &links);
        assert_eq!(msgs.len(), 2);
        assert!(msgs.iter().all(|m| m.chat_jid.as_deref() == Some("4915111111111@s.whatsapp.net")), "{msgs:?}");
    }

    #[test]
    fn times_convert_from_every_unit_and_epoch() {
        let spec = |unit: &str, epoch: &str| TimeSpec { column: "t".into(), unit: unit.into(), epoch: epoch.into() };
        let unix = spec("ms", "unix");
        assert_eq!(time_ms(&FieldValue::Integer(1_650_000_000_123), &unix), Some(1_650_000_000_123));
        let cocoa = spec("s", "cocoa");
        assert_eq!(time_ms(&FieldValue::Integer(676_082_810), &cocoa), Some(1_654_390_010_000));
        assert_eq!(time_ms(&FieldValue::Real(704_735_807.221), &cocoa), Some(1_683_043_007_221));
        let either = spec("s_or_ns", "cocoa");
        assert_eq!(time_ms(&FieldValue::Integer(676_082_810_123_456_789), &either), Some(1_654_390_010_123));
        assert_eq!(time_ms(&FieldValue::Integer(676_082_810), &either), Some(1_654_390_010_000));
        assert_eq!(time_ms(&FieldValue::Integer(i64::MAX), &cocoa), None);
        assert_eq!(time_ms(&FieldValue::Real(f64::NAN), &cocoa), None);
        assert_eq!(time_ms(&FieldValue::Real(1e300), &cocoa), None);
    }

    fn value() -> impl proptest::strategy::Strategy<Value = FieldValue> {
        use proptest::prelude::*;
        prop_oneof![
            Just(FieldValue::Null),
            any::<i64>().prop_map(FieldValue::Integer),
            (-3i64..40).prop_map(FieldValue::Integer),
            any::<f64>().prop_map(FieldValue::Real),
            "[0-9A-Za-z@.:{}-]{0,24}".prop_map(FieldValue::Text),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(FieldValue::Blob),
        ]
    }

    proptest::proptest! {
        /// Records of every table every profile reads, with any values and any ids, never make
        /// a profile panic, and give as many messages in any order.
        #[test]
        fn any_records_read_by_every_profile(
            picks in proptest::collection::vec((0usize..64, -2i64..12, proptest::collection::vec(value(), 0..40), proptest::bool::ANY), 0..60)
        ) {
            for p in super::super::profile::builtin() {
                let tables: Vec<&crate::sqlite::schema::TableDef> = p.builtin_tables.iter().collect();
                if tables.is_empty() {
                    continue;
                }
                let records: Vec<RecoveredRecord> = picks
                    .iter()
                    .map(|(t, rowid, values, live)| {
                        let def = tables[t % tables.len()];
                        let cols: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
                        let mut r = row(&def.name, &cols, values.clone(), *rowid, if *live { "a" } else { "b" });
                        if *live {
                            r.status = RecordStatus::Live;
                        }
                        r
                    })
                    .collect();
                let forward = messages(p, "x", &records, &[]);
                let mut reversed = records.clone();
                reversed.reverse();
                let backward = messages(p, "x", &reversed, &[]);
                proptest::prop_assert_eq!(forward.len(), backward.len());
                let _ = contacts(p, &records);
            }
        }
    }
}
