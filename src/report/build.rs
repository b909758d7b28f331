//! Assembles the report from what each input yielded. Everything here is ordered by input,
//! offset and id, so the same findings give the same bytes whatever the thread count.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::json;

use super::model::{self, Artifact, Report};
use crate::conversations::{self, MessageText};
use crate::recover::database::artifact_id;
use crate::sqlite::journal::HeaderState;
use crate::InputFindings;

/// The run block's contents, supplied by the caller (the library reads no clock).
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// RFC 3339 start time.
    pub started: Option<String>,
    /// RFC 3339 finish time.
    pub finished: Option<String>,
    /// Worker threads.
    pub threads: usize,
    /// Command-line arguments.
    pub arguments: Vec<String>,
}

/// What one input gave: its findings, or why it could not be read.
#[derive(Debug)]
pub struct InputOutcome {
    /// Path as given by the user.
    pub path: String,
    /// Findings, or the error message.
    pub result: Result<InputFindings, String>,
}

/// Milliseconds since the epoch as RFC 3339 UTC with milliseconds, or `None` out of range.
pub fn rfc3339_ms(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    t.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .ok()
}

/// Choices about what the report holds.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Messages scored below this are left out (counted in a warning).
    pub min_confidence: f64,
}

/// Builds the report with every message.
pub fn build_report(outcomes: &[InputOutcome], run: RunInfo) -> Report {
    build_report_with(outcomes, run, &ReportOptions::default())
}

/// Builds the report.
pub fn build_report_with(outcomes: &[InputOutcome], run: RunInfo, options: &ReportOptions) -> Report {
    let mut inputs = Vec::new();
    let mut artifacts = Vec::new();
    let mut warnings = Vec::new();
    let mut all_messages = Vec::new();
    let mut summary = model::Summary {
        bytes_scanned: 0,
        databases: 0,
        wal_files: 0,
        journals: 0,
        pages: 0,
        orphan_pages: 0,
        records: 0,
        messages: 0,
        messages_by_status: BTreeMap::new(),
        messages_by_source: BTreeMap::new(),
        conversations: 0,
    };
    for (index, o) in outcomes.iter().enumerate() {
        let (input, warning) = input_entry(index, o);
        inputs.push(input);
        warnings.extend(warning);
        if let Ok(f) = &o.result {
            summary.bytes_scanned += f.size;
            input_artifacts(index, f, &mut artifacts, &mut summary, &mut warnings);
            all_messages.extend(f.messages.iter().cloned());
        }
    }
    let (convs, unattributed) = conversations::build(all_messages, &crate::apps::numbering);
    let names = contact_names(outcomes);
    let mut conv_out = Vec::with_capacity(convs.len());
    let mut left_out = 0usize;
    // A message scored below the threshold is left out, and so is a gap next to it.
    let mut keep = |m: &model::Message| {
        let kept = m.confidence >= options.min_confidence;
        left_out += usize::from(!kept);
        kept
    };
    for mut c in convs {
        if c.chat_name.is_none() {
            c.chat_name = contact_name(&names, &c);
        }
        let all: Vec<Option<model::Message>> = c.messages.iter().map(message).map(|m| keep(&m).then_some(m)).collect();
        let id = |i: usize| all.get(i).and_then(Option::as_ref).map(|m| m.id.clone());
        let gaps = c
            .gaps
            .iter()
            .filter_map(|g| {
                Some(model::Gap {
                    after_message: id(g.after)?,
                    before_message: id(g.before)?,
                    numbering: match g.numbering {
                        conversations::Numbering::RowIdPerDatabase => "row_id",
                        conversations::Numbering::SortKeyPerChat => "sort_key",
                    },
                    first_missing: g.first_missing,
                    last_missing: g.last_missing,
                    missing: g.missing,
                })
            })
            .collect();
        let mut messages: Vec<model::Message> = all.into_iter().flatten().collect();
        place_in_members(&mut messages, outcomes);
        if messages.is_empty() {
            continue;
        }
        count_messages(&messages, &mut summary);
        conv_out.push(model::Conversation {
            kind: conversations::chat_kind(c.chat_jid.as_deref()),
            chat_jid: c.chat_jid,
            chat_name: c.chat_name,
            app: c.app,
            chat_row_id: c.chat_row_id,
            first_timestamp_ms: messages.iter().filter_map(|m| m.timestamp_ms).min(),
            last_timestamp_ms: messages.iter().filter_map(|m| m.timestamp_ms).max(),
            messages,
            gaps,
        });
    }
    let mut unattributed: Vec<model::Message> = unattributed.iter().map(message).filter(|m| keep(m)).collect();
    place_in_members(&mut unattributed, outcomes);
    count_messages(&unattributed, &mut summary);
    if left_out > 0 {
        warnings.push(format!(
            "{left_out} recovered message(s) scored below --min-confidence {} are left out of this report",
            options.min_confidence
        ));
    }
    summary.conversations = conv_out.len() as u64;
    Report {
        report_version: "1",
        tool: tool(),
        run: model::Run {
            started: run.started,
            finished: run.finished,
            threads: run.threads,
            arguments: run.arguments,
        },
        inputs,
        summary,
        artifacts,
        conversations: conv_out,
        unattributed_messages: unattributed,
        warnings,
    }
}

