//! Runs of export lines become messages.
//!
//! Decided over a run: the date order of year-last dates (a day field over 12 decides; without
//! one, the locale's convention: dots and 24-hour `/` dates are day-first, `/` dates with
//! upper-case AM/PM month-first; a run that cannot be told takes the order other runs of the same
//! format decided, else it is flagged). Decided over adjacent runs that are one file (same
//! format, at most a sector apart, time not going back): the conversation and its chat name (a
//! `WhatsApp Chat with <name>` title in the cluster the file starts in). Decided over the image:
//! the device owner, the one sender name found in every run with two or more senders when those
//! runs come from at least two different exports.
//!
//! Export times are the phone's local time with no zone: they are reported as if UTC, to the
//! minute on Android (seconds 0) and the second on iOS.

use std::collections::{BTreeMap, BTreeSet};

use super::header::{Format, Meridiem, Platform, LRM};
use super::markers;
use super::run::{ExportRun, CLUSTER, SECTOR};
use crate::conversations::{Message, MessageText};
use crate::recover::database::artifact_id;
use crate::recover::{Evidence, EvidenceSource, RecordStatus};

/// App name of messages recovered from export text.
pub const APP: &str = "export-text";

/// Order of the fields of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateOrder {
    /// Day, month, year.
    Dmy,
    /// Month, day, year.
    Mdy,
    /// Year, month, day.
    Ymd,
}

impl DateOrder {
    fn as_str(self) -> &'static str {
        match self {
            Self::Dmy => "day_month_year",
            Self::Mdy => "month_day_year",
            Self::Ymd => "year_month_day",
        }
    }
}

/// How sure the date order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderBasis {
    /// A field over 12 (or a year-first date) decides.
    Fields,
    /// Another run of the same format decided.
    OtherRun,
    /// The locale's convention only.
    Convention,
    /// Nothing: a guess.
    Guess,
}

impl OrderBasis {
    /// The report's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fields => "fields",
            Self::OtherRun => "other_run",
            Self::Convention => "convention",
            Self::Guess => "guess",
        }
    }
}

/// What the report says about one run (a `text_fragment` artifact).
#[derive(Debug, Clone, PartialEq)]
pub struct RunArtifact {
    /// Artifact id.
    pub id: String,
    /// Absolute offset of the first line.
    pub offset: u64,
    /// Bytes up to the end of the last message.
    pub length: u64,
    /// Platform: android or ios.
    pub platform: &'static str,
    /// The header's shape, e.g. `DD/MM/YYYY, hh:mm - `.
    pub format: String,
    /// A guess at the phone's locale from the format.
    pub locale_guess: &'static str,
    /// Message lines.
    pub lines: usize,
    /// Date order used.
    pub date_order: &'static str,
    /// What decided it.
    pub date_order_basis: &'static str,
    /// Chat name from a title near the run, if any.
    pub chat_name: Option<String>,
    /// Id of the first run of the file this run belongs to.
    pub file: String,
    /// Whether the last message was cut short.
    pub cut: bool,
}

/// Messages and artifacts of an input's export runs.
#[derive(Debug, Clone, Default)]
pub struct ExportFindings {
    /// One message per line.
    pub messages: Vec<Message>,
    /// One artifact per run, in offset order.
    pub runs: Vec<RunArtifact>,
}

/// The date order a run's own lines give, and on what basis.
fn own_order(run: &ExportRun<'_>) -> (DateOrder, OrderBasis) {
    let f = run.format;
    if f.year_first {
        return (DateOrder::Ymd, OrderBasis::Fields);
    }
    let first_big = run.lines.iter().any(|l| l.date[0] > 12);
    let second_big = run.lines.iter().any(|l| l.date[1] > 12);
    match (first_big, second_big) {
        (true, false) => (DateOrder::Dmy, OrderBasis::Fields),
        (false, true) => (DateOrder::Mdy, OrderBasis::Fields),
        _ => match convention(f) {
            Some(o) => (o, OrderBasis::Convention),
            None => (DateOrder::Dmy, OrderBasis::Guess),
        },
    }
}

