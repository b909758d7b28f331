//! Signature search for database, WAL and journal headers: a SIMD substring search (memchr's
//! `memmem`) for each magic, then the header's own field checks. A failed match costs nothing.

use memchr::memmem;

use crate::scan::hit::{Hit, HitKind};
use crate::sqlite::{header, journal, wal};

/// Prepared finders for every signature, built once per scan.
pub struct Signatures {
    db: memmem::Finder<'static>,
    wal: memmem::Finder<'static>,
    journal: memmem::Finder<'static>,
}

impl Default for Signatures {
    fn default() -> Self {
        Self {
            db: memmem::Finder::new(&header::MAGIC[..]),
            wal: memmem::Finder::new(&[0x37, 0x7f, 0x06]),
            journal: memmem::Finder::new(&journal::MAGIC[..]),
        }
    }
}

impl Signatures {
    /// Finds every valid header starting in `window[..owned]` (the part of the window this
    /// chunk owns) and pushes it to `out`. `window` may extend past `owned` so that headers
    /// starting near the end can be checked whole. `base` is the absolute offset of `window[0]`.
    pub fn find(&self, window: &[u8], owned: usize, base: u64, out: &mut Vec<Hit>) {
        let tail = |pos: usize| window.get(pos..).unwrap_or(&[]);
        for pos in self.db.find_iter(window) {
            if pos >= owned {
                break;
            }
            if header::DbHeader::parse(tail(pos)).is_ok() {
                out.push(Hit {
                    offset: base + pos as u64,
                    kind: HitKind::DbHeader,
                });
            }
        }
        for pos in self.wal.find_iter(window) {
            if pos >= owned {
                break;
            }
            if wal::WalHeader::parse(tail(pos)).is_some() {
                out.push(Hit {
                    offset: base + pos as u64,
                    kind: HitKind::WalHeader,
                });
            }
        }
        for pos in self.journal.find_iter(window) {
            if pos >= owned {
                break;
            }
            if journal::JournalHeader::parse(tail(pos)).is_some() {
                out.push(Hit {
                    offset: base + pos as u64,
                    kind: HitKind::JournalHeader,
                });
            }
        }
    }
}
