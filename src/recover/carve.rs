//! Carving records out of the free space of a table-leaf page: whole cells (unallocated space,
//! the second and later cells of a freeblock, freelist pages), and the first cell of a
//! freeblock, whose first four bytes the freeblock header overwrote.
//!
//! ```text
//! deleted cell:   | payload size | rowid | hdr size | type … type | body … |
//! as a freeblock: | next (2) | size (2) |…  intact from byte 4 on           |
//! ```
//! The first cell of a freeblock is rebuilt by hypotheses: the payload-size and rowid varints
//! took `a + b` bytes (2 to 7); if the record header starts at or after byte 4 it is intact and
//! read as is; else the header-size byte and the first serial types are lost, and are rebuilt
//! from the table's column count and affinities (one byte per lost serial type, integers
//! enumerated, one variable-length column solved from the freeblock size). A hypothesis is
//! kept only when the record it gives fits the table and the payload-size varint it implies
//! has exactly `a` bytes. Every loop is bounded by the region's length and the column count.

use super::template::Template;
use crate::bytes::{slice, varint};
use crate::sqlite::TextEncoding;

/// What carving in one database needs: its usable page size, text encoding and table templates.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'t> {
    /// Usable bytes per page.
    pub usable: usize,
    /// Text encoding of the database.
    pub encoding: TextEncoding,
    /// Templates of its tables.
    pub templates: &'t [Template],
    /// Where the region being carved ends because newer cells were written from there on (the
    /// start of a page's cell content, a live cell right after a freeblock: SQLite takes new
    /// cells from the end of free space). A deleted cell that runs past it lost its tail there:
    /// it is kept with the values before that point when the table's live rows vouch for it.
    pub cut_at: Option<usize>,
}

impl Ctx<'_> {
    /// Whether a cell ending past `end` may be cut there.
    fn may_cut(&self, end: usize) -> bool {
        self.cut_at == Some(end)
    }
}
use crate::sqlite::cell::local_payload_size;
use crate::sqlite::record::{serial_type_len, Record};

/// A record carved from a page region.
#[derive(Debug, Clone, PartialEq)]
pub struct Carved {
    /// Index of the template it fits.
    pub template: usize,
    /// Position of the cell (or of the freeblock that overwrote its head) in the page.
    pub pos: usize,
    /// Bytes of the page the cell took.
    pub len: usize,
    /// Rowid, when its bytes survive.
    pub rowid: Option<i64>,
    /// The record: header bytes (rebuilt where lost) followed by the body.
    pub record: Vec<u8>,
    /// Payload size of the record.
    pub payload_size: u64,
    /// First overflow page, when the payload spills.
    pub overflow: Option<u32>,
    /// Header bytes that had to be rebuilt (0 for an intact cell).
    pub rebuilt: u8,
    /// Log-likelihood of the rebuilt serial types under the table's prior (0 when none).
    pub score: f64,
}

/// Tries to read a whole table-leaf cell at `pos`, ending at or before `end`, that fits one of
/// the templates.
pub fn whole_cell(page: &[u8], pos: usize, end: usize, ctx: Ctx<'_>) -> Option<Carved> {
    let (usable, templates) = (ctx.usable, ctx.templates);
    let (payload_size, a) = varint(page, pos)?;
    if payload_size == 0 || payload_size > crate::sqlite::record::MAX_PAYLOAD {
        return None;
    }
    let (rowid, b) = varint(page, pos + a)?;
    let rowid = rowid as i64;
    if rowid <= 0 {
        return None;
    }
    let h = pos + a + b;
    let local = local_payload_size(payload_size, usable, true);
    let spills = (local as u64) < payload_size;
    let cell_end = h + local + if spills { 4 } else { 0 };
    let cut = cell_end > end;
    if cut && !ctx.may_cut(end) {
        return None;
    }
    let bytes = slice(page, h, if cut { end.checked_sub(h)? } else { local })?;
    let rec = Record::parse(bytes, payload_size).ok()?;
    // A table with this exact column count first; then one the record is a shorter or longer
    // version of.
    let types = &rec.serial_types;
    let template = templates
        .iter()
        .position(|t| t.len() == types.len() && t.fits(types))
        .or_else(|| templates.iter().position(|t| t.fits(types)))?;
    // A cut cell's overflow pointer was overwritten with its tail.
    let overflow = if spills && !cut { crate::bytes::be_u32(page, h + local).filter(|&p| p != 0) } else { None };
    if spills && !cut && overflow.is_none() {
        return None;
    }
    if !values_plausible(&rec, ctx.encoding) {
        return None;
    }
    let carved = Carved {
        template,
        pos,
        len: cell_end.min(end) - pos,
        rowid: Some(rowid),
        record: bytes.to_vec(),
        payload_size,
        overflow,
        rebuilt: 0,
        score: 0.0,
    };
    (!cut || vouched(&carved, ctx)).then_some(carved)
}

