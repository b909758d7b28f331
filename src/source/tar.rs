//! tar archives (full-file-system extractions): read as they are, zero copy.
//!
//! A tar is a raw image whose files lie whole at 512-byte aligned offsets, so the scan runs over
//! the whole archive, headers included, exactly as over a disk image. Its headers are parsed
//! only to list the [`Member`]s, so that every offset tells the file that holds it (the app is
//! told by its path: `com.whatsapp.w4b` is WhatsApp Business).
//!
//! ```text
//! offset 0      512-byte header: name[100] mode uid gid size[12]@124 mtime chksum[8]@148
//!               typeflag@156 linkname[100] magic "ustar"@257 … prefix[155]@345
//! offset 512    the file's data, padded to a multiple of 512
//! …             next header; the archive ends with two blocks of zeros
//! ```
//!
//! Extensions read: ustar `prefix`, GNU long names (`L` records holding the next member's
//! path), pax extended headers (`x` records, the `path` key), GNU base-256 sizes. Every loop
//! advances by at least one 512-byte block, so a listing takes at most `len / 512` steps;
//! long-name and pax records longer than [`MAX_NAME_RECORD`] are skipped, not read. A block
//! that is no header (a damaged archive) is skipped and the walk resyncs at the next valid
//! header, with a warning.

use super::{ByteSource, Member, MmapSource};

/// A tar block.
const BLOCK: usize = 512;
/// Offset of the `size` field (12 bytes, octal or GNU base-256).
const SIZE: usize = 124;
/// Offset of the header checksum (8 bytes, octal).
const CHKSUM: usize = 148;
/// Offset of the type flag.
const TYPEFLAG: usize = 156;
/// Offset of the ustar magic.
const MAGIC: usize = 257;
/// Offset of the ustar name prefix (155 bytes).
const PREFIX: usize = 345;
/// The longest GNU long-name or pax record read for a path (longer ones are skipped).
pub const MAX_NAME_RECORD: u64 = 1 << 20;

/// True when `head` (the first bytes of an input) starts with a tar header: the `ustar` magic
/// at 257, or a v7 header whose checksum is right.
pub fn looks_like_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..BLOCK) else { return false };
    if block.get(MAGIC..MAGIC + 5) == Some(b"ustar") {
        return checksum_ok(block);
    }
    // A v7 header: a name, a size in octal, and the right checksum.
    block.first().is_some_and(|&b| b != 0) && octal(field(block, SIZE, 12)).is_some() && checksum_ok(block)
}

/// The members of the tar `data` and the warnings about its damage (see the module doc).
/// Members are the regular files with at least one byte, in offset order, non-overlapping,
/// `sha256` left `None`. Never allocates more than the path of each member listed plus
/// [`MAX_NAME_RECORD`] at a time.
pub fn list(data: &[u8]) -> (Vec<Member>, Vec<String>) {
    let mut members = Vec::new();
    let mut warnings = Vec::new();
    let mut pos = 0usize;
    // A path from a GNU `L` or pax `x` record, for the next header.
    let mut long_path: Option<String> = None;
    // A size from a pax `x` record (files of 8 GiB and more), for the next header.
    let mut pax_size: Option<u64> = None;
    let mut skipped_blocks = 0u64;
    let mut first_skipped: Option<usize> = None;
    while let Some(block) = data.get(pos..pos.saturating_add(BLOCK)) {
        if block.iter().all(|&b| b == 0) {
            pos += BLOCK;
            continue;
        }
        if !checksum_ok(block) {
            skipped_blocks += 1;
            first_skipped.get_or_insert(pos);
            pos += BLOCK;
            continue;
        }
        let typeflag = block.get(TYPEFLAG).copied().unwrap_or(0);
        let own_size = size(block).unwrap_or(0);
        let size =
            if matches!(typeflag, b'L' | b'x' | b'g' | b'K') { own_size } else { pax_size.take().unwrap_or(own_size) };
        let data_at = pos + BLOCK;
        // The data of the member, as far as the archive holds it.
        let stored = (data.len() - data_at.min(data.len())) as u64;
        let length = size.min(stored);
        match typeflag {
            b'L' | b'x' => {
                let record = data.get(data_at..data_at + length as usize).unwrap_or_default();
                if size <= MAX_NAME_RECORD {
                    let (path, size) =
                        if typeflag == b'L' { (Some(gnu_long_name(record)), None) } else { pax_record(record) };
                    if path.is_some() {
                        long_path = path;
                    }
                    if size.is_some() {
                        pax_size = size;
                    }
                }
            }
            b'0' | b'\0' | b'7' | b'S' => {
                let path = long_path.take().unwrap_or_else(|| header_path(block));
                if length > 0 {
                    members.push(Member { path: path.clone(), offset: data_at as u64, length, sha256: None });
                }
                if length < size {
                    warnings.push(format!(
                        "the archive ends inside {path}: {length} of its {size} bytes are there; the rest of the archive is missing (an interrupted extraction?)"
                    ));
                }
            }
            // Links, directories, devices, global pax headers, GNU long link names: no data of
            // their own worth listing.
            _ => {
                long_path = None;
                pax_size = None;
            }
        }
        let padded = usize::try_from(size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64)).unwrap_or(usize::MAX);
        pos = data_at.saturating_add(padded);
    }
    if let Some(at) = first_skipped {
        warnings.push(format!(
            "tar: {skipped_blocks} block(s) of 512 bytes from offset {at} on are no valid header; the archive is damaged there and the files they held are not listed (their bytes are still scanned)"
        ));
    }
    (members, warnings)
}

