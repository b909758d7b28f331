//! The self-contained HTML report (`render::html`): hostile strings are escaped (string checks
//! on the output), reports of any shape render, and in headless Chromium (driven over the
//! DevTools protocol, `support/cdp.rs`) the demo report shows its counts, its deleted messages,
//! search and filters work, chats open, nothing runs that should not (a hostile report, and the
//! report of an image whose messages hold the hostile strings), and the console is clean.
//!
//! Chromium missing: the browser tests are skipped with a message, unless
//! `CHATCARVE_REQUIRE_TOOLS=1`. `CHATCARVE_SCREENSHOTS=1` writes the screenshots of
//! `docs/screenshots/`. The figures for a large report (100 000 messages, one chat of 50 000):
//! `cargo test --release --test render_html -- --ignored large_report --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cdp.rs"]
mod cdp;
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chatcarve::render::html::{render, HtmlOptions};
use chatcarve::render::Zone;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const WAIT: Duration = Duration::from_secs(20);

/// What the hostile strings try: set the title or a global, or open a dialog.
const PAYLOADS: &[&str] = &[
    "<script>document.title='PWNED';window.__pwned=1</script>",
    "<img src=x onerror=\"document.title='PWNED';window.__pwned=1\">",
    "javascript:document.title='PWNED'",
    "</script><script>window.__pwned=1;alert(1)</script>",
    "<!--<script>window.__pwned=1</script>-->",
    "</div></td></tr></table></section></main></body></html><svg onload=\"window.__pwned=1\">",
    "\u{202e}gnp.exe \u{2066}isolate\u{2069}",
    "nul\u{0}byte\u{1}\u{7f}",
    "line\u{2028}separators\u{2029}here",
    "'\"><iframe src=\"javascript:window.__pwned=1\"></iframe>",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "<a href=\"javascript:window.__pwned=1\">click me</a>",
    "<style>body{display:none}</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__pwned=1\">",
    "<base href=\"http://203.0.113.1/\"><link rel=stylesheet href=\"http://203.0.113.1/x.css\">",
    "</textarea></title></noscript><script>window.__pwned=1</script>",
];

fn hostile(i: usize) -> String {
    PAYLOADS[i % PAYLOADS.len()].to_owned()
}

fn one_mb_line() -> String {
    let mut s = "A".repeat(1 << 20);
    s.push_str("<script>window.__pwned=1</script>");
    s
}

/// A report whose every string is hostile.
fn hostile_report() -> Value {
    let mut messages = Vec::new();
    for i in 0..PAYLOADS.len() + 4 {
        let text = if i == PAYLOADS.len() { one_mb_line() } else { hostile(i) };
        let status = ["live", "deleted", "superseded", "fragment", "<b>weird</b>"][i % 5];
        let message_type = ["text", "image", "<svg onload=alert(1)>", "location", "document"][i % 5];
        messages.push(json!({
            "id": format!("msg-{i}-{}", hostile(i + 1)),
            "key_id": if i % 5 == 2 { json!("K0") } else { json!(hostile(i + 2)) },
            "chat_jid": hostile(i + 3),
            "sender_jid": hostile(i + 4),
            "row_id": i,
            "sender_name": hostile(i + 5),
            "from_me": i % 3 == 0,
            "timestamp_ms": 1_600_000_000_000i64 + i as i64 * 3_600_000,
            "timestamp": hostile(i + 6),
            "message_type": message_type,
            "text": text,
            "details": {
                "quoted_text": hostile(i + 7),
                "media_file": hostile(i + 8),
                "media_mime_type": hostile(i + 9),
                "<img src=x onerror=alert(1)>": hostile(i + 10),
                "reactions": [hostile(i + 11)],
            },
            "status": status,
            "confidence": 0.5,
            "confidence_factors": [{"factor": hostile(i + 12), "effect": 0.5}],
            "evidence": [{
                "source": hostile(i + 13),
                "input": 0,
                "offset": 4096 + i,
                "length": 10,
                "artifact": hostile(i + 14),
                "page_number": 1,
                "detail": hostile(i + 15),
            }],
        }));
    }
    // The current version of the superseded ones.
    messages.push(json!({"id": "current", "key_id": "K0", "status": "live", "text": hostile(3), "from_me": false,
        "timestamp_ms": 1_600_000_000_000i64, "confidence": 1.0, "confidence_factors": [], "evidence": []}));
    let ids: Vec<String> = messages.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    json!({
        "report_version": "1",
        "tool": {"name": hostile(0), "version": hostile(1)},
        "run": {"started": hostile(2), "finished": "2020-09-13T12:27:40.000Z", "threads": 2, "arguments": PAYLOADS},
        "inputs": [{"index": 0, "path": hostile(3), "size_bytes": 123456, "sha256": hostile(4), "container": hostile(5),
            "error": hostile(6), "members": [{"path": hostile(7), "offset": 0, "length": 10, "sha256": hostile(8)}]}],
        "summary": {"bytes_scanned": 123456, "databases": 1, "messages": messages.len() * 2,
            "messages_by_status": {hostile(0): 1, hostile(1): 2}, "messages_by_source": {hostile(2): 3}, "conversations": 2},
        "artifacts": [{"id": hostile(9), "kind": "sqlite_db", "input": 0, "offset": 0, "length": 4096, "page_size": 4096,
            "app": hostile(10), "intact": true, "details": {}}, {"id": "x", "kind": hostile(11)}],
        "conversations": [
            {"chat_jid": hostile(12), "chat_name": hostile(13), "kind": "group", "app": hostile(14), "first_timestamp_ms": 0,
             "last_timestamp_ms": 1, "messages": messages.clone(),
             "gaps": [{"after_message": ids[0], "before_message": ids[1], "numbering": hostile(15), "first_missing": 1,
                       "last_missing": 2, "missing": 2}]},
            {"chat_jid": null, "chat_name": null, "chat_row_id": 7, "kind": hostile(1), "app": hostile(2), "messages": messages.clone()},
        ],
        "unattributed_messages": messages,
        "warnings": PAYLOADS,
    })
}

