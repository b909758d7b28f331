//! The case database: the report as SQLite tables with keys and indexes, for the queries an
//! examiner runs (`docs/case-database.md` documents every table and gives example queries).
//!
//! ```text
//! case (one row) ─ inputs ─┬─ input_members
//!                          ├─ artifacts
//!                          └─ evidence ── messages ─┬─ confidence_factors
//!                                                   └─ conversations ── gaps
//! ```
//!
//! The database holds exactly what the JSON report holds (`tests/render_casedb.rs` rebuilds the
//! report's messages, evidence and conversations from it and compares them field by field):
//! values are stored as the report gives them, `null` as NULL, booleans as 0/1, objects
//! (`details`, `summary`, fields a later report version adds to a message) as JSON text. Two
//! columns are added for convenience: `messages.local_time` and the conversations' first and last
//! times in the examiner's time zone, and `conversations.message_count`.
//!
//! [`write`] fills a connection the caller opened on an empty database (the CLI opens it on a
//! temporary file beside the destination and renames it when this returns).

use rusqlite::{params, Connection};

use super::reader::{Message, ReportDoc};
use super::{CaseInfo, RenderError, RENDERER_VERSION};

/// The schema, as written to every case database.
pub const SCHEMA: &str = r#"
CREATE TABLE "case" (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    case_id         TEXT,
    examiner        TEXT,
    timezone        TEXT NOT NULL,
    report_version  TEXT,
    tool_name       TEXT,
    tool_version    TEXT,
    run_started     TEXT,
    run_finished    TEXT,
    run_threads     INTEGER,
    run_arguments   TEXT,
    summary         TEXT,
    rendered_by     TEXT NOT NULL
);
CREATE TABLE inputs (
    input       INTEGER PRIMARY KEY,
    path        TEXT,
    size_bytes  INTEGER,
    sha256      TEXT,
    container   TEXT,
    error       TEXT
);
CREATE TABLE input_members (
    input    INTEGER NOT NULL REFERENCES inputs (input),
    ordinal  INTEGER NOT NULL,
    path     TEXT,
    offset   INTEGER,
    length   INTEGER,
    sha256   TEXT,
    PRIMARY KEY (input, ordinal)
);
CREATE TABLE artifacts (
    artifact   TEXT PRIMARY KEY,
    ordinal    INTEGER NOT NULL UNIQUE,
    kind       TEXT,
    input      INTEGER REFERENCES inputs (input),
    offset     INTEGER,
    length     INTEGER,
    page_size  INTEGER,
    app        TEXT,
    intact     INTEGER,
    details    TEXT
);
CREATE INDEX artifacts_by_position ON artifacts (input, offset);
CREATE TABLE conversations (
    conversation        INTEGER PRIMARY KEY,
    chat_jid            TEXT,
    chat_name           TEXT,
    chat_row_id         INTEGER,
    kind                TEXT,
    app                 TEXT,
    first_timestamp_ms  INTEGER,
    last_timestamp_ms   INTEGER,
    first_local_time    TEXT,
    last_local_time     TEXT,
    message_count       INTEGER NOT NULL
);
CREATE INDEX conversations_by_chat ON conversations (chat_jid, app);
CREATE TABLE messages (
    message       TEXT PRIMARY KEY,
    conversation  INTEGER REFERENCES conversations (conversation),
    position      INTEGER NOT NULL,
    key_id        TEXT,
    chat_jid      TEXT,
    sender_jid    TEXT,
    row_id        INTEGER,
    sender_name   TEXT,
    from_me       INTEGER,
    timestamp_ms  INTEGER,
    timestamp     TEXT,
    local_time    TEXT,
    message_type  TEXT,
    text          TEXT,
    text_bytes    TEXT,
    details       TEXT,
    status        TEXT,
    confidence    REAL,
    extra         TEXT,
    UNIQUE (conversation, position)
);
CREATE INDEX messages_by_conversation_time ON messages (conversation, timestamp_ms);
CREATE INDEX messages_by_chat_time ON messages (chat_jid, timestamp_ms);
CREATE INDEX messages_by_status_time ON messages (status, timestamp_ms);
CREATE INDEX messages_by_time ON messages (timestamp_ms);
CREATE INDEX messages_by_key_id ON messages (key_id);
CREATE INDEX messages_by_sender ON messages (sender_jid);
CREATE TABLE confidence_factors (
    message  TEXT NOT NULL REFERENCES messages (message),
    ordinal  INTEGER NOT NULL,
    factor   TEXT,
    effect   REAL,
    PRIMARY KEY (message, ordinal)
);
CREATE INDEX confidence_factors_by_factor ON confidence_factors (factor);
CREATE TABLE evidence (
    evidence     INTEGER PRIMARY KEY,
    message      TEXT NOT NULL REFERENCES messages (message),
    ordinal      INTEGER NOT NULL,
    source       TEXT,
    input        INTEGER REFERENCES inputs (input),
    offset       INTEGER,
    length       INTEGER,
    artifact     TEXT REFERENCES artifacts (artifact),
    page_number  INTEGER,
    detail       TEXT,
    member_path  TEXT,
    member_offset INTEGER,
    UNIQUE (message, ordinal)
);
CREATE INDEX evidence_by_source ON evidence (source, message);
CREATE INDEX evidence_by_position ON evidence (input, offset);
CREATE INDEX evidence_by_artifact ON evidence (artifact);
CREATE TABLE gaps (
    conversation    INTEGER NOT NULL REFERENCES conversations (conversation),
    ordinal         INTEGER NOT NULL,
    after_message   TEXT REFERENCES messages (message),
    before_message  TEXT REFERENCES messages (message),
    numbering       TEXT,
    first_missing   INTEGER,
    last_missing    INTEGER,
    missing         INTEGER,
    PRIMARY KEY (conversation, ordinal)
);
CREATE TABLE warnings (
    ordinal  INTEGER PRIMARY KEY,
    warning  TEXT NOT NULL
);
CREATE VIEW message_overview AS
SELECT m.message, c.app, m.chat_jid, c.chat_name, c.kind AS chat_kind, m.sender_jid,
       m.sender_name, m.from_me, m.timestamp_ms, m.timestamp, m.local_time, m.message_type,
       m.text, m.status, m.confidence,
       (SELECT group_concat(source, ',') FROM (SELECT DISTINCT e.source FROM evidence e
         WHERE e.message = m.message ORDER BY e.ordinal)) AS sources
