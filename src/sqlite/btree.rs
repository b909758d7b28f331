//! A database as a set of pages, and a bounded walk of its table b-trees.
//!
//! [`Database`] reads page `n` of a file found in an image (optionally with newer page images
//! from a WAL laid over it). [`Database::walk_table`] descends a table b-tree from its root and
//! hands every leaf cell to a callback with its payload assembled from the overflow chain.
//! The walk never trusts the file: each page is visited at most once, the depth is capped at
//! [`MAX_DEPTH`], bad pages are recorded and skipped (so a damaged file still yields every cell
//! that survives), and overflow chains stop at ⌈remaining payload ÷ (usable − 4)⌉ pages.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use super::cell::Cell;
use super::header::DbHeader;
use super::page::{BtreePage, PageKind, PageReject};
use crate::bytes::{be_u32, slice};

/// Page numbers already read by a walk.
pub type PageSet = HashSet<u32>;

/// Deepest b-tree descent followed (SQLite itself stops at 20).
pub const MAX_DEPTH: usize = 64;

/// Where a page image was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageOrigin {
    /// Absolute offset of the page image in the input.
    pub offset: u64,
    /// The WAL frame index that supplied it, or `None` for the main file.
    pub wal_frame: Option<u32>,
}

/// A database file located in an input, with optional WAL page images laid over it.
#[derive(Debug, Clone)]
pub struct Database<'a> {
    bytes: &'a [u8],
    base_offset: u64,
    /// The validated header of page 1.
    pub header: DbHeader,
    page_size: usize,
    overlay: BTreeMap<u32, (&'a [u8], PageOrigin)>,
    overlay_page_count: Option<u32>,
}

/// A problem met during a walk; the walk goes on past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkProblem {
    /// A page number outside the database.
    MissingPage(u32),
    /// A page referenced twice (a cycle or a shared child).
    Revisited(u32),
    /// A page that is not a valid b-tree page of the expected kind.
    BadPage(u32, PageReject),
    /// Descent deeper than [`MAX_DEPTH`].
    TooDeep(u32),
    /// An overflow chain that ends early, loops or leaves the database.
    BrokenOverflow(u32),
    /// A page whose rowids break the order of the b-tree: out of the range its parent gives
    /// it, or not ascending. In a fragmented file this is a page of something else lying
    /// where the page should be; it is not read.
    OutOfOrder(u32),
}

/// One leaf cell of a table b-tree, with its payload.
#[derive(Debug, Clone)]
pub struct TableRow<'a> {
    /// The rowid.
    pub rowid: i64,
    /// The payload (borrowed when it lies on one page, assembled when it spills).
    pub payload: Cow<'a, [u8]>,
    /// Declared payload size; larger than `payload.len()` when the overflow chain is broken.
    pub payload_size: u64,
    /// Page number of the leaf.
    pub page_number: u32,
    /// Where the leaf page was read from.
    pub origin: PageOrigin,
    /// The cell's position in its page and its length on the page.
    pub cell_pos: usize,
    /// Bytes the cell takes on the page.
    pub cell_len: usize,
}

impl<'a> Database<'a> {
    /// A database whose page 1 starts at `bytes[0]`, found at absolute `base_offset`.
    /// `bytes` may extend past the end of the file; pages beyond the header's page count (when
    /// trustworthy) are not read.
    pub fn new(bytes: &'a [u8], base_offset: u64) -> Option<Self> {
        let header = DbHeader::parse(bytes).ok()?;
        let page_size = header.page_size as usize;
        let mut bytes = bytes;
        if header.size_is_trustworthy() {
            let len = (header.page_count as usize).saturating_mul(page_size);
            bytes = bytes.get(..len.min(bytes.len()))?;
        }
        Some(Self { bytes, base_offset, header, page_size, overlay: BTreeMap::new(), overlay_page_count: None })
    }

    /// Lays a newer image of page `pgno` (from a WAL frame) over the main file.
    pub fn overlay_page(&mut self, pgno: u32, image: &'a [u8], origin: PageOrigin) {
        if pgno > 0 && image.len() >= self.page_size {
            self.overlay.insert(pgno, (image, origin));
        }
    }

    /// Sets the page count given by the last commit frame of the WAL laid over the file.
    pub fn set_page_count(&mut self, n: u32) {
        self.overlay_page_count = Some(n);
    }

    /// Page size in bytes.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// Usable bytes per page.
    pub fn usable_size(&self) -> usize {
        self.header.usable_size()
    }