fn hostile_options() -> HtmlOptions {
    HtmlOptions::default()
        .case_id(format!("CASE-1 {}", PAYLOADS[0]))
        .examiner(PAYLOADS[1])
        .timezone(Zone::parse("+02:00").expect("an offset"))
}

const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "header", "div", "span", "form", "label", "input", "select",
    "option", "fieldset", "legend", "button", "main", "section", "h1", "h2", "dl", "dt", "dd", "table", "thead",
    "tbody", "tr", "th", "td", "caption", "details", "summary", "ul", "li", "p", "noscript", "nav", "footer", "script",
    "strong",
];

/// Every tag of the document: its name must be one the template writes, and it must have no
/// event-handler attribute. Returns the number of `<script` tags.
fn check_tags(html: &str) -> usize {
    let mut scripts = 0;
    let mut at = 0;
    while let Some(p) = html[at..].find('<') {
        let start = at + p;
        let end = html[start..].find('>').map(|e| start + e).expect("a tag ends");
        let tag = &html[start + 1..end];
        at = end;
        if tag == "!DOCTYPE html" {
            continue;
        }
        assert!(!tag.starts_with('!'), "comment or declaration in the output: <{}>", &tag[..tag.len().min(80)]);
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(TAGS.contains(&name.as_str()), "unexpected tag <{}>", &tag[..tag.len().min(120)]);
        if name == "script" && !tag.starts_with('/') {
            scripts += 1;
        }
        // The text of a script or style element is not markup: go to its end tag.
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            let close = format!("</{name}>");
            at = html[end..].find(&close).map(|e| end + e).expect("the element is closed");
        }
        for attr in attribute_names(tag) {
            assert!(!attr.starts_with("on"), "event handler attribute {attr} in <{}>", &tag[..tag.len().min(120)]);
        }
    }
    scripts
}

/// The attribute names of a tag's text (`name a="…" b c='…'`), lower-cased; values are
/// skipped, quoted or not.
fn attribute_names(tag: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = tag.trim_start_matches('/').chars().skip_while(|c| !c.is_whitespace()).peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=' && *c != '/')).collect();
        if name.is_empty() {
            break;
        }
        names.push(name.to_ascii_lowercase());
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next_if_eq(&'=').is_some() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                    }
                }
                _ => while chars.next_if(|c| !c.is_whitespace()).is_some() {},
            }
        }
    }
    names
}

/// The text of the `<script>` or `<style>` element that starts after `open`.
fn element_text<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).expect("element") + open.len();
    let end = html[start..].find(close).expect("element end") + start;
    &html[start..end]
}

fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