/// The order the locales writing this format use: dots and words are day-first; `/` with
/// upper-case AM/PM is en-US (month-first); `/` with other AM/PM marks (en-IN, en-AU, es) or a
/// 24-hour clock is day-first.
fn convention(f: Format) -> Option<DateOrder> {
    let word = f.connector.iter().any(|&b| b.is_ascii_alphabetic() || b >= 0x80);
    match (f.date_sep, f.meridiem) {
        (b'.', _) => Some(DateOrder::Dmy),
        _ if word => Some(DateOrder::Dmy),
        (b'/', Meridiem::Upper) => Some(DateOrder::Mdy),
        (b'/', _) => Some(DateOrder::Dmy),
        _ => None,
    }
}

/// `(year, month, day)` of `date` in `order`.
fn ymd(order: DateOrder, date: [u16; 3], year_digits: u8) -> (i32, u8, u8) {
    let [a, b, c] = date;
    let (y, m, d) = match order {
        DateOrder::Dmy => (c, b, a),
        DateOrder::Mdy => (c, a, b),
        DateOrder::Ymd => (a, b, c),
    };
    let y = if year_digits == 2 { 2000 + i32::from(y) } else { i32::from(y) };
    (y, m.min(255) as u8, d.min(255) as u8)
}

/// Milliseconds of the local date and time read as UTC; None for an impossible date.
fn timestamp_ms(order: DateOrder, date: [u16; 3], year_digits: u8, time: [u8; 3]) -> Option<i64> {
    let (y, m, d) = ymd(order, date, year_digits);
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, d).ok()?;
    let t = time::Time::from_hms(time[0], time[1], time[2]).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp() * 1000)
}

/// The header shape as a pattern, e.g. `DD/MM/YYYY, hh:mm - `.
fn pattern(f: Format, order: DateOrder) -> String {
    let y = if f.year_digits == 4 { "YYYY" } else { "YY" };
    let sep = char::from(f.date_sep);
    let date = match order {
        DateOrder::Dmy => format!("DD{sep}MM{sep}{y}"),
        DateOrder::Mdy => format!("MM{sep}DD{sep}{y}"),
        DateOrder::Ymd => format!("{y}{sep}MM{sep}DD"),
    };
    let end = f.connector.iter().position(|&b| b == 0).unwrap_or(f.connector.len());
    let conn = String::from_utf8_lossy(f.connector.get(..end).unwrap_or(&[]));
    let ts = char::from(f.time_sep);
    let secs = if f.seconds { format!("{ts}ss") } else { String::new() };
    let ampm = match f.meridiem {
        Meridiem::None => "",
        Meridiem::Upper => " AM",
        Meridiem::Lower => " am",
        Meridiem::Dotted => " a.m.",
        Meridiem::DottedSpaced => " a. m.",
    };
    match f.platform {
        Platform::Android => format!("{date}{conn}hh{ts}mm{secs}{ampm} - "),
        Platform::Ios => format!("[{date}{conn}hh{ts}mm{secs}{ampm}] "),
    }
}

/// A guess at the locale that writes `f`.
fn locale_guess(f: Format, order: DateOrder) -> &'static str {
    let conn = f.connector;
    if conn.starts_with(" à ".as_bytes()) {
        return "fr";
    }
    if conn.starts_with(b" klo ") {
        return "fi";
    }
    match (f.date_sep, f.meridiem, order) {
        (_, Meridiem::DottedSpaced | Meridiem::Dotted, _) => "es",
        (b'/', Meridiem::Upper, DateOrder::Mdy) => "en-US",
        (b'/', Meridiem::Lower, _) => "en-IN/en-AU",
        (b'.', _, _) => "de",
        (b'/', Meridiem::None, DateOrder::Dmy) if conn.starts_with(b", ") => "en-GB",
        (b'/', Meridiem::None, DateOrder::Dmy) => "es/pt",
        _ => "unknown",
    }
}

