//! The 100-byte database header at the start of page 1, validated field by field.
//!
//! ```text
//!  0 magic "SQLite format 3\0"   16 page size (1 = 65536)   18 write ver  19 read ver
//! 20 reserved bytes per page      21/22/23 payload fractions 64/32/32
//! 24 file change counter          28 database size in pages
//! 32 first freelist trunk page    36 freelist page count     40 schema cookie
//! 44 schema format (1..4)         48 default cache size      52 largest root (auto-vacuum)
//! 56 text encoding (1..3)         60 user version            64 incremental vacuum
//! 68 application id               72 reserved, zero (20)     92 version-valid-for  96 SQLITE_VERSION_NUMBER
//! ```

use super::{is_valid_page_size, TextEncoding};
use crate::bytes::{be_u16, be_u32, slice, u8_at};

/// The magic string every database file starts with.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Size of the header.
pub const HEADER_SIZE: usize = 100;

/// A database header that passed every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbHeader {
    /// Page size in bytes (512..=65536).
    pub page_size: u32,
    /// File format write version: 1 legacy, 2 WAL.
    pub write_version: u8,
    /// File format read version: 1 legacy, 2 WAL.
    pub read_version: u8,
    /// Bytes reserved at the end of each page.
    pub reserved: u8,
    /// File change counter.
    pub change_counter: u32,
    /// Database size in pages, as the header says (see [`DbHeader::size_is_trustworthy`]).
    pub page_count: u32,
    /// First freelist trunk page, 0 if none.
    pub freelist_trunk: u32,
    /// Total freelist pages.
    pub freelist_count: u32,
    /// Schema cookie.
    pub schema_cookie: u32,
    /// Schema format number (1..=4).
    pub schema_format: u32,
    /// Largest root b-tree page when auto-vacuum or incremental vacuum is on, else 0.
    pub largest_root: u32,
    /// Text encoding.
    pub encoding: TextEncoding,
    /// User version.
    pub user_version: u32,
    /// Non-zero when incremental vacuum is on.
    pub incremental_vacuum: u32,
    /// Application id.
    pub application_id: u32,
    /// The change counter value for which `page_count` is valid.
    pub version_valid_for: u32,
    /// SQLITE_VERSION_NUMBER of the library that last wrote the file.
    pub sqlite_version: u32,
}

/// Which check a candidate header failed. Detectors use it to explain rejections in docs and
/// tests; a failed header is a miss, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderReject {
    /// Fewer than 100 bytes available.
    Truncated,
    /// The 16-byte magic string differs.
    Magic,
    /// Page size not a power of two in 512..=65536.
    PageSize,
    /// Read or write version not 1 or 2.
    FileFormat,
    /// Payload fractions not 64/32/32.
    PayloadFractions,
    /// Reserved bytes leave a usable size under 480.
    ReservedSpace,
    /// Schema format not 0..=4 (0 for a database with no schema yet).
    SchemaFormat,
    /// Text encoding not 1..=3 (0 allowed for an empty database).
    TextEncoding,
    /// The 20 reserved bytes at offset 72 are not all zero.
    ReservedArea,
    /// Freelist trunk or largest root page past the page count.
    PageNumbers,
}

