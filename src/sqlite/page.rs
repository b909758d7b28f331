//! B-tree pages: the page header, the cell pointer array, the freeblock chain, and the
//! validator that decides whether a run of bytes is a genuine b-tree page.
//!
//! ```text
//! +---------------------------+  offset 0 (100 on page 1, after the database header)
//! | page header (8 or 12 B)   |  type, first freeblock, cell count, cell content start,
//! |                           |  fragmented free bytes, [right-most child]
//! | cell pointer array (2 B × |  cell offsets, in key order
//! |   cell count)             |
//! | unallocated space         |  old bytes of deleted cells may survive here
//! |---------------------------|  cell content start
//! | cells and freeblocks      |  cells grow from the end toward the pointer array
//! +---------------------------+  usable size (page size − reserved bytes)
//! ```
//!
//! [`BtreePage::validate`] applies the checks of SQLite's own `ext/recover` page validator and of
//! `PRAGMA integrity_check`. A candidate is rejected ([`PageReject`]) when:
//! - the type byte is not 2, 5, 10 or 13 ([`PageReject::Type`]);
//! - the cell count exceeds what the page can hold, (usable − 8) / 6 ([`PageReject::CellCount`]);
//! - the cell content start lies before the end of the pointer array or past the usable size
//!   ([`PageReject::ContentStart`]);
//! - more than 60 fragmented free bytes ([`PageReject::Fragmented`]);
//! - a cell pointer points outside the content area ([`PageReject::CellPointer`]);
//! - a cell does not decode or runs past the usable size, or its record header is inconsistent
//!   with its payload size ([`PageReject::Cell`]);
//! - the freeblock chain is not strictly ascending inside the content area, or a freeblock is
//!   smaller than 4 bytes or runs past the page ([`PageReject::Freeblock`]);
//! - two cells or freeblocks overlap ([`PageReject::Overlap`]);
//! - cells + freeblocks + fragmented bytes do not add up exactly to the content area
//!   ([`PageReject::FreeSpace`]); this is what pins the page size of a stray page;
//! - rowids of a table page are not strictly ascending, or a child page number is 0
//!   ([`PageReject::Keys`]).

use super::cell::Cell;
use super::record::Record;
use crate::bytes::{be_u16, be_u32, u8_at};

/// Offset of the page header field: first freeblock.
pub const FIRST_FREEBLOCK: usize = 1;
/// Offset of the page header field: number of cells.
pub const CELL_COUNT: usize = 3;
/// Offset of the page header field: start of the cell content area.
pub const CELL_CONTENT_START: usize = 5;
/// Offset of the page header field: fragmented free bytes.
pub const FRAGMENTED_FREE_BYTES: usize = 7;
/// Offset of the page header field: right-most child page (interior pages).
pub const RIGHT_CHILD: usize = 8;
/// Most fragmented free bytes a sane page has.
pub const MAX_FRAGMENTED: u8 = 60;

/// The four b-tree page types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PageKind {
    /// Interior index page (2).
    InteriorIndex,
    /// Interior table page (5).
    InteriorTable,
    /// Leaf index page (10).
    LeafIndex,
    /// Leaf table page (13).
    LeafTable,
}

impl PageKind {
    /// The kind for a type byte.
    #[inline]
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            2 => Some(Self::InteriorIndex),
            5 => Some(Self::InteriorTable),
            10 => Some(Self::LeafIndex),
            13 => Some(Self::LeafTable),
            _ => None,
        }
    }
    /// Leaf pages have an 8-byte header and no children.
    pub fn is_leaf(self) -> bool {
        matches!(self, Self::LeafIndex | Self::LeafTable)
    }
    /// Table (rowid) b-tree pages.
    pub fn is_table(self) -> bool {
        matches!(self, Self::InteriorTable | Self::LeafTable)
    }
    /// Page header size: 8 for leaves, 12 for interior pages.
    pub fn header_size(self) -> usize {
        if self.is_leaf() {
            8
        } else {
            12
        }
    }
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::InteriorIndex => "interior_index",
            Self::InteriorTable => "interior_table",
            Self::LeafIndex => "leaf_index",
            Self::LeafTable => "leaf_table",
        }
    }
}

/// Why a candidate page was rejected; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageReject {
    /// Fewer bytes than the page size.
    Truncated,
    /// Type byte not a b-tree page type.
    Type,
    /// Cell count beyond what fits.
    CellCount,
    /// Cell content start inconsistent.
    ContentStart,
    /// Too many fragmented bytes.
    Fragmented,
    /// Cell pointer outside the content area.
    CellPointer,
    /// A cell that does not decode.
    Cell,
    /// A bad freeblock chain.
    Freeblock,
    /// Overlapping cells or freeblocks.
    Overlap,
    /// Free space does not add up.
    FreeSpace,
    /// Keys out of order or a zero child page.
    Keys,
}