FROM messages m LEFT JOIN conversations c USING (conversation);
"#;

/// What writing the case database found worth telling.
#[derive(Debug, Clone, Default)]
pub struct CaseDbOutcome {
    /// Messages written.
    pub messages: u64,
    /// References the report makes to things it does not hold (an evidence item naming an
    /// artifact the report does not list): written as they are, one sentence each.
    pub dangling_references: Vec<String>,
}

fn int(what: &'static str, v: Option<u64>) -> Result<Option<i64>, RenderError> {
    v.map(|v| i64::try_from(v).map_err(|_| RenderError::TooLarge { what, value: v })).transpose()
}

fn json_text(v: &impl serde::Serialize) -> Result<String, RenderError> {
    serde_json::to_string(v).map_err(RenderError::Json)
}

/// A message's id; a message without one (never written by chatcarve) gets `msg-unknown-<n>`.
pub fn message_id(m: &Message, n: usize) -> String {
    m.id.clone().unwrap_or_else(|| format!("msg-unknown-{n}"))
}

/// Writes the report into `conn`, which must hold an empty database, in one transaction.
/// Returns the number of messages and the dangling references found (`PRAGMA
/// foreign_key_check`); the rows are written whatever they reference, as the report says.
pub fn write(conn: &mut Connection, report: &ReportDoc, case: &CaseInfo) -> Result<CaseDbOutcome, RenderError> {
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;")?;
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    let zone = &case.zone;
    tx.execute(
        r#"INSERT INTO "case" VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
        params![
            case.case_id,
            case.examiner,
            zone.name(),
            report.report_version.as_deref().unwrap_or("1"),
            report.tool.name,
            report.tool.version,
            report.run.started,
            report.run.finished,
            int("run.threads", report.run.threads)?,
            json_text(&report.run.arguments)?,
            report.summary.as_ref().map(json_text).transpose()?,
            RENDERER_VERSION,
        ],
    )?;
    {
        let mut ins = tx.prepare("INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?)")?;
        let mut mem = tx.prepare("INSERT INTO input_members VALUES (?, ?, ?, ?, ?, ?)")?;
        for (pos, i) in report.inputs.iter().enumerate() {
            let index = int("input index", Some(i.index.unwrap_or(pos as u64)))?;
            ins.execute(params![index, i.path, int("size_bytes", i.size_bytes)?, i.sha256, i.container, i.error])?;
            for (n, m) in i.members.iter().enumerate() {
                mem.execute(params![
                    index,
                    n as i64,
                    m.path,
                    int("member offset", m.offset)?,
                    int("member length", m.length)?,
                    m.sha256
                ])?;
            }
        }
        let mut art = tx.prepare("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for (n, a) in report.artifacts.iter().enumerate() {
            art.execute(params![
                a.id.clone().unwrap_or_else(|| format!("artifact-{n}")),
                n as i64,
                a.kind,
                int("artifact input", a.input)?,
                int("artifact offset", a.offset)?,
                int("artifact length", a.length)?,
                int("page_size", a.page_size)?,
                a.app,
                a.intact,
                a.details.as_ref().map(json_text).transpose()?,
            ])?;
        }
        let mut conv = tx.prepare("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for (n, c) in report.conversations.iter().enumerate() {
            conv.execute(params![
                n as i64,
                c.chat_jid,
                c.chat_name,
                c.chat_row_id,
                c.kind,
                c.app,
                c.first_timestamp_ms,
                c.last_timestamp_ms,
                c.first_timestamp_ms.and_then(|ms| zone.format_ms(ms)),
                c.last_timestamp_ms.and_then(|ms| zone.format_ms(ms)),
                c.messages.len() as i64,
            ])?;
        }
    }
    let mut outcome = CaseDbOutcome::default();
    {
        let mut msg =
            tx.prepare("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        let mut fac = tx.prepare("INSERT INTO confidence_factors VALUES (?, ?, ?, ?)")?;
        let mut evi = tx.prepare("INSERT INTO evidence VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        let mut position_in = vec![0i64; report.conversations.len() + 1];
        for (n, (conversation, m)) in report.messages().enumerate() {
            let slot = conversation.unwrap_or(report.conversations.len());
            let position = position_in.get(slot).copied().unwrap_or(0);
            if let Some(p) = position_in.get_mut(slot) {
                *p += 1;
            }
            let id = message_id(m, n);
            msg.execute(params![
                id,
                conversation.map(|c| c as i64),
                position,
                m.key_id,
                m.chat_jid,
                m.sender_jid,
                m.row_id,
                m.sender_name,
                m.from_me,
                m.timestamp_ms,
                m.timestamp,
                m.timestamp_ms.and_then(|ms| zone.format_ms(ms)),
                m.message_type,
                m.text,
                m.text_bytes,
                m.details.as_ref().map(json_text).transpose()?,
                m.status,
                m.confidence,
                (!m.extra.is_empty()).then(|| json_text(&m.extra)).transpose()?,
            ])?;
            for (k, f) in m.confidence_factors.iter().enumerate() {
                fac.execute(params![id, k as i64, f.factor, f.effect])?;
            }
            for (k, e) in m.evidence.iter().enumerate() {
                evi.execute(params![
                    id,
                    k as i64,
                    e.source,
                    int("evidence input", e.input)?,
                    int("evidence offset", e.offset)?,
                    int("evidence length", e.length)?,
                    e.artifact,
                    int("page_number", e.page_number)?,
                    e.detail,
                    e.member.as_ref().and_then(|m| m.path.as_deref()),
                    int("member offset", e.member.as_ref().and_then(|m| m.offset))?,
                ])?;
            }
            outcome.messages += 1;
        }
        let mut gap = tx.prepare("INSERT INTO gaps VALUES (?, ?, ?, ?, ?, ?, ?, ?)")?;
        for (n, c) in report.conversations.iter().enumerate() {
            for (k, g) in c.gaps.iter().enumerate() {
                gap.execute(params![
                    n as i64,
                    k as i64,
                    g.after_message,
                    g.before_message,
                    g.numbering,
                    g.first_missing,
                    g.last_missing,
                    int("gap missing", g.missing)?,
                ])?;
            }
        }
        let mut warn = tx.prepare("INSERT INTO warnings VALUES (?, ?)")?;
        for (k, w) in report.warnings.iter().enumerate() {
            warn.execute(params![k as i64, w])?;
        }
        let mut check = tx
            .prepare(r#"SELECT "table", parent, count(*) FROM pragma_foreign_key_check GROUP BY 1, 2 ORDER BY 1, 2"#)?;
        let mut rows = check.query([])?;
        while let Some(row) = rows.next()? {
            let (table, parent, n): (String, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
            outcome
                .dangling_references
                .push(format!("{n} row(s) of {table} refer to {parent} the report does not list"));
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA foreign_keys = ON; ANALYZE;")?;
    Ok(outcome)
}
