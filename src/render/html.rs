//! The self-contained HTML report, rendered from the JSON report.
//!
//! One file that opens from a USB stick on an air-gapped workstation: no network access, no
//! external script, style or font. What is rendered where:
//!
//! | part | rendered | why |
//! |---|---|---|
//! | case header, inputs, summary, databases and backups found, warnings | server side (minijinja template) | readable without script, printable |
//! | list of conversations (name, JID, app, counts by status, first and last time) | server side; the inline script hides rows and counts matches when filters are set | the list is the report's index |
//! | search, filters, chat view (bubbles, day separators, gaps, earlier versions, evidence) | client side, from the report's conversations embedded as JSON in a `<script type="application/json">` block | a chat of 50 000 messages is shown a page at a time instead of 50 000 DOM nodes |
//!
//! Every string of the report is hostile (it came from an image). The template escapes with
//! minijinja's HTML auto-escaping; the embedded JSON has `<`, `>`, `&`, U+2028, U+2029 and the
//! bidirectional controls written as `\uXXXX` escapes, so neither `</script>` nor `<!--` can end
//! or change the block; the inline script only ever sets `textContent`, never `innerHTML`, and
//! never makes a link from report data. A Content-Security-Policy meta element allows nothing
//! but the one inline script and the one inline style, by their SHA-256 computed here. Control
//! characters and direction overrides are shown as visible marks (`␀`, `⟦U+202E⟧`) so they can
//! neither hide text nor reorder the page.
//!
//! The report is read as a `serde_json::Value` and every field is optional to this module: a
//! report written by any version of the tool renders, missing fields show as blanks.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

const TEMPLATE: &str = include_str!("../../templates/report.html");
const STYLE: &str = include_str!("../../templates/report.css");
const SCRIPT: &str = include_str!("../../templates/report.js");

/// Messages per page of the chat view and of the search results (the script's default).
pub const PAGE_SIZE: usize = 200;

/// Rows of the databases-and-backups table before it is cut short (the rest are counted).
const MAX_ARTIFACT_ROWS: usize = 500;
/// Warnings listed before the rest are counted.
const MAX_WARNINGS: usize = 1000;
/// Characters of a string shown in the server-rendered parts (names, paths, JIDs) before it is
/// cut short with a note of its length.
const MAX_SHOWN_CHARS: usize = 300;

/// The statuses of contract v1, in the order the report shows them.
const STATUSES: [&str; 4] = ["live", "deleted", "superseded", "fragment"];

/// What the examiner adds to the report: shown in the case header.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// The case identifier.
    pub case_id: Option<String>,
    /// Who examined the evidence.
    pub examiner: Option<String>,
    /// The zone the times are shown in (default UTC; always named in the header).
    pub timezone: super::Zone,
}

impl HtmlOptions {
    /// Sets the case identifier.
    pub fn case_id(mut self, case_id: impl Into<String>) -> Self {
        self.case_id = Some(case_id.into());
        self
    }

    /// Sets the examiner.
    pub fn examiner(mut self, examiner: impl Into<String>) -> Self {
        self.examiner = Some(examiner.into());
        self
    }

    /// Sets the time zone.
    pub fn timezone(mut self, timezone: super::Zone) -> Self {
        self.timezone = timezone;
        self
    }
}

/// Why the HTML report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// The value given is not a JSON object, so not a report of any version.
    #[error("not a chatcarve report: the JSON is not an object")]
    NotAReport,
    /// The template failed (a bug: the templates are compiled into the binary).
    #[error("HTML template: {0}")]
    Template(String),
    /// Writing the output failed.
    #[error("writing the HTML report: {0}")]
    Io(#[from] std::io::Error),
}