#[test]
fn hostile_strings_are_escaped() {
    let report = hostile_report();
    let html = render(&report, &hostile_options()).expect("renders");

    assert_eq!(check_tags(&html), 3, "exactly the two JSON blocks and the inline script");
    for raw in ['\u{0}', '\u{1}', '\u{202e}', '\u{2066}', '\u{2028}', '\u{2029}'] {
        assert!(!html.contains(raw), "raw U+{:04X} in the output", raw as u32);
    }
    assert!(!html.contains("<!--") && !html.contains("<img") && !html.contains("<a "));
    // Template syntax in the data is data.
    assert!(html.contains("{{ 7*7 }}"));
    // The policy: nothing remote, the inline script and style by hash only.
    let csp = element_text(&html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    let script = element_text(&html, "<script>", "</script>");
    let style = element_text(&html, "<style>", "</style>");
    assert!(csp.contains(&format!("script-src {};", csp_hash(script))), "{csp}");
    assert!(csp.contains(&format!("style-src {};", csp_hash(style))), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(!script.contains("innerHTML") && !script.contains("eval(") && !script.contains("document.write"));
    // The data block holds the conversations unchanged.
    let data = element_text(&html, "<script type=\"application/json\" id=\"cc-data\">", "</script>");
    let back: Value = serde_json::from_str(data).expect("the data block is JSON");
    assert_eq!(back["conversations"], report["conversations"]);
    assert_eq!(back["unattributed_messages"], report["unattributed_messages"]);
    assert!(data.contains(&"A".repeat(1 << 20)), "the 1 MB line is kept whole");
    // Visible marks for controls in the server-rendered parts.
    assert!(html.contains("\u{27e6}U+202E\u{27e7}gnp.exe"));
    assert!(html.contains("nul\u{2400}byte"));
    assert!(html.contains("Times in <strong>+02:00</strong>"));
}

#[test]
fn reports_of_any_shape_render() {
    let opts = HtmlOptions::default();
    for report in [
        json!({}),
        json!({"report_version": "0"}),
        json!({"conversations": [{}], "unattributed_messages": [{}, 3, null]}),
        json!({"conversations": "x", "inputs": [1, "a", null], "summary": [], "artifacts": {}, "warnings": [1]}),
        json!({"conversations": [{"messages": [{"text": 5, "status": null, "evidence": "x", "timestamp_ms": 1e300}]}]}),
    ] {
        let html = render(&report, &opts).unwrap_or_else(|e| panic!("{report}: {e}"));
        assert_eq!(check_tags(&html), 3);
        assert!(html.contains("Times in <strong>UTC</strong>"), "the zone is always shown");
    }
    assert!(render(&json!([1, 2]), &opts).is_err());
}

fn demo_report() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.img");
    common::scan_with_library(&[&path])
}

fn demo_options() -> HtmlOptions {
    HtmlOptions::default().case_id("DEMO-2024-001").examiner("A. Examiner")
}

#[test]
fn demo_report_server_side_parts() {
    let report = demo_report();
    let html = render(&report, &demo_options()).expect("renders");
    assert_eq!(check_tags(&html), 3);
    let n_conv = report["conversations"].as_array().unwrap().len();
    assert_eq!(html.matches("<tr class=\"conv\"").count(), n_conv);
    assert!(html.contains(report["inputs"][0]["sha256"].as_str().unwrap()));
    assert!(html.contains("DEMO-2024-001") && html.contains("A. Examiner"));
    assert!(html.contains(&format!("<span class=\"n\" id=\"sum-messages\">{}</span>", report["summary"]["messages"])));
}

/// A fresh temporary file holding `html`, and its file:// URL.
fn write_html(html: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(&path, html).unwrap();
    (dir, format!("file://{}", path.display()))
}

/// Sets a filter input's value as a user would and waits until the script applied it.
fn set_filter(b: &mut cdp::Browser, id: &str, value: &str) {
    let before = b.eval("document.getElementById('match-summary').textContent");
    b.eval(&format!(
        "(function () {{ var e = document.getElementById({id}); e.value = {value}; \
         e.dispatchEvent(new Event('input', {{bubbles: true}})); return true; }})()",
        id = json!(id),
        value = json!(value)
    ));
    wait_applied(b, &before);
}

fn wait_applied(b: &mut cdp::Browser, before: &Value) {
    // The script applies filters 150 ms after the last input; the summary line then changes
    // unless the filter changed nothing, so wait for the change or 1 s.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline && b.eval("document.getElementById('match-summary').textContent") == *before {
        b.pump(Duration::from_millis(50));
    }
    b.pump(Duration::from_millis(250));
}