/// Names by (input, app family, chat identifier): a live address-book row's name, else the
/// name every recovered row agrees on (none when they disagree).
type Names<'a> = BTreeMap<(usize, &'static str, &'a str), Option<(&'a str, bool)>>;

fn contact_names(outcomes: &[InputOutcome]) -> Names<'_> {
    let mut names: Names<'_> = BTreeMap::new();
    for (input, o) in outcomes.iter().enumerate() {
        let Ok(f) = &o.result else { continue };
        // Live rows first: they answer for their identifier.
        let live = f.contacts.iter().filter(|c| c.live);
        for c in live.chain(f.contacts.iter().filter(|c| !c.live)) {
            let entry = names.entry((input, c.family, c.id.as_str())).or_insert(Some((c.name.as_str(), c.live)));
            if matches!(entry, Some((name, false)) if *name != c.name) {
                *entry = None;
            }
        }
    }
    names
}

/// The address-book name of a conversation's chat, from the inputs its messages came from.
fn contact_name(names: &Names<'_>, c: &conversations::Conversation) -> Option<String> {
    let family = crate::apps::family(c.app)?;
    let jid = c.chat_jid.as_deref()?;
    let mut inputs: Vec<usize> = c.messages.iter().flat_map(|m| m.evidence.iter().map(|e| e.input)).collect();
    inputs.sort_unstable();
    inputs.dedup();
    inputs.into_iter().find_map(|i| names.get(&(i, family, jid)).copied().flatten()).map(|(n, _)| n.to_owned())
}

fn count_messages(messages: &[model::Message], summary: &mut model::Summary) {
    for m in messages {
        summary.messages += 1;
        *summary.messages_by_status.entry(m.status).or_default() += 1;
        let mut sources: Vec<&'static str> = m.evidence.iter().map(|e| e.source).collect();
        sources.sort_unstable();
        sources.dedup();
        for s in sources {
            *summary.messages_by_source.entry(s).or_default() += 1;
        }
    }
}

fn message(m: &conversations::Message) -> model::Message {
    let (confidence, factors) = crate::confidence::score(m);
    let first = m.evidence.first();
    let id = first.map_or_else(
        || "msg-unknown".to_owned(),
        |e| format!("msg-{}-{:012x}-{}", e.input, e.offset, e.source.as_str()),
    );
    let (text, text_bytes) = match &m.text {
        Some(MessageText::Text(s)) => (Some(s.clone()), None),
        Some(MessageText::Bytes(b)) => (None, Some(base64::engine::general_purpose::STANDARD.encode(b))),
        None => (None, None),
    };
    model::Message {
        id,
        key_id: m.key_id.clone(),
        chat_jid: m.chat_jid.clone(),
        sender_jid: m.sender_jid.clone(),
        sender_name: m.sender_name.clone(),
        row_id: m.row_id,
        from_me: m.from_me,
        timestamp_ms: m.timestamp_ms,
        timestamp: m.timestamp_ms.and_then(rfc3339_ms),
        message_type: m.message_type.clone(),
        text,
        text_bytes,
        details: m
            .details
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    conversations::Detail::One(one) => serde_json::Value::String(one.clone()),
                    conversations::Detail::Many(many) => {
                        serde_json::Value::Array(many.iter().cloned().map(serde_json::Value::String).collect())
                    }
                };
                (k.clone(), value)
            })
            .collect(),
        status: m.status.as_str(),
        confidence,
        confidence_factors: factors
            .into_iter()
            .map(|f| model::ConfidenceFactor { factor: f.factor, effect: f.effect })
            .collect(),
        evidence: m.evidence.iter().map(evidence).collect(),
    }
}

/// This tool's name and version.
pub fn tool() -> model::Tool {
    model::Tool { name: "chatcarve", version: env!("CARGO_PKG_VERSION") }
}

