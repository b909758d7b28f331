//! Runs of export lines: consecutive messages of one header format, found anywhere in an input.
//!
//! A *header line* is a position that starts a line (the input's first byte, the byte after a
//! `\n`, or a 512-byte sector boundary, where a piece of a file cut into clusters begins) and
//! parses as a [`header`]. A header's *message* is its line and the continuation lines after it,
//! up to the next header line; it ends early at the first byte that cannot be export text (a
//! NUL, another control byte, invalid UTF-8), at a line longer than [`MAX_LINE`], or after
//! [`MAX_MESSAGE`] bytes. The next header line *continues* the run when the message before it
//! ended cleanly right before it (after a `\n`) and it has the same [`Format`].
//!
//! All of this is decided from the bytes between two consecutive header lines, so a run is the
//! same whichever chunk looks at it: the driver ([`crate::export_text::scan`]) keeps the runs
//! whose first header lies in a chunk and follows them past its end.
//!
//! When a run ends on bytes that are not text and its last message crosses a 4 KiB boundary, the
//! file was most likely cut there (the next cluster belongs to something else): the message is
//! cut back to the first boundary after its header, and flagged.
#![deny(clippy::indexing_slicing)]

use super::header::{self, Format, Header, MAX_HEADER, MAX_NAME};

/// Longest line read; a longer one ends the run.
pub const MAX_LINE: usize = 64 * 1024;
/// Longest message (header line and continuation lines) read; a longer one ends the run.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// Alignment of the positions where a piece of a file may begin.
pub const SECTOR: usize = 512;
/// Cluster size at whose boundaries files are assumed to be cut.
pub const CLUSTER: usize = 4096;

/// One message line of a run, with absolute offsets into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLine<'a> {
    /// Offset of the line's first byte.
    pub offset: usize,
    /// One past the last byte of the message (its continuation lines included, its final
    /// newline excluded).
    pub end: usize,
    /// Date fields as written.
    pub date: [u16; 3],
    /// Hour (24 h), minute, second.
    pub time: [u8; 3],
    /// Sender name, when the line has one.
    pub sender: Option<&'a str>,
    /// Offset of the body (after `Name: `).
    pub body: usize,
    /// The message was cut short (its file ends in bytes that are not text, or was cut at a
    /// cluster boundary).
    pub cut: bool,
}

/// A run of export lines of one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRun<'a> {
    /// The header format every line shares.
    pub format: Format,
    /// The lines, in input order; never empty.
    pub lines: Vec<ExportLine<'a>>,
}

impl ExportRun<'_> {
    /// Offset of the first line.
    pub fn offset(&self) -> usize {
        self.lines.first().map_or(0, |l| l.offset)
    }
    /// One past the end of the last message.
    pub fn end(&self) -> usize {
        self.lines.last().map_or(0, |l| l.end)
    }
}

/// Whether `pos` may start a line.
fn line_start(data: &[u8], pos: usize) -> bool {
    pos == 0 || pos.is_multiple_of(SECTOR) || data.get(pos.wrapping_sub(1)) == Some(&b'\n')
}

/// The header at `pos`, if `pos` is a line start holding one.
fn header_at(data: &[u8], pos: usize) -> Option<Header<'_>> {
    // A header starts with a digit, `[` (iOS) or a direction mark (U+200E, U+200F: 0xE2): most
    // line starts in raw space are rejected here, before the parser.
    if !matches!(data.get(pos), Some(b'0'..=b'9' | b'[' | 0xE2)) {
        return None;
    }
    let end = pos.saturating_add(MAX_HEADER + MAX_NAME + 2).min(data.len());
    header::parse(data.get(pos..end)?)
}

/// The first header line at or after `from` and before `limit`.
pub fn next_header(data: &[u8], mut from: usize, limit: usize) -> Option<(usize, Header<'_>)> {
    let limit = limit.min(data.len());
    while from < limit {
        let cand = if line_start(data, from) {
            from
        } else {
            let next_sector = from.next_multiple_of(SECTOR).min(limit);
            let hay = data.get(from..next_sector)?;
            memchr::memchr(b'\n', hay).map_or(next_sector, |i| from + i + 1)
        };
        if cand >= limit {
            return None;
        }
        if let Some(h) = header_at(data, cand) {
            return Some((cand, h));
        }
        from = cand + 1;
    }
    None
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Right before the next header line, after a `\n`.
    NextLine,
    /// At the input's end or at a line start that is not text (file slack): nothing lost.
    Clean,
    /// In the middle of a line: at a byte that is not text, a sector-aligned header, or a bound.
    Cut,
}

