//! The line header of an exported chat: the date, time and (optionally) the sender that start
//! every message line (whatsapp-reference.md section 6).
//!
//! ```text
//! [U+200E]  [  31/12/2020  ,  21:41:05  [ PM]  ]  Name: text        iOS
//!           31/12/2020  ,  21:41  [ PM]   -  Name: text             Android
//!           d1 s d2 s d3  conn  h : m [: s] ampm  end  sender
//! ```
//!
//! `conn` is `, `, a space, or a short word between spaces (`à`, `klo`); the date separator is
//! `/`, `.` or `-`, the year is first (4 digits) or last (2 or 4 digits); the space before the
//! AM/PM mark may be U+0020, U+00A0 or U+202F. What a header does not say is the date order of
//! a year-last date: that is decided for a whole run of lines ([`crate::export_text::run`]).
//!
//! [`parse`] reads at most [`MAX_HEADER`] bytes plus [`MAX_NAME`] bytes for the sender, borrows
//! the line, and allocates nothing.

/// The longest header [`parse`] reads, up to the start of the sender's name.
pub const MAX_HEADER: usize = 64;
/// The longest sender name looked for (bytes before `": "`).
pub const MAX_NAME: usize = 96;

/// Left-to-right mark, written by iOS before the bracket of system and attachment lines.
pub const LRM: &[u8] = "\u{200E}".as_bytes();
const RLM: &[u8] = "\u{200F}".as_bytes();
const NBSP: &[u8] = "\u{00A0}".as_bytes();
const NNBSP: &[u8] = "\u{202F}".as_bytes();

/// The platform that wrote a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// `date, time - ` (Android).
    Android,
    /// `[date, time] ` (iOS).
    Ios,
}

/// How the AM/PM mark is written, when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Meridiem {
    /// 24-hour clock.
    None,
    /// `AM`/`PM`.
    Upper,
    /// `am`/`pm`.
    Lower,
    /// `a.m.`/`p.m.`.
    Dotted,
    /// `a. m.`/`p. m.` (Spanish, Portuguese).
    DottedSpaced,
}

/// Everything about a header's shape that stays the same over one exported file: two headers
/// with the same format belong to one run of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Format {
    /// Android or iOS.
    pub platform: Platform,
    /// `/`, `.` or `-`.
    pub date_sep: u8,
    /// The year is the first field (`2018/06/13`).
    pub year_first: bool,
    /// Digits of the year: 2 or 4.
    pub year_digits: u8,
    /// Bytes between date and time, the connector (`, `, ` `, ` à `), at most 12 bytes.
    pub connector: [u8; 12],
    /// `:` or `.`.
    pub time_sep: u8,
    /// Seconds are written.
    pub seconds: bool,
    /// AM/PM style.
    pub meridiem: Meridiem,
    /// First byte of the space before AM/PM (0x20, 0xC2 for U+00A0, 0xE2 for U+202F), 0 when none.
    pub meridiem_space: u8,
}

/// A parsed header. Offsets are relative to the start of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The header's shape.
    pub format: Format,
    /// The three date fields as written (year-first dates are already Y, M, D).
    pub date: [u16; 3],
    /// Hour on the 24-hour clock, minute, second (0 when not written).
    pub time: [u8; 3],
    /// Sender name, when the line has `Name: `.
    pub sender: Option<&'a str>,
    /// Position of the message body (after `Name: `, or after the header for system lines).
    pub body: usize,
}

/// A byte cursor over one line; every read is checked.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_str(&mut self, s: &[u8]) -> bool {
        if self.buf.get(self.pos..).is_some_and(|r| r.starts_with(s)) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
    /// Reads 1..=`max` ASCII digits; returns (value, digit count).
    fn number(&mut self, max: usize) -> Option<(u16, u8)> {
        let mut v: u16 = 0;
        let mut n = 0;
        while n < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u16::from(d - b'0');
                    n += 1;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if n == 0 || matches!(self.peek(), Some(b'0'..=b'9')) {
            return None;
        }
        Some((v, n as u8))
    }
    /// A space that may stand before AM/PM: its first byte, or None.
    fn meridiem_space(&mut self) -> Option<u8> {
        for s in [b" ".as_slice(), NBSP, NNBSP] {
            if self.eat_str(s) {
                return s.first().copied();
            }
        }
        None
    }
}

