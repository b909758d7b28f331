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

/// Scores a message. The result is in 0..=1, rounded to 3 decimals so that reports are stable.
pub fn score(m: &Message) -> (f64, Vec<Factor>) {
    let best = m.evidence.iter().map(|e| e.source).min();
    let base = match best {
        Some(EvidenceSource::LiveRecord) => 0.99,
        Some(EvidenceSource::WalFrame) => 0.98,
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
    }
}