/// Bytes a continuation line may not contain: C0 controls other than tab and CR, and DEL.
fn bad_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t' && b != b'\r') || b == 0x7f
}

/// Length of the valid text prefix of `line` (UTF-8, no forbidden control bytes).
fn valid_prefix(line: &[u8]) -> usize {
    let ctrl = line.iter().position(|&b| bad_byte(b)).unwrap_or(line.len());
    let head = line.get(..ctrl).unwrap_or(line);
    match std::str::from_utf8(head) {
        Ok(_) => ctrl,
        Err(e) => e.valid_up_to(),
    }
}

/// Where the message of the header at `pos` ends, given the next header line (if within reach).
fn message_end(data: &[u8], pos: usize, next: Option<usize>) -> (usize, End) {
    let stop = next.unwrap_or(usize::MAX).min(pos.saturating_add(MAX_MESSAGE)).min(data.len());
    let mut ls = pos;
    let mut content_end = pos;
    loop {
        if ls >= stop {
            // Reached `stop` exactly at a line start.
            return if Some(ls) == next {
                (content_end, End::NextLine)
            } else if ls >= data.len() {
                (content_end, End::Clean)
            } else {
                (content_end, End::Cut)
            };
        }
        let Some(hay) = data.get(ls..stop.min(ls.saturating_add(MAX_LINE + 1))) else { return (content_end, End::Cut) };
        let nl = memchr::memchr(b'\n', hay);
        let line = hay.get(..nl.unwrap_or(hay.len())).unwrap_or(hay);
        let valid = valid_prefix(line);
        if valid < line.len() {
            // A byte that is not text: at a line start the file ended cleanly.
            return if valid == 0 && ls > pos { (content_end, End::Clean) } else { (ls + valid, End::Cut) };
        }
        match nl {
            Some(i) if i <= MAX_LINE => {
                content_end = ls + i;
                ls += i + 1;
            }
            Some(_) => return (ls + MAX_LINE, End::Cut),
            None if line.len() > MAX_LINE => return (ls + MAX_LINE, End::Cut),
            None => {
                let end = ls + line.len();
                return (end, if end >= data.len() { End::Clean } else { End::Cut });
            }
        }
    }
}

/// The last header line before `pos` whose message could reach `pos`, with its format.
pub fn header_before(data: &[u8], pos: usize) -> Option<(usize, Format)> {
    let mut from = pos.saturating_sub(MAX_MESSAGE);
    let mut last = None;
    while let Some((p, h)) = next_header(data, from, pos) {
        last = Some((p, h.format));
        from = p + 1;
    }
    last
}

/// Whether the header line at `b` continues the run of the header line at `a` (the header line
/// before it), with `a`'s format `fa` and `b`'s format `fb`.
pub fn continues(data: &[u8], a: usize, fa: Format, b: usize, fb: Format) -> bool {
    fa == fb && b - a <= MAX_MESSAGE && message_end(data, a, Some(b)).1 == End::NextLine
}

/// Follows the run that starts at the header line `pos`, to its end (which may lie far past
/// any chunk). Reads at most [`MAX_MESSAGE`] bytes past the last message.
pub fn follow<'a>(data: &'a [u8], pos: usize, first: Header<'a>) -> ExportRun<'a> {
    let format = first.format;
    let mut lines = Vec::new();
    let (mut at, mut h) = (pos, first);
    loop {
        let next = next_header(data, at + 1, at.saturating_add(MAX_MESSAGE + 1));
        let (end, how) = message_end(data, at, next.map(|(p, _)| p));
        let mut line = ExportLine {
            offset: at,
            end,
            date: h.date,
            time: h.time,
            sender: h.sender,
            body: at + h.body,
            cut: how == End::Cut,
        };
        match next {
            Some((p, nh)) if how == End::NextLine && nh.format == format => {
                lines.push(line);
                (at, h) = (p, nh);
            }
            _ => {
                if how == End::Cut {
                    // Cut back to the first cluster boundary after the header, when the message
                    // crosses one: what follows it is most likely another file's cluster.
                    let boundary = line.body.saturating_add(1).next_multiple_of(CLUSTER);
                    if boundary < line.end {
                        line.end = boundary;
                    }
                    // A last continuation line cut short that starts like a header is most
                    // likely the next message's header, cut: drop it.
                    let msg = data.get(line.body..line.end).unwrap_or(&[]);
                    if let Some(nl) = memchr::memrchr(b'\n', msg) {
                        if matches!(msg.get(nl + 1), Some(b'0'..=b'9' | b'[' | 0xE2)) {
                            line.end = line.body + nl;
                        }
                    }
                }
                lines.push(line);
                return ExportRun { format, lines };
            }
        }
    }
}

