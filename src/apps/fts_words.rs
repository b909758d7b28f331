//! Words of messages that are gone, from a full-text-search index's segments ([`crate::fts`]):
//! a profile that reads an FTS content table (`copy_of`, table `<fts>_content`) also reads the
//! index `<fts>`. A document of the index whose live message or content row was not found, or
//! that holds words its live text does not (the text before an edit or a "deleted for
//! everyone"), becomes a `fragment`: its words in position order, its docid as `row_id`, its
//! chat from the index's JID column when the words spell one, else from the messages on either
//! side of its id when both are of one chat. Such a message has no key id, direction or time.
//! A fragment whose words are those of a whole message recovered elsewhere (deleted rows
//! carved, a backup) joins it as more evidence ([`join_whole`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::engine::is_table;
use super::profile::{MessageSpec, Profile};
use crate::conversations::{Message, MessageText};
use crate::fts::FtsTable;
use crate::recover::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};

/// The FTS table a profile's content table belongs to, with the columns holding the text and
/// the chat's JID (as `c<N>name` columns of the content table name them).
fn index_of(spec: &MessageSpec) -> Option<(&str, u32, Option<u32>)> {
    spec.copy_of.as_ref()?;
    let fts = spec.table.strip_suffix("_content")?;
    let column = |name: &str| -> Option<u32> {
        let digits: String = name.strip_prefix('c')?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let text = spec.text.iter().find_map(|f| f.column.as_deref().and_then(column))?;
    let chat = spec.chat.iter().find_map(|f| f.column.as_deref().and_then(column));
    Some((fts, text, chat))
}

/// The fragments of the index `profile` reads (as app `app`) in `records`, beside `messages`
/// (the messages already read from the same records, for the ids around a document).
pub fn fragments(
    profile: &Profile,
    app: &'static str,
    records: &[RecoveredRecord],
    messages: &[Message],
) -> Vec<Message> {
    let Some(spec) = &profile.file.message else { return Vec::new() };
    let Some((fts, text_column, chat_column)) = index_of(spec) else { return Vec::new() };
    let Some(copy_of) = &spec.copy_of else { return Vec::new() };
    let tables = crate::fts::from_records(records);
    let Some(table) = tables.iter().find(|t| t.name == fts) else { return Vec::new() };
    // The tokens of the live text of each id (its live message, else its live content row): a
    // document whose words they all are says nothing new. One with other words keeps what the
    // message said before an edit or a "deleted for everyone". (The words of a deleted message
    // found whole join it later, as more evidence: `join_whole`.)
    let mut live: BTreeMap<i64, HashSet<String>> = BTreeMap::new();
    for m in messages.iter().filter(|m| m.app == app && m.status == RecordStatus::Live && m.key_id.is_some()) {
        if let Some(id) = m.row_id {
            let text = match &m.text {
                Some(MessageText::Text(t)) => crate::fts::simple_tokens(t),
                _ => Vec::new(),
            };
            live.entry(id).or_default().extend(text);
        }
    }
    let content_text = spec.text.iter().find_map(|f| f.column.as_deref());
    for r in records.iter().filter(|r| is_table(profile, r, &spec.table) && r.status == RecordStatus::Live) {
        if let (Some(id), Some(FieldValue::Text(t))) = (r.rowid, content_text.and_then(|c| r.get(c))) {
            live.entry(id).or_insert_with(|| crate::fts::simple_tokens(t).into_iter().collect());
        }
    }
    // Live message rows that made no message (the app's sentinel row): nothing to say.
    let silent: BTreeSet<i64> = records
        .iter()
        .filter(|r| *r.table == *copy_of.table && r.status == RecordStatus::Live)
        .filter_map(|r| r.get(&copy_of.column).and_then(FieldValue::as_i64).or(r.rowid))
        .filter(|id| !live.contains_key(id))
        .collect();
    let says_more = |doc: &crate::fts::FtsDocument| match live.get(&doc.docid) {
        None => !silent.contains(&doc.docid),
        Some(tokens) => doc
            .words
            .iter()
            .filter(|w| w.column == text_column)
            .any(|w| w.term_str().is_none_or(|term| !tokens.contains(term))),
    };
    let jid_pattern = spec.chat.iter().find_map(|f| f.compiled.as_ref());
    let mut around: Vec<(i64, &str)> = messages
        .iter()
        .filter(|m| m.app == app && m.key_id.is_some())
        .filter_map(|m| Some((m.row_id?, m.chat_jid.as_deref()?)))
        .collect();
    around.sort_unstable();
    let mut out = Vec::new();
    for doc in table.documents.iter().filter(|d| d.docid > 0 && says_more(d)) {
        // Beside a live text, only the words it does not hold: what the message said before.
        let text = match live.get(&doc.docid) {
            Some(tokens) => {
                let other: Vec<crate::fts::Word> = doc
                    .words
                    .iter()
                    .filter(|w| w.term_str().is_none_or(|term| !tokens.contains(term)))
                    .cloned()
                    .collect();
                crate::fts::column_text(&other, text_column)
            }
            None => doc.column_text(text_column),
        };
        if text.is_empty() {
            continue;
        }
        let spelt = chat_column
            .and_then(|c| jids_of(&doc.column_text(c)).into_iter().find(|j| jid_pattern.is_none_or(|p| p.is_match(j))));
        let chat_jid = spelt.or_else(|| chat_around(&around, doc.docid));
        out.push(Message {
            app,
            key_id: None,
            chat_row_id: None,
            chat_jid,
            chat_name: None,
            sender_jid: None,
            sender_name: None,
            from_me: None,
            timestamp_ms: None,
            message_type: None,
            text: Some(MessageText::Text(text)),
            sort_key: Some(doc.docid),
            row_id: Some(doc.docid),
            details: Vec::new(),
            status: RecordStatus::Fragment,
            truncated: false,
            sender_unresolved: false,
            date_order_ambiguous: None,
            evidence: evidence(table, doc),
        });
    }
    out
}

/// Joins each index fragment to the whole message it is the words of, as more evidence of it:
/// every message of the same app, not a fragment, with the fragment's row id, chat (when both
/// tell one) and every word among its text's tokens (a carved row, the index's content row, a backup
/// or an older copy of the database keeps the message whose row the live database lost). The
/// fragments joined are removed.
pub fn join_whole(messages: &mut Vec<Message>) {
    type Slot = (&'static str, i64);
    let mut whole: BTreeMap<Slot, Vec<usize>> = BTreeMap::new();
    for (i, m) in messages.iter().enumerate() {
        if let (RecordStatus::Live | RecordStatus::Deleted | RecordStatus::Superseded, Some(id), Some(_)) =
            (m.status, m.row_id, &m.text)
        {
            whole.entry((m.app, id)).or_default().push(i);
        }
    }
    let mut joined: Vec<(usize, usize)> = Vec::new();
    for (f, m) in messages.iter().enumerate() {
        if m.status != RecordStatus::Fragment || !m.evidence.iter().all(|e| e.source == EvidenceSource::FtsIndex) {
            continue;
        }
        let (Some(id), Some(MessageText::Text(words))) = (m.row_id, &m.text) else { continue };
        let Some(candidates) = whole.get(&(m.app, id)) else { continue };
        let terms: HashSet<&str> = words.split([' ', '|']).filter(|w| !w.is_empty() && *w != "…").collect();
        // The words are the message's (as far as they go), or the message's words are all in
        // the index (which also holds another version's).
        let fits = |w: &Message| {
            let Some(MessageText::Text(text)) = &w.text else { return false };
            let tokens: HashSet<String> = crate::fts::simple_tokens(text).into_iter().collect();
            let chat_agrees = m.chat_jid.is_none() || w.chat_jid.is_none() || m.chat_jid == w.chat_jid;
            let words_are_its = words
                .split(' ')
                .filter(|w| *w != "…")
                .all(|alternatives| alternatives.split('|').any(|a| tokens.contains(a)));
            let its_words_indexed = !tokens.is_empty() && tokens.iter().all(|t| terms.contains(t.as_str()));
            chat_agrees && (words_are_its || its_words_indexed)
        };
        // Every version the words fit (an edited message's index holds the words of both).
        joined.extend(candidates.iter().filter(|&&w| fits(&messages[w])).map(|&w| (f, w)));
    }
    let mut gone = vec![false; messages.len()];
    for &(f, w) in &joined {
        let evidence = messages[f].evidence.clone();
        let target = &mut messages[w].evidence;
        target.extend(evidence);
        target.sort();
        target.dedup();
        gone[f] = true;
    }
    let mut i = 0;
    messages.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
}

/// The JIDs the index's tokens of one may spell (`4915112345678 s whatsapp net`): the first
/// token, `@`, the others joined by dots; or the first two joined by `-` (an old group's
/// `<creator>-<time>@g.us`). None when a part is missing (`…`) or the words disagree (`|`).
fn jids_of(words: &str) -> Vec<String> {
    if words.contains('…') || words.contains('|') {
        return Vec::new();
    }
    let tokens: Vec<&str> = words.split(' ').filter(|t| !t.is_empty()).collect();
    (1..=2)
        .filter(|&k| tokens.len() > k)
        .map(|k| format!("{}@{}", tokens[..k].join("-"), tokens[k..].join(".")))
        .collect()
}

/// The chat of the messages on either side of `id`, when both are of one chat.
fn chat_around(around: &[(i64, &str)], id: i64) -> Option<String> {
    let at = around.partition_point(|&(r, _)| r < id);
    let before = at.checked_sub(1).and_then(|i| around.get(i))?;
    let after = around.get(at)?;
    (before.1 == after.1).then(|| before.1.to_owned())
}

/// The nodes a document's words came from, as `fts_index` evidence.
fn evidence(table: &FtsTable, doc: &crate::fts::FtsDocument) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = doc
        .word_nodes
        .iter()
        .filter_map(|&i| table.nodes.get(i))
        .map(|n| {
            let node = match (n.level_idx, n.blockid) {
                (Some((level, idx)), _) => format!("segment root (level {level}, idx {idx})"),
                (None, Some(block)) => format!("segment block {block}"),
                (None, None) => "segment node".to_owned(),
            };
            Evidence {
                source: EvidenceSource::FtsIndex,
                detail: Some(format!(
                    "{}: docid {} in a {node}, {} at offset {}",
                    table.name,
                    doc.docid,
                    n.evidence.source.as_str(),
                    n.evidence.offset
                )),
                ..n.evidence.clone()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jid_is_spelt_by_its_tokens() {
        assert_eq!(jids_of("4915112345678 s whatsapp net")[0], "4915112345678@s.whatsapp.net");
        assert_eq!(jids_of("120363025246125486 g us")[0], "120363025246125486@g.us");
        assert_eq!(jids_of("5511930283797 1460710100 g us")[1], "5511930283797-1460710100@g.us");
        assert_eq!(jids_of("status broadcast"), ["status@broadcast"]);
        assert!(jids_of("4915112345678").is_empty());
        assert!(jids_of("… s whatsapp net").is_empty());
        assert!(jids_of("a|b s whatsapp net").is_empty());
        assert!(jids_of("").is_empty());
    }

    #[test]
    fn the_chat_around_an_id_is_told_only_when_both_sides_agree() {
        let around = [(10, "a@s.whatsapp.net"), (12, "a@s.whatsapp.net"), (15, "b@g.us")];
        assert_eq!(chat_around(&around, 11).as_deref(), Some("a@s.whatsapp.net"));
        assert_eq!(chat_around(&around, 13), None);
        assert_eq!(chat_around(&around, 9), None);
        assert_eq!(chat_around(&around, 16), None);
    }
}
