//! The accuracy harness: scans each generated scenario and scores the report (the JSON
//! contract, not library internals) against the scenario's ground truth.
//!
//! Included by `tests/accuracy.rs` (which asserts the targets) and `examples/accuracy.rs`
//! (which prints the table) with `#[path]`, next to the fixture generator.
//!
//! A reported message *claims* a truth message: the one with the same key id (preferring the
//! same app), or, for truth messages of apps without message ids of their own (`key_id` "",
//! Android SMS), one with an empty key id, the same text and the same chat or time (again
//! preferring the same app). It is *exactly right* when it claims a truth message and has its
//! direction, chat, sender, timestamp and text, and its conversation's `app` is the truth's app
//! (an unattributed message has no app and is judged on the rest). Measures per scenario:
//! - live recall: truth messages that are live (in the database or only in its WAL) found as
//!   exactly right `live` messages;
//! - deleted recall: deleted or superseded truth messages whose bytes survive in the image,
//!   found as exactly right `deleted`/`superseded` messages;
//! - precision: exactly right messages over all reported messages, and over the confident
//!   ones (confidence ≥ 0.5): a truncated or doubtful record may be reported as a
//!   low-confidence fragment, never as a confident wrong message;
//! - untruncated precision: exactly right messages over the reported messages that the
//!   report does not flag as incomplete (none of the confidence factors that cap a score:
//!   `payload_truncated`, `chat_unresolved`, `sender_unresolved`, `text_not_valid`,
//!   `no_timestamp`: a search index's words, a content row without time);
//! - chat attribution: of the reported messages whose key id is in the truth and that name a
//!   chat, those whose chat is right (a chat left unresolved is no wrong attribution, but it
//!   keeps the message from being exactly right);
//! - calibration: expected calibration error of `confidence` over tenths of the scale;
//! - over the reported messages that claim a truth message (*matched*): chat right (an
//!   unresolved chat counts as wrong), exact timestamp, direction (`from_me`) right, and app
//!   right (the message's conversation has the truth's `app`; an unattributed message has none);
//! - conversation names: of the truth chats with a `name`, those whose conversation (same
//!   chat JID) has that `chat_name`.
//!
//! Lines of exported chats (truth `app` `export-text`, report evidence `export_line`) have no
//! key id: they are matched by sender name, time and text instead, and are exactly right when
//! the chat name of their conversation is also right where the truth knows one (see
//! [`export_right`]). Their recall is measured apart ([`Score::export_recall`]).
//!
//! Scenarios whose truth lists `sources` (where each message version's bytes truly survive)
//! are also scored per evidence source ([`Score::sources`]): for a source S, recall over the
//! deleted or superseded truth messages with S among their sources, found right by a reported
//! message with an evidence of source S; precision over the reported messages with an evidence
//! of source S, right for a truth message with S among its sources. Right means exactly right,
//! except for `fts_index`, whose messages are word fragments or whole messages the index's words
//! joined: right when exactly right, or when their `row_id` is the truth's rowid (same app) and
//! every word of their text is a token of the truth's text
//! ([`fts_fragment_right`]).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::generator::{MessageStatus, Scenario, Truth, TruthMessage, EXPORT_APP};

/// App name of a message whose report gives none (the truth's default).
pub const DEFAULT_APP: &str = "whatsapp-android";

/// Confidence from which a message counts as confident.
pub const CONFIDENT: f64 = 0.5;

/// Scores of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub scenario: String,
    pub live_total: usize,
    pub live_found: usize,
    pub deleted_total: usize,
    pub deleted_found: usize,
    pub reported: usize,
    pub correct: usize,
    pub confident: usize,
    pub confident_correct: usize,
    /// Reported messages without the `payload_truncated` confidence factor.
    pub untruncated: usize,
    pub untruncated_correct: usize,
    pub attributable: usize,
    pub chat_right: usize,
    /// Reported messages that claim a truth message.
    pub matched: usize,
    /// Of those: the chat is the truth's (an unresolved chat is wrong).
    pub matched_chat_right: usize,
    /// Of those: the timestamp is exactly the truth's.
    pub matched_time_right: usize,
    /// Of those: the direction is the truth's.
    pub matched_from_me_right: usize,
    /// Of those: the conversation's app is the truth's.
    pub matched_app_right: usize,
    /// Truth chats with a `name`.
    pub names_total: usize,
    /// Of those: a conversation of the chat has that `chat_name`.
    pub names_right: usize,
    /// (confidence, exactly right) of every reported message.
    pub confidences: Vec<(f64, bool)>,
    /// Export-text truth lines whose bytes survive, and those found exactly right.
    pub export_total: usize,
    pub export_found: usize,
    /// Per evidence source, for a truth that lists `sources` (empty otherwise).
    pub sources: Vec<SourceScore>,
}

