//! Records: the payload format of every table and index cell.
//!
//! ```text
//! | header size (varint, counts itself) | serial type (varint) × columns | body: column values, in order |
//! ```
//! Serial types: 0 NULL; 1..=6 big-endian signed integers of 1, 2, 3, 4, 6, 8 bytes; 7 IEEE 754
//! float; 8 and 9 the integers 0 and 1; 10 and 11 reserved (never valid); even N ≥ 12 a BLOB of
//! (N − 12) / 2 bytes; odd N ≥ 13 TEXT of (N − 13) / 2 bytes in the database encoding.

use super::error::{DecodeError, DecodeResult, OrTruncated};
use crate::bytes::{be_int, be_u64, slice, varint};

/// Largest payload SQLite accepts (SQLITE_MAX_LENGTH upper bound, 2^31 − 1).
pub const MAX_PAYLOAD: u64 = 0x7fff_ffff;

/// One decoded column value, borrowing the bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL (also what an `INTEGER PRIMARY KEY` column stores: its value is the rowid).
    Null,
    /// A signed integer (serial types 1..=6, 8, 9).
    Integer(i64),
    /// A float (serial type 7).
    Real(f64),
    /// Text in the database encoding, undecoded.
    Text(&'a [u8]),
    /// A BLOB.
    Blob(&'a [u8]),
}

/// Number of body bytes a serial type takes, or `None` for the reserved types 10 and 11 and for
/// lengths beyond [`MAX_PAYLOAD`].
#[inline]
pub fn serial_type_len(t: u64) -> Option<u64> {
    match t {
        0 | 8 | 9 => Some(0),
        1 => Some(1),
        2 => Some(2),
        3 => Some(3),
        4 => Some(4),
        5 => Some(6),
        6 | 7 => Some(8),
        10 | 11 => None,
        n if n > 2 * MAX_PAYLOAD + 13 => None,
        n => Some((n - 12) / 2),
    }
}

/// A record whose header has been checked against its payload size.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// The payload bytes available (the whole payload, or only a prefix when truncated).
    payload: &'a [u8],
    /// Size of the record header in bytes.
    pub header_size: usize,
    /// Serial type of each column, in order.
    pub serial_types: Vec<u64>,
    /// Total payload size the cell declares.
    pub payload_size: u64,
}

impl<'a> Record<'a> {
    /// Parses the record header from `payload` (which may be only a prefix of the record when
    /// the rest sits on overflow pages) and checks it is consistent with `payload_size`:
    /// header size within the payload, no reserved serial type, and header plus body sizes
    /// adding up to exactly `payload_size`.
    ///
    /// Allocates at most one `u64` per header byte.
    pub fn parse(payload: &'a [u8], payload_size: u64) -> DecodeResult<Self> {
        if payload_size > MAX_PAYLOAD {
            return Err(DecodeError::too_large("payload size", 0));
        }
        let (hsize, n) = varint(payload, 0).or_truncated("record header size", 0)?;
        if hsize < n as u64 || hsize > payload_size {
            return Err(DecodeError::invalid("record header size", 0));
        }
        let header_size = hsize as usize;
        let header = slice(payload, 0, header_size).or_truncated("record header", 0)?;
        let mut serial_types = Vec::with_capacity(header_size.min(64));
        let mut pos = n;
        let mut body: u64 = 0;
        while pos < header_size {
            let (t, len) = varint(header, pos).or_truncated("serial type", pos)?;
            let size = serial_type_len(t).ok_or(DecodeError::invalid("serial type", pos))?;
            body = body.checked_add(size).ok_or(DecodeError::too_large("record body", pos))?;
            serial_types.push(t);
            pos += len;
        }
        if pos != header_size {
            return Err(DecodeError::invalid("record header end", pos));
        }
        if hsize.checked_add(body) != Some(payload_size) {
            return Err(DecodeError::invalid("record size", header_size));
        }
        Ok(Self { payload, header_size, serial_types, payload_size })
    }

    /// Number of columns in the record.
    pub fn column_count(&self) -> usize {
        self.serial_types.len()
    }

    /// Whether the available bytes hold the whole payload.
    pub fn is_complete(&self) -> bool {
        self.payload.len() as u64 >= self.payload_size
    }