/// The `inputs` entry of one outcome, and the warnings it adds: why a failed input could not be
/// read, or what went wrong reading one that was.
pub fn input_entry(index: usize, o: &InputOutcome) -> (model::Input, Vec<String>) {
    match &o.result {
        Ok(f) => (
            model::Input {
                index,
                path: o.path.clone(),
                size_bytes: Some(f.size),
                sha256: f.sha256.map(hex::encode),
                md5: f.md5.map(hex::encode),
                stored_hashes: f
                    .stored_hashes
                    .map(|h| model::StoredHashes { md5: h.md5.map(hex::encode), sha1: h.sha1.map(hex::encode) }),
                stored_hash_verified: f
                    .stored_hashes
                    .map(|h| h.md5.zip(f.md5).map(|(stored, computed)| stored == computed)),
                container: Some(f.container),
                error: None,
                members: listed_members(f)
                    .map(|m| model::Member {
                        path: m.path.clone(),
                        offset: m.offset,
                        length: m.length,
                        sha256: m.sha256.map(hex::encode),
                    })
                    .collect(),
                member_count: (!f.members.is_empty() && ARCHIVES.contains(&f.container))
                    .then_some(f.members.len() as u64),
            },
            f.warnings.iter().map(|w| format!("input {index} ({}): {w}", o.path)).collect(),
        ),
        Err(e) => (
            model::Input {
                index,
                path: o.path.clone(),
                size_bytes: None,
                sha256: None,
                md5: None,
                stored_hashes: None,
                stored_hash_verified: None,
                container: None,
                error: Some(e.clone()),
                members: Vec::new(),
                member_count: None,
            },
            vec![format!("input {index} ({}) could not be read: {e}", o.path)],
        ),
    }
}

/// Archives: a full-file-system extraction holds 100 000 files and more, so the report lists only
/// the members that hold the start of an artifact or an evidence item (the scan knows them all).
/// Every other container lists all its members: a database's files, an image's segments.
const ARCHIVES: &[&str] = &["tar", "zip", "tar.gz", "tar.zst", "tar.xz"];

/// The members of an input that the report lists, in offset order.
fn listed_members(f: &InputFindings) -> impl Iterator<Item = &crate::source::Member> {
    let every = !ARCHIVES.contains(&f.container);
    let mut held = vec![false; if every { 0 } else { f.members.len() }];
    if !every {
        let c = &f.containers;
        let offsets = c
            .databases
            .iter()
            .map(|d| d.offset)
            .chain(c.wals.iter().map(|w| w.offset))
            .chain(c.journals.iter().map(|j| j.offset))
            .chain(f.keys.iter().map(|k| k.offset))
            .chain(f.backups.iter().map(|b| b.offset))
            .chain(f.export_runs.iter().map(|r| r.offset))
            .chain(f.messages.iter().flat_map(|m| m.evidence.iter().map(|e| e.offset)));
        for offset in offsets {
            let after = f.members.partition_point(|m| m.offset <= offset);
            if let Some(i) = after.checked_sub(1) {
                if let (Some(m), Some(h)) = (f.members.get(i), held.get_mut(i)) {
                    *h |= offset < m.offset.saturating_add(m.length);
                }
            }
        }
    }
    f.members.iter().enumerate().filter(move |(i, _)| every || held.get(*i).copied().unwrap_or(false)).map(|(_, m)| m)
}

/// The report form of an evidence item.
pub fn evidence(e: &crate::recover::Evidence) -> model::Evidence {
    model::Evidence {
        source: e.source.as_str(),
        input: e.input,
        offset: e.offset,
        length: e.length,
        artifact: e.artifact.clone(),
        page_number: e.page_number,
        detail: e.detail.clone(),
        member: None,
    }
}

/// Names the file of its input that holds each evidence item, where the input is made of
/// several (see [`model::MemberOffset`]). Offsets inside a backup's plaintext are not the
/// input's, and are left alone.
fn place_in_members(messages: &mut [model::Message], outcomes: &[InputOutcome]) {
    for e in messages.iter_mut().flat_map(|m| m.evidence.iter_mut()) {
        if e.source == crate::recover::EvidenceSource::Backup.as_str() || e.artifact.starts_with("backup-") {
            continue;
        }
        let Some(Ok(f)) = outcomes.get(e.input).map(|o| &o.result) else { continue };
        e.member = crate::member_at(&f.members, e.offset)
            .map(|m| model::MemberOffset { path: m.path.clone(), offset: e.offset - m.offset });
    }
}