impl DbHeader {
    /// Parses and validates the header at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, HeaderReject> {
        let h = slice(buf, 0, HEADER_SIZE).ok_or(HeaderReject::Truncated)?;
        if slice(h, 0, 16) != Some(&MAGIC[..]) {
            return Err(HeaderReject::Magic);
        }
        let u32_at = |pos| be_u32(h, pos).unwrap_or(0);
        let u8_at_ = |pos| u8_at(h, pos).unwrap_or(0);
        let raw_size = be_u16(h, 16).unwrap_or(0);
        let page_size: u32 = if raw_size == 1 { 65536 } else { u32::from(raw_size) };
        if !is_valid_page_size(page_size as usize) {
            return Err(HeaderReject::PageSize);
        }
        let (write_version, read_version) = (u8_at_(18), u8_at_(19));
        if !(1..=2).contains(&write_version) || !(1..=2).contains(&read_version) {
            return Err(HeaderReject::FileFormat);
        }
        if (u8_at_(21), u8_at_(22), u8_at_(23)) != (64, 32, 32) {
            return Err(HeaderReject::PayloadFractions);
        }
        let reserved = u8_at_(20);
        if page_size - u32::from(reserved) < 480 {
            return Err(HeaderReject::ReservedSpace);
        }
        let schema_format = u32_at(44);
        if schema_format > 4 {
            return Err(HeaderReject::SchemaFormat);
        }
        let raw_encoding = u32_at(56);
        let encoding = match raw_encoding {
            0 => TextEncoding::Utf8,
            v => TextEncoding::from_header(v).ok_or(HeaderReject::TextEncoding)?,
        };
        if slice(h, 72, 20).is_none_or(|r| r.iter().any(|&b| b != 0)) {
            return Err(HeaderReject::ReservedArea);
        }
        let header = Self {
            page_size,
            write_version,
            read_version,
            reserved,
            change_counter: u32_at(24),
            page_count: u32_at(28),
            freelist_trunk: u32_at(32),
            freelist_count: u32_at(36),
            schema_cookie: u32_at(40),
            schema_format,
            largest_root: u32_at(52),
            encoding,
            user_version: u32_at(60),
            incremental_vacuum: u32_at(64),
            application_id: u32_at(68),
            version_valid_for: u32_at(92),
            sqlite_version: u32_at(96),
        };
        if header.size_is_trustworthy()
            && (header.freelist_trunk > header.page_count
                || header.largest_root > header.page_count
                || header.freelist_count >= header.page_count)
        {
            return Err(HeaderReject::PageNumbers);
        }
        Ok(header)
    }

    /// Usable bytes per page: page size minus reserved bytes.
    pub fn usable_size(&self) -> usize {
        self.page_size as usize - usize::from(self.reserved)
    }

    /// Whether `page_count` can be believed: SQLite only trusts it when the version-valid-for
    /// number equals the change counter (older writers did not maintain it).
    pub fn size_is_trustworthy(&self) -> bool {
        self.page_count > 0 && self.version_valid_for == self.change_counter
    }

    /// Whether the file was last written in WAL mode.
    pub fn is_wal_mode(&self) -> bool {
        self.write_version == 2 || self.read_version == 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[..16].copy_from_slice(MAGIC);
        h[16..18].copy_from_slice(&4096u16.to_be_bytes());
        h[18] = 1;
        h[19] = 1;
        h[21] = 64;
        h[22] = 32;
        h[23] = 32;
        h[24..28].copy_from_slice(&3u32.to_be_bytes());
        h[28..32].copy_from_slice(&10u32.to_be_bytes());
        h[44..48].copy_from_slice(&4u32.to_be_bytes());
        h[56..60].copy_from_slice(&1u32.to_be_bytes());
        h[92..96].copy_from_slice(&3u32.to_be_bytes());
        h
    }

    #[test]
    fn accepts_a_valid_header() {
        let h = DbHeader::parse(&valid()).expect("valid header");
        assert_eq!(h.page_size, 4096);
        assert!(h.size_is_trustworthy());
        assert_eq!(h.page_count, 10);
    }

    #[test]
    fn rejects_each_bad_field() {
        let cases: [(usize, u8, HeaderReject); 6] = [
            (0, b'X', HeaderReject::Magic),
            (17, 3, HeaderReject::PageSize),
            (18, 7, HeaderReject::FileFormat),
            (21, 65, HeaderReject::PayloadFractions),
            (59, 9, HeaderReject::TextEncoding),
            (80, 1, HeaderReject::ReservedArea),
        ];
        for (pos, byte, want) in cases {
            let mut h = valid();
            h[pos] = byte;
            assert_eq!(DbHeader::parse(&h), Err(want), "byte {pos}");
        }
        assert_eq!(DbHeader::parse(&valid()[..99]), Err(HeaderReject::Truncated));
    }

    #[test]
    fn page_size_one_means_65536() {
        let mut h = valid();
        h[16..18].copy_from_slice(&1u16.to_be_bytes());
        assert_eq!(DbHeader::parse(&h).map(|h| h.page_size), Ok(65536));
    }
}