fn matching(b: &mut cdp::Browser) -> (u64, u64) {
    let v = b.eval(
        "(function () { var n = 0, rows = 0; document.querySelectorAll('#conv-table tr.conv').forEach(function (r) { \
         if (!r.classList.contains('nomatch')) { rows++; n += +r.querySelector('.matching').textContent; } }); \
         return [n, rows]; })()",
    );
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// What the script's search looks at, lower-cased.
fn haystack(m: &Value) -> String {
    let d = &m["details"];
    [
        &m["text"],
        &m["sender_name"],
        &m["sender_jid"],
        &m["key_id"],
        &m["message_type"],
        &d["quoted_text"],
        &d["media_file"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase()
}

#[test]
fn browser_demo_report() {
    let Some(mut b) = cdp::launch_or_skip("browser_demo_report") else { return };
    let report = demo_report();
    let html = render(&report, &demo_options()).expect("renders");
    let (_dir, url) = write_html(&html);
    b.navigate(&url);
    b.wait_for("window.__chatcarveReady === true", WAIT);

    let convs = report["conversations"].as_array().unwrap();
    let all = common::all_messages(&report);
    let total = all.len() as u64;
    assert_eq!(b.eval("document.title"), "chatcarve report — DEMO-2024-001");
    assert_eq!(b.eval("document.querySelectorAll('#conv-table tr.conv').length"), convs.len());
    assert_eq!(
        b.eval("document.getElementById('sum-messages').textContent"),
        report["summary"]["messages"].to_string()
    );
    assert_eq!(b.eval("document.getElementById('timezone').textContent"), "UTC");
    assert_eq!(matching(&mut b), (total, convs.len() as u64));
    if std::env::var("CHATCARVE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        b.eval("document.getElementById('conversations').scrollIntoView(); true");
        std::fs::write(dir.join("conversations.png"), b.screenshot(false)).unwrap();
        b.eval("window.scrollTo(0, 0); true");
        std::fs::write(dir.join("case.png"), b.screenshot(false)).unwrap();
    }

    // Search: the result list and the per-chat counts follow the text.
    let needle = "interview";
    let expected: Vec<&Value> = all.iter().filter(|m| haystack(m).contains(needle)).collect();
    assert!(expected.len() > 1, "the demo has several messages about an interview");
    set_filter(&mut b, "f-text", needle);
    let chats_with =
        convs.iter().filter(|c| c["messages"].as_array().unwrap().iter().any(|m| haystack(m).contains(needle))).count()
            as u64;
    assert_eq!(matching(&mut b), (expected.len() as u64, chats_with));
    assert_eq!(b.eval("document.querySelectorAll('#results .result').length"), expected.len());
    assert_eq!(b.eval("document.getElementById('results').hidden"), false);
    // A result opens its chat, with the message marked.
    b.eval("document.querySelector('#results .result').click(); true");
    b.wait_for(
        "!document.getElementById('chat-view').hidden && document.querySelector('#messages .msg.hit') !== null",
        WAIT,
    );
    let hit = b.eval("document.querySelector('#messages .msg.hit .text').textContent");
    assert!(hit.as_str().unwrap().to_lowercase().contains(needle), "{hit}");
    b.eval("document.getElementById('chat-back').click(); true");
    b.wait_for("!document.getElementById('list-view').hidden", WAIT);
    set_filter(&mut b, "f-text", "");
    assert_eq!(matching(&mut b), (total, convs.len() as u64));
    assert_eq!(b.eval("document.getElementById('results').hidden"), true);

    // Status: only the deleted ones.
    let deleted = all.iter().filter(|m| m["status"] == "deleted").count() as u64;
    assert!(deleted > 0);
    let before = b.eval("document.getElementById('match-summary').textContent");
    b.eval(
        "document.querySelectorAll('#f-status input').forEach(function (e) { e.checked = e.value === 'deleted'; }); \
         document.getElementById('filters').dispatchEvent(new Event('change')); true",
    );
    wait_applied(&mut b, &before);
    let chats_deleted =
        convs.iter().filter(|c| c["messages"].as_array().unwrap().iter().any(|m| m["status"] == "deleted")).count()
            as u64;
    assert_eq!(matching(&mut b), (deleted, chats_deleted));
    let before = b.eval("document.getElementById('match-summary').textContent");
    b.eval("document.getElementById('filters').reset(); true");
    wait_applied(&mut b, &before);
    assert_eq!(matching(&mut b), (total, convs.len() as u64));

    // Minimum confidence.
    let confident = all.iter().filter(|m| m["confidence"].as_f64().unwrap() >= 0.9).count() as u64;
    assert!(confident < total && confident > 0);
    set_filter(&mut b, "f-conf", "0.9");
    assert_eq!(matching(&mut b).0, confident);
    set_filter(&mut b, "f-conf", "0");

    // Date range: one day (UTC, the report's zone).
    let first = all.iter().filter_map(|m| m["timestamp_ms"].as_i64()).min().unwrap();
    let day_start = first - first.rem_euclid(86_400_000);
    let on_day = all
        .iter()
        .filter_map(|m| m["timestamp_ms"].as_i64())
        .filter(|t| (day_start..day_start + 86_400_000).contains(t))
        .count() as u64;
    let day = time::OffsetDateTime::from_unix_timestamp(day_start / 1000).unwrap().date().to_string();
    set_filter(&mut b, "f-from", &day);
    set_filter(&mut b, "f-to", &day);
    assert_eq!(matching(&mut b).0, on_day);
    set_filter(&mut b, "f-from", "");
    set_filter(&mut b, "f-to", "");
    assert_eq!(matching(&mut b).0, total);

    // Chat filter: one row left.
    set_filter(&mut b, "f-chat", "2");
    assert_eq!(matching(&mut b), (convs[2]["messages"].as_array().unwrap().len() as u64, 1));
    set_filter(&mut b, "f-chat", "");

    // Opening a chat shows its messages: a group with deleted messages.
    let (ci, conv) = convs
        .iter()
        .enumerate()
        .find(|(_, c)| {
            c["kind"] == "group" && c["messages"].as_array().unwrap().iter().any(|m| m["status"] == "deleted")
        })
        .expect("a group with a deleted message");
    let n = conv["messages"].as_array().unwrap().len();
    b.eval(&format!("document.querySelector('button.open-chat[data-conv=\"{ci}\"]').click(); true"));
    b.wait_for("!document.getElementById('chat-view').hidden", WAIT);
    assert_eq!(b.eval("document.querySelectorAll('#messages .msg').length"), n);
    assert_eq!(b.eval("document.getElementById('chat-name').textContent"), conv["chat_name"]);
    let n_deleted = conv["messages"].as_array().unwrap().iter().filter(|m| m["status"] == "deleted").count();
    assert_eq!(b.eval("document.querySelectorAll('#messages .msg.deleted .badge.deleted').length"), n_deleted);
    assert_eq!(
        b.eval("document.querySelector('#messages .msg.deleted .badge.deleted').textContent"),
        "Deleted · recovered"
    );
    assert!(
        b.eval("document.querySelectorAll('#messages .msg .sender').length").as_u64().unwrap() > 0,
        "group senders"
    );
    assert!(b.eval("document.querySelectorAll('#messages .day').length").as_u64().unwrap() > 0, "day separators");
    let gaps = conv["gaps"].as_array().map_or(0, Vec::len);
    assert_eq!(b.eval("document.querySelectorAll('#messages .gap').length"), gaps);
    // Evidence one click away.
    b.eval("document.querySelector('#messages .msg.deleted details.evidence summary').click(); true");
    let ev = b.wait_for(
        "(function () { var t = document.querySelector('#messages .msg.deleted details.evidence[open] table:nth-of-type(2) tbody'); \
         return t ? t.textContent : ''; })()",
        WAIT,
    );
    let deleted_msg = conv["messages"].as_array().unwrap().iter().find(|m| m["status"] == "deleted").unwrap();
    assert!(ev.as_str().unwrap().contains(deleted_msg["evidence"][0]["source"].as_str().unwrap()), "{ev}");
    assert!(ev.as_str().unwrap().contains(&deleted_msg["evidence"][0]["offset"].to_string()), "{ev}");
    if std::env::var("CHATCARVE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        b.eval("document.querySelector('#messages .msg.deleted').scrollIntoView({block: 'center'}); true");
        b.pump(Duration::from_millis(200));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::write(dir.join("chat.png"), b.screenshot(false)).unwrap();
    }
    // Filters apply inside the chat too.
    set_filter(&mut b, "f-text", "zzzz-no-such-text");
    assert_eq!(b.eval("document.querySelectorAll('#messages .msg').length"), 0);
    set_filter(&mut b, "f-text", "");
    assert_eq!(b.eval("document.querySelectorAll('#messages .msg').length"), n);

    // A superseded version sits beside its current one.
    let with_earlier = convs.iter().position(|c| {
        let ms = c["messages"].as_array().unwrap();
        ms.iter().any(|m| {
            m["status"] == "superseded"
                && ms.iter().any(|o| o["status"] == "live" && o["key_id"] == m["key_id"] && !m["key_id"].is_null())
        })
    });
    if let Some(ci) = with_earlier {
        b.eval(&format!("location.hash = '#chat={ci}'; true"));
        b.wait_for("document.querySelectorAll('#messages .msg .earlier .msg.superseded').length > 0", WAIT);
    }

    b.pump(Duration::from_millis(300));
    assert_eq!(b.eval("window.__csp.length"), 0, "CSP violations: {}", b.eval("window.__csp"));
    assert!(b.problems().is_empty(), "console: {:#?}", b.problems());
    assert!(b.remote_requests().is_empty(), "remote requests: {:?}", b.remote_requests());

    // The checks above can fail: the policy is enforced and a violation is seen, both in the
    // page and on the console.
    b.eval(
        "(function () { var s = document.createElement('script'); s.textContent = 'window.__probe = 1'; \
         document.body.appendChild(s); return true; })()",
    );
    b.wait_for("window.__csp.length > 0", WAIT);
    assert_eq!(b.eval("typeof window.__probe"), "undefined");
    b.pump(Duration::from_millis(300));
    assert!(!b.problems().is_empty(), "the CSP violation reached the console");
}

/// Opens chat `ci` and every panel in it; returns the text of its messages.
fn open_chat(b: &mut cdp::Browser, ci: usize) -> String {
    b.eval(&format!("location.hash = '#chat={ci}'; true"));
    b.wait_for(
        &format!("location.hash === '#chat={ci}' && document.querySelectorAll('#messages .msg').length > 0"),
        WAIT,
    );
    b.eval("document.querySelectorAll('details').forEach(function (d) { d.open = true; }); true");
    b.pump(Duration::from_millis(100));
    b.eval("document.getElementById('messages').textContent").as_str().unwrap_or("").to_owned()
}

/// No payload ran: no global set, the title as the page wrote it, no element a payload would
/// add, the page's own three scripts only, no CSP violation, a clean console, no remote request.
fn assert_nothing_ran(b: &mut cdp::Browser, expected_title: &str) {
    assert_eq!(b.eval("typeof window.__pwned"), "undefined", "a payload ran");
    assert_eq!(b.eval("document.title"), expected_title, "a payload changed the title");
    assert_eq!(b.eval("document.querySelectorAll('img, iframe, svg, a, base, link, object, embed').length"), 0);
    assert_eq!(b.eval("document.scripts.length"), 3);
    assert_eq!(b.eval("window.__csp.length"), 0, "CSP violations: {}", b.eval("window.__csp"));
    assert!(b.problems().is_empty(), "console: {:#?}", b.problems());
    assert!(b.remote_requests().is_empty(), "remote requests: {:?}", b.remote_requests());
}

#[test]
fn browser_hostile_report_runs_nothing() {
    let Some(mut b) = cdp::launch_or_skip("browser_hostile_report_runs_nothing") else { return };
    let report = hostile_report();
    let html = render(&report, &hostile_options()).expect("renders");
    let (_dir, url) = write_html(&html);
    b.navigate(&url);
    b.wait_for("window.__chatcarveReady === true", WAIT);
    let expected_title = format!("chatcarve report — CASE-1 {}", PAYLOADS[0]);
    assert_eq!(b.eval("document.title"), expected_title.as_str());
    let n_chats = report["conversations"].as_array().unwrap().len() + 1;
    assert_eq!(b.eval("document.querySelectorAll('#conv-table tr.conv').length"), n_chats);
    // Open every chat, every page, every evidence panel; search for the payloads.
    for ci in 0..n_chats {
        open_chat(&mut b, ci);
    }
    // The last chat opened is the unattributed one; go back to the first for the marks.
    b.eval("location.hash = '#chat=0'; true");
    b.wait_for("document.querySelectorAll('#messages .gap').length === 1", WAIT);
    assert!(
        b.eval("document.querySelectorAll('#messages .msg.fragment .badge.fragment').length").as_u64().unwrap() > 0
    );
    assert!(
        b.eval("document.querySelectorAll('#messages .msg.other-status .badge.other').length").as_u64().unwrap() > 0
    );
    assert!(b.eval("document.querySelectorAll('#messages .earlier .msg.superseded').length").as_u64().unwrap() > 0);
    b.eval("document.querySelectorAll('details').forEach(function (d) { d.open = true; }); true");
    let shown = b.eval("document.getElementById('messages').textContent");
    assert!(shown.as_str().unwrap().contains("<script>document.title='PWNED';window.__pwned=1</script>"));
    assert!(shown.as_str().unwrap().contains("\u{27e6}U+202E\u{27e7}gnp.exe"));
    // The 1 MB line is shown cut short, and whole on request.
    b.eval("Array.prototype.find.call(document.querySelectorAll('#messages .more'), function (e) { return /Show all/.test(e.textContent); }).click(); true");
    let longest = b.eval(
        "Math.max.apply(null, Array.prototype.map.call(document.querySelectorAll('#messages .text'), function (e) { return e.textContent.length; }))",
    );
    assert!(longest.as_u64().unwrap() > 1 << 20, "{longest}");
    b.eval("location.hash = ''; true");
    set_filter(&mut b, "f-text", "script");
    assert!(b.eval("document.querySelectorAll('#results .result').length").as_u64().unwrap() > 0);
    b.eval("document.querySelector('#results .result').click(); true");
    b.wait_for("!document.getElementById('chat-view').hidden", WAIT);
    b.pump(Duration::from_millis(300));

    assert_nothing_ran(&mut b, &expected_title);
}

/// A report of `total` messages, `big` of them in one group chat, the rest in chats of 100,
/// shaped like the scanner's (pretty JSON, evidence, factors, a few deleted and superseded).
fn synthetic_report(total: usize, big: usize) -> Value {
    let mut conversations = Vec::new();
    let mut n = 0usize;
    let mut chat = 0usize;
    let words = ["meeting", "tomorrow", "train", "late", "dinner", "thanks", "office", "address", "photo", "call"];
    while n < total {
        let size = if chat == 0 { big } else { 100.min(total - n) };
        let jid =
            if chat == 0 { "120363000000000000@g.us".to_owned() } else { format!("3361{chat:07}@s.whatsapp.net") };
        let mut messages = Vec::with_capacity(size);
        let mut gaps = Vec::new();
        for i in 0..size {
            let k = n + i;
            let status = match k % 20 {
                0..=2 => "deleted",
                3 => "superseded",
                _ => "live",
            };
            let source = if status == "live" { "live_record" } else { "freeblock" };
            let ts = 1_600_000_000_000i64 + k as i64 * 61_000;
            let id = format!("msg-0-{:012x}-{source}", 4096 + k * 97);
            if i > 0 && k.is_multiple_of(500) {
                gaps.push(json!({"after_message": messages.last().map_or(json!(null), |m: &Value| m["id"].clone()),
                    "before_message": id, "numbering": "row_id", "first_missing": k, "last_missing": k + 2, "missing": 3}));
            }
            let text = format!(
                "Message {k}: {} {} {} at {}:{:02}, see you there",
                words[k % 10],
                words[(k / 10) % 10],
                words[(k / 100) % 10],
                k % 24,
                k % 60
            );
            messages.push(json!({
                "id": id,
                "key_id": format!("3EB0{k:016X}"),
                "chat_jid": jid,
                "sender_jid": if chat == 0 && k.is_multiple_of(2) { json!(format!("4917{:07}@s.whatsapp.net", k % 40)) } else { json!(null) },
                "row_id": k,
                "sender_name": null,
                "from_me": k % 2 == 1,
                "timestamp_ms": ts,
                "timestamp": time::OffsetDateTime::from_unix_timestamp(ts / 1000).unwrap()
                    .format(&time::format_description::well_known::Rfc3339).unwrap(),
                "message_type": if k.is_multiple_of(37) { "image" } else { "text" },
                "text": text,
                "status": status,
                "confidence": if status == "live" { 0.995 } else { 0.82 },
                "confidence_factors": [{"factor": format!("source_{source}"), "effect": if status == "live" { 0.995 } else { 0.82 }}],
                "evidence": [{"source": source, "input": 0, "offset": 4096 + k * 97, "length": 90,
                    "artifact": "sqlite_db-0-000000002000", "page_number": 2 + k / 40, "detail": null}],
            }));
        }
        conversations.push(json!({
            "chat_jid": jid, "chat_name": if chat == 0 { json!("Big group") } else { json!(null) },
            "chat_row_id": null, "kind": if chat == 0 { "group" } else { "individual" }, "app": "whatsapp-android",
            "first_timestamp_ms": messages.first().map(|m| m["timestamp_ms"].clone()),
            "last_timestamp_ms": messages.last().map(|m| m["timestamp_ms"].clone()),
            "messages": messages, "gaps": gaps,
        }));
        n += size;
        chat += 1;
    }
    json!({
        "report_version": "1",
        "tool": {"name": "chatcarve", "version": "0.1.0"},
        "run": {"started": "2024-01-01T00:00:00.000Z", "finished": "2024-01-01T00:01:00.000Z", "threads": 2, "arguments": ["chatcarve"]},
        "inputs": [{"index": 0, "path": "synthetic.img", "size_bytes": 1u64 << 34, "sha256": "0".repeat(64), "container": "raw", "error": null}],
        "summary": {"bytes_scanned": 1u64 << 34, "databases": 1, "wal_files": 0, "journals": 0, "pages": 0, "orphan_pages": 0,
            "records": total, "messages": total, "messages_by_status": {}, "messages_by_source": {}, "conversations": chat},
        "artifacts": [], "conversations": conversations, "unattributed_messages": [], "warnings": [],
    })
}

#[test]
#[ignore = "measures a 100 000-message report: run with --ignored --nocapture"]
fn large_report_figures() {
    let report = synthetic_report(100_000, 50_000);
    let json_text = serde_json::to_string_pretty(&report).unwrap();
    let start = Instant::now();
    let html = render(&report, &HtmlOptions::default()).expect("renders");
    let render_time = start.elapsed();
    let ratio = html.len() as f64 / json_text.len() as f64;
    println!(
        "large report: 100000 messages, one chat of 50000; JSON {:.1} MB, HTML {:.1} MB ({ratio:.2}x), render {:.2} s",
        json_text.len() as f64 / 1e6,
        html.len() as f64 / 1e6,
        render_time.as_secs_f64()
    );
    let Some(mut b) = cdp::launch_or_skip("large_report_figures") else { return };
    let (_dir, url) = write_html(&html);
    let start = Instant::now();
    let load = b.navigate(&url);
    b.wait_for("window.__chatcarveReady === true", Duration::from_secs(300));
    let ready = start.elapsed();
    let t = Instant::now();
    b.eval("document.querySelector('button.open-chat[data-conv=\"0\"]').click(); true");
    b.wait_for("document.querySelectorAll('#messages .msg').length > 0", Duration::from_secs(60));
    let open_chat = t.elapsed();
    // In-page timings: each handler runs synchronously, offsetHeight forces the layout.
    let next_page = b.eval(
        "(function () { var t = performance.now(); document.querySelector('#pager-bottom .pg-next').click(); \
         void document.body.offsetHeight; return performance.now() - t; })()",
    );
    let last_page = b.eval(
        "(function () { var t = performance.now(); document.querySelector('#pager-bottom .pg-last').click(); \
         void document.body.offsetHeight; return document.querySelector('#pager-top .pg-label').textContent + ' in ' + \
         Math.round(performance.now() - t) + ' ms'; })()",
    );
    let search = b.eval(
        "(function () { document.getElementById('f-text').value = 'dinner thanks'; var t = performance.now(); \
         document.getElementById('filters').dispatchEvent(new Event('submit', {cancelable: true})); \
         void document.body.offsetHeight; return Math.round(performance.now() - t) + ' ms: ' + \
         document.getElementById('match-summary').textContent; })()",
    );
    println!(
        "headless chromium: load event {:.2} s, script ready {:.2} s, open the 50000-message chat {:.0} ms, \
         next page {:.0} ms, last page: {last_page}, search over 100000 messages (chat view re-filtered) {search}",
        load.as_secs_f64(),
        ready.as_secs_f64(),
        open_chat.as_secs_f64() * 1000.0,
        next_page.as_f64().unwrap_or(f64::NAN),
    );
    assert!(b.problems().is_empty(), "console: {:#?}", b.problems());
}

/// An image whose WhatsApp database holds the hostile strings as message texts (one of them
/// the 1 MB line, one a group subject), scanned through the library: the report the examiner
/// gets from such an image.
fn hostile_image_report() -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msgstore.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size=4096; PRAGMA journal_mode=DELETE; {}; {}; {};",
        common::CREATE_JID,
        common::CREATE_CHAT,
        common::CREATE_MESSAGE
    ))
    .unwrap();
    conn.execute_batch(
        "INSERT INTO jid (user, server, type, raw_string) VALUES
          ('4915112345678', 's.whatsapp.net', 0, '4915112345678@s.whatsapp.net'),
          ('120363025246125486', 'g.us', 1, '120363025246125486@g.us');",
    )
    .unwrap();
    conn.execute("INSERT INTO chat (jid_row_id, subject) VALUES (1, NULL), (2, ?1)", [PAYLOADS[0]]).unwrap();
    let mut texts: Vec<String> = PAYLOADS.iter().map(|p| p.to_string()).collect();
    texts.push(one_mb_line());
    for (i, text) in texts.iter().enumerate() {
        conn.execute(
            "INSERT INTO message (chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
            rusqlite::params![
                1 + (i % 2) as i64,
                (i % 3 == 0) as i64,
                format!("3EB0{i:016X}"),
                1_700_000_000_000_i64 + i as i64 * 60_000,
                text,
                i as i64 + 1
            ],
        )
        .unwrap();
    }
    // Some go, so that recovered messages carry the payloads too.
    conn.execute_batch("DELETE FROM message WHERE _id % 4 = 1 AND length(text_data) < 1000;").unwrap();
    drop(conn);
    let mut image = common::noise(64 * 1024, 3);
    image.extend(std::fs::read(&path).unwrap());
    image.extend(common::noise(16 * 1024, 4));
    common::scan_bytes_with_library(&[image])
}

