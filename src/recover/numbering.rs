//! Page numbers for orphan leaf pages, from the interior pages found beside them, so that the
//! overflow chains of their records can be followed. An interior table page names each child
//! by number with the largest rowid under it: a leaf whose rowids end exactly at that key (and
//! start after the previous one), and is the only orphan leaf that does, is that child. A
//! number places the leaf's neighbours too, as far as the file's fragment goes: an overflow
//! page is read at the offset its number implies, and kept only if the chain it gives ends
//! exactly where the record does.

use std::collections::HashMap;

use crate::bytes::slice;
use crate::sqlite::page::{BtreePage, PageKind};

/// An interior table page: each child's number with the largest rowid under it, and the right
/// child.
pub type Interior = (Vec<(u32, i64)>, Option<u32>);

/// Farthest an overflow page is looked for from the leaf it continues, in pages: beyond a
/// fragment of a few pages, what lies there is more likely another file's.
const MAX_DISTANCE: i64 = 16;

/// Page numbers of the leaves at `leaves` (offset, first and last rowid) that the interior
/// pages `interiors` name unambiguously.
pub fn number_leaves(leaves: &[(u64, i64, i64)], interiors: &[Interior]) -> HashMap<u64, u32> {
    let mut by_last: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut by_first: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, &(_, first, last)) in leaves.iter().enumerate() {
        by_last.entry(last).or_default().push(i);
        by_first.entry(first).or_default().push(i);
    }
    let mut numbered: HashMap<u64, Option<u32>> = HashMap::new();
    let mut place = |leaf: usize, pgno: u32| {
        if let Some((off, _, _)) = leaves.get(leaf) {
            numbered
                .entry(*off)
                .and_modify(|n| {
                    if *n != Some(pgno) {
                        *n = None
                    }
                })
                .or_insert(Some(pgno));
        }
    };
    for (children, right) in interiors {
        let mut below: Option<i64> = None;
        for &(child, key) in children {
            let fits: Vec<usize> = by_last
                .get(&key)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&l| leaves.get(l).is_some_and(|&(_, f, _)| below.is_none_or(|b| f > b)))
                .collect();
            if let [only] = fits[..] {
                place(only, child);
            }
            below = Some(key);
        }
        // The right child holds the rowids after the last key: in a table that grows, from the
        // next one on.
        if let (Some(r), Some(last)) = (right, below) {
            if let Some([only]) = last.checked_add(1).and_then(|n| by_first.get(&n)).map(Vec::as_slice) {
                place(*only, *r);
            }
        }
    }
    numbered.into_iter().filter_map(|(o, n)| Some((o, n?))).collect()
}

/// The children and keys of an interior table page, and its right child.
pub fn interior(page: &BtreePage<'_>) -> Option<Interior> {
    (page.kind == PageKind::InteriorTable).then(|| {
        let children =
            (0..page.cell_count).filter_map(|i| page.cell(i)).filter_map(|c| Some((c.left_child?, c.rowid?))).collect();
        (children, page.right_child)
    })
}

/// The first and last rowid of a table leaf with cells, for [`number_leaves`].
pub fn leaf_span(page: &BtreePage<'_>) -> Option<(i64, i64)> {
    if page.kind != PageKind::LeafTable {
        return None;
    }
    let first = page.cell(0)?.rowid?;
    let last = page.cell(page.cell_count.checked_sub(1)?)?.rowid?;
    Some((first, last))
}

/// The payload of a record on the leaf at `leaf_offset`, page `leaf_pgno`, whose local part is
/// `local`, `total` bytes in all, spilling to page `first`: its overflow pages read where the
/// leaf's number places them. `None` unless every page is there, none is a b-tree page, and the
/// chain ends (next page 0) exactly with the payload.
pub fn follow(
    data: &[u8],
    page_size: usize,
    leaf_offset: u64,
    leaf_pgno: u32,
    local: &[u8],
    total: u64,
    first: u32,
) -> Option<Vec<u8>> {
    let placed = |n: u32| -> Option<&[u8]> {
        let distance = i64::from(n) - i64::from(leaf_pgno);
        if distance == 0 || distance.abs() > MAX_DISTANCE {
            return None;
        }
        let offset = i64::try_from(leaf_offset).ok()?.checked_add(distance.checked_mul(page_size as i64)?)?;
        let img = slice(data, usize::try_from(offset).ok()?, page_size)?;
        let btree = BtreePage::parse(img, 0, page_size).is_ok_and(|p| p.validate(&mut Vec::new()).is_ok());
        (!btree).then_some(img)
    };
    let (out, next) = crate::sqlite::btree::read_overflow_chain(local, total, first, page_size, placed);
    (out.len() as u64 == total && next == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_is_numbered_only_when_it_alone_ends_at_the_key() {
        let leaves = vec![(4096, 1, 3), (8192, 4, 6), (12288, 5, 6), (16384, 7, 8)];
        let interiors = vec![(vec![(10, 3), (11, 6)], Some(12))];
        let n = number_leaves(&leaves, &interiors);
        assert_eq!(n.get(&4096), Some(&10));
        // Two leaves end at 6 after 3: neither is numbered.
        assert_eq!(n.get(&8192), None);
        assert_eq!(n.get(&12288), None);
        // The right child starts right after the last key.
        assert_eq!(n.get(&16384), Some(&12));
    }

    #[test]
    fn an_overflow_chain_is_read_where_the_number_places_it_and_must_end_there() {
        let ps = 512;
        let mut data = vec![0u8; ps * 4];
        // Leaf page 7 at offset 512; its record spills to page 8 (offset 1024), then page 9.
        data[1024..1028].copy_from_slice(&9u32.to_be_bytes());
        data[1028..1024 + ps].fill(b'a');
        data[1536..1540].copy_from_slice(&0u32.to_be_bytes());
        data[1540..1550].fill(b'b');
        let local = b"head".to_vec();
        let total = (local.len() + (ps - 4) + 10) as u64;
        let payload = follow(&data, ps, 512, 7, &local, total, 8).expect("chain");
        assert_eq!(payload.len() as u64, total);
        assert!(payload.ends_with(b"bbbbbbbbbb"));
        // A chain that does not end where the payload does is not taken.
        assert_eq!(follow(&data, ps, 512, 7, &local, total + 600, 8), None);
        // Nor one that points outside the input.
        assert_eq!(follow(&data, ps, 512, 7, &local, total, 40), None);
    }
}