/// A b-tree page header over the page's bytes.
#[derive(Debug, Clone, Copy)]
pub struct BtreePage<'a> {
    page: &'a [u8],
    /// Where the page header starts: 100 on page 1, else 0.
    pub header_pos: usize,
    /// Usable bytes of the page.
    pub usable: usize,
    /// Page type.
    pub kind: PageKind,
    /// Offset of the first freeblock, 0 if none.
    pub first_freeblock: usize,
    /// Number of cells.
    pub cell_count: usize,
    /// Start of the cell content area (0 in the header means 65536).
    pub cell_content_start: usize,
    /// Fragmented free bytes.
    pub fragmented_free_bytes: u8,
    /// Right-most child page, for interior pages.
    pub right_child: Option<u32>,
}

/// What a validated page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageStats {
    /// Number of freeblocks.
    pub freeblocks: usize,
    /// Bytes in freeblocks.
    pub freeblock_bytes: usize,
    /// Unallocated bytes between the pointer array and the content start.
    pub unallocated_bytes: usize,
}

impl<'a> BtreePage<'a> {
    /// Reads the page header of `page` (the whole page, at least `usable` bytes) whose header
    /// starts at `header_pos`. Checks only the header fields against each other.
    pub fn parse(page: &'a [u8], header_pos: usize, usable: usize) -> Result<Self, PageReject> {
        if page.len() < usable || usable < 480 {
            return Err(PageReject::Truncated);
        }
        let kind = u8_at(page, header_pos).and_then(PageKind::from_byte).ok_or(PageReject::Type)?;
        let field = |off: usize| be_u16(page, header_pos + off).map(usize::from).ok_or(PageReject::Truncated);
        let first_freeblock = field(FIRST_FREEBLOCK)?;
        let cell_count = field(CELL_COUNT)?;
        let raw_start = field(CELL_CONTENT_START)?;
        let cell_content_start = if raw_start == 0 { 65536 } else { raw_start };
        let fragmented_free_bytes = u8_at(page, header_pos + FRAGMENTED_FREE_BYTES).ok_or(PageReject::Truncated)?;
        let right_child = if kind.is_leaf() {
            None
        } else {
            Some(be_u32(page, header_pos + RIGHT_CHILD).ok_or(PageReject::Truncated)?)
        };
        if cell_count > (usable - 8) / 6 {
            return Err(PageReject::CellCount);
        }
        let ptr_end = header_pos + kind.header_size() + 2 * cell_count;
        if cell_content_start > usable || cell_content_start < ptr_end {
            return Err(PageReject::ContentStart);
        }
        if fragmented_free_bytes > MAX_FRAGMENTED {
            return Err(PageReject::Fragmented);
        }
        if right_child == Some(0) {
            return Err(PageReject::Keys);
        }
        Ok(Self {
            page,
            header_pos,
            usable,
            kind,
            first_freeblock,
            cell_count,
            cell_content_start,
            fragmented_free_bytes,
            right_child,
        })
    }

