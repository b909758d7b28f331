//! FTS3/FTS4 varints: little-endian base-128, at most 10 bytes.
//!
//! Not the SQLite record varint of [`crate::bytes::varint`] (big-endian groups, ninth byte whole).
//! Here the first byte holds the lowest seven bits, each byte with its high bit set says another
//! follows, and ten bytes carry the 64 bits (`sqlite3Fts3GetVarint` in `fts3.c`):
//!
//! ```text
//!   300 = 0b10_0101100  →  [1_0101100] [0_0000010]  =  ac 02
//! ```
#![deny(clippy::indexing_slicing)]

/// Longest FTS varint, in bytes (7 × 9 = 63 bits, then one more byte for bit 63).
pub const MAX_VARINT_LEN: usize = 10;

/// Decodes the FTS varint at `pos`: the value and the number of bytes it takes (1..=10).
///
/// Returns `None` when the varint runs past the end of `buf`, or when all ten bytes have their
/// high bit set (SQLite would stop there and read garbage; a decoder of hostile bytes should
/// not). Bits beyond the 64th are dropped, as SQLite does. Never reads past `pos + 10`.
#[inline]
pub fn varint(buf: &[u8], pos: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..MAX_VARINT_LEN {
        let b = *buf.get(pos.checked_add(i)?)?;
        v |= u64::from(b & 0x7f).checked_shl(7 * i as u32).unwrap_or(0);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Encodes `v` as an FTS varint into `out`, returning the number of bytes written (1..=10).
/// The inverse of [`varint`]; used by tests and fuzz seeds.
pub fn encode_varint(mut v: u64, out: &mut [u8; MAX_VARINT_LEN]) -> usize {
    let mut n = 0;
    for slot in out.iter_mut() {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        n += 1;
        if v == 0 {
            *slot = low;
            break;
        }
        *slot = low | 0x80;
    }
    n
}

/// Appends the FTS varint of `v` to `out`.
pub fn push_varint(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; MAX_VARINT_LEN];
    let n = encode_varint(v, &mut buf);
    out.extend(buf.iter().take(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(varint(&[0x00], 0), Some((0, 1)));
        assert_eq!(varint(&[0x7f], 0), Some((127, 1)));
        assert_eq!(varint(&[0xac, 0x02], 0), Some((300, 2)));
        assert_eq!(varint(&[0x80, 0x01], 0), Some((128, 2)));
        // Not the SQLite record varint, which reads 81 00 as 128.
        assert_eq!(varint(&[0x81, 0x00], 0), Some((1, 2)));
        assert_eq!(varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 0), Some((u64::MAX, 10)));
    }

    #[test]
    fn bounded() {
        assert_eq!(varint(&[], 0), None);
        assert_eq!(varint(&[0x80], 0), None);
        assert_eq!(varint(&[0x05], 1), None);
        assert_eq!(varint(&[0x05], usize::MAX), None);
        assert_eq!(varint(&[0xff; 11], 0), None, "ten continuation bytes are not a varint");
    }

    #[test]
    fn round_trip() {
        for v in [0, 1, 127, 128, 300, 16383, 16384, u64::from(u32::MAX), u64::MAX / 3, u64::MAX] {
            let mut out = [0u8; MAX_VARINT_LEN];
            let n = encode_varint(v, &mut out);
            assert_eq!(varint(&out[..n], 0), Some((v, n)), "{v}");
        }
    }
}