/// Recall and precision of one evidence source (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct SourceScore {
    /// The report's `source` name.
    pub source: String,
    /// Deleted or superseded truth messages with this source among their `sources`.
    pub total: usize,
    /// Of those: found right by a reported message with an evidence of this source.
    pub found: usize,
    /// Reported messages with an evidence of this source.
    pub reported: usize,
    /// Of those: right for a truth message with this source among its `sources`.
    pub right: usize,
}

impl SourceScore {
    pub fn recall(&self) -> Option<f64> {
        ratio(self.found, self.total)
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(self.right, self.reported)
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Score {
    pub fn live_recall(&self) -> Option<f64> {
        ratio(self.live_found, self.live_total)
    }
    pub fn deleted_recall(&self) -> Option<f64> {
        ratio(self.deleted_found, self.deleted_total)
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(self.correct, self.reported)
    }
    pub fn confident_precision(&self) -> Option<f64> {
        ratio(self.confident_correct, self.confident)
    }
    pub fn untruncated_precision(&self) -> Option<f64> {
        ratio(self.untruncated_correct, self.untruncated)
    }
    pub fn chat_attribution(&self) -> Option<f64> {
        ratio(self.chat_right, self.attributable)
    }
    /// Chat right over matched messages.
    pub fn matched_chat(&self) -> Option<f64> {
        ratio(self.matched_chat_right, self.matched)
    }
    /// Exact timestamp over matched messages.
    pub fn exact_time(&self) -> Option<f64> {
        ratio(self.matched_time_right, self.matched)
    }
    /// Direction right over matched messages.
    pub fn direction_right(&self) -> Option<f64> {
        ratio(self.matched_from_me_right, self.matched)
    }
    /// App right over matched messages.
    pub fn app_right(&self) -> Option<f64> {
        ratio(self.matched_app_right, self.matched)
    }
    /// Conversation names right over truth chats with a name.
    pub fn names(&self) -> Option<f64> {
        ratio(self.names_right, self.names_total)
    }
    pub fn export_recall(&self) -> Option<f64> {
        ratio(self.export_found, self.export_total)
    }
}

/// Every message of a report: conversations' and unattributed.
pub fn report_messages(report: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = report["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["messages"].as_array().into_iter().flatten())
        .collect();
    out.extend(report["unattributed_messages"].as_array().into_iter().flatten());
    out
}

/// Every message of a report with the `app` of its conversation (None for unattributed ones).
pub fn report_entries(report: &Value) -> Vec<(&Value, Option<&str>)> {
    let mut out: Vec<(&Value, Option<&str>)> = report["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["messages"].as_array().into_iter().flatten().map(move |m| (m, c["app"].as_str())))
        .collect();
    out.extend(report["unattributed_messages"].as_array().into_iter().flatten().map(|m| (m, None)));
    out
}

/// Whether a reported message (in a conversation of `app`) claims truth message `t`, ignoring
/// the app: same key id, or for a truth message without one, an empty key id, the same text
/// and the same chat or time.
fn claims_ignoring_app(m: &Value, t: &TruthMessage) -> bool {
    let key = m["key_id"].as_str().unwrap_or("");
    if t.key_id.is_empty() {
        key.is_empty()
            && m["text"].as_str() == t.text.as_deref()
            && (m["chat_jid"].as_str() == Some(t.chat_jid.as_str())
                || m["timestamp_ms"].as_i64() == Some(t.timestamp_ms))
    } else {
        key == t.key_id
    }
}

/// The truth messages `m` claims: those of its app when there are any, otherwise those of
/// other apps.
fn claimed<'t>(m: &Value, app: Option<&str>, candidates: &[&'t TruthMessage]) -> Vec<&'t TruthMessage> {
    let all: Vec<&TruthMessage> = candidates.iter().copied().filter(|t| claims_ignoring_app(m, t)).collect();
    let same_app: Vec<&TruthMessage> = all.iter().copied().filter(|t| app.is_some_and(|a| a == t.app)).collect();
    if same_app.is_empty() {
        all
    } else {
        same_app
    }
}

fn exactly_right(m: &Value, app: Option<&str>, t: &TruthMessage) -> bool {
    claims_ignoring_app(m, t)
        && app.is_none_or(|a| a == t.app)
        && m["from_me"].as_bool() == Some(t.from_me)
        && m["chat_jid"].as_str() == Some(t.chat_jid.as_str())
        && m["sender_jid"].as_str() == t.sender_jid.as_deref()
        && m["timestamp_ms"].as_i64() == Some(t.timestamp_ms)
        && m["text"].as_str() == t.text.as_deref()
}

/// Whether the report flags a message as incomplete, a fragment rather than a claim of a whole
/// message: its payload was cut short or holds foreign bytes, or its chat or sender could not be
/// resolved (the `payload_truncated`, `text_not_valid`, `chat_unresolved`, `sender_unresolved`
/// confidence factors).
pub fn flagged_truncated(m: &Value) -> bool {
    m["confidence_factors"].as_array().is_some_and(|fs| {
        fs.iter().any(|f| {
            matches!(
                f["factor"].as_str(),
                Some("payload_truncated" | "chat_unresolved" | "sender_unresolved" | "text_not_valid" | "no_timestamp")
            )
        })
    })
}

/// Scores `report` against `truth`.
pub fn score(truth: &Truth, report: &Value) -> Score {
    let mut by_key: BTreeMap<&str, Vec<&TruthMessage>> = BTreeMap::new();
    for t in &truth.messages {
        by_key.entry(t.key_id.as_str()).or_default().push(t);
    }
    let messages = report_entries(report);
    let exports = ExportTruth::new(truth, report);
    let mut s = Score { scenario: truth.scenario.clone(), reported: messages.len(), ..Score::default() };
    for &(m, app) in &messages {
        // Lines of exported chats are scored on their own (no key id to claim a truth message by).
        let export = is_export_line(m);
        // A message without a key id can only claim a truth message without one.
        let key = m["key_id"].as_str().unwrap_or("");
        let candidates: Vec<&TruthMessage> =
            if export { Vec::new() } else { by_key.get(key).map(|c| claimed(m, app, c)).unwrap_or_default() };
        let right = if export { exports.right(m) } else { candidates.iter().any(|t| exactly_right(m, app, t)) };
        if !candidates.is_empty() && m["chat_jid"].is_string() {
            s.attributable += 1;
            if candidates.iter().any(|t| m["chat_jid"].as_str() == Some(t.chat_jid.as_str())) {
                s.chat_right += 1;
            }
        }
        // The truth message it claims: the one it is exactly right about, else the first.
        if let Some(t) = candidates.iter().find(|t| exactly_right(m, app, t)).or(candidates.first()) {
            s.matched += 1;
            s.matched_chat_right += usize::from(m["chat_jid"].as_str() == Some(t.chat_jid.as_str()));
            s.matched_time_right += usize::from(m["timestamp_ms"].as_i64() == Some(t.timestamp_ms));
            s.matched_from_me_right += usize::from(m["from_me"].as_bool() == Some(t.from_me));
            s.matched_app_right += usize::from(app == Some(t.app.as_str()));
        }
        let confidence = m["confidence"].as_f64().unwrap_or(0.0);
        s.correct += usize::from(right);
        if confidence >= CONFIDENT {
            s.confident += 1;
            s.confident_correct += usize::from(right);
        }
        if !flagged_truncated(m) {
            s.untruncated += 1;
            s.untruncated_correct += usize::from(right);
        }
        s.confidences.push((confidence, right));
    }
    let found = |t: &TruthMessage, statuses: &[&str]| {
        messages
            .iter()
            .any(|&(m, app)| m["status"].as_str().is_some_and(|st| statuses.contains(&st)) && exactly_right(m, app, t))
    };
    for c in truth.chats.iter().filter(|c| c.name.is_some()) {
        s.names_total += 1;
        let right = report["conversations"].as_array().into_iter().flatten().any(|conv| {
            conv["chat_jid"].as_str() == Some(c.jid.as_str()) && conv["chat_name"].as_str() == c.name.as_deref()
        });
        s.names_right += usize::from(right);
    }
    for t in truth.messages.iter().filter(|t| t.app != EXPORT_APP) {
        match t.status {
            MessageStatus::Live | MessageStatus::WalOnly => {
                s.live_total += 1;
                s.live_found += usize::from(found(t, &["live"]));
            }
            MessageStatus::Deleted | MessageStatus::Superseded if t.bytes_survive => {
                s.deleted_total += 1;
                s.deleted_found += usize::from(found(t, &["deleted", "superseded"]));
            }
            _ => {}
        }
    }
    let plain: Vec<&Value> = messages.iter().map(|&(m, _)| m).collect();
    (s.export_total, s.export_found) = exports.recall(&plain);
    if truth.messages.iter().any(|t| !t.sources.is_empty()) {
        s.sources = SOURCES.iter().map(|src| source_score(truth, &messages, src)).collect();
    }
    s
}

/// The evidence sources scored for a truth with `sources`.
pub const SOURCES: &[&str] = crate::generator::phone::SOURCES;

/// The source whose reported messages are word fragments of the full-text index.
pub const FTS_INDEX: &str = "fts_index";

/// Whether a reported message has an evidence of `source`.
pub fn has_evidence(m: &Value, source: &str) -> bool {
    m["evidence"].as_array().is_some_and(|ev| ev.iter().any(|e| e["source"] == source))
}

/// Whether a full-text-index fragment (in a conversation of `app`) is right for truth message
/// `t`: the same app, its `row_id` is the truth's rowid (the index's docid) and every word of its
/// text is a token of the truth's text (FTS4's `simple` tokenizer), both lower-cased.
pub fn fts_fragment_right(m: &Value, app: Option<&str>, t: &TruthMessage) -> bool {
    let Some(text) = t.text.as_deref() else { return false };
    if app.is_some_and(|a| a != t.app) || m["row_id"].as_i64() != Some(t.rowid) {
        return false;
    }
    let tokens: BTreeSet<String> =
        crate::generator::phone::fts_tokens(text).into_iter().map(|w| w.to_lowercase()).collect();
    let Some(words) = m["text"].as_str() else { return false };
    let mut words = words.split_whitespace().peekable();
    words.peek().is_some() && words.all(|w| tokens.contains(&w.to_lowercase()))
}

/// Whether `m` is right for `t` as evidence of `source`.
fn right_as(m: &Value, app: Option<&str>, t: &TruthMessage, source: &str) -> bool {
    if source == FTS_INDEX {
        // The index's words, alone or joined to the whole message they are the words of.
        fts_fragment_right(m, app, t) || exactly_right(m, app, t)
    } else {
        exactly_right(m, app, t)
    }
}

fn source_score(truth: &Truth, messages: &[(&Value, Option<&str>)], source: &str) -> SourceScore {
    let with: Vec<&TruthMessage> = truth.messages.iter().filter(|t| t.sources.iter().any(|s| s == source)).collect();
    let carrying: Vec<(&Value, Option<&str>)> =
        messages.iter().copied().filter(|&(m, _)| has_evidence(m, source)).collect();
    let mut out = SourceScore { source: source.to_owned(), reported: carrying.len(), ..SourceScore::default() };
    for t in with.iter().filter(|t| matches!(t.status, MessageStatus::Deleted | MessageStatus::Superseded)) {
        out.total += 1;
        out.found += usize::from(carrying.iter().any(|&(m, app)| right_as(m, app, t, source)));
    }
    for &(m, app) in &carrying {
        out.right += usize::from(with.iter().any(|t| right_as(m, app, t, source)));
    }
    out
}

/// Whether a reported message is a line of an exported chat.
pub fn is_export_line(m: &Value) -> bool {
    m["evidence"].as_array().is_some_and(|ev| ev.iter().any(|e| e["source"] == "export_line"))
}

/// The export-text truth of a scenario, indexed by (sender name, time), with the chat name of
/// each reported message's conversation.
struct ExportTruth<'t> {
    by_time: BTreeMap<(Option<&'t str>, i64), Vec<&'t TruthMessage>>,
    all: Vec<&'t TruthMessage>,
    chat_name: BTreeMap<String, Option<String>>,
}

impl<'t> ExportTruth<'t> {
    fn new(truth: &'t Truth, report: &Value) -> Self {
        let mut by_time: BTreeMap<(Option<&str>, i64), Vec<&TruthMessage>> = BTreeMap::new();
        let all: Vec<&TruthMessage> = truth.messages.iter().filter(|t| t.app == EXPORT_APP).collect();
        for t in &all {
            by_time.entry((t.sender_name.as_deref(), t.timestamp_ms)).or_default().push(t);
        }
        let mut chat_name = BTreeMap::new();
        for c in report["conversations"].as_array().into_iter().flatten() {
            for m in c["messages"].as_array().into_iter().flatten() {
                if let Some(id) = m["id"].as_str() {
                    chat_name.insert(id.to_owned(), c["chat_name"].as_str().map(str::to_owned));
                }
            }
        }
        Self { by_time, all, chat_name }
    }