    /// Number of pages that can be read.
    pub fn page_count(&self) -> u32 {
        let in_file = (self.bytes.len() / self.page_size) as u32;
        match self.overlay_page_count {
            Some(n) => n,
            None if self.header.size_is_trustworthy() => self.header.page_count.min(in_file),
            None => in_file,
        }
    }

    /// Absolute offset of page 1 in the input.
    pub fn base_offset(&self) -> u64 {
        self.base_offset
    }

    /// The image of page `pgno` (1-based) and where it came from.
    pub fn page(&self, pgno: u32) -> Option<(&'a [u8], PageOrigin)> {
        if pgno == 0 || pgno > self.page_count() {
            return None;
        }
        if let Some(&(img, origin)) = self.overlay.get(&pgno) {
            return Some((img, origin));
        }
        let pos = (pgno as usize - 1).checked_mul(self.page_size)?;
        let img = slice(self.bytes, pos, self.page_size)?;
        Some((img, PageOrigin { offset: self.base_offset + pos as u64, wal_frame: None }))
    }

    /// The image of page `pgno` in the main file, ignoring any WAL frame laid over it: for a
    /// page the WAL replaced, its older version.
    pub fn main_page(&self, pgno: u32) -> Option<(&'a [u8], PageOrigin)> {
        let pos = (pgno as usize).checked_sub(1)?.checked_mul(self.page_size)?;
        let img = slice(self.bytes, pos, self.page_size)?;
        Some((img, PageOrigin { offset: self.base_offset + pos as u64, wal_frame: None }))
    }

    /// Parses page `pgno` as a b-tree page (header at 100 on page 1).
    pub fn btree_page(&self, pgno: u32) -> Result<(BtreePage<'a>, PageOrigin), WalkProblem> {
        let (img, origin) = self.page(pgno).ok_or(WalkProblem::MissingPage(pgno))?;
        let header_pos = if pgno == 1 { 100 } else { 0 };
        let page = BtreePage::parse(img, header_pos, self.usable_size()).map_err(|r| WalkProblem::BadPage(pgno, r))?;
        Ok((page, origin))
    }