/// Text of a body: its lines without CR, the iOS marks at its start removed; cut back to valid
/// UTF-8 (a cluster cut may split a character).
fn body_text(bytes: &[u8]) -> String {
    let valid = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or(""),
    };
    let mut s = valid;
    while let Some(rest) = s.strip_prefix('\u{200E}') {
        s = rest;
    }
    s.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect::<Vec<_>>().join("\n")
}

/// The message type and text of a body; `lrm` when the body started with U+200E (iOS marks
/// system and attachment lines so).
fn classify(text: String, has_sender: bool, lrm: bool) -> (&'static str, Option<String>) {
    let (first, rest) = match text.split_once('\n') {
        Some((f, r)) => (f, Some(r)),
        None => (text.as_str(), None),
    };
    if let Some(m) = markers::classify(first) {
        let caption = rest.filter(|r| !r.is_empty()).map(str::to_owned);
        return (m.message_type, caption);
    }
    if !has_sender || lrm {
        return ("system", Some(text));
    }
    ("text", Some(text))
}

/// Turns the runs of one input (in offset order, as [`super::scan`] returns them) into messages
/// and artifacts. `data` is the whole input.
pub fn messages(runs: &[ExportRun<'_>], data: &[u8], input: usize) -> ExportFindings {
    // Date order per run, then runs that cannot tell take the order their format's sure runs agree on.
    let mut orders: Vec<(DateOrder, OrderBasis)> = runs.iter().map(own_order).collect();
    let mut sure: BTreeMap<Format, BTreeSet<DateOrder>> = BTreeMap::new();
    for (r, &(o, b)) in runs.iter().zip(&orders) {
        if b == OrderBasis::Fields {
            sure.entry(r.format).or_default().insert(o);
        }
    }
    for (r, ob) in runs.iter().zip(orders.iter_mut()) {
        if ob.1 != OrderBasis::Fields {
            if let Some(set) = sure.get(&r.format).filter(|s| s.len() == 1) {
                if let Some(&o) = set.iter().next() {
                    *ob = (o, OrderBasis::OtherRun);
                }
            }
        }
    }
    let stamps: Vec<Vec<Option<i64>>> = runs
        .iter()
        .zip(&orders)
        .map(|(r, &(o, _))| r.lines.iter().map(|l| timestamp_ms(o, l.date, r.format.year_digits, l.time)).collect())
        .collect();
    // Files: adjacent runs of one format, at most a sector apart, time not going back.
    let mut file_of: Vec<usize> = Vec::with_capacity(runs.len());
    for (i, r) in runs.iter().enumerate() {
        let joined = i > 0
            && runs.get(i - 1).is_some_and(|p| {
                let last = stamps.get(i - 1).and_then(|s| s.last().copied().flatten());
                let first = stamps.get(i).and_then(|s| s.first().copied().flatten());
                p.format == r.format
                    && r.offset().saturating_sub(p.end()) <= SECTOR
                    && last.zip(first).is_none_or(|(a, b)| a <= b)
            });
        let f = if joined { file_of.last().copied().unwrap_or(i) } else { i };
        file_of.push(f);
    }
    // Chat name per file: a title in the cluster before one of its runs.
    let mut titles: BTreeMap<usize, String> = BTreeMap::new();
    for (r, &f) in runs.iter().zip(&file_of) {
        if titles.contains_key(&f) {
            continue;
        }
        let start = r.offset();
        if let Some(t) = data.get(start / CLUSTER * CLUSTER..start).and_then(markers::title_in) {
            titles.insert(f, t);
        }
    }
    let owner = owner(runs, &file_of);
    let mut out = ExportFindings::default();
    for (i, r) in runs.iter().enumerate() {
        let (order, basis) = orders.get(i).copied().unwrap_or((DateOrder::Dmy, OrderBasis::Guess));
        let file = file_of.get(i).copied().unwrap_or(i);
        let chat_name = titles.get(&file).cloned();
        let artifact = artifact_id("text_fragment", input, r.offset() as u64);
        let file_id =
            runs.get(file).map_or_else(|| artifact.clone(), |f| artifact_id("text_fragment", input, f.offset() as u64));
        let detail = pattern(r.format, order);
        let ambiguous = matches!(basis, OrderBasis::Convention | OrderBasis::Guess);
        for (k, l) in r.lines.iter().enumerate() {
            let body = data.get(l.body.min(l.end)..l.end).unwrap_or(&[]);
            let lrm = body.starts_with(LRM);
            let (message_type, text) = classify(body_text(body), l.sender.is_some(), lrm);
            let sender_name = if message_type == "system" { None } else { l.sender.map(str::to_owned) };
            let from_me = match (&owner, &sender_name) {
                (Some(o), Some(s)) => Some(o == s),
                _ => None,
            };
            out.messages.push(Message {
                app: APP,
                key_id: None,
                chat_row_id: Some(runs.get(file).map_or(0, |f| f.offset() as i64)),
                chat_jid: None,
                chat_name: chat_name.clone(),
                sender_jid: None,
                sender_name,
                from_me,
                timestamp_ms: stamps.get(i).and_then(|s| s.get(k).copied().flatten()),
                message_type: Some(message_type.to_owned()),
                text: text.map(MessageText::Text),
                sort_key: Some(l.offset as i64),
                row_id: None,
                details: Vec::new(),
                status: RecordStatus::Fragment,
                truncated: l.cut,
                sender_unresolved: false,
                date_order_ambiguous: ambiguous.then_some(basis == OrderBasis::Convention),
                evidence: vec![Evidence {
                    source: EvidenceSource::ExportLine,
                    input,
                    offset: l.offset as u64,
                    length: (l.end - l.offset) as u64,
                    artifact: artifact.clone(),
                    page_number: None,
                    detail: Some(detail.clone()),
                    rebuilt_header_bytes: 0,
                }],
            });
        }
        out.runs.push(RunArtifact {
            id: artifact,
            offset: r.offset() as u64,
            length: (r.end() - r.offset()) as u64,
            platform: match r.format.platform {
                Platform::Android => "android",
                Platform::Ios => "ios",
            },
            format: detail,
            locale_guess: locale_guess(r.format, order),
            lines: r.lines.len(),
            date_order: order.as_str(),
            date_order_basis: basis.as_str(),
            chat_name,
            file: file_id,
            cut: r.lines.last().is_some_and(|l| l.cut),
        });
    }
    out
}

/// The device owner: the one sender name in every run with at least two senders, when those runs
/// come from at least two files with different participants.
fn owner(runs: &[ExportRun<'_>], file_of: &[usize]) -> Option<String> {
    let mut common: Option<BTreeSet<&str>> = None;
    let mut participants: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
    let mut files = BTreeSet::new();
    for (r, f) in runs.iter().zip(file_of) {
        let senders: BTreeSet<&str> = r.lines.iter().filter_map(|l| l.sender).collect();
        if senders.len() < 2 {
            continue;
        }
        files.insert(*f);
        common = Some(match common {
            None => senders.clone(),
            Some(c) => c.intersection(&senders).copied().collect(),
        });
        participants.insert(senders);
    }
    let common = common?;
    if files.len() < 2 || participants.len() < 2 || common.len() != 1 {
        return None;
    }
    common.into_iter().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(s: &str) -> ExportFindings {
        let runs = super::super::scan(s.as_bytes(), 1 << 20);
        messages(&runs, s.as_bytes(), 0)
    }

    fn text(m: &Message) -> Option<&str> {
        match &m.text {
            Some(MessageText::Text(t)) => Some(t),
            _ => None,
        }
    }

    #[test]
    fn android_lines_become_messages() {
        let f = msgs(
            "x WhatsApp Chat with Bob.txt\n31/12/2020, 21:41 - Messages and calls are end-to-end encrypted.\n\
31/12/2020, 21:41 - Bob: hello\n31/12/2020, 21:42 - Ann: two\nlines\n\
01/01/2021, 00:01 - Bob: IMG-20210101-WA0001.jpg (file attached)\nnice view\n",
        );
        let m = &f.messages;
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].message_type.as_deref(), Some("system"));
        assert_eq!(m[0].sender_name, None);
        assert_eq!((m[1].sender_name.as_deref(), text(&m[1])), (Some("Bob"), Some("hello")));
        assert_eq!(m[1].timestamp_ms, Some(1_609_450_860_000));
        assert_eq!(text(&m[2]), Some("two\nlines"));
        assert_eq!((m[3].message_type.as_deref(), text(&m[3])), (Some("image"), Some("nice view")));
        assert!(m.iter().all(|x| x.chat_name.as_deref() == Some("Bob") && x.date_order_ambiguous.is_none()));
        assert_eq!(f.runs[0].locale_guess, "en-GB");
        assert_eq!(m[2].evidence[0].length as usize, "31/12/2020, 21:42 - Ann: two\nlines".len());
    }

    #[test]
    fn date_order_per_run() {
        let us = msgs("12/31/20, 9:41\u{202F}PM - Ann: hi\n1/2/21, 9:41\u{202F}AM - Ann: yo\n");
        assert_eq!(us.messages[1].timestamp_ms, timestamp_ms(DateOrder::Ymd, [2021, 1, 2], 4, [9, 41, 0]));
        assert_eq!(us.runs[0].date_order_basis, "fields");
        let conv = msgs("1/2/21, 9:41 PM - Ann: hi\n");
        assert_eq!(conv.runs[0].date_order, "month_day_year");
        assert_eq!(conv.messages[0].date_order_ambiguous, Some(true));
        let de = msgs("01.02.21, 21:41 - Ann: hi\n");
        assert_eq!(de.runs[0].date_order, "day_month_year");
        let dash = msgs("01-02-2021, 21:41 - Ann: hi\n");
        assert_eq!(dash.messages[0].date_order_ambiguous, Some(false));
    }

    #[test]
    fn ios_lines() {
        let f = msgs(
            "\u{200E}[31/12/2020, 21:41:05] Family: \u{200E}Messages and calls are end-to-end encrypted.\n\
[31/12/2020, 21:41:07] Ann: hi\n\
\u{200E}[31/12/2020, 21:42:00] Bob: \u{200E}<attached: 00000012-PHOTO-2020-12-31-21-42-00.jpg>\n\
\u{200E}[31/12/2020, 21:43:00] Bob: \u{200E}audio omitted\n",
        );
        let m = &f.messages;
        assert_eq!(m[0].message_type.as_deref(), Some("system"));
        assert_eq!(m[1].timestamp_ms, Some(1_609_450_867_000));
        assert_eq!((m[2].message_type.as_deref(), m[2].text.is_none()), (Some("image"), true));
        assert_eq!(m[3].message_type.as_deref(), Some("audio"));
        assert_eq!(m[2].sender_name.as_deref(), Some("Bob"));
    }

    #[test]
    fn owner_from_two_exports() {
        let s = format!(
            "01/02/2021, 10:00 - Me: hi\n01/02/2021, 10:01 - Bob: yo\n{}\n\
02/03/2021, 10:00 - Ann: hey\n02/03/2021, 10:05 - Me: hello\n02/03/2021, 10:06 - Cid: sup\n",
            "\0".repeat(600)
        );
        let f = msgs(&s);
        assert_eq!(f.runs.len(), 2);
        assert!(f.messages.iter().all(|m| m.from_me == Some(m.sender_name.as_deref() == Some("Me"))));
    }
}