    /// Decodes every column. When the payload is truncated, columns whose bytes are missing are
    /// left out: the result is shorter than [`Record::column_count`].
    pub fn values(&self) -> Vec<Value<'a>> {
        let mut out = Vec::with_capacity(self.serial_types.len());
        let mut pos = self.header_size;
        for &t in &self.serial_types {
            let Some(len) = serial_type_len(t) else { break };
            let Some(v) = decode_value(self.payload, pos, t) else {
                break;
            };
            out.push(v);
            pos += len as usize;
        }
        out
    }

    /// Like [`Record::values`], and when the payload is truncated inside a TEXT or BLOB value,
    /// that value's surviving prefix is given too (with `true`): the text that survives a
    /// broken overflow chain.
    pub fn values_with_partial(&self) -> (Vec<Value<'a>>, bool) {
        let mut out = self.values();
        let Some(&t) = self.serial_types.get(out.len()) else { return (out, false) };
        if t < 12 {
            return (out, false);
        }
        let pos: u64 = self.header_size as u64
            + self.serial_types.iter().take(out.len()).filter_map(|&t| serial_type_len(t)).sum::<u64>();
        let Some(rest) = usize::try_from(pos).ok().and_then(|p| self.payload.get(p..)) else { return (out, false) };
        if rest.is_empty() {
            return (out, false);
        }
        out.push(if t % 2 == 1 { Value::Text(rest) } else { Value::Blob(rest) });
        (out, true)
    }
}

/// Decodes one value of serial type `t` at `pos`.
pub fn decode_value(buf: &[u8], pos: usize, t: u64) -> Option<Value<'_>> {
    Some(match t {
        0 => Value::Null,
        1..=4 => Value::Integer(be_int(buf, pos, t as usize)?),
        5 => Value::Integer(be_int(buf, pos, 6)?),
        6 => Value::Integer(be_u64(buf, pos)? as i64),
        7 => Value::Real(f64::from_bits(be_u64(buf, pos)?)),
        8 => Value::Integer(0),
        9 => Value::Integer(1),
        10 | 11 => return None,
        n => {
            let len = usize::try_from((n - 12) / 2).ok()?;
            let bytes = slice(buf, pos, len)?;
            if n % 2 == 0 {
                Value::Blob(bytes)
            } else {
                Value::Text(bytes)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_serial_type() {
        // header: size 11, types NULL, i8, i16, i24, i32, i48, i64, f64, 0, 1, text(2)
        let mut p = vec![12u8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17];
        p.extend_from_slice(&[0xff]);
        p.extend_from_slice(&[0x01, 0x00]);
        p.extend_from_slice(&[0x80, 0, 0]);
        p.extend_from_slice(&[0, 0, 0, 5]);
        p.extend_from_slice(&[0, 0, 0, 0, 0, 6]);
        p.extend_from_slice(&(-7i64).to_be_bytes());
        p.extend_from_slice(&1.5f64.to_be_bytes());
        p.extend_from_slice(b"hi");
        let r = Record::parse(&p, p.len() as u64).expect("valid record");
        let v = r.values();
        assert_eq!(
            v,
            vec![
                Value::Null,
                Value::Integer(-1),
                Value::Integer(256),
                Value::Integer(-8_388_608),
                Value::Integer(5),
                Value::Integer(6),
                Value::Integer(-7),
                Value::Real(1.5),
                Value::Integer(0),
                Value::Integer(1),
                Value::Text(b"hi"),
            ]
        );
    }

    #[test]
    fn rejects_reserved_types_and_size_mismatch() {
        assert!(Record::parse(&[2, 10], 2).is_err());
        assert!(Record::parse(&[2, 1, 5], 4).is_err());
        assert!(Record::parse(&[2, 1, 5], 3).is_ok());
        assert!(Record::parse(&[200], 3).is_err());
    }

    #[test]
    fn truncated_payload_gives_fewer_values() {
        let p = [3u8, 1, 19, 7, b'a'];
        let r = Record::parse(&p, 3 + 1 + 3).expect("header ok");
        assert!(!r.is_complete());
        assert_eq!(r.values(), vec![Value::Integer(7)]);
    }
}