/// The `len` bytes at `at` of a header block (empty when outside it).
fn field(block: &[u8], at: usize, len: usize) -> &[u8] {
    block.get(at..at + len).unwrap_or_default()
}

/// An octal number, space- or NUL-terminated, leading spaces allowed.
fn octal(f: &[u8]) -> Option<u64> {
    let digits = f.iter().skip_while(|&&b| b == b' ').take_while(|&&b| b != 0 && b != b' ');
    let mut v = 0u64;
    let mut n = 0;
    for &b in digits {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        n += 1;
    }
    (n > 0).then_some(v)
}

/// The member size: octal, or GNU base-256 (first byte 0x80, big-endian after it).
fn size(block: &[u8]) -> Option<u64> {
    let f = field(block, SIZE, 12);
    match f.first() {
        Some(&0x80) => f.get(1..)?.iter().try_fold(0u64, |v, &b| v.checked_mul(256)?.checked_add(u64::from(b))),
        _ => octal(f),
    }
}

/// The header checksum: the sum of the header's bytes with the checksum field as spaces
/// (unsigned, or signed as some old tars computed it).
fn checksum_ok(block: &[u8]) -> bool {
    let Some(stored) = octal(field(block, CHKSUM, 8)) else { return false };
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in block.iter().enumerate() {
        let b = if (CHKSUM..CHKSUM + 8).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// A NUL-terminated string field.
fn cstr(f: &[u8]) -> &[u8] {
    f.split(|&b| b == 0).next().unwrap_or_default()
}

/// The path a header names: ustar `prefix/name`, else `name`.
fn header_path(block: &[u8]) -> String {
    let name = cstr(field(block, 0, 100));
    let prefix = if field(block, MAGIC, 5) == b"ustar" { cstr(field(block, PREFIX, 155)) } else { Default::default() };
    if prefix.is_empty() {
        String::from_utf8_lossy(name).into_owned()
    } else {
        format!("{}/{}", String::from_utf8_lossy(prefix), String::from_utf8_lossy(name))
    }
}

/// The path of a GNU `L` record: its data, NUL-terminated.
fn gnu_long_name(record: &[u8]) -> String {
    String::from_utf8_lossy(cstr(record)).into_owned()
}

/// The `path` and `size` of a pax extended header: records `"<len> <key>=<value>\n"`.
fn pax_record(mut record: &[u8]) -> (Option<String>, Option<u64>) {
    let (mut path, mut size) = (None, None);
    // Each record is longer than its length's digits, so every turn shortens `record`.
    while let Some(space) = record.iter().position(|&b| b == b' ') {
        let Some(len) = record.get(..space).and_then(|d| std::str::from_utf8(d).ok()?.parse::<usize>().ok()) else {
            break;
        };
        let Some(rec) = record.get(space + 1..len) else { break };
        let value = |v: &[u8]| String::from_utf8_lossy(v.strip_suffix(b"\n").unwrap_or(v)).into_owned();
        if let Some(v) = rec.strip_prefix(b"path=") {
            path = Some(value(v));
        } else if let Some(v) = rec.strip_prefix(b"size=") {
            size = value(v).parse().ok();
        }
        record = record.get(len..).unwrap_or_default();
    }
    (path, size)
}

/// The tar that `map` holds, its members listed from its headers; `container` names how it was
/// read (`tar`, or `tar.gz`, … for a compressed one). What the headers' walk met goes to the
/// source's warnings.
pub fn read_as_tar(map: MmapSource, container: &'static str) -> MmapSource {
    let (members, mut warnings) = list(map.contiguous().unwrap_or_default());
    if members.is_empty() {
        warnings.push(
            "no file found in the tar headers; the input was scanned as a raw image (give --container raw if it is not a tar)"
                .to_owned(),
        );
    }
    map.read_as(container, members).with_warnings(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header block for `name` of `size` bytes with type `flag` and a right checksum.
    fn header(name: &[u8], size: u64, flag: u8) -> Vec<u8> {
        let mut b = vec![0u8; BLOCK];
        b[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
        b[SIZE..SIZE + 11].copy_from_slice(format!("{size:011o}").as_bytes());
        b[TYPEFLAG] = flag;
        b[MAGIC..MAGIC + 6].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        let sum: u64 =
            b.iter().enumerate().map(|(i, &x)| if (CHKSUM..CHKSUM + 8).contains(&i) { 32 } else { u64::from(x) }).sum();
        b[CHKSUM..CHKSUM + 7].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        b
    }

    fn entry(out: &mut Vec<u8>, name: &[u8], data: &[u8], flag: u8) {
        out.extend(header(name, data.len() as u64, flag));
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(BLOCK), 0);
    }

    fn sample() -> Vec<u8> {
        let mut t = Vec::new();
        entry(&mut t, b"a.txt", b"hello", b'0');
        entry(&mut t, b"././@LongLink", b"data/data/com.whatsapp.w4b/databases/msgstore.db\0", b'L');
        entry(&mut t, b"data/data/com.whatsapp.w4b/databases/msgst", &[7; 700], b'0');
        entry(&mut t, b"PaxHeaders/x", b"29 path=dir/long/pax/name.db\n", b'x');
        entry(&mut t, b"short", &[1; 3], b'0');
        entry(&mut t, b"dir/", b"", b'5');
        t.extend([0u8; 1024]);
        t
    }

    #[test]
    fn lists_regular_files_with_long_names() {
        let t = sample();
        assert!(looks_like_tar(&t));
        let (m, w) = list(&t);
        assert!(w.is_empty(), "{w:?}");
        let paths: Vec<&str> = m.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "data/data/com.whatsapp.w4b/databases/msgstore.db", "dir/long/pax/name.db"]);
        assert_eq!((m[0].offset, m[0].length), (512, 5));
        assert_eq!(&t[m[1].offset as usize..][..700], &[7; 700][..]);
    }

    #[test]
    fn a_cut_archive_lists_what_is_there_and_warns() {
        let t = sample();
        let cut = &t[..512 * 6];
        let (m, w) = list(cut);
        assert_eq!(m.last().map(|m| m.length), Some(512));
        assert!(w.iter().any(|w| w.contains("ends inside")), "{w:?}");
    }

    #[test]
    fn resyncs_after_a_damaged_header() {
        let mut t = sample();
        t[0] ^= 0xff;
        let (m, w) = list(&t);
        assert_eq!(m.len(), 2);
        assert!(w.iter().any(|w| w.contains("no valid header")));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Mutated archives: never a panic, members in order and inside the archive.
        #[test]
        fn mutated_archives_are_listed_safely(flips in proptest::collection::vec((0usize..4096, proptest::num::u8::ANY), 0..16), cut in 0usize..5000) {
            let mut t = sample();
            for (at, v) in flips {
                if let Some(b) = t.get_mut(at) { *b = v; }
            }
            t.truncate(cut.min(t.len()));
            let (m, _) = list(&t);
            let mut end = 0;
            for x in &m {
                proptest::prop_assert!(x.offset >= end && x.length > 0);
                end = x.offset + x.length;
                proptest::prop_assert!(end <= t.len() as u64);
            }
        }

        #[test]
        fn random_bytes_are_listed_safely(t in proptest::collection::vec(proptest::num::u8::ANY, 0..3000)) {
            let _ = looks_like_tar(&t);
            let _ = list(&t);
        }
    }
}