/// Renders `report` (a JSON report of any version, as parsed by `serde_json`) as one
/// self-contained HTML document.
///
/// Never fails on the report's content: missing or mistyped fields are shown blank. The output
/// holds exactly three `<script` elements (two JSON data blocks and the inline script) and one
/// `<style>`; it loads nothing.
pub fn render(report: &Json, options: &HtmlOptions) -> Result<String, HtmlError> {
    if !report.is_object() {
        return Err(HtmlError::NotAReport);
    }
    let page = build_page(report, options);
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE).map_err(|e| HtmlError::Template(e.to_string()))?;
    let tmpl = env.get_template("report.html").map_err(|e| HtmlError::Template(e.to_string()))?;
    let data = embedded_data(report);
    let config = script_json(&serde_json::json!({
        "tz_offsets": zone_offsets(report, &options.timezone),
        "tz_label": options.timezone.name(),
        "page_size": PAGE_SIZE,
    }));
    let csp = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    let ctx = minijinja::context! {
        page => minijinja::Value::from_serialize(&page),
        csp => minijinja::Value::from_safe_string(csp),
        style => minijinja::Value::from_safe_string(STYLE.to_owned()),
        script => minijinja::Value::from_safe_string(SCRIPT.to_owned()),
        config_json => minijinja::Value::from_safe_string(config),
        data_json => minijinja::Value::from_safe_string(data),
    };
    tmpl.render(ctx).map_err(|e| HtmlError::Template(e.to_string()))
}

/// [`render`], written to `w`.
pub fn render_to<W: std::io::Write>(report: &Json, options: &HtmlOptions, mut w: W) -> Result<(), HtmlError> {
    let html = render(report, options)?;
    w.write_all(html.as_bytes())?;
    w.flush()?;
    Ok(())
}

/// `sha256-<base64>` of an inline element's text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The part of the report the script reads: conversations and unattributed messages, as the
/// report has them (compact). Everything else is rendered server side.
fn embedded_data(report: &Json) -> String {
    let empty = Json::Array(Vec::new());
    let data = serde_json::json!({
        "conversations": report.get("conversations").filter(|v| v.is_array()).unwrap_or(&empty),
        "unattributed_messages": report.get("unattributed_messages").filter(|v| v.is_array()).unwrap_or(&empty),
    });
    script_json(&data)
}

/// JSON text that is safe inside `<script type="application/json">`: `<`, `>` and `&` (so no
/// `</script>` and no `<!--`), U+2028 and U+2029 (line terminators to older JavaScript) and the
/// bidirectional controls (so a viewer of the source is not misled) are written as `\uXXXX`.
/// These characters can only occur inside JSON strings, where the escape means the same.
pub fn script_json(value: &Json) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + text.len() / 64);
    for c in text.chars() {
        match c {
            '<'
            | '>'
            | '&'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            _ => out.push(c),
        }
    }
    out
}

/// A string as shown: control characters as their visible pictures (U+2400 …), bidirectional
/// controls and line or paragraph separators as `⟦U+202E⟧`, cut short after [`MAX_SHOWN_CHARS`] characters with its length.
/// The template escapes the result.
pub fn visible(s: &str) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for c in s.chars() {
        count += 1;
        if count > MAX_SHOWN_CHARS {
            continue;
        }
        match c {
            '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'))
            }
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => out.push_str(&format!("\u{27e6}U+{:04X}\u{27e7}", c as u32)),
            _ => out.push(c),
        }
    }
    if count > MAX_SHOWN_CHARS {
        out.push_str(&format!("\u{2026} ({count} characters)"));
    }
    out
}

fn get_str<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn get_u64(v: &Json, key: &str) -> Option<u64> {
    v.get(key).and_then(Json::as_u64)
}

fn get_i64(v: &Json, key: &str) -> Option<i64> {
    v.get(key).and_then(Json::as_i64)
}

fn get_array<'a>(v: &'a Json, key: &str) -> &'a [Json] {
    v.get(key).and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn shown(v: Option<&str>) -> String {
    v.map(visible).unwrap_or_default()
}

/// `1.5 MiB (1572864 bytes)`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in UNITS.iter().skip(1) {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit} ({bytes} bytes)")
}

/// Transitions of the zone's offset kept for the page at most (two a year for a century).
const MAX_ZONE_OFFSETS: usize = 256;

/// The zone's offsets over the times the report holds, for the page's script:
/// `[[since_ms, offset_minutes], …]` (one pair for a fixed offset).
fn zone_offsets(report: &Json, zone: &super::Zone) -> Vec<(i64, i32)> {
    let times = || {
        report["conversations"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["messages"].as_array().into_iter().flatten())
            .chain(report["unattributed_messages"].as_array().into_iter().flatten())
            .filter_map(|m| m["timestamp_ms"].as_i64())
    };
    let (Some(first), Some(last)) = (times().min(), times().max()) else {
        return zone.offsets_between(0, 0, 1);
    };
    // A day on either side: the day separators and date filters of the first and last days.
    let day = 86_400_000;
    zone.offsets_between(first.saturating_sub(day), last.saturating_add(day), MAX_ZONE_OFFSETS)
}