/// The cells of a table-leaf page read whole through its cell pointers, then the records of its
/// freeblocks: what an older or stray image of a page holds.
pub fn page_cells(img: &[u8], page: &crate::sqlite::page::BtreePage<'_>, ctx: Ctx<'_>) -> Vec<Carved> {
    let mut found = Vec::new();
    for i in 0..page.cell_count {
        if let Some(pos) = page.cell_pointer(i) {
            found.extend(whole_cell(img, pos, ctx.usable, ctx));
        }
    }
    for (pos, size) in page.freeblocks() {
        found.extend(freeblock(img, pos, size, ctx));
    }
    found
}

/// Every whole cell found in `page[start..end]`, scanning byte by byte and jumping over each
/// cell found. At most `(end − start)` positions are tried.
pub fn whole_cells(page: &[u8], start: usize, end: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos + 4 <= end {
        match whole_cell(page, pos, end, ctx) {
            Some(c) => {
                pos += c.len.max(1);
                out.push(c);
            }
            None => pos += 1,
        }
    }
    out
}

/// Records in the freeblock at `pos` of `size` bytes.
///
/// Cells freed one after the other and merged into one freeblock each lost their first four
/// bytes to the freeblock header written when they were freed; cells freed together kept
/// theirs. So the block is tiled from its start with rebuilt or whole cells until it is filled
/// exactly (a remainder under 4 bytes is a fragment): the tiling that fills the block confirms
/// every hypothesis in it. When no tiling fills the block, the best first cell and the whole
/// cells after it are kept. The search tries at most [`TILING_BUDGET`] positions per block.
pub fn freeblock(page: &[u8], pos: usize, size: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let end = (pos + size).min(ctx.usable);
    let mut memo = std::collections::HashMap::new();
    let mut budget = TILING_BUDGET;
    if let Some(cells) = tile(page, pos, end, ctx, &mut memo, &mut budget) {
        if !cells.is_empty() {
            return cells;
        }
    }
    let mut out = Vec::new();
    let mut next = pos + 4;
    if let Some(first) = freeblock_head(page, pos, end, ctx) {
        next = pos + first.len;
        out.push(first);
        // Cells freed after it, each with its head lost to its own freeing, while the
        // table's live rows vouch for them: the block's tail was overwritten since, so no
        // tiling reaches its end.
        let chain = vouched_chain(page, next, end, ctx);
        if let Some(last) = chain.last() {
            next = last.pos + last.len;
        }
        out.extend(chain);
    }
    out.extend(whole_cells(page, next, end, ctx));
    out
}

/// Freeblocks that are no longer in the page's chain but whose headers survive in free space:
/// when a page's last cell is deleted SQLite resets the page header, and every cell freed
/// before keeps the (next, size) header its freeing wrote. A position whose four bytes read as
/// such a header (size ≥ 4 and inside the region, next 0 or beyond the block) is carved as a
/// freeblock, and kept only when its cells tile it exactly.
pub fn stale_freeblocks(page: &[u8], start: usize, end: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let mut out = Vec::new();
    let mut q = start;
    while q + 4 <= end {
        let next = crate::bytes::be_u16(page, q).map_or(0, usize::from);
        let size = crate::bytes::be_u16(page, q + 2).map_or(0, usize::from);
        let plausible = size >= 4 && (next == 0 || (next >= q + size && next < ctx.usable)) && q + size <= ctx.usable;
        if plausible && q + size <= end {
            let mut memo = std::collections::HashMap::new();
            let mut budget = TILING_BUDGET;
            if let Some(cells) = tile(page, q, q + size, ctx, &mut memo, &mut budget).filter(|c| !c.is_empty()) {
                out.extend(cells);
                q += size;
                continue;
            }
        } else if plausible {
            // A block that runs into cells written since: its end is gone, so nothing confirms
            // a tiling; keep the cells the table's live rows vouch for, one after the other.
            let cells = vouched_chain(page, q, end, ctx);
            if let Some(last) = cells.last() {
                q = last.pos + last.len;
                out.extend(cells);
                continue;
            }
        }
        q += 1;
    }
    out
}