#[test]
fn browser_hostile_image_runs_nothing() {
    let report = hostile_image_report();
    let all: Vec<&Value> =
        report["conversations"].as_array().unwrap().iter().flat_map(|c| c["messages"].as_array().unwrap()).collect();
    assert!(all.iter().any(|m| m["status"] == "deleted"), "deleted messages recovered");
    assert!(all.iter().any(|m| m["text"].as_str().is_some_and(|t| t.len() > 1 << 20)), "the 1 MB line");
    assert!(all.iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains('\u{0}'))), "the NUL byte");
    let html = render(&report, &hostile_options()).expect("renders");
    assert_eq!(check_tags(&html), 3, "only the page's own script blocks");
    let Some(mut b) = cdp::launch_or_skip("browser_hostile_image_runs_nothing") else { return };
    let (_dir, url) = write_html(&html);
    b.navigate(&url);
    b.wait_for("window.__chatcarveReady === true", WAIT);
    let n_chats = report["conversations"].as_array().unwrap().len();
    let mut shown = String::new();
    for ci in 0..n_chats {
        shown.push_str(&open_chat(&mut b, ci));
    }
    // The payloads are shown as the text they are.
    for p in [PAYLOADS[0], PAYLOADS[2], PAYLOADS[5]] {
        assert!(shown.contains(p), "{p} not shown as text");
    }
    b.pump(Duration::from_millis(300));
    assert_nothing_ran(&mut b, &format!("chatcarve report — CASE-1 {}", PAYLOADS[0]));
}
