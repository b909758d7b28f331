//! The text of an archived NSAttributedString (Apple's "typedstream" format), where Messages
//! on iOS 16 and macOS 13 and later keep a message's text (`message.attributedBody`) and leave
//! the `text` column NULL.
//!
//! The archive names the class `NSString`, then writes the string as `+` (a C string of bytes
//! follows), its length (one byte below 0x80, else 0x81 and two bytes or 0x82 and four bytes,
//! little-endian) and its UTF-8 bytes. Only that first string is read: it is the message text.

/// Bytes searched for the string after the class name (the archive puts a few flag bytes
/// between them).
const SEARCH: usize = 16;
/// A text longer than this is not a message (and a crafted length must not allocate).
const MAX_TEXT: usize = 1 << 20;

/// The message text of an `attributedBody` blob, if it holds one as valid UTF-8.
pub fn text(blob: &[u8]) -> Option<String> {
    let class = memchr::memmem::find(blob, b"NSString")?;
    let after = blob.get(class + 8..)?;
    let plus = after.iter().take(SEARCH).position(|&b| b == b'+')?;
    let rest = after.get(plus + 1..)?;
    let (len, skip): (usize, usize) = match *rest.first()? {
        0x81 => (usize::from(u16::from_le_bytes([*rest.get(1)?, *rest.get(2)?])), 3),
        0x82 => (u32::from_le_bytes([*rest.get(1)?, *rest.get(2)?, *rest.get(3)?, *rest.get(4)?]) as usize, 5),
        b if b < 0x80 => (usize::from(b), 1),
        _ => return None,
    };
    if len == 0 || len > MAX_TEXT {
        return None;
    }
    let bytes = rest.get(skip..skip.checked_add(len)?)?;
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::text;

    fn archive(s: &str) -> Vec<u8> {
        let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
        if s.len() < 0x80 {
            b.push(s.len() as u8);
        } else {
            b.push(0x81);
            b.extend_from_slice(&(s.len() as u16).to_le_bytes());
        }
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(b"\x86\x84\x02iI\x01\x05\x92\x84\x84\x84\x0cNSDictionary\x00");
        b
    }

    #[test]
    fn reads_short_and_long_texts() {
        assert_eq!(text(&archive("On my way 🚗")).as_deref(), Some("On my way 🚗"));
        let long = "x".repeat(300);
        assert_eq!(text(&archive(&long)).as_deref(), Some(long.as_str()));
    }

    #[test]
    fn refuses_what_is_not_an_archive() {
        assert_eq!(text(b""), None);
        assert_eq!(text(b"NSString"), None);
        assert_eq!(text(b"NSString\x01+\x82\xff\xff\xff\xff"), None);
        let mut cut = archive("hello there");
        cut.truncate(cut.len() - 40);
        assert_eq!(text(&cut), None);
    }
}