/// The run whose first line is at `pos` (as [`runs_in`] found it), if a header is there.
pub fn run_at(data: &[u8], pos: usize) -> Option<ExportRun<'_>> {
    header_at(data, pos).map(|h| follow(data, pos, h))
}

/// The runs whose first line lies in `[start, end)`, each followed to its end.
pub fn runs_in(data: &[u8], start: usize, end: usize) -> Vec<ExportRun<'_>> {
    let mut out = Vec::new();
    let mut prev = header_before(data, start);
    let mut pos = start;
    while let Some((p, h)) = next_header(data, pos, end) {
        if prev.is_some_and(|(a, fa)| continues(data, a, fa, p, h.format)) {
            prev = Some((p, h.format));
            pos = p + 1;
            continue;
        }
        let run = follow(data, p, h);
        let last = run.lines.last().map_or(p, |l| l.offset);
        prev = Some((last, run.format));
        pos = last + 1;
        out.push(run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = "31/12/2020, 21:41 - Messages and calls are end-to-end encrypted.\n\
31/12/2020, 21:41 - Bob: hello\n\
31/12/2020, 21:42 - Ann: two\nlines\n\
01/01/2021, 00:01 - Bob: <Media omitted>\n";

    #[test]
    fn one_run_with_a_multi_line_message() {
        let data = EXPORT.as_bytes();
        let runs = runs_in(data, 0, data.len());
        assert_eq!(runs.len(), 1);
        let r = &runs[0];
        assert_eq!(r.lines.len(), 4);
        let two = &r.lines[2];
        assert_eq!(&EXPORT[two.body..two.end], "two\nlines");
        assert_eq!(r.lines[3].end, data.len() - 1);
        assert!(r.lines.iter().all(|l| !l.cut));
    }

    #[test]
    fn nul_ends_a_run_cleanly_and_garbage_cuts_it() {
        let mut data = EXPORT.as_bytes().to_vec();
        data.extend_from_slice(&[0; 100]);
        let runs = runs_in(&data, 0, data.len());
        assert_eq!(runs.len(), 1);
        assert!(!runs[0].lines[3].cut);
        let mut data = EXPORT.as_bytes().to_vec();
        data.pop();
        data.extend_from_slice(b"\xff\xfe garbage");
        let runs = runs_in(&data, 0, data.len());
        assert!(runs[0].lines[3].cut);
    }

    #[test]
    fn another_format_starts_another_run() {
        let s = format!("{EXPORT}[31/12/2020, 21:41:05] Bob: hi\n");
        let runs = runs_in(s.as_bytes(), 0, s.len());
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].lines.len(), 1);
    }

    #[test]
    fn every_start_gives_the_same_runs() {
        // Runs found in [start, end) for every split point are the runs of the whole input.
        let mut data = vec![b'x'; 700];
        data.extend_from_slice(EXPORT.as_bytes());
        data.extend_from_slice(&[0; 300]);
        data.extend_from_slice(EXPORT.as_bytes());
        let whole = runs_in(&data, 0, data.len());
        assert_eq!(whole.len(), 2);
        for split in 0..data.len() {
            let mut parts = runs_in(&data, 0, split);
            parts.extend(runs_in(&data, split, data.len()));
            assert_eq!(parts, whole, "split at {split}");
        }
    }

    #[test]
    fn hostile_inputs_stay_bounded() {
        let mut data = b"31/12/2020, 21:41 - Bob: ".to_vec();
        data.extend(std::iter::repeat_n(b'a', 200_000));
        data.push(b'\n');
        let runs = runs_in(&data, 0, data.len());
        assert_eq!(runs.len(), 1);
        assert!(runs[0].lines[0].cut && runs[0].lines[0].end <= MAX_LINE + 1);
        for d in [vec![b'['; 1 << 20], vec![b'\n'; 1 << 20], vec![0; 1 << 20]] {
            assert!(runs_in(&d, 0, d.len()).is_empty());
        }
        let many = "1/1/11, 1:11 - a: b\n".repeat(50_000);
        let runs = runs_in(many.as_bytes(), 0, many.len());
        assert_eq!((runs.len(), runs[0].lines.len()), (1, 50_000));
    }
}
