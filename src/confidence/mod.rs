//! Confidence: the probability that a recovered message is genuine and that its text, chat,
//! sender and time are right, with the factors that set it.
//!
//! Only live sources exist so far. A record read from the live b-tree of a database found whole
//! (or from a current WAL frame) is exactly what the app stored, so its score starts near 1 and
//! is lowered for what could make it wrong: a truncated payload, a chat that could not be
//! resolved. The calibration against ground truth (issue 4) refits these numbers.

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

/// Scores a message. The result is in 0..=1, rounded to 3 decimals so that reports are stable.
pub fn score(m: &Message) -> (f64, Vec<Factor>) {
    if m.evidence.iter().any(|e| e.source == EvidenceSource::ExportLine) {
        return score_export_line(m);
    }
    let best = m.evidence.iter().map(|e| e.source).min();
    let base = match best {
        Some(EvidenceSource::LiveRecord) => 0.99,
        Some(EvidenceSource::WalFrame) => 0.98,
        Some(EvidenceSource::ExportLine) => EXPORT_LINE_BASE,
        Some(
            EvidenceSource::Freeblock
            | EvidenceSource::UnallocatedInPage
            | EvidenceSource::FreelistPage
            | EvidenceSource::OrphanPage
            | EvidenceSource::WalStaleFrame
            | EvidenceSource::JournalPage,
        ) => 0.95,
        None => 0.3,
    };
    let mut factors = vec![Factor { factor: best.map_or("no_evidence", source_factor), effect: base }];
    let mut s = base;
    if m.truncated {
        factors.push(Factor { factor: "payload_truncated", effect: -0.6 });
        s -= 0.6;
    }
    // A message whose chat or sender is unknown is not exactly right, however sure its text.
    if m.chat_jid.is_none() {
        factors.push(Factor { factor: "chat_unresolved", effect: -0.8 });
        s -= 0.8;
    }
    if m.sender_unresolved {
        factors.push(Factor { factor: "sender_unresolved", effect: -0.8 });
        s -= 0.8;
    }
    if m.timestamp_ms.is_none() {
        factors.push(Factor { factor: "no_timestamp", effect: -0.1 });
        s -= 0.1;
    }
    if m.evidence.len() > 1 {
        factors.push(Factor { factor: "corroborated", effect: 0.0 });
    }
    ((s.clamp(0.0, 1.0) * 1000.0).round() / 1000.0, factors)
}

fn source_factor(s: EvidenceSource) -> &'static str {
    match s {
        EvidenceSource::LiveRecord => "source_live_record",
        EvidenceSource::WalFrame => "source_wal_frame",
        EvidenceSource::WalStaleFrame => "source_wal_stale_frame",
        EvidenceSource::JournalPage => "source_journal_page",
        EvidenceSource::Freeblock => "source_freeblock",
        EvidenceSource::UnallocatedInPage => "source_unallocated_in_page",
        EvidenceSource::FreelistPage => "source_freelist_page",
        EvidenceSource::OrphanPage => "source_orphan_page",
        EvidenceSource::ExportLine => "source_export_line",
    }
}

/// A line of an exported chat. Its time is the phone's local time read as UTC
/// (`local_time_zone_unknown`, no effect: the time is right as written, its zone is unknown),
/// its sender a display name without a JID (`sender_name_only`, no effect), and it has no chat
/// JID: the chat is the exported file. Lowered when the date order of its run could not be told
/// from its fields, when the message was cut short, or when it has no time.
fn score_export_line(m: &Message) -> (f64, Vec<Factor>) {
    let mut factors = vec![
        Factor { factor: "source_export_line", effect: EXPORT_LINE_BASE },
        Factor { factor: "local_time_zone_unknown", effect: 0.0 },
    ];
    let mut s = EXPORT_LINE_BASE;
    let mut add = |factor: &'static str, effect: f64| {
        factors.push(Factor { factor, effect });
        s += effect;
    };
    if m.sender_name.is_some() {
        add("sender_name_only", 0.0);
    }
    match m.date_order_ambiguous {
        // The locale's convention decided: right unless the phone used an unusual locale.
        Some(true) => add("date_order_ambiguous", -0.05),
        Some(false) => add("date_order_ambiguous", -0.45),
        None => {}
    }
    if m.truncated {
        add("payload_truncated", -0.6);
    }
    if m.timestamp_ms.is_none() {
        add("no_timestamp", -0.5);
    }
    ((s.clamp(0.0, 1.0) * 1000.0).round() / 1000.0, factors)
}