    /// Walks the table b-tree rooted at `root`, calling `visit` for every leaf cell in key
    /// order, and returns the problems met. Each page is read at most once.
    pub fn walk_table(&self, root: u32, visit: impl FnMut(TableRow<'a>)) -> Vec<WalkProblem> {
        self.walk_table_claiming(root, &mut PageSet::new(), visit)
    }

    /// Like [`Database::walk_table`], but pages (b-tree and overflow) already in `seen` are not
    /// read again, and every page read is added to it. Walking all the tables of a database
    /// with one set reads each page at most once in all, however the file is crafted: in a
    /// sound file no page belongs to two b-trees or two overflow chains.
    pub fn walk_table_claiming(
        &self,
        root: u32,
        seen: &mut PageSet,
        visit: impl FnMut(TableRow<'a>),
    ) -> Vec<WalkProblem> {
        self.walk_table_full(root, seen, visit, |_, _, _| {})
    }

    /// Like [`Database::walk_table_claiming`], and also hands every page of the b-tree reached
    /// (interior and leaf, empty ones included) to `on_page` with its number and origin: where
    /// deleted cells of this table are to be looked for.
    pub fn walk_table_full(
        &self,
        root: u32,
        seen: &mut PageSet,
        mut visit: impl FnMut(TableRow<'a>),
        mut on_page: impl FnMut(u32, &BtreePage<'a>, PageOrigin),
    ) -> Vec<WalkProblem> {
        let mut problems = Vec::new();
        // Each page with the rowid range its parent gives it: (low, high], open where None.
        let mut stack: Vec<(u32, usize, Option<i64>, Option<i64>)> = vec![(root, 0, None, None)];
        let mut scratch = Vec::new();
        while let Some((pgno, depth, low, high)) = stack.pop() {
            if depth > MAX_DEPTH {
                problems.push(WalkProblem::TooDeep(pgno));
                continue;
            }
            if !seen.insert(pgno) {
                problems.push(WalkProblem::Revisited(pgno));
                continue;
            }
            let (page, origin) = match self.btree_page(pgno) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            if !page.kind.is_table() {
                problems.push(WalkProblem::BadPage(pgno, PageReject::Type));
                continue;
            }
            if let Err(r) = page.validate(&mut scratch) {
                problems.push(WalkProblem::BadPage(pgno, r));
                // A page that fails a consistency check may still hold good cells: go on.
            }
            if !keys_in_order(&page, low, high) {
                problems.push(WalkProblem::OutOfOrder(pgno));
                continue;
            }
            match page.kind {
                PageKind::InteriorTable => {
                    on_page(pgno, &page, origin);
                    // Push children in reverse so they pop in key order.
                    let keys: Vec<Option<i64>> =
                        (0..page.cell_count).map(|i| page.cell(i).and_then(|c| c.rowid)).collect();
                    if let Some(right) = page.right_child {
                        stack.push((right, depth + 1, keys.last().copied().flatten().or(low), high));
                    }
                    for i in (0..page.cell_count).rev() {
                        if let Some(child) = page.cell(i).and_then(|c| c.left_child) {
                            let below = i.checked_sub(1).and_then(|k| keys.get(k).copied().flatten()).or(low);
                            let key = keys.get(i).copied().flatten().or(high);
                            stack.push((child, depth + 1, below, key));
                        }
                    }
                }
                _ => {
                    on_page(pgno, &page, origin);
                    for i in 0..page.cell_count {
                        let Some(cell) = page.cell(i) else { continue };
                        let (payload, broken) = self.payload_claiming(&cell, seen);
                        if broken {
                            problems.push(WalkProblem::BrokenOverflow(pgno));
                        }
                        visit(TableRow {
                            rowid: cell.rowid.unwrap_or(0),
                            payload,
                            payload_size: cell.payload_size,
                            page_number: pgno,
                            origin,
                            cell_pos: cell.pos,
                            cell_len: cell.len,
                        });
                    }
                }
            }
        }
        problems
    }

    /// The whole payload of `cell`: borrowed when it is all local, else assembled from the
    /// overflow chain. The flag is true when the chain broke before the payload was complete.
    pub fn payload(&self, cell: &Cell<'a>) -> (Cow<'a, [u8]>, bool) {
        self.payload_claiming(cell, &mut PageSet::new())
    }

    /// Like [`Database::payload`], reading only overflow pages not yet in `seen`.
    pub fn payload_claiming(&self, cell: &Cell<'a>, seen: &mut PageSet) -> (Cow<'a, [u8]>, bool) {
        let Some(first) = cell.overflow else {
            return (Cow::Borrowed(cell.local), false);
        };
        let (out, _) = read_overflow_chain(cell.local, cell.payload_size, first, self.usable_size(), |n| {
            seen.insert(n).then(|| self.page(n).map(|(img, _)| img)).flatten()
        });
        let broken = (out.len() as u64) < cell.payload_size;
        (Cow::Owned(out), broken)
    }
}

/// Whether the rowids (keys) of a table page ascend and lie in `(low, high]`. Cells that do
/// not decode are left to the page validator.
fn keys_in_order(page: &BtreePage<'_>, low: Option<i64>, high: Option<i64>) -> bool {
    let mut last = low;
    for i in 0..page.cell_count {
        let Some(key) = page.cell(i).and_then(|c| c.rowid) else { continue };
        if last.is_some_and(|l| key <= l) || high.is_some_and(|h| key > h) {
            return false;
        }
        last = Some(key);
    }
    true
}

/// The payload of a record whose first `local` bytes lie on its page and whose `total` bytes
/// spill from page `first` on: `usable − 4` bytes from each overflow page `page` gives, following
/// each page's next-page number, until the payload is whole, the chain ends (page 0), or `page`
/// gives nothing. Returns what was read and the next-page number the last page read holds (0 at
/// the proper end of a chain). At most as many pages are read as the payload needs.
pub fn read_overflow_chain<'p>(
    local: &[u8],
    total: u64,
    first: u32,
    usable: usize,
    mut page: impl FnMut(u32) -> Option<&'p [u8]>,
) -> (Vec<u8>, u32) {
    let per_page = usable.saturating_sub(4).max(1);
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(total.min(local.len() + per_page * 64));
    out.extend_from_slice(local);
    let max_pages = total.saturating_sub(local.len()).div_ceil(per_page);
    let mut next = first;
    for _ in 0..max_pages {
        if next == 0 {
            break;
        }
        let Some(img) = page(next) else { break };
        let take = (total - out.len()).min(per_page);
        let Some(data) = slice(img, 4, take) else { break };
        out.extend_from_slice(data);
        next = be_u32(img, 0).unwrap_or(0);
    }
    (out, next)
}