/// Cells from `p` on, each starting where the previous ends, as long as each is one the
/// table's live rows vouch for ([`vouched`]).
fn vouched_chain(page: &[u8], mut p: usize, end: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let mut out: Vec<Carved> = Vec::new();
    while end.saturating_sub(p) >= 4 && out.len() < MAX_CHAIN {
        let mut candidates: Vec<Carved> = whole_cell(page, p, end, ctx).into_iter().collect();
        candidates.extend(head_candidates(page, p, end, ctx).into_iter().filter(|c| vouched(c, ctx)));
        let Some(best) = candidates
            .into_iter()
            .max_by(|a, b| b.rebuilt.cmp(&a.rebuilt).then(a.score.total_cmp(&b.score)).then(b.len.cmp(&a.len)))
        else {
            break;
        };
        p = best.pos + best.len;
        out.push(best);
    }
    out
}

/// Longest chain of cells [`vouched_chain`] follows.
const MAX_CHAIN: usize = 64;

/// A rebuilt cell the table's live rows vouch for: every column's type is of a class live rows
/// of that column hold, the lost types are each the class most live rows have, and no value is
/// implausible. Without live rows to learn from, nothing is vouched for.
fn vouched(c: &Carved, ctx: Ctx<'_>) -> bool {
    let Some(t) = ctx.templates.get(c.template) else { return false };
    let Ok(rec) = Record::parse(&c.record, c.payload_size) else { return false };
    let lost = usize::from(c.rebuilt).saturating_sub(1);
    let seen_before = rec.serial_types.iter().enumerate().all(|(i, &ty)| t.rowid_alias == Some(i) || t.seen(i, ty));
    let lost_usual =
        rec.serial_types.iter().take(lost).enumerate().all(|(i, &ty)| t.rowid_alias == Some(i) || t.usual(i, ty));
    seen_before && lost_usual && value_score(&rec) == 0.0
}

/// Positions a freeblock tiling may try.
pub const TILING_BUDGET: usize = 256;

/// Cells that exactly fill `[p, end)`, preferring the fewest rebuilt bytes at each step.
fn tile(
    page: &[u8],
    p: usize,
    end: usize,
    ctx: Ctx<'_>,
    memo: &mut std::collections::HashMap<usize, Option<Vec<Carved>>>,
    budget: &mut usize,
) -> Option<Vec<Carved>> {
    if end.saturating_sub(p) < 4 {
        return Some(Vec::new());
    }
    if let Some(known) = memo.get(&p) {
        return known.clone();
    }
    if *budget == 0 {
        return None;
    }
    *budget -= 1;
    let mut candidates: Vec<Carved> = whole_cell(page, p, end, ctx).into_iter().collect();
    candidates.extend(head_candidates(page, p, end, ctx));
    // Most likely first: whole cells, then rebuilds whose lost types are the ones live
    // records of the table usually have.
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.rebuilt.cmp(&b.rebuilt)).then(a.len.cmp(&b.len)));
    candidates.dedup_by(|a, b| a.len == b.len && a.record == b.record);
    let mut found = None;
    for c in candidates {
        if c.len == 0 {
            continue;
        }
        if let Some(rest) = tile(page, p + c.len, end, ctx, memo, budget) {
            let mut cells = vec![c];
            cells.extend(rest);
            found = Some(cells);
            break;
        }
    }
    memo.insert(p, found.clone());
    found
}

