//! B-tree page detection at every 512-byte boundary.
//!
//! A boundary is a candidate when its first byte is a page type (2, 5, 10, 13). The page size of
//! a stray page is not written anywhere, so each size from 512 to 65536 that fits is tried with
//! the full validator ([`crate::sqlite::page::BtreePage::validate`]); its exact free-space count
//! holds for at most one size (the cell content area must end exactly at the page end), so the
//! first size that validates is the page's size. Reserved bytes per page are assumed 0 for
//! pages found outside any database.

use crate::sqlite::page::{BtreePage, PageKind};

/// Alignment at which pages are looked for.
pub const PAGE_ALIGN: usize = 512;

/// Page sizes tried, most common first.
const SIZES: [usize; 8] = [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512];

/// A validated page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundPage {
    /// Page size it validated with.
    pub page_size: u32,
    /// Page type.
    pub kind: PageKind,
    /// Cells on the page.
    pub cells: usize,
    /// Freeblocks on the page.
    pub freeblocks: usize,
}

/// Checks whether a valid b-tree page starts at `window[0]`. `scratch` is reused across calls.
#[inline]
pub fn detect(window: &[u8], scratch: &mut Vec<(usize, usize)>) -> Option<FoundPage> {
    let kind = PageKind::from_byte(*window.first()?)?;
    // Cheap pre-checks before trying sizes: fragmented bytes, cell count vs. content start.
    let frag = *window.get(7)?;
    if frag > crate::sqlite::page::MAX_FRAGMENTED {
        return None;
    }
    let raw_start = usize::from(u16::from_be_bytes([*window.get(5)?, *window.get(6)?]));
    let content_start = if raw_start == 0 { 65536 } else { raw_start };
    for &size in &SIZES {
        if content_start > size || window.len() < size {
            continue;
        }
        let Some(page_bytes) = window.get(..size) else {
            continue;
        };
        let Ok(page) = BtreePage::parse(page_bytes, 0, size) else {
            continue;
        };
        if page.cell_count == 0 && page_bytes.get(8..).is_none_or(|rest| rest.iter().all(|&b| b == 0)) {
            // An empty, never-used page carries nothing, and eight bytes of type-and-zeros
            // followed by zeros are too common in raw space to call a page.
            return None;
        }
        if let Ok(stats) = page.validate(scratch) {
            return Some(FoundPage {
                page_size: size as u32,
                kind,
                cells: page.cell_count,
                freeblocks: stats.freeblocks,
            });
        }
    }
    None
}
