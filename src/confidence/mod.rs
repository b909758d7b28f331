//! Confidence: the probability that a recovered message is exactly right (genuine, and its
//! text, chat, sender and time as the app stored them), with the factors that set it. The model
//! and its reliability table on the accuracy harness are in `docs/confidence.md`.
//!
//! The score starts from the share of messages of the best source that are exactly right
//! (a live record is what the app stored; a record carved from free space was validated field by
//! field but may still be misread), is lowered for header bytes that had to be rebuilt, raised
//! when independent places hold the same message, and capped near zero by what makes a message
//! not exactly right by definition: text cut short, a chat or sender that could not be told, no
//! time. Each step is a factor whose `effect` is the change it made: the effects add up to the
//! score.

use crate::conversations::Message;
use crate::recover::EvidenceSource;

/// One factor that moved a score: what, and by how much (signed).
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Machine-readable name.
    pub factor: &'static str,
    /// Change to the score.
    pub effect: f64,
}

/// Base score of a line of an exported chat found as text: the share of such lines, without
/// any of the doubts below, that are exactly right (text, sender name, time, chat name) in the
/// accuracy harness.
pub const EXPORT_LINE_BASE: f64 = 0.98;

/// Share of messages of each source that are exactly right when nothing else is known.
fn base(source: EvidenceSource) -> f64 {
    match source {
        // What the app stored, read from the current b-tree.
        EvidenceSource::LiveRecord => 0.995,
        // A record of a decrypted backup whose tag matched: what the app stored that night.
        EvidenceSource::Backup => 0.99,
        EvidenceSource::WalFrame => 0.99,
        // Whole older page images: decoded as the live b-tree is, but resolved through rows
        // that may have changed since.
        EvidenceSource::WalStaleFrame | EvidenceSource::JournalPage => 0.98,
        // Cells carved from free space inside a database found whole, validated field by field.
        EvidenceSource::Freeblock | EvidenceSource::UnallocatedInPage | EvidenceSource::FreelistPage => 0.97,
        // Pages outside every database: chat and sender resolve through other orphan pages.
        EvidenceSource::OrphanPage => 0.96,
        EvidenceSource::ExportLine => EXPORT_LINE_BASE,
        // The app's own copy of a quoted message: its key id, time and text as the original had
        // them, read from a record (live or carved) of the reply's copy.
        EvidenceSource::QuotedCopy => 0.97,
        // Words without key id or time: never a whole message.
        EvidenceSource::FtsIndex => 0.5,
    }
}

/// Lowering per rebuilt header byte (the serial types of the first columns were inferred).
const PER_REBUILT_BYTE: f64 = 0.005;
/// The most the rebuilt header lowers a score.
const MAX_REBUILT: f64 = 0.02;
/// A message found in two or more independent places: the chance that both are misread the
/// same way is small, so the remaining doubt shrinks by this factor.
const CORROBORATION_KEEPS: f64 = 0.5;
/// Ceiling of a message whose text was cut short, whose chat or sender could not be told, or
/// that has no time: such a message is not exactly right, whatever else is sure.
const INCOMPLETE_CEILING: f64 = 0.03;

/// Builds a score step by step, recording each step's effect.
struct Steps {
    score: f64,
    factors: Vec<Factor>,
}

impl Steps {
    fn new(factor: &'static str, base: f64) -> Self {
        Steps { score: base, factors: vec![Factor { factor, effect: base }] }
    }

    fn set(&mut self, factor: &'static str, to: f64) {
        let effect = to - self.score;
        self.factors.push(Factor { factor, effect: round(effect) });
        self.score = to;
    }

    fn cap(&mut self, factor: &'static str, ceiling: f64) {
        self.set(factor, self.score.min(ceiling));
    }