/// Every rebuild of a head-lost cell at `pos` whose payload-size varint length agrees.
fn head_candidates(page: &[u8], pos: usize, end: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let mut out = Vec::new();
    for (ti, t) in ctx.templates.iter().enumerate() {
        for a in 1..=3usize {
            for b in 1..=4usize {
                for c in head_hypotheses(page, pos, pos + a + b, end, ctx, t, ti) {
                    if crate::bytes::varint(&encode(c.payload_size), 0).map(|(_, n)| n) == Some(a) {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

/// The most plausible rebuild of the cell whose first four bytes the freeblock header at `pos`
/// overwrote.
fn freeblock_head(page: &[u8], pos: usize, end: usize, ctx: Ctx<'_>) -> Option<Carved> {
    // A hypothesis is better when what follows it confirms it: the freeblock ends exactly
    // there (one freed cell), or another whole cell starts there (adjacent cells freed
    // together). Then fewer rebuilt bytes, then the shorter record.
    let mut best: Option<(u8, Carved)> = None;
    for c in head_candidates(page, pos, end, ctx) {
        let after = c.pos + c.len;
        let confirmed = if after == end {
            2
        } else if end - after >= 4 && whole_cell(page, after, end, ctx).is_some() {
            1
        } else {
            0
        };
        let better = best.as_ref().is_none_or(|(bc, old)| {
            (confirmed, std::cmp::Reverse(c.rebuilt))
                .cmp(&(*bc, std::cmp::Reverse(old.rebuilt)))
                .then(c.score.total_cmp(&old.score))
                .is_gt()
        });
        if better {
            best = Some((confirmed, c));
        }
    }
    best.map(|(_, c)| c)
}

fn encode(v: u64) -> Vec<u8> {
    let mut buf = [0u8; 9];
    let n = crate::bytes::encode_varint(v, &mut buf);
    buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Records that could start with a header at `h` in a freeblock at `pos`, given template `t`.
fn head_hypotheses(
    page: &[u8],
    pos: usize,
    h: usize,
    end: usize,
    ctx: Ctx<'_>,
    t: &Template,
    ti: usize,
) -> Vec<Carved> {
    let intact = pos + 4;
    let (min, max) = t.column_range();
    let mut out = Vec::new();
    if h >= intact {
        // The header is intact: read it, with the payload size it implies.
        let Some((hsize, hn)) = varint(page, h) else { return out };
        // The header lies inside the block: a larger size is not a header.
        let Some(hsize) = usize::try_from(hsize).ok().filter(|&s| s <= end.saturating_sub(h)) else { return out };
        let Some(types) = read_types(page, h + hn, h + hsize, (min, max)) else { return out };
        if let Some(c) = assemble(page, pos, h, hsize, &types, end, ctx, t, ti, 0) {
            out.push(c);
        }
        return out;
    }
    // Header-size byte at h is lost; serial types in (h, intact) are lost too.
    let lost = intact - (h + 1);
    if lost > min {
        return out;
    }
    // Header size: one byte for its own size, then the types; each type takes 1 to 9 bytes,
    // lost ones one byte each. Try every size the column counts allow (a record of fewer
    // columns than the table is one written before ALTER TABLE added the others).
    let n = t.len();
    for hsize in (1 + min)..=(1 + n + 2 * n).min(127) {
        let Some(known) = read_types(page, intact, h + hsize, (min - lost, n - lost)) else { continue };
        for lost_types in lost_type_choices(t, lost, h, hsize, &known, end) {
            let mut types = lost_types;
            types.extend_from_slice(&known);
            if let Some(c) = assemble(page, pos, h, hsize, &types, end, ctx, t, ti, (intact - h) as u8) {
                out.push(c);
            }
        }
    }
    out
}

/// The serial-type varints between `start` and `stop`, when they end exactly at `stop` and
/// their count is within `(min, max)`; else `None`.
fn read_types(page: &[u8], start: usize, stop: usize, (min, max): (usize, usize)) -> Option<Vec<u64>> {
    let mut types = Vec::with_capacity(max.min(128));
    let mut p = start;
    while p < stop {
        let (t, len) = varint(page, p)?;
        types.push(t);
        p += len;
        if types.len() > max {
            return None;
        }
    }
    (p == stop && types.len() >= min).then_some(types)
}

/// Candidate serial types for the `lost` first columns. Integers are enumerated; a lost
/// variable-length column gets the one length that makes the cell fill the freeblock exactly.
fn lost_type_choices(t: &Template, lost: usize, h: usize, hsize: usize, known: &[u64], end: usize) -> Vec<Vec<u64>> {
    let known_body: u64 = known.iter().filter_map(|&k| serial_type_len(k)).sum();
    let room = (end - h) as u64; // header + body must fit in the freeblock from h on
    let mut choices: Vec<Vec<u64>> = vec![Vec::new()];
    for col in 0..lost {
        let aff = t.affinities.get(col).copied();
        let mut opts: Vec<u64> = Vec::new();
        if t.rowid_alias == Some(col) {
            opts.push(0);
        } else {
            opts.extend(
                [0u64, 1, 2, 3, 4, 5, 6, 8, 9, 7].iter().copied().filter(|&x| aff.is_some_and(|a| a.allows(x))),
            );
            // A variable-length column: its length is what is left of the freeblock.
            let used = hsize as u64 + known_body;
            if let Some(rest) = room.checked_sub(used) {
                for base in [13u64, 12] {
                    let st = base + 2 * rest;
                    // Lost serial types are taken to be one-byte varints (below 128).
                    if rest > 0 && st < 128 && aff.is_some_and(|a| a.allows(st)) {
                        opts.push(st);
                    }
                }
            }
        }
        let mut next = Vec::new();
        for c in &choices {
            for &o in &opts {
                let mut v = c.clone();
                v.push(o);
                next.push(v);
            }
        }
        choices = next;
        if choices.len() > 256 {
            break;
        }
    }
    choices
}

/// Builds the record from a (possibly rebuilt) header and the body after it, and checks it.
#[allow(clippy::too_many_arguments)]
fn assemble(
    page: &[u8],
    pos: usize,
    h: usize,
    hsize: usize,
    types: &[u64],
    end: usize,
    ctx: Ctx<'_>,
    t: &Template,
    ti: usize,
    rebuilt: u8,
) -> Option<Carved> {
    let usable = ctx.usable;
    if !t.fits(types) {
        return None;
    }
    let body: u64 = types.iter().map(|&x| serial_type_len(x)).sum::<Option<u64>>()?;
    let payload_size = hsize as u64 + body;
    let local = local_payload_size(payload_size, usable, true);
    let spills = (local as u64) < payload_size;
    let cell_end = h + local + if spills { 4 } else { 0 };
    let cut = cell_end > end;
    if cut && !ctx.may_cut(end) {
        return None;
    }
    let mut record = Vec::with_capacity(local);
    record.push(hsize as u8);
    for &x in types {
        let mut buf = [0u8; 9];
        let n = crate::bytes::encode_varint(x, &mut buf);
        record.extend_from_slice(buf.get(..n)?);
    }
    if record.len() != hsize {
        return None;
    }
    let body_end = if cut { end } else { h + local };
    record.extend_from_slice(slice(page, h + hsize, body_end.checked_sub(h + hsize)?)?);
    let rec = Record::parse(&record, payload_size).ok()?;
    if !values_plausible(&rec, ctx.encoding) {
        return None;
    }
    // A cut cell's overflow pointer was overwritten with its tail.
    let overflow = if spills && !cut { crate::bytes::be_u32(page, h + local).filter(|&p| p != 0) } else { None };
    if spills && !cut && overflow.is_none() {
        return None;
    }
    let lost = usize::from(rebuilt).saturating_sub(1);
    let prior: f64 = types.iter().take(lost).enumerate().map(|(i, &x)| t.log_prior(i, x)).sum();
    // A record of another column count than the table's is rarer (rows from before an ALTER
    // TABLE, a newer app version) than one of its own.
    let other_count = types.len().abs_diff(t.len()) as f64 * OTHER_COUNT_PENALTY;
    let score = prior + value_score(&rec) - other_count;
    let len = cell_end.min(end) - pos;
    let carved = Carved { template: ti, pos, len, rowid: None, record, payload_size, overflow, rebuilt, score };
    // Without its end, nothing confirms a rebuilt cut cell but the table's live rows.
    (!cut || vouched(&carved, ctx)).then_some(carved)
}

/// Score lowering per column a rebuilt record has more or fewer than its table.
const OTHER_COUNT_PENALTY: f64 = 4.0;

/// Penalty for values real data rarely holds: a float of extreme magnitude is what eight
/// misaligned bytes decode to far more often than what an app stores.
fn value_score(rec: &Record<'_>) -> f64 {
    rec.values()
        .iter()
        .map(|v| match v {
            crate::sqlite::record::Value::Real(x) if *x != 0.0 && !(1e-30..1e30).contains(&x.abs()) => -8.0,
            _ => 0.0,
        })
        .sum()
}

/// Every text value decodes in the database encoding and holds no control character other
/// than tab and line breaks: what apps store as text.
pub(crate) fn values_plausible(rec: &Record<'_>, enc: TextEncoding) -> bool {
    rec.values().iter().all(|v| match v {
        crate::sqlite::record::Value::Text(b) => {
            enc.decode(b).is_some_and(|s| !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        }
        _ => true,
    })
}
