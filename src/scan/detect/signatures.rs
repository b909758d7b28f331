//! Signature search for database, WAL and journal headers: one SIMD multi-pattern pass (the
//! Teddy searcher of `aho-corasick`, or one `memchr::memmem` pass per signature where the CPU
//! lacks the vector instructions), then the header's own field checks. A failed match costs
//! nothing.

use aho_corasick::packed;
use memchr::memmem;

use crate::scan::hit::{Hit, HitKind};
use crate::sqlite::{header, journal, wal};

const WAL_LE: [u8; 4] = [0x37, 0x7f, 0x06, 0x82];
const WAL_BE: [u8; 4] = [0x37, 0x7f, 0x06, 0x83];
/// Longest signature, so a search range can be extended to see a signature whole.
pub const LONGEST: usize = 16;

/// The signatures, in pattern-id order, with what they announce.
const PATTERNS: [(&[u8], HitKind); 4] = [
    (header::MAGIC, HitKind::DbHeader),
    (&WAL_LE, HitKind::WalHeader),
    (&WAL_BE, HitKind::WalHeader),
    (&journal::MAGIC, HitKind::JournalHeader),
];

/// Prepared searchers for every signature, built once per scan.
pub struct Signatures {
    teddy: Option<packed::Searcher>,
    finders: Vec<(memmem::Finder<'static>, HitKind)>,
}

impl Default for Signatures {
    fn default() -> Self {
        Self {
            teddy: packed::Searcher::new(PATTERNS.iter().map(|(p, _)| p)),
            finders: PATTERNS.iter().map(|&(p, k)| (memmem::Finder::new(p), k)).collect(),
        }
    }
}

impl Signatures {
    /// Finds every valid header starting in `window[start..end]` and pushes it to `out`.
    /// `window` may extend past `end` so that headers starting near it are checked whole;
    /// `base` is the absolute offset of `window[0]`.
    pub fn find(&self, window: &[u8], start: usize, end: usize, base: u64, out: &mut Vec<Hit>) {
        let stop = end.saturating_add(LONGEST - 1).min(window.len());
        let Some(hay) = window.get(start..stop) else { return };
        let mut check = |pos: usize, kind: HitKind| {
            let at = start + pos;
            if at >= end {
                return;
            }
            let tail = window.get(at..).unwrap_or(&[]);
            let valid = match kind {
                HitKind::DbHeader => header::DbHeader::parse(tail).is_ok(),
                HitKind::WalHeader => wal::WalHeader::parse(tail).is_some(),
                HitKind::JournalHeader => journal::JournalHeader::parse(tail).is_some(),
                HitKind::JournalRecords => false,
            };
            if valid {
                out.push(Hit { offset: base + at as u64, kind });
            }
        };
        match &self.teddy {
            Some(t) => {
                for m in t.find_iter(hay) {
                    if let Some(&(_, kind)) = PATTERNS.get(m.pattern().as_usize()) {
                        check(m.start(), kind);
                    }
                }
            }
            None => {
                for (f, kind) in &self.finders {
                    for pos in f.find_iter(hay) {
                        check(pos, *kind);
                    }
                }
            }
        }
    }
}
