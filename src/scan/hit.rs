//! What the detectors report: a structure's kind and its absolute offset.

use crate::sqlite::page::PageKind;

/// Kinds of structure found by signature or validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// A database header that passed every field check.
    DbHeader,
    /// A WAL header that passed its checks.
    WalHeader,
    /// A rollback journal header.
    JournalHeader,
    /// The first page record of a rollback journal whose header is zeroed or lost
    /// ([`crate::scan::detect::journal`]).
    JournalRecords,
}

/// A structure found at an absolute offset of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    /// Absolute offset in the input.
    pub offset: u64,
    /// What was found.
    pub kind: HitKind,
}

/// A run of validated b-tree pages of one page size, each starting where the previous ends.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PageGroup {
    /// Absolute offset of the first page.
    pub offset: u64,
    /// Page size the pages validated with.
    pub page_size: u32,
    /// Number of pages in the run.
    pub pages: u64,
    /// Pages of each kind: interior index, interior table, leaf index, leaf table.
    pub by_kind: [u64; 4],
    /// Cells on those pages.
    pub cells: u64,
    /// Pages holding at least one freeblock.
    pub pages_with_freeblocks: u64,
}

impl PageGroup {
    /// Absolute offset one past the last page.
    pub fn end(&self) -> u64 {
        self.offset + self.pages * u64::from(self.page_size)
    }

    /// A group of one page.
    pub fn single(offset: u64, page_size: u32, kind: PageKind, cells: usize, freeblocks: usize) -> Self {
        let mut by_kind = [0; 4];
        if let Some(slot) = by_kind.get_mut(kind_index(kind)) {
            *slot = 1;
        }
        Self {
            offset,
            page_size,
            pages: 1,
            by_kind,
            cells: cells as u64,
            pages_with_freeblocks: u64::from(freeblocks > 0),
        }
    }

    /// Appends `next` if it continues this run; returns false (and leaves both) otherwise.
    pub fn try_extend(&mut self, next: &PageGroup) -> bool {
        if next.page_size != self.page_size || next.offset != self.end() {
            return false;
        }
        self.pages += next.pages;
        for (a, b) in self.by_kind.iter_mut().zip(next.by_kind) {
            *a += b;
        }
        self.cells += next.cells;
        self.pages_with_freeblocks += next.pages_with_freeblocks;
        true
    }
}

fn kind_index(kind: PageKind) -> usize {
    match kind {
        PageKind::InteriorIndex => 0,
        PageKind::InteriorTable => 1,
        PageKind::LeafIndex => 2,
        PageKind::LeafTable => 3,
    }
}