    /// Exactly right: a truth line of the same sender name, time and text, and the right chat
    /// name when the truth has one.
    fn right(&self, m: &Value) -> bool {
        let Some(ts) = m["timestamp_ms"].as_i64() else { return false };
        let chat = m["id"].as_str().and_then(|id| self.chat_name.get(id)).cloned().flatten();
        self.by_time.get(&(m["sender_name"].as_str(), ts)).is_some_and(|c| {
            c.iter().any(|t| {
                m["text"].as_str() == t.text.as_deref() && t.chat_name.as_ref().is_none_or(|n| Some(n) == chat.as_ref())
            })
        })
    }

    /// (truth lines whose bytes survive, those found exactly right).
    fn recall(&self, messages: &[&Value]) -> (usize, usize) {
        let right: Vec<&Value> = messages.iter().copied().filter(|m| is_export_line(m) && self.right(m)).collect();
        let mut found = 0;
        let mut total = 0;
        for t in self.all.iter().filter(|t| t.bytes_survive) {
            total += 1;
            found += usize::from(right.iter().any(|m| {
                m["sender_name"].as_str() == t.sender_name.as_deref()
                    && m["timestamp_ms"].as_i64() == Some(t.timestamp_ms)
                    && m["text"].as_str() == t.text.as_deref()
            }));
        }
        (total, found)
    }
}

/// Reliability table over tenths of the scale: (bin, messages, mean confidence, share right),
/// and the expected calibration error.
pub fn calibration(points: &[(f64, bool)]) -> (Vec<(usize, usize, f64, f64)>, f64) {
    let mut bins = vec![(0usize, 0.0f64, 0usize); 10];
    for &(c, right) in points {
        let b = ((c * 10.0).floor() as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += c;
        bins[b].2 += usize::from(right);
    }
    let n = points.len().max(1) as f64;
    let mut table = Vec::new();
    let mut ece = 0.0;
    for (i, &(count, sum, right)) in bins.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let conf = sum / count as f64;
        let acc = right as f64 / count as f64;
        ece += count as f64 / n * (acc - conf).abs();
        table.push((i, count, conf, acc));
    }
    (table, ece)
}

/// Scans a scenario's image with the library and returns the report as JSON.
#[allow(clippy::expect_used)] // test support: a report that does not serialise is a failed test
pub fn scan(scenario: &Scenario, settings: &chatcarve::scan::ScanSettings) -> Value {
    let src = chatcarve::source::MemorySource::new(scenario.image.clone());
    let findings = chatcarve::analyse(&src, 0, settings, &());
    let outcome = chatcarve::report::InputOutcome { path: format!("{}.img", scenario.name), result: Ok(findings) };
    let report = chatcarve::report::build_report(&[outcome], chatcarve::report::RunInfo::default());
    let mut out = Vec::new();
    chatcarve::report::write_json(&report, &mut out).expect("report serialises");
    serde_json::from_slice(&out).expect("report is JSON")
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// Deleted messages found and deleted messages whose bytes survive, summed over `scores`.
pub fn overall_deleted(scores: &[Score]) -> (usize, usize) {
    scores.iter().fold((0, 0), |(f, t), s| (f + s.deleted_found, t + s.deleted_total))
}

/// The table the `accuracy` example prints.
pub fn table(scores: &[Score]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<26} {:>10} {:>16} {:>10} {:>11} {:>11} {:>9} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        "scenario",
        "live rec.",
        "deleted rec.",
        "precision",
        "conf. prec.",
        "untr. prec.",
        "chat",
        "ECE",
        "messages",
        "m. chat",
        "m. time",
        "m. dir.",
        "m. app",
        "names"
    ));
    for sc in scores.iter().filter(|sc| !sc.sources.is_empty()) {
        out.push_str(&format!("{:<26} per source: recall of deleted/superseded, precision\n", sc.scenario));
        for src in &sc.sources {
            out.push_str(&format!(
                "{:<26}   {:<16} recall {:>7} ({}/{})  precision {:>7} ({}/{})\n",
                "",
                src.source,
                pct(src.recall()),
                src.found,
                src.total,
                pct(src.precision()),
                src.right,
                src.reported
            ));
        }
    }
    for sc in scores.iter().filter(|sc| sc.export_total > 0) {
        out.push_str(&format!(
            "{:<26} export recall {} ({}/{})\n",
            sc.scenario,
            pct(sc.export_recall()),
            sc.export_found,
            sc.export_total
        ));
    }
    let mut all = Vec::new();
    for s in scores {
        let (_, ece) = calibration(&s.confidences);
        all.extend(s.confidences.iter().copied());
        out.push_str(&format!(
            "{:<26} {:>10} {:>16} {:>10} {:>11} {:>11} {:>9} {:>8.3} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            s.scenario,
            pct(s.live_recall()),
            format!("{} ({}/{})", pct(s.deleted_recall()), s.deleted_found, s.deleted_total),
            pct(s.precision()),
            pct(s.confident_precision()),
            pct(s.untruncated_precision()),
            pct(s.chat_attribution()),
            ece,
            s.reported,
            pct(s.matched_chat()),
            pct(s.exact_time()),
            pct(s.direction_right()),
            pct(s.app_right()),
            pct(s.names())
        ));
    }
    out.push_str(
        "m. chat / time / dir. / app: of the reported messages that claim a truth message, those with the right\n",
    );
    out.push_str(
        "chat / exact timestamp / direction / app; names: truth chats with a name whose conversation shows it\n",
    );
    let (found, total) = overall_deleted(scores);
    out.push_str(&format!("\ndeleted recall over all scenarios: {} ({found}/{total})\n", pct(ratio(found, total))));
    let sum = |f: fn(&Score) -> usize| scores.iter().map(f).sum::<usize>();
    let matched = sum(|s| s.matched);
    let (live_found, live_total) = (sum(|s| s.live_found), sum(|s| s.live_total));
    out.push_str(&format!(
        "over all scenarios, live recall {} ({live_found}/{live_total}); of {matched} messages that claim a truth message: \
         chat {}, exact time {}, direction {}, app {}\n",
        pct(ratio(live_found, live_total)),
        pct(ratio(sum(|s| s.matched_chat_right), matched)),
        pct(ratio(sum(|s| s.matched_time_right), matched)),
        pct(ratio(sum(|s| s.matched_from_me_right), matched)),
        pct(ratio(sum(|s| s.matched_app_right), matched)),
    ));
    let (bins, ece) = calibration(&all);
    out.push_str(&format!("calibration over all scenarios: ECE {ece:.3}\n"));
    out.push_str("  bin        messages  mean conf.  share right\n");
    for (b, n, conf, acc) in bins {
        out.push_str(&format!(
            "  {:.1}–{:.1}   {:>8}  {:>10.3}  {:>11.3}\n",
            b as f64 / 10.0,
            (b + 1) as f64 / 10.0,
            n,
            conf,
            acc
        ));
    }
    out
}