fn input_artifacts(
    input: usize,
    f: &InputFindings,
    out: &mut Vec<Artifact>,
    summary: &mut model::Summary,
    warnings: &mut Vec<String>,
) {
    let c = &f.containers;
    let mut local: Vec<Artifact> = Vec::new();
    for db in &c.databases {
        summary.databases += 1;
        summary.records += db.table_stats.values().map(|s| s.records).sum::<u64>();
        if db.problems > 0 {
            warnings.push(format!(
                "database at offset {} of input {input}: {} b-tree problem(s); its records were read as far as possible",
                db.offset, db.problems
            ));
        }
        if db.size_from_header && u64::from(db.header.page_count) * u64::from(db.header.page_size) > db.length {
            warnings.push(format!(
                "database at offset {} of input {input}: the header gives {} pages but the image holds only {} bytes of it",
                db.offset, db.header.page_count, db.length
            ));
        }
        let tables: Vec<serde_json::Value> = db
            .tables
            .iter()
            .map(|t| {
                let stats = db.table_stats.get(&t.name).copied().unwrap_or_default();
                json!({
                    "name": t.name,
                    "rootpage": t.rootpage,
                    "columns": t.stored_columns().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                    "without_rowid": t.without_rowid,
                    "records": stats.records,
                    "undecodable": stats.undecodable,
                })
            })
            .collect();
        let h = &db.header;
        local.push(Artifact {
            id: db.id.clone(),
            kind: "sqlite_db",
            input,
            offset: db.offset,
            length: db.length,
            page_size: h.page_size,
            app: crate::apps::recognise(db, crate::path_at(&f.members, f.path.as_deref(), db.offset)),
            intact: db.intact,
            details: json!({
                "page_count": db.length / u64::from(h.page_size),
                "header_page_count": h.page_count,
                "size_from_header": db.size_from_header,
                "reserved_bytes": h.reserved,
                "text_encoding": format!("{:?}", h.encoding).to_lowercase(),
                "wal_mode": h.is_wal_mode(),
                "change_counter": h.change_counter,
                "freelist_pages": h.freelist_count,
                "auto_vacuum": h.largest_root != 0,
                "sqlite_version": h.sqlite_version,
                "schema_entries": db.schema.len(),
                "tables": tables,
                "problems": db.problems,
                "wal": db.wal_offset.map(|o| artifact_id("wal", input, o)),
            }),
        });
    }
    for w in &c.wals {
        summary.wal_files += 1;
        let current = w.wal.frames.iter().filter(|f| f.current).count();
        let frames: Vec<serde_json::Value> = w
            .wal
            .frames
            .iter()
            .map(|fr| {
                json!({
                    "index": fr.index,
                    "offset": w.offset + fr.pos as u64,
                    "page_number": fr.page_number,
                    "commit_size": fr.commit_size,
                    "status": if fr.current { "current" } else { "stale" },
                })
            })
            .collect();
        let db = w.database_offset.and_then(|o| c.databases.iter().find(|d| d.offset == o));
        local.push(Artifact {
            id: w.id.clone(),
            kind: "wal",
            input,
            offset: w.offset,
            length: w.wal.length as u64,
            page_size: w.wal.header.page_size,
            app: db.and_then(|d| crate::apps::recognise(d, crate::path_at(&f.members, f.path.as_deref(), d.offset))),
            intact: w.wal.header.checksum_ok && current == w.wal.frames.len(),
            details: json!({
                "checkpoint_sequence": w.wal.header.checkpoint_seq,
                "salt1": w.wal.header.salt1,
                "salt2": w.wal.header.salt2,
                "header_checksum_ok": w.wal.header.checksum_ok,
                "big_endian_checksum": w.wal.header.big_endian_checksum,
                "frames_total": w.wal.frames.len(),
                "frames_current": current,
                "frames_stale": w.wal.frames.len() - current,
                "database": db.map(|d| d.id.clone()),
                "frames": frames,
            }),
        });
    }
    for j in &c.journals {
        summary.journals += 1;
        let records: Vec<serde_json::Value> = j
            .journal
            .records
            .iter()
            .map(|r| json!({ "offset": j.offset + r.pos as u64, "page_number": r.page_number }))
            .collect();
        let h = &j.journal.header;
        // Without a header, its counts are unknown (null) and the nonce is the solved one.
        let read = j.journal.header_state == HeaderState::Intact;
        local.push(Artifact {
            id: j.id.clone(),
            kind: "journal",
            input,
            offset: j.offset,
            length: j.journal.length as u64,
            page_size: h.page_size,
            app: None,
            intact: read && h.record_count as usize == j.journal.records.len(),
            details: json!({
                "record_count_in_header": read.then_some(h.record_count),
                "initial_pages": read.then_some(h.initial_pages),
                "sector_size": read.then_some(h.sector_size),
                "header": j.journal.header_state.as_str(),
                "nonce": h.nonce,
                "nonce_solved": !read,
                "records": records,
            }),
        });
    }
    let ext = c.extents();
    let covered = c.covered();
    for g in &f.scan.page_groups {
        summary.pages += g.pages;
        let outside = pages_outside(g, &covered);
        summary.orphan_pages += outside;
        local.push(Artifact {
            id: artifact_id("page_group", input, g.offset),
            kind: "page_group",
            input,
            offset: g.offset,
            length: g.end() - g.offset,
            page_size: g.page_size,
            app: None,
            intact: true,
            details: json!({
                "pages": g.pages,
                "interior_index": g.by_kind[0],
                "interior_table": g.by_kind[1],
                "leaf_index": g.by_kind[2],
                "leaf_table": g.by_kind[3],
                "cells": g.cells,
                "pages_with_freeblocks": g.pages_with_freeblocks,
                "orphan_pages": outside,
                "within": within(&ext, g.offset),
            }),
        });
    }
    for r in &f.export_runs {
        local.push(Artifact {
            id: r.id.clone(),
            kind: "text_fragment",
            input,
            offset: r.offset,
            length: r.length,
            page_size: 0,
            app: Some(crate::export_text::messages::APP),
            intact: !r.cut,
            details: json!({
                "source": "export_line",
                "platform": r.platform,
                "format": r.format,
                "locale_guess": r.locale_guess,
                "lines": r.lines,
                "date_order": r.date_order,
                "date_order_basis": r.date_order_basis,
                "chat_name": r.chat_name,
                "file": r.file,
            }),
        });
    }
    // A key file is named by where it lies and its SHA-256, never by its bytes.
    for k in &f.keys {
        local.push(Artifact {
            id: artifact_id("backup_key", input, k.offset),
            kind: "backup_key",
            input,
            offset: k.offset,
            length: k.length,
            page_size: 0,
            app: Some("whatsapp-android"),
            intact: true,
            details: json!({
                "opens": k.key.kind(),
                "key_sha256": k.key.fingerprint(),
            }),
        });
    }
    for b in &f.backups {
        local.push(Artifact {
            id: artifact_id("backup", input, b.offset),
            kind: "backup",
            input,
            offset: b.offset,
            length: b.length,
            page_size: 0,
            app: Some("whatsapp-android"),
            intact: b.intact,
            details: json!({
                "generation": b.generation.as_str(),
                "app_version": b.app_version,
                "complete": b.complete,
                "key_sha256": b.key_sha256,
                "key": b.key_offset.map_or_else(|| "given".to_owned(), |o| artifact_id("backup_key", input, o)),
                "contents": b.contents,
                "plaintext_bytes": b.plaintext_bytes,
                "plaintext_sha256": b.plaintext_sha256,
                "latest_message_time": b.latest_message_ms.and_then(rfc3339_ms),
            }),
        });
    }
    local.sort_by(|a, b| (a.offset, a.kind, &a.id).cmp(&(b.offset, b.kind, &b.id)));
    out.extend(local);
}

/// Pages of `g` whose first byte lies in none of the disjoint, sorted `covered` intervals.
fn pages_outside(g: &crate::scan::PageGroup, covered: &[(u64, u64)]) -> u64 {
    let size = u64::from(g.page_size);
    let mut inside = 0;
    let first = covered.partition_point(|&(_, e)| e <= g.offset);
    for &(s, e) in covered.iter().skip(first).take_while(|&&(s, _)| s < g.end()) {
        // Page starts offset + k·size with s ≤ start < e.
        let lo = s.saturating_sub(g.offset).div_ceil(size);
        let hi = (e.min(g.end()) - g.offset).div_ceil(size);
        inside += hi.saturating_sub(lo);
    }
    g.pages - inside.min(g.pages)
}

/// Id of the innermost extent holding `off`.
fn within(ext: &[(u64, u64, String)], off: u64) -> Option<String> {
    let end = ext.partition_point(|&(s, _, _)| s <= off);
    ext.get(..end)?.iter().rev().take(8).find(|(_, e, _)| off < *e).map(|(_, _, id)| id.clone())
}