/// Parses the header at the start of `line` (which may run past the line's end: only the bytes
/// up to the first `\n` are read). Returns None when `line` does not start with a header.
pub fn parse(line: &[u8]) -> Option<Header<'_>> {
    let mut c = Cursor { buf: line, pos: 0 };
    while c.eat_str(LRM) || c.eat_str(RLM) {}
    let platform = if c.eat(b'[') { Platform::Ios } else { Platform::Android };
    // Cheapest rejection first: a header starts with a digit.
    if !matches!(c.peek(), Some(b'0'..=b'9')) {
        return None;
    }
    let (d1, n1) = c.number(4)?;
    let date_sep = c.peek().filter(|b| matches!(b, b'/' | b'.' | b'-'))?;
    c.pos += 1;
    let spaced = c.eat(b' ');
    let (d2, n2) = c.number(2)?;
    if !c.eat(date_sep) {
        return None;
    }
    if spaced != c.eat(b' ') {
        return None;
    }
    let (d3, n3) = c.number(4)?;
    let year_first = n1 == 4;
    let (date, year_digits) = if year_first {
        if n3 > 2 {
            return None;
        }
        ([d1, d2, d3], 4)
    } else {
        if n1 > 2 || !(n3 == 2 || n3 == 4) {
            return None;
        }
        ([d1, d2, d3], n3)
    };
    let _ = n2;
    if date.contains(&0) {
        return None;
    }
    // Connector: optional `,` or `.`, then a space, or a space, a short word and a space.
    let conn_start = c.pos;
    let _ = c.eat(b',') || c.eat(b'.');
    if !c.eat(b' ') {
        return None;
    }
    if !matches!(c.peek(), Some(b'0'..=b'9')) {
        // A word such as `à` or `klo`: 1..=8 bytes, letters or non-ASCII.
        let word_start = c.pos;
        while let Some(b) = c.peek() {
            if b.is_ascii_alphabetic() || b >= 0x80 {
                c.pos += 1;
            } else {
                break;
            }
        }
        if c.pos == word_start || c.pos - word_start > 8 || !c.eat(b' ') {
            return None;
        }
    }
    let mut connector = [0u8; 12];
    let conn = line.get(conn_start..c.pos)?;
    connector.get_mut(..conn.len())?.copy_from_slice(conn);
    let (hour, _) = c.number(2)?;
    let time_sep = c.peek().filter(|b| matches!(b, b':' | b'.'))?;
    c.pos += 1;
    let (minute, nm) = c.number(2)?;
    if nm != 2 || minute > 59 {
        return None;
    }
    let mut second = 0;
    let mut seconds = false;
    if c.peek() == Some(time_sep) && matches!(line.get(c.pos + 1), Some(b'0'..=b'9')) {
        c.pos += 1;
        let (s, ns) = c.number(2)?;
        if ns != 2 || s > 59 {
            return None;
        }
        second = s;
        seconds = true;
    }
    let (meridiem, meridiem_space, pm) = meridiem(&mut c);
    let hour = match meridiem {
        Meridiem::None if hour <= 23 => hour,
        Meridiem::None => return None,
        _ if !(1..=12).contains(&hour) => return None,
        _ => hour % 12 + if pm { 12 } else { 0 },
    };
    match platform {
        Platform::Ios => {
            if !c.eat_str(b"] ") {
                return None;
            }
        }
        Platform::Android => {
            if !c.eat_str(b" - ") {
                return None;
            }
        }
    }
    let format =
        Format { platform, date_sep, year_first, year_digits, connector, time_sep, seconds, meridiem, meridiem_space };
    let (sender, body) = sender(line, c.pos);
    Some(Header { format, date, time: [hour as u8, minute as u8, second as u8], sender, body })
}

/// Reads an optional AM/PM mark: (style, first byte of the space before it, is PM).
fn meridiem(c: &mut Cursor<'_>) -> (Meridiem, u8, bool) {
    let save = c.pos;
    let Some(space) = c.meridiem_space() else { return (Meridiem::None, 0, false) };
    let pm = match c.peek() {
        Some(b'p' | b'P') => true,
        Some(b'a' | b'A') => false,
        _ => {
            c.pos = save;
            return (Meridiem::None, 0, false);
        }
    };
    let upper = c.peek().is_some_and(|b| b.is_ascii_uppercase());
    c.pos += 1;
    if c.eat(if upper { b'M' } else { b'm' }) {
        return (if upper { Meridiem::Upper } else { Meridiem::Lower }, space, pm);
    }
    if !upper && c.eat(b'.') {
        if c.eat_str(b"m.") {
            return (Meridiem::Dotted, space, pm);
        }
        if c.meridiem_space().is_some() && c.eat_str(b"m.") {
            return (Meridiem::DottedSpaced, space, pm);
        }
    }
    c.pos = save;
    (Meridiem::None, 0, false)
}