    /// The page bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.page
    }

    /// End of the cell pointer array.
    pub fn pointer_array_end(&self) -> usize {
        self.header_pos + self.kind.header_size() + 2 * self.cell_count
    }

    /// The `i`-th cell pointer.
    pub fn cell_pointer(&self, i: usize) -> Option<usize> {
        if i >= self.cell_count {
            return None;
        }
        be_u16(self.page, self.header_pos + self.kind.header_size() + 2 * i).map(usize::from)
    }

    /// Decodes the `i`-th cell.
    pub fn cell(&self, i: usize) -> Option<Cell<'a>> {
        let pos = self.cell_pointer(i)?;
        if pos < self.cell_content_start || pos >= self.usable {
            return None;
        }
        Cell::parse(self.page, pos, self.kind, self.usable).ok()
    }

    /// Iterates the freeblock chain as `(pos, size)`, stopping at the first link that is not
    /// strictly ascending or leaves the page. Never yields more than usable / 4 items.
    pub fn freeblocks(&self) -> impl Iterator<Item = (usize, usize)> + 'a {
        let page = self.page;
        let usable = self.usable;
        let mut next = self.first_freeblock;
        let mut min = self.cell_content_start;
        std::iter::from_fn(move || {
            if next == 0 || next < min || next + 4 > usable {
                return None;
            }
            let pos = next;
            let size = usize::from(be_u16(page, pos + 2)?);
            if size < 4 || pos + size > usable {
                return None;
            }
            next = usize::from(be_u16(page, pos)?);
            min = pos + size + 1;
            Some((pos, size))
        })
        .take(usable / 4)
    }

    /// Runs every check of the module documentation. `scratch` is reused between calls to avoid
    /// allocating per page; it never grows beyond cell count + usable / 4 entries.
    pub fn validate(&self, scratch: &mut Vec<(usize, usize)>) -> Result<PageStats, PageReject> {
        scratch.clear();
        let mut used = 0usize;
        let mut last_rowid: Option<i64> = None;
        for i in 0..self.cell_count {
            let pos = self.cell_pointer(i).ok_or(PageReject::Truncated)?;
            if pos < self.cell_content_start || pos >= self.usable {
                return Err(PageReject::CellPointer);
            }
            let cell = Cell::parse(self.page, pos, self.kind, self.usable).map_err(|_| PageReject::Cell)?;
            if cell.left_child == Some(0) {
                return Err(PageReject::Keys);
            }
            if self.kind.is_table() {
                if let (Some(prev), Some(r)) = (last_rowid, cell.rowid) {
                    if r <= prev {
                        return Err(PageReject::Keys);
                    }
                }
                last_rowid = cell.rowid;
            }
            if self.kind != PageKind::InteriorTable {
                let header_fits = cell.local.len() as u64 == cell.payload_size
                    || crate::bytes::varint(cell.local, 0).is_some_and(|(h, _)| h <= cell.local.len() as u64);
                if header_fits && Record::parse(cell.local, cell.payload_size).is_err() {
                    return Err(PageReject::Cell);
                }
            }
            used += cell.len;
            scratch.push((pos, pos + cell.len));
        }
        let mut stats = PageStats::default();
        let mut next = self.first_freeblock;
        let mut min = self.cell_content_start;
        while next != 0 {
            if next < min || next + 4 > self.usable || stats.freeblocks > self.usable / 4 {
                return Err(PageReject::Freeblock);
            }
            let size = be_u16(self.page, next + 2).map(usize::from).ok_or(PageReject::Truncated)?;
            if size < 4 || next + size > self.usable {
                return Err(PageReject::Freeblock);
            }
            scratch.push((next, next + size));
            stats.freeblocks += 1;
            stats.freeblock_bytes += size;
            min = next + size + 1;
            next = be_u16(self.page, next).map(usize::from).ok_or(PageReject::Truncated)?;
        }
        let content = self.usable - self.cell_content_start;
        if used + stats.freeblock_bytes + usize::from(self.fragmented_free_bytes) != content {
            return Err(PageReject::FreeSpace);
        }
        scratch.sort_unstable();
        if scratch.windows(2).any(|w| matches!(w, [a, b] if a.1 > b.0)) {
            return Err(PageReject::Overlap);
        }
        stats.unallocated_bytes = self.cell_content_start - self.pointer_array_end();
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 512-byte table leaf with two cells: rowid 1 → (7), rowid 2 → ('ab').
    fn leaf() -> Vec<u8> {
        let mut p = vec![0u8; 512];
        p[0] = 13;
        p[3..5].copy_from_slice(&2u16.to_be_bytes());
        let c2 = [4u8, 2, 2, 17, b'a', b'b']; // payload 4: hdr 2, text(2)
        let c1 = [3u8, 1, 2, 1, 7]; // payload 3: hdr 2, int8
        let c2_pos = 512 - c2.len();
        let c1_pos = c2_pos - c1.len();
        p[c2_pos..].copy_from_slice(&c2);
        p[c1_pos..c2_pos].copy_from_slice(&c1);
        p[5..7].copy_from_slice(&(c1_pos as u16).to_be_bytes());
        p[8..10].copy_from_slice(&(c1_pos as u16).to_be_bytes());
        p[10..12].copy_from_slice(&(c2_pos as u16).to_be_bytes());
        p
    }

    #[test]
    fn a_consistent_leaf_validates() {
        let p = leaf();
        let page = BtreePage::parse(&p, 0, 512).expect("header");
        assert_eq!(page.cell_count, 2);
        let mut scratch = Vec::new();
        assert!(page.validate(&mut scratch).is_ok());
        assert_eq!(page.cell(1).and_then(|c| c.rowid), Some(2));
    }

    #[test]
    fn the_wrong_page_size_fails_the_free_space_count() {
        let mut p = leaf();
        p.resize(1024, 0);
        let page = BtreePage::parse(&p, 0, 1024).expect("header");
        assert_eq!(page.validate(&mut Vec::new()), Err(PageReject::FreeSpace));
    }

    #[test]
    fn descending_rowids_are_rejected() {
        let mut p = leaf();
        let (a, b) = (p[8..10].to_vec(), p[10..12].to_vec());
        p[8..10].copy_from_slice(&b);
        p[10..12].copy_from_slice(&a);
        let page = BtreePage::parse(&p, 0, 512).expect("header");
        assert_eq!(page.validate(&mut Vec::new()), Err(PageReject::Keys));
    }

    #[test]
    fn garbage_headers_are_rejected() {
        let mut p = leaf();
        p[0] = 3;
        assert_eq!(BtreePage::parse(&p, 0, 512).err(), Some(PageReject::Type));
        let mut p = leaf();
        p[3..5].copy_from_slice(&400u16.to_be_bytes());
        assert_eq!(BtreePage::parse(&p, 0, 512).err(), Some(PageReject::CellCount));
    }
}
