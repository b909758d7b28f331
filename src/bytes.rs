//! Checked readers over `&[u8]`: big-endian integers, sub-slices and SQLite varints.
//!
//! Every read that an input controls goes through here. Each function returns `None` instead of
//! panicking when the requested bytes are not all inside the buffer, and computes every
//! `pos + len` with `checked_add`, so a hostile length can neither wrap nor index out of bounds.
#![deny(clippy::indexing_slicing)]

/// The byte at `pos`, or `None` past the end.
#[inline]
pub fn u8_at(buf: &[u8], pos: usize) -> Option<u8> {
    buf.get(pos).copied()
}

/// `len` bytes starting at `pos`, or `None` if any of them lies outside `buf`.
#[inline]
pub fn slice(buf: &[u8], pos: usize, len: usize) -> Option<&[u8]> {
    buf.get(pos..pos.checked_add(len)?)
}

/// A fixed-size array copied from `buf[pos..pos + N]`.
#[inline]
pub fn array<const N: usize>(buf: &[u8], pos: usize) -> Option<[u8; N]> {
    slice(buf, pos, N)?.try_into().ok()
}

/// Big-endian `u16` at `pos`.
#[inline]
pub fn be_u16(buf: &[u8], pos: usize) -> Option<u16> {
    array::<2>(buf, pos).map(u16::from_be_bytes)
}

/// Big-endian 24-bit unsigned integer at `pos`.
#[inline]
pub fn be_u24(buf: &[u8], pos: usize) -> Option<u32> {
    let b = array::<3>(buf, pos)?;
    Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

/// Big-endian `u32` at `pos`.
#[inline]
pub fn be_u32(buf: &[u8], pos: usize) -> Option<u32> {
    array::<4>(buf, pos).map(u32::from_be_bytes)
}

/// Little-endian `u32` at `pos`.
#[inline]
pub fn le_u32(buf: &[u8], pos: usize) -> Option<u32> {
    array::<4>(buf, pos).map(u32::from_le_bytes)
}

/// Big-endian `u64` at `pos`.
#[inline]
pub fn be_u64(buf: &[u8], pos: usize) -> Option<u64> {
    array::<8>(buf, pos).map(u64::from_be_bytes)
}

/// A big-endian two's-complement integer of `len` bytes (1..=8) at `pos`, sign-extended.
#[inline]
pub fn be_int(buf: &[u8], pos: usize, len: usize) -> Option<i64> {
    if len == 0 || len > 8 {
        return None;
    }
    let bytes = slice(buf, pos, len)?;
    let mut v: i64 = if bytes.first()? & 0x80 != 0 { -1 } else { 0 };
    for &b in bytes {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

/// Decodes the SQLite varint at `pos`: the value and the number of bytes it takes (1..=9).
///
/// Bytes 1 to 8 give their low seven bits and continue while the high bit is set; a ninth byte
/// gives all eight bits. Returns `None` when the varint runs past the end of `buf`.
#[inline]
pub fn varint(buf: &[u8], pos: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..8 {
        let b = u8_at(buf, pos.checked_add(i)?)?;
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    let b = u8_at(buf, pos.checked_add(8)?)?;
    Some(((v << 8) | u64::from(b), 9))
}

/// Encodes `v` as an SQLite varint into `out`, returning the number of bytes written.
/// Used by tests and by recovery code that rebuilds destroyed record headers.
pub fn encode_varint(v: u64, out: &mut [u8; 9]) -> usize {
    if v > 0x00ff_ffff_ffff_ffff {
        // Eight 7-bit groups of the high 56 bits, then the low byte whole.
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = if i < 8 { ((v >> (8 + 7 * (7 - i))) as u8 & 0x7f) | 0x80 } else { v as u8 };
        }
        return 9;
    }
    let bits = 64 - v.leading_zeros() as usize;
    let n = bits.div_ceil(7).max(1);
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let more = if i + 1 < n { 0x80 } else { 0 };
        *slot = ((v >> (7 * (n - 1 - i))) as u8 & 0x7f) | more;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_at_every_length() {
        let samples = [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            (1 << 21) - 1,
            1 << 21,
            (1 << 56) - 1,
            1 << 56,
            u64::MAX,
            0x0123_4567_89ab_cdef,
        ];
        for &v in &samples {
            let mut buf = [0u8; 9];
            let n = encode_varint(v, &mut buf);
            assert_eq!(varint(&buf[..n], 0), Some((v, n)), "value {v:#x}");
        }
    }

    #[test]
    fn truncated_varint_is_none() {
        assert_eq!(varint(&[0x81, 0x82], 0), None);
        assert_eq!(varint(&[0xff; 8], 0), None);
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[], 0), None);
        assert_eq!(varint(&[1], usize::MAX), None);
    }

    #[test]
    fn signed_integers_sign_extend() {
        assert_eq!(be_int(&[0xff], 0, 1), Some(-1));
        assert_eq!(be_int(&[0x7f, 0xff], 0, 2), Some(32767));
        assert_eq!(be_int(&[0x80, 0, 0], 0, 3), Some(-8_388_608));
        assert_eq!(be_int(&[0; 8], 0, 9), None);
        assert_eq!(be_int(&[1, 2], 1, 2), None);
    }
}