/// The sender name after the header, if the line has `Name: ` within [`MAX_NAME`] bytes, and
/// where the body starts.
fn sender(line: &[u8], start: usize) -> (Option<&str>, usize) {
    let Some(rest) = line.get(start..) else { return (None, start) };
    let window = rest.get(..MAX_NAME.min(rest.len())).unwrap_or(rest);
    let window = window.split(|&b| b == b'\n').next().unwrap_or(window);
    let Some(colon) = memchr::memmem::find(window, b": ") else { return (None, start) };
    let Some(name) = window.get(..colon).and_then(|n| std::str::from_utf8(n).ok()) else { return (None, start) };
    // A name is printable text that neither starts nor ends with a space.
    if name.is_empty() || name.starts_with(' ') || name.ends_with(' ') || name.chars().any(char::is_control) {
        return (None, start);
    }
    (Some(name), start + colon + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Header<'_> {
        parse(s.as_bytes()).unwrap_or_else(|| panic!("no header in {s:?}"))
    }

    #[test]
    fn android_en_gb() {
        let h = p("31/12/2020, 21:41 - Bob Smith: hello");
        assert_eq!(h.format.platform, Platform::Android);
        assert_eq!(h.date, [31, 12, 2020]);
        assert_eq!(h.time, [21, 41, 0]);
        assert_eq!(h.sender, Some("Bob Smith"));
        assert_eq!(&"31/12/2020, 21:41 - Bob Smith: hello"[h.body..], "hello");
    }

    #[test]
    fn android_en_us_12h_with_narrow_space() {
        let h = p("12/31/20, 9:41\u{202F}PM - Ann: hi");
        assert_eq!(h.date, [12, 31, 20]);
        assert_eq!(h.time, [21, 41, 0]);
        assert_eq!(h.format.meridiem, Meridiem::Upper);
        assert_eq!(h.format.meridiem_space, 0xE2);
        let h = p("3/6/18, 12:05 AM - Ann: hi");
        assert_eq!(h.time, [0, 5, 0]);
        let h = p("3/6/18, 12:05 PM - Ann: hi");
        assert_eq!(h.time, [12, 5, 0]);
    }

    #[test]
    fn german_french_spanish() {
        let h = p("30.03.25, 13:37 - sammy: text");
        assert_eq!((h.date, h.format.date_sep, h.format.year_digits), ([30, 3, 25], b'.', 2));
        let h = p("22/01/2021 à 15:51 - Thomas K: salut");
        assert_eq!(h.sender, Some("Thomas K"));
        assert_eq!(h.time, [15, 51, 0]);
        let h = p("23/06/2018, 01:55 p.m. - Loris: one");
        assert_eq!((h.time, h.format.meridiem), ([13, 55, 0], Meridiem::Dotted));
        let h = p("23/06/18 1:55 p.\u{a0}m. - Loris: one");
        assert_eq!((h.time, h.format.meridiem), ([13, 55, 0], Meridiem::DottedSpaced));
        let h = p("23/06/18 11:55 a. m. - Loris: one");
        assert_eq!(h.time, [11, 55, 0]);
        let h = p("31/12/20 21:41 - Lucía: hola");
        assert_eq!(h.sender, Some("Lucía"));
        let h = p("13.6.2018 klo 21.25.15 - a: m");
        assert_eq!((h.time, h.format.time_sep), ([21, 25, 15], b'.'));
    }

    #[test]
    fn ios() {
        let h = p("[31/12/2020, 21:41:05] Name: text");
        assert_eq!(h.format.platform, Platform::Ios);
        assert_eq!(h.time, [21, 41, 5]);
        let h = p("\u{200E}[12/31/20, 9:41:05 PM] Ann: \u{200E}<attached: 00000012-PHOTO-2020-12-31-21-41-05.jpg>");
        assert_eq!(h.time, [21, 41, 5]);
        assert_eq!(h.sender, Some("Ann"));
        let h = p("[2018/06/13, 21:25:15] a: m");
        assert!(h.format.year_first);
        assert_eq!(h.date, [2018, 6, 13]);
        let h = p("[3/6/18 1:55:00 p. m.] a: m");
        assert_eq!(h.time, [13, 55, 0]);
    }

    #[test]
    fn system_lines_have_no_sender() {
        let h = p("31/12/2020, 21:41 - Messages and calls are end-to-end encrypted. Tap to learn more.");
        assert_eq!(h.sender, None);
        let h = p("31/12/2020, 21:41 - Alex created group \"Test\"");
        assert_eq!(h.sender, None);
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "[",
            "31/12/2020 - x",
            "31/12/2020, 21:41 Bob: x",
            "31/12/2020, 25:41 - Bob: x",
            "31/12/2020, 21:4 - Bob: x",
            "31/12/20202, 21:41 - Bob: x",
            "2023-05-01T12:00:00Z host",
            "13/12/2020, 0:41 PM - Bob: x",
            "00/12/2020, 21:41 - Bob: x",
            "[31/12/2020, 21:41:05 Name: text",
            "31/12-2020, 21:41 - Bob: x",
        ] {
            assert!(parse(s.as_bytes()).is_none(), "{s:?}");
        }
    }

    #[test]
    fn hostile_bytes() {
        assert!(parse(&[b'['; 1_000_000]).is_none());
        assert!(parse(&[0u8; 100]).is_none());
        assert!(parse(&[b'1'; 100_000]).is_none());
        assert!(parse(b"1/1/11, 1:11 - \xff\xfe: x").is_some_and(|h| h.sender.is_none()));
        let long = format!("1/1/11, 1:11 - {}: x", "n".repeat(1 << 20));
        assert!(parse(long.as_bytes()).is_some_and(|h| h.sender.is_none()));
    }
}