/// Milliseconds since the epoch shown in the report's zone: `2020-09-13 14:27:40`.
fn format_ms(ms: i64, tz: &super::Zone) -> String {
    let Some(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok() else {
        return format!("{ms} ms");
    };
    let offset = tz
        .offset_seconds_at(ms)
        .and_then(|s| time::UtcOffset::from_whole_seconds(s).ok())
        .unwrap_or(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.to_offset(offset).format(&fmt).unwrap_or_else(|_| format!("{ms} ms"))
}

/// An RFC 3339 time of the report shown in the report's zone; anything else shown as it is.
fn format_rfc3339(s: Option<&str>, tz: &super::Zone) -> String {
    let Some(s) = s else { return String::new() };
    match time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        Ok(t) => format_ms((t.unix_timestamp_nanos() / 1_000_000) as i64, tz),
        Err(_) => visible(s),
    }
}

#[derive(Serialize)]
struct PageView {
    title: String,
    case_id: String,
    examiner: String,
    timezone: String,
    tool: String,
    report_version: String,
    run_started: String,
    run_finished: String,
    run_threads: String,
    run_arguments: String,
    inputs: Vec<InputView>,
    summary: SummaryView,
    artifact_kinds: Vec<(String, u64)>,
    artifacts: Vec<ArtifactView>,
    artifacts_more: usize,
    warnings: Vec<String>,
    warnings_more: usize,
    conversations: Vec<ConversationView>,
    statuses: Vec<(String, u64)>,
    other_statuses: bool,
    total_messages: u64,
}

#[derive(Serialize)]
struct InputView {
    index: String,
    path: String,
    size: String,
    sha256: String,
    container: String,
    error: String,
    /// What the acquisition stored and whether the image still matches it (E01), or empty.
    acquisition: String,
    /// Whether the image no longer matches the hash its acquisition stored.
    altered: bool,
    members: Vec<MemberView>,
}

/// The hashes an input's container stored at acquisition and what checking them gave.
fn acquisition(i: &Json) -> String {
    let Some(stored) = i.get("stored_hashes").filter(|s| s.is_object()) else { return String::new() };
    let hashes: Vec<String> = ["md5", "sha1"]
        .iter()
        .filter_map(|k| get_str(stored, k).map(|h| format!("{} {}", k.to_uppercase(), h)))
        .collect();
    let verdict = match i.get("stored_hash_verified").and_then(Json::as_bool) {
        Some(true) => "verified: the image's MD5 matches".to_owned(),
        Some(false) => format!(
            "DOES NOT MATCH: the image's MD5 is {} (altered or damaged since acquisition)",
            shown(get_str(i, "md5"))
        ),
        None => "not checked (no MD5 stored)".to_owned(),
    };
    format!("acquisition hashes {}; {verdict}", hashes.join(", "))
}

#[derive(Serialize)]
struct MemberView {
    path: String,
    offset: String,
    length: String,
    sha256: String,
}

#[derive(Serialize)]
struct SummaryView {
    bytes_scanned: String,
    messages: String,
    conversations: String,
    databases: String,
    wal_files: String,
    journals: String,
    backups: u64,
    backup_keys: u64,
    pages: String,
    orphan_pages: String,
    records: String,
    by_status: Vec<(String, String)>,
    by_source: Vec<(String, String)>,
}

#[derive(Serialize)]
struct ArtifactView {
    id: String,
    kind: String,
    input: String,
    offset: String,
    length: String,
    app: String,
    intact: String,
}

#[derive(Serialize)]
struct ConversationView {
    index: usize,
    name: String,
    jid: String,
    app: String,
    kind: String,
    total: u64,
    live: u64,
    deleted: u64,
    superseded: u64,
    fragment: u64,
    other: u64,
    first: String,
    last: String,
}

fn count_text(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

fn build_page(r: &Json, o: &HtmlOptions) -> PageView {
    let tz = &o.timezone;
    let tool = r.get("tool").unwrap_or(&Json::Null);
    let run = r.get("run").unwrap_or(&Json::Null);
    let summary = r.get("summary").unwrap_or(&Json::Null);
    let tool_text = format!("{} {}", shown(get_str(tool, "name")), shown(get_str(tool, "version")));

    let inputs = get_array(r, "inputs")
        .iter()
        .map(|i| InputView {
            index: get_u64(i, "index").map(|n| n.to_string()).unwrap_or_default(),
            path: shown(get_str(i, "path")),
            size: get_u64(i, "size_bytes").map(human_size).unwrap_or_default(),
            sha256: shown(get_str(i, "sha256")),
            container: shown(get_str(i, "container")),
            error: shown(get_str(i, "error")),
            acquisition: acquisition(i),
            altered: i.get("stored_hash_verified").and_then(Json::as_bool) == Some(false),
            members: get_array(i, "members")
                .iter()
                .map(|m| MemberView {
                    path: shown(get_str(m, "path")),
                    offset: get_u64(m, "offset").map(|n| n.to_string()).unwrap_or_default(),
                    length: get_u64(m, "length").map(human_size).unwrap_or_default(),
                    sha256: shown(get_str(m, "sha256")),
                })
                .collect(),
        })
        .collect();

    let artifacts = get_array(r, "artifacts");
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for a in artifacts {
        *kinds.entry(shown(get_str(a, "kind"))).or_default() += 1;
    }
    let listed: Vec<&Json> = artifacts
        .iter()
        .filter(|a| matches!(get_str(a, "kind"), Some("sqlite_db" | "wal" | "journal" | "backup" | "backup_key")))
        .collect();
    let artifact_rows = listed
        .iter()
        .take(MAX_ARTIFACT_ROWS)
        .map(|a| ArtifactView {
            id: shown(get_str(a, "id")),
            kind: shown(get_str(a, "kind")),
            input: get_u64(a, "input").map(|n| n.to_string()).unwrap_or_default(),
            offset: get_u64(a, "offset").map(|n| format!("{n} (0x{n:x})")).unwrap_or_default(),
            length: get_u64(a, "length").map(human_size).unwrap_or_default(),
            app: shown(get_str(a, "app")),
            intact: match a.get("intact").and_then(Json::as_bool) {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
        })
        .collect();

    let pairs = |key: &str| -> Vec<(String, String)> {
        summary
            .get(key)
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (visible(k), v.as_u64().map(|n| n.to_string()).unwrap_or_else(|| visible(&v.to_string())))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };

    let mut statuses: BTreeMap<&str, u64> = BTreeMap::new();
    let mut total_messages = 0u64;
    let mut conversations: Vec<ConversationView> = get_array(r, "conversations")
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let mut view = conversation_view(index, c, get_array(c, "messages"), tz);
            view.name = match (get_str(c, "chat_name"), get_str(c, "chat_jid"), get_i64(c, "chat_row_id")) {
                (Some(n), _, _) => visible(n),
                (None, Some(j), _) => visible(j),
                (None, None, Some(row)) => format!("unknown chat (row {row})"),
                (None, None, None) => "unknown chat".into(),
            };
            view
        })
        .collect();
    let unattributed = get_array(r, "unattributed_messages");
    if !unattributed.is_empty() {
        let mut view = conversation_view(conversations.len(), &Json::Null, unattributed, tz);
        view.name = "Unattributed messages (chat unknown)".into();
        conversations.push(view);
    }
    for c in get_array(r, "conversations").iter().map(|c| get_array(c, "messages")).chain([unattributed]) {
        for m in c {
            total_messages += 1;
            let key = get_str(m, "status").and_then(|s| STATUSES.iter().find(|k| **k == s).copied()).unwrap_or("other");
            *statuses.entry(key).or_default() += 1;
        }
    }
    let other = statuses.get("other").copied().unwrap_or(0);
    let other_statuses = other > 0;
    let mut status_list: Vec<(String, u64)> =
        STATUSES.iter().map(|s| ((*s).to_owned(), statuses.get(*s).copied().unwrap_or(0))).collect();
    if other_statuses {
        status_list.push(("other".into(), other));
    }

    let warnings = get_array(r, "warnings");
    let case_id = shown(o.case_id.as_deref());
    PageView {
        title: if case_id.is_empty() { "chatcarve report".into() } else { format!("chatcarve report — {case_id}") },
        case_id,
        examiner: shown(o.examiner.as_deref()),
        timezone: tz.name().to_owned(),
        tool: tool_text,
        report_version: shown(get_str(r, "report_version")),
        run_started: format_rfc3339(get_str(run, "started"), tz),
        run_finished: format_rfc3339(get_str(run, "finished"), tz),
        run_threads: get_u64(run, "threads").map(|n| n.to_string()).unwrap_or_default(),
        run_arguments: get_array(run, "arguments")
            .iter()
            .filter_map(Json::as_str)
            .map(visible)
            .collect::<Vec<_>>()
            .join(" "),
        inputs,
        summary: SummaryView {
            bytes_scanned: get_u64(summary, "bytes_scanned").map(human_size).unwrap_or_else(|| "—".into()),
            messages: count_text(get_u64(summary, "messages").or(Some(total_messages))),
            conversations: count_text(get_u64(summary, "conversations")),
            databases: count_text(get_u64(summary, "databases")),
            wal_files: count_text(get_u64(summary, "wal_files")),
            journals: count_text(get_u64(summary, "journals")),
            backups: kinds.get("backup").copied().unwrap_or(0),
            backup_keys: kinds.get("backup_key").copied().unwrap_or(0),
            pages: count_text(get_u64(summary, "pages")),
            orphan_pages: count_text(get_u64(summary, "orphan_pages")),
            records: count_text(get_u64(summary, "records")),
            by_status: pairs("messages_by_status"),
            by_source: pairs("messages_by_source"),
        },
        artifact_kinds: kinds.into_iter().collect(),
        artifacts: artifact_rows,
        artifacts_more: listed.len().saturating_sub(MAX_ARTIFACT_ROWS),
        warnings: warnings.iter().take(MAX_WARNINGS).map(|w| w.as_str().map(visible).unwrap_or_default()).collect(),
        warnings_more: warnings.len().saturating_sub(MAX_WARNINGS),
        conversations,
        statuses: status_list,
        other_statuses,
        total_messages,
    }
}

fn conversation_view(index: usize, c: &Json, messages: &[Json], tz: &super::Zone) -> ConversationView {
    let mut v = ConversationView {
        index,
        name: String::new(),
        jid: shown(get_str(c, "chat_jid")),
        app: shown(get_str(c, "app")),
        kind: shown(get_str(c, "kind")),
        total: messages.len() as u64,
        live: 0,
        deleted: 0,
        superseded: 0,
        fragment: 0,
        other: 0,
        first: String::new(),
        last: String::new(),
    };
    let mut first = get_i64(c, "first_timestamp_ms");
    let mut last = get_i64(c, "last_timestamp_ms");
    let from_messages = first.is_none() && last.is_none();
    for m in messages {
        match get_str(m, "status") {
            Some("live") => v.live += 1,
            Some("deleted") => v.deleted += 1,
            Some("superseded") => v.superseded += 1,
            Some("fragment") => v.fragment += 1,
            _ => v.other += 1,
        }
        if from_messages {
            if let Some(t) = get_i64(m, "timestamp_ms") {
                first = Some(first.map_or(t, |f| f.min(t)));
                last = Some(last.map_or(t, |l| l.max(t)));
            }
        }
    }
    v.first = first.map(|t| format_ms(t, tz)).unwrap_or_default();
    v.last = last.map(|t| format_ms(t, tz)).unwrap_or_default();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_end_its_block() {
        let v = serde_json::json!({"t": "</script><!--\u{2028}\u{202e}&"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{202e}'));
        assert_eq!(serde_json::from_str::<Json>(&s).unwrap(), v);
    }

    #[test]
    fn visible_shows_controls() {
        assert_eq!(visible("a\u{0}b\u{202e}c"), "a\u{2400}b\u{27e6}U+202E\u{27e7}c");
        assert!(visible(&"x".repeat(1000)).ends_with("(1000 characters)"));
    }

    #[test]
    fn formats_times_in_the_zone() {
        let tz = crate::render::Zone::parse("+02:00").unwrap();
        assert_eq!(format_ms(1_600_000_060_000, &tz), "2020-09-13 14:27:40");
        let utc = crate::render::Zone::default();
        assert_eq!(format_rfc3339(Some("2020-09-13T12:27:40.000Z"), &utc), "2020-09-13 12:27:40");
        // Daylight saving time followed: Berlin is +01:00 in January, +02:00 in July.
        let berlin = crate::render::Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(format_ms(1_704_110_400_000, &berlin), "2024-01-01 13:00:00");
        assert_eq!(format_ms(1_719_835_200_000, &berlin), "2024-07-01 14:00:00");
        let offsets = berlin.offsets_between(1_704_110_400_000, 1_719_835_200_000, 10);
        assert_eq!(offsets.iter().map(|o| o.1).collect::<Vec<_>>(), [60, 120]);
    }
}
