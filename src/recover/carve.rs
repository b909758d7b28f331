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
}
use crate::sqlite::cell::local_payload_size;
use crate::sqlite::record::{serial_type_len, Record};

/// A record carved from a page region.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    if cell_end > end {
        return None;
    }
    let bytes = slice(page, h, local)?;
    let rec = Record::parse(bytes, payload_size).ok()?;
    let template = templates.iter().position(|t| t.fits(&rec.serial_types))?;
    let overflow = if spills { crate::bytes::be_u32(page, h + local).filter(|&p| p != 0) } else { None };
    if spills && overflow.is_none() {
        return None;
    }
    if !values_plausible(&rec, ctx.encoding) {
        return None;
    }
    Some(Carved {
        template,
        pos,
        len: cell_end - pos,
        rowid: Some(rowid),
        record: bytes.to_vec(),
        payload_size,
        overflow,
        rebuilt: 0,
    })
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

/// Records in the freeblock at `pos` of `size` bytes: the first cell rebuilt by hypotheses,
/// then the whole cells after it.
pub fn freeblock(page: &[u8], pos: usize, size: usize, ctx: Ctx<'_>) -> Vec<Carved> {
    let end = (pos + size).min(ctx.usable);
    let mut out = Vec::new();
    let mut next = pos + 4;
    if let Some(first) = freeblock_head(page, pos, end, ctx) {
        next = pos + first.len;
        out.push(first);
    }
    out.extend(whole_cells(page, next, end, ctx));
    out
}

/// The most plausible rebuild of the cell whose first four bytes the freeblock header at `pos`
/// overwrote.
fn freeblock_head(page: &[u8], pos: usize, end: usize, ctx: Ctx<'_>) -> Option<Carved> {
    let mut best: Option<Carved> = None;
    for (ti, t) in ctx.templates.iter().enumerate() {
        for a in 1..=3usize {
            for b in 1..=4usize {
                let h = pos + a + b;
                for c in head_hypotheses(page, pos, h, end, ctx, t, ti) {
                    if crate::bytes::varint(&encode(c.payload_size), 0).map(|(_, n)| n) != Some(a) {
                        continue;
                    }
                    let better = match &best {
                        None => true,
                        Some(old) => (c.rebuilt, std::cmp::Reverse(c.len)) < (old.rebuilt, std::cmp::Reverse(old.len)),
                    };
                    if better {
                        best = Some(c);
                    }
                }
            }
        }
    }
    best
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
    let n = t.len();
    let mut out = Vec::new();
    if h >= intact {
        // The header is intact: read it, with the payload size it implies.
        let Some((hsize, hn)) = varint(page, h) else { return out };
        let Some(types) = read_types(page, h + hn, h + hsize as usize, n) else { return out };
        if let Some(c) = assemble(page, pos, h, hsize as usize, &types, end, ctx, t, ti, 0) {
            out.push(c);
        }
        return out;
    }
    // Header-size byte at h is lost; serial types in (h, intact) are lost too.
    let lost = intact - (h + 1);
    if lost > n {
        return out;
    }
    // Header size: one byte for its own size, then the types; each type takes 1 to 9 bytes,
    // lost ones one byte each. Try every size the column count allows.
    for hsize in (1 + n)..=(1 + n + 2 * n).min(127) {
        let Some(known) = read_types(page, intact, h + hsize, n - lost) else { continue };
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

/// Exactly `count` serial-type varints between `start` and `stop`, or `None`.
fn read_types(page: &[u8], start: usize, stop: usize, count: usize) -> Option<Vec<u64>> {
    let mut types = Vec::with_capacity(count);
    let mut p = start;
    while p < stop {
        let (t, len) = varint(page, p)?;
        types.push(t);
        p += len;
        if types.len() > count {
            return None;
        }
    }
    (p == stop && types.len() == count).then_some(types)
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
    if cell_end > end {
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
    record.extend_from_slice(slice(page, h + hsize, local.checked_sub(hsize)?)?);
    let rec = Record::parse(&record, payload_size).ok()?;
    if !values_plausible(&rec, ctx.encoding) {
        return None;
    }
    let overflow = if spills { crate::bytes::be_u32(page, h + local).filter(|&p| p != 0) } else { None };
    if spills && overflow.is_none() {
        return None;
    }
    Some(Carved { template: ti, pos, len: cell_end - pos, rowid: None, record, payload_size, overflow, rebuilt })
}

/// Every text value decodes in the database encoding and holds no control character other
/// than tab and line breaks: what apps store as text.
fn values_plausible(rec: &Record<'_>, enc: TextEncoding) -> bool {
    rec.values().iter().all(|v| match v {
        crate::sqlite::record::Value::Text(b) => {
            enc.decode(b).is_some_and(|s| !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        }
        _ => true,
    })
}