    fn finish(self) -> (f64, Vec<Factor>) {
        (round(self.score.clamp(0.0, 1.0)), self.factors)
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Scores a message. The result is in 0..=1, rounded to 3 decimals so that reports are stable.
pub fn score(m: &Message) -> (f64, Vec<Factor>) {
    if m.evidence.iter().any(|e| e.source == EvidenceSource::ExportLine) {
        return score_export_line(m);
    }
    // The best source decides; among its evidence items, the least rebuilt one.
    let Some(best) = m.evidence.iter().min_by_key(|e| (e.source, e.rebuilt_header_bytes)) else {
        return (0.0, vec![Factor { factor: "no_evidence", effect: 0.0 }]);
    };
    let mut s = Steps::new(source_factor(best.source), base(best.source));
    if best.rebuilt_header_bytes > 0 {
        let lower = (f64::from(best.rebuilt_header_bytes) * PER_REBUILT_BYTE).min(MAX_REBUILT);
        s.set("header_rebuilt", s.score - lower);
    }
    if independent_places(m) >= 2 {
        s.set("corroborated", 1.0 - (1.0 - s.score) * CORROBORATION_KEEPS);
    }
    if m.truncated {
        s.cap("payload_truncated", INCOMPLETE_CEILING);
    }
    // Apps store valid text: a recovered text that is not (an overflow chain followed into
    // pages reused since) holds foreign bytes. A live one is reported as it is stored.
    if m.status != crate::recover::RecordStatus::Live
        && matches!(m.text, Some(crate::conversations::MessageText::Bytes(_)))
    {
        s.cap("text_not_valid", INCOMPLETE_CEILING);
    }
    if m.chat_jid.is_none() {
        s.cap("chat_unresolved", INCOMPLETE_CEILING);
    }
    if m.sender_unresolved {
        s.cap("sender_unresolved", INCOMPLETE_CEILING);
    }
    if m.timestamp_ms.is_none() {
        s.cap("no_timestamp", INCOMPLETE_CEILING);
    }
    s.finish()
}

/// Places that hold a message independently: distinct artifacts (a database and its WAL, two
/// copies of a database), not two cells of one page.
fn independent_places(m: &Message) -> usize {
    let mut artifacts: Vec<&str> = m.evidence.iter().map(|e| e.artifact.as_str()).collect();
    artifacts.sort_unstable();
    artifacts.dedup();
    artifacts.len()
}

fn source_factor(s: EvidenceSource) -> &'static str {
    match s {
        EvidenceSource::LiveRecord => "source_live_record",
        EvidenceSource::Backup => "source_backup",
        EvidenceSource::WalFrame => "source_wal_frame",
        EvidenceSource::WalStaleFrame => "source_wal_stale_frame",
        EvidenceSource::JournalPage => "source_journal_page",
        EvidenceSource::Freeblock => "source_freeblock",
        EvidenceSource::UnallocatedInPage => "source_unallocated_in_page",
        EvidenceSource::FreelistPage => "source_freelist_page",
        EvidenceSource::OrphanPage => "source_orphan_page",
        EvidenceSource::ExportLine => "source_export_line",
        EvidenceSource::QuotedCopy => "source_quoted_copy",
        EvidenceSource::FtsIndex => "source_fts_index",
    }
}

/// A line of an exported chat. Its time is the phone's local time read as UTC
/// (`local_time_zone_unknown`, no effect: the time is right as written, its zone is unknown),
/// its sender a display name without a JID (`sender_name_only`, no effect), and it has no chat
/// JID: the chat is the exported file. Lowered when the date order of its run could not be told
/// from its fields; capped near zero when the message was cut short or has no time.
fn score_export_line(m: &Message) -> (f64, Vec<Factor>) {
    let mut s = Steps::new("source_export_line", EXPORT_LINE_BASE);
    s.set("local_time_zone_unknown", s.score);
    if m.sender_name.is_some() {
        s.set("sender_name_only", s.score);
    }
    match m.date_order_ambiguous {
        // The locale's convention decided: right unless the phone used an unusual locale.
        Some(true) => s.set("date_order_ambiguous", s.score - 0.05),
        // Nothing decided: day-first and month-first are about as likely.
        Some(false) => s.set("date_order_ambiguous", s.score * 0.5),
        None => {}
    }
    if m.truncated {
        s.cap("payload_truncated", INCOMPLETE_CEILING);
    }
    if m.timestamp_ms.is_none() {
        s.cap("no_timestamp", INCOMPLETE_CEILING);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recover::{Evidence, RecordStatus};

    fn message(sources: &[(EvidenceSource, &str, u8)]) -> Message {
        Message {
            app: "whatsapp-android",
            key_id: Some("3EB0AA".into()),
            chat_row_id: Some(1),
            chat_jid: Some("1@s.whatsapp.net".into()),
            chat_name: None,
            sender_jid: None,
            sender_name: None,
            from_me: Some(true),
            timestamp_ms: Some(1_700_000_000_000),
            message_type: Some("text".into()),
            text: None,
            sort_key: None,
            row_id: Some(2),
            details: Vec::new(),
            status: RecordStatus::Deleted,
            truncated: false,
            sender_unresolved: false,
            date_order_ambiguous: None,
            evidence: sources
                .iter()
                .map(|&(source, artifact, rebuilt)| Evidence {
                    source,
                    input: 0,
                    offset: 0,
                    length: 1,
                    artifact: artifact.into(),
                    page_number: None,
                    detail: None,
                    rebuilt_header_bytes: rebuilt,
                })
                .collect(),
        }
    }

    #[test]
    fn the_effects_add_up_to_the_score() {
        let mut m = message(&[(EvidenceSource::Freeblock, "db", 4), (EvidenceSource::JournalPage, "journal", 0)]);
        m.sender_unresolved = true;
        let (score, factors) = score(&m);
        let sum: f64 = factors.iter().map(|f| f.effect).sum();
        assert!((sum - score).abs() < 0.002, "{score} vs {factors:?}");
        assert_eq!(score, INCOMPLETE_CEILING);
    }

    #[test]
    fn better_evidence_scores_higher() {
        let live = score(&message(&[(EvidenceSource::LiveRecord, "db", 0)])).0;
        let carved = score(&message(&[(EvidenceSource::Freeblock, "db", 0)])).0;
        let rebuilt = score(&message(&[(EvidenceSource::Freeblock, "db", 4)])).0;
        let twice = score(&message(&[(EvidenceSource::Freeblock, "db", 4), (EvidenceSource::Freeblock, "copy", 4)])).0;
        assert!(live > carved && carved > rebuilt && twice > rebuilt, "{live} {carved} {rebuilt} {twice}");
    }
}
