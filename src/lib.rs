//! chatcarve: find what SQLite and WhatsApp left in a raw storage image.
//!
//! The pipeline, one module per stage, each depending only on the ones before it:
//!
//! | stage | module | role |
//! |---|---|---|
//! | source | [`source`] | bytes at logical offsets (memory-mapped raw image, …) |
//! | scan | [`scan`] | chunked parallel search: database/WAL/journal headers, b-tree pages and the first records of headerless journals at 512-byte boundaries |
//! | format | [`sqlite`] | zero-copy decoders for the SQLite file format |
//! | recover | [`recover`] | databases followed whole, WALs paired and replayed, records with evidence |
//! | fts | [`fts`] | words of FTS3/FTS4 full-text indexes (deleted messages' included) from recovered `_segdir`/`_segments` records |
//! | export text | [`export_text`] | lines of exported chats (`WhatsApp Chat with <name>.txt`) found as text anywhere |
//! | apps | [`apps`] | app profiles that turn records into messages |
//! | conversations | [`conversations`] | duplicates merged, messages grouped by chat and ordered |
//! | confidence | [`confidence`] | a score per message and the factors behind it |
//! | report | [`report`] | the JSON report, contract v1 |
//! | render | [`render`] | formats rendered from the JSON report: HTML, case database, timeline, CASE/UCO |
//!
//! ```
//! use chatcarve::{analyse, report, scan::ScanSettings, source::MmapSource};
//! let image = MmapSource::open(std::path::Path::new("fixtures/demo.img")).unwrap();
//! let findings = analyse(&image, 0, &ScanSettings::default(), &());
//! let outcome = report::InputOutcome { path: "demo.img".into(), result: Ok(findings) };
//! let report = report::build_report(&[outcome], report::RunInfo::default());
//! assert!(report.summary.messages > 0);
//! ```
#![deny(missing_docs)]

pub mod apps;
pub mod backup;
pub mod bytes;
pub mod confidence;
pub mod conversations;
pub mod export_text;
pub mod fts;
pub mod recover;
pub mod render;
pub mod report;
pub mod scan;
pub mod shard;
pub mod source;
pub mod sqlite;

use conversations::Message;
use recover::database::Containers;
use scan::{ScanObserver, ScanOutput, ScanSettings};
use source::ByteSource;

/// Everything found in one input.
#[derive(Debug)]
pub struct InputFindings {
    /// Size of the input in bytes.
    pub size: u64,
    /// SHA-256 of the input, computed during the scan (None when hashing was off).
    pub sha256: Option<[u8; 32]>,
    /// MD5 of the input, where the container stores an MD5 to check it against (E01): computed
    /// as the container was decoded, whatever `settings.hash` says.
    pub md5: Option<[u8; 16]>,
    /// The hashes of the media the container stores (an E01's), as the acquisition tool wrote them.
    pub stored_hashes: Option<source::StoredHashes>,
    /// Container kind of the source.
    pub container: &'static str,
    /// The files the source is made of, when several (a database with its WAL and journal).
    pub members: Vec<source::Member>,
    /// The path of the file the source reads, when it is one file.
    pub path: Option<String>,
    /// What went wrong reading the source (a compressed stream cut short, archive members
    /// skipped), as [`source::ByteSource::warnings`] gives it.
    pub warnings: Vec<String>,
    /// Raw hits and page groups.
    pub scan: ScanOutput,
    /// Databases, WALs and journals followed whole, with their live records.
    pub containers: Containers,
    /// Records of pages outside every database found whole, by page size.
    pub orphans: Vec<recover::orphan_page::OrphanGroup>,
    /// WhatsApp backup key files found by their content, in offset order.
    pub keys: Vec<backup::key::FoundKey>,
    /// WhatsApp backups found by their content and opened with those keys, in offset order.
    pub backups: Vec<backup::found::FoundBackup>,
    /// Runs of exported-chat lines (`text_fragment` artifacts), in offset order.
    pub export_runs: Vec<export_text::messages::RunArtifact>,
    /// Messages recovered by the app profiles and from export text.
    pub messages: Vec<Message>,
    /// Names for chat identifiers, from address books (live and deleted rows).
    pub contacts: Vec<apps::Contact>,
}

/// Scans one input and recovers what it holds. Runs on the current rayon pool (install a pool
/// to choose the thread count); the findings are the same for every thread count and chunk
/// size. `input` is the index of this input in the run, used in evidence and ids.
pub fn analyse(
    source: &dyn ByteSource,
    input: usize,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
) -> InputFindings {
    analyse_tables(source, input, settings, observer, &apps::wanted_table)
}

/// Like [`analyse`], reading the live and deleted records of every table `keep` selects (the
/// `records` command keeps all of them), not only those the app profiles need.
pub fn analyse_tables(
    source: &dyn ByteSource,
    input: usize,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
) -> InputFindings {
    analyse_found(source, input, settings, observer, keep, None)
}

/// Like [`analyse_tables`], with what the scan pass found given (`Some`: the shards' scans,
/// joined) or done here (`None`).
fn analyse_found(
    source: &dyn ByteSource,
    input: usize,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
    found: Option<Found<'_>>,
) -> InputFindings {
    let data = source.contiguous().unwrap_or(&[]);
    // The hash runs beside the whole analysis, not just the scan, so that on a machine where
    // hashing is the slowest part everything else hides behind it.
    // Whoever reads a range last gives its mapping back right away, in parallel: the hash when it
    // runs (it reads everything, in order), else the scan. Databases are read again afterwards,
    // and fault back in from the page cache.
    let release = |start: usize, len: usize| source.release(start as u64, len);
    let no_release = |_: usize, _: usize| {};
    let prepare = |start: usize, len: usize| {
        if !settings.hash {
            source.prepare(start as u64, len)
        }
    };
    let (hash_release, scan_release): (&RangeHint<'_>, &RangeHint<'_>) =
        if settings.hash { (&release, &no_release) } else { (&no_release, &release) };
    let members = source.members();
    let path = source.path();
    let stored_hashes = source.stored_hashes();
    let (sha256, (scan, containers, orphans, (export_runs, keys, backups), messages, contacts)) = rayon::join(
        || settings.hash.then(|| scan::driver::sha256_releasing(data, observer, hash_release)),
        || {
            let found = found.unwrap_or_else(|| {
                let chunks = 0..scan::driver::chunk_count(data.len(), settings);
                scan_pass(data, chunks, settings, observer, (&prepare, scan_release))
            });
            recover_found(data, input, settings, keep, (members, path), found)
        },
    );
    InputFindings {
        size: source.len(),
        sha256,
        md5: stored_hashes.and_then(|h| h.decoded_md5),
        stored_hashes,
        container: source.container(),
        members: source.members().to_vec(),
        path: source.path().map(str::to_owned),
        warnings: source.warnings().to_vec(),
        scan,
        containers,
        orphans,
        export_runs,
        keys,
        backups,
        messages,
        contacts,
    }
}

/// A hint about the range `(start, len)` of the input: about to be read, or read for the last time.
pub type RangeHint<'a> = dyn Fn(usize, usize) + Sync + 'a;

type Recovered = (
    ScanOutput,
    Containers,
    Vec<recover::orphan_page::OrphanGroup>,
    (Vec<export_text::messages::RunArtifact>, Vec<backup::key::FoundKey>, Vec<backup::found::FoundBackup>),
    Vec<Message>,
    Vec<apps::Contact>,
);

/// The path of the file that holds a structure starting at `offset`, when the input tells it:
/// the member file holding it, or the input's own file for a structure at its start (a
/// database given as input), never an image's name for what lies inside the image.
pub fn path_at<'a>(members: &'a [source::Member], path: Option<&'a str>, offset: u64) -> Option<&'a str> {
    if members.is_empty() {
        return path.filter(|_| offset == 0);
    }
    member_at(members, offset).map(|m| m.path.as_str())
}

/// The member holding `offset`, if one does.
pub fn member_at(members: &[source::Member], offset: u64) -> Option<&source::Member> {
    // Members are in offset order and do not overlap: the one holding `offset` is the last that
    // starts at or before it.
    let after = members.partition_point(|m| m.offset <= offset);
    let m = members.get(after.checked_sub(1)?)?;
    (offset < m.offset.saturating_add(m.length)).then_some(m)
}

/// What one pass over the chunks of an input finds, before anything is followed: where
/// structures start. The pass over all chunks, or the passes of shards over consecutive ranges
/// of chunks joined in order ([`shard`]), give the same.
#[derive(Debug, Default)]
pub struct Found<'a> {
    /// Header hits and runs of b-tree pages.
    pub scan: ScanOutput,
    /// Runs of exported-chat lines, in offset order.
    pub runs: Vec<export_text::ExportRun<'a>>,
    /// Backup key files, in offset order.
    pub keys: Vec<backup::key::FoundKey>,
    /// Where crypt14/15 backup headers start, chunk by chunk (a header may start a few bytes
    /// before the chunk that found it; recovery sorts them and drops repeats).
    pub backups: Vec<usize>,
    /// Where crypt12 backups may start (a legacy key decides), in offset order.
    pub crypt12: Vec<usize>,
}

impl<'a> Found<'a> {
    /// Adds what the pass over the chunks right after these found.
    pub fn append(&mut self, next: Found<'a>) {
        self.scan.append(next.scan);
        self.runs.extend(next.runs);
        self.keys.extend(next.keys);
        self.backups.extend(next.backups);
        self.crypt12.extend(next.crypt12);
    }
}

/// The scan pass over the chunks `chunks` of `data`: the page scan, the search for exported
/// chats and for backups and key files read each chunk once, together.
pub fn scan_pass<'a>(
    data: &'a [u8],
    chunks: std::ops::Range<usize>,
    settings: &ScanSettings,
    observer: &dyn ScanObserver,
    hints: (&RangeHint<'_>, &RangeHint<'_>),
) -> Found<'a> {
    let (scan, per_chunk) = scan::driver::scan_chunks_with(data, chunks, settings, observer, hints, &|start, end| {
        (
            export_text::run::runs_in(data, start, end),
            backup::key::find_in(data, start, end),
            backup::found::candidates_in(data, start, end),
        )
    });
    let mut found = Found { scan, ..Found::default() };
    for (r, k, c) in per_chunk {
        found.runs.extend(r);
        found.keys.extend(k);
        found.backups.extend(c.prefixed);
        found.crypt12.extend(c.crypt12);
    }
    found
}

/// Everything recovered from what the scan pass found, without the hash.
fn recover_found(
    data: &[u8],
    input: usize,
    settings: &ScanSettings,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
    (members, path): (&[source::Member], Option<&str>),
    found: Found<'_>,
) -> Recovered {
    let Found { scan, runs, keys, backups: mut candidates, crypt12 } = found;
    let all_keys: Vec<(Option<u64>, &backup::BackupKey)> =
        keys.iter().map(|k| (Some(k.offset), &k.key)).chain(settings.keys.iter().map(|k| (None, k))).collect();
    candidates.extend(backup::found::crypt12_with(data, &crypt12, &all_keys));
    candidates.sort_unstable();
    candidates.dedup();
    let ((exports, (containers, orphans, messages, contacts)), (backups, from_backups)) = rayon::join(
        || {
            rayon::join(
                || export_text::messages::messages(&runs, data, input),
                || recover_databases(data, input, &scan, keep, (members, path)),
            )
        },
        || {
            // One plaintext at a time: each is read, then dropped (the report keeps its size and
            // hash).
            let mut backups = Vec::new();
            let mut from_backups = Vec::new();
            for (mut b, plaintext) in backup::found::open_each(data, &candidates, &all_keys) {
                if settings.read_backups && b.contents == "sqlite" {
                    from_backups.extend(backup_messages(&mut b, plaintext, input, settings, keep));
                }
                backups.push(b);
            }
            (backups, from_backups)
        },
    );
    let mut messages = messages;
    messages.extend(exports.messages);
    messages.extend(judged_against_live(from_backups, &messages));
    apps::fts_words::join_whole(&mut messages);
    // Copies of one message (several copies of a database, a WAL beside it) become one here,
    // in the part of the work the hash hides, so that the report merges little.
    (scan, containers, orphans, (exports.runs, keys, backups), conversations::merge(messages), contacts)
}

/// The scan and what the databases, WALs, journals and orphan pages it found hold.
fn recover_databases(
    data: &[u8],
    input: usize,
    scan: &ScanOutput,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
    (members, path): (&[source::Member], Option<&str>),
) -> (Containers, Vec<recover::orphan_page::OrphanGroup>, Vec<Message>, Vec<apps::Contact>) {
    let containers = recover::database::follow(data, input, &scan.hits, keep);
    let templates = orphan_templates(&containers, keep);
    let mut orphans = recover::orphan_page::recover(data, input, &scan.page_groups, &containers, &templates);
    orphans.extend(recover::unpaired::recover(data, input, &containers, &templates, keep));
    let per_db: Vec<Vec<Message>> = {
        use rayon::prelude::*;
        containers.databases.par_iter().map(|db| apps::messages(db, path_at(members, path, db.offset))).collect()
    };
    let mut messages: Vec<Message> = per_db.into_iter().flatten().collect();
    let mut contacts: Vec<apps::Contact> =
        containers.databases.iter().flat_map(|db| apps::contacts(&db.records)).collect();
    for g in &orphans {
        messages.extend(apps::messages_of(&g.records, &g.links));
        contacts.extend(apps::contacts(&g.records));
    }
    contacts.sort();
    contacts.dedup();
    (containers, orphans, messages, contacts)
}

/// The messages of the database inside a backup found and opened, as evidence of the backup
/// (`source` `backup`, the offset inside its plaintext, and when it was made: after its latest
/// message), with the status they have there.
fn backup_messages(
    b: &mut backup::found::FoundBackup,
    plaintext: Vec<u8>,
    input: usize,
    settings: &ScanSettings,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
) -> Vec<Message> {
    let nested_settings = ScanSettings { hash: false, read_backups: false, ..settings.clone() };
    let source = source::MemorySource::new(plaintext);
    let nested = analyse_tables(&source, input, &nested_settings, &(), keep);
    let artifact = recover::database::artifact_id("backup", input, b.offset);
    let mut out = nested.messages;
    b.latest_message_ms = out.iter().filter_map(|m| m.timestamp_ms).max();
    let made = b
        .latest_message_ms
        .and_then(report::build::rfc3339_ms)
        .map(|t| format!(", made after {t}"))
        .unwrap_or_default();
    for m in &mut out {
        for e in &mut m.evidence {
            e.detail = Some(format!(
                "{} backup at input offset {}{made}: {} at plaintext offset {}{}",
                b.generation.as_str(),
                b.offset,
                e.source.as_str(),
                e.offset,
                if b.intact { "" } else { " (partial backup)" }
            ));
            // What the evidence is stays said where it is not a record of the backup's database
            // itself: a reply's copy, a search index's words.
            if !matches!(e.source, recover::EvidenceSource::QuotedCopy | recover::EvidenceSource::FtsIndex) {
                e.source = recover::EvidenceSource::Backup;
            }
            e.artifact = artifact.clone();
        }
    }
    out
}

/// What a backup proves (whatsapp.md): a live message of a backup absent from the input's live
/// database of that app is `deleted`, one whose live row holds another text `superseded` (an
/// edit, or a "deleted for everyone"); without a live database of that app in the input, the
/// backup's messages keep their status. `outer` are the input's own messages.
fn judged_against_live(from_backups: Vec<Message>, outer: &[Message]) -> Vec<Message> {
    use recover::{EvidenceSource, RecordStatus};
    type LiveKey<'m> = (&'static str, Option<&'m str>, &'m str, Option<bool>);
    let mut live: std::collections::HashMap<LiveKey<'_>, Option<&conversations::MessageText>> = Default::default();
    let mut live_apps: std::collections::BTreeSet<&'static str> = Default::default();
    for m in outer.iter().filter(|m| m.status == RecordStatus::Live) {
        if m.evidence.iter().any(|e| e.source == EvidenceSource::ExportLine) {
            continue;
        }
        live_apps.insert(m.app);
        if let Some(k) = m.key_id.as_deref() {
            live.insert((m.app, m.chat_jid.as_deref(), k, m.from_me), m.text.as_ref());
        }
    }
    let mut out = from_backups;
    for m in &mut out {
        if m.status == RecordStatus::Live && live_apps.contains(m.app) {
            let key = m.key_id.as_deref().map(|k| (m.app, m.chat_jid.as_deref(), k, m.from_me));
            m.status = match key.and_then(|k| live.get(&k)) {
                None => RecordStatus::Deleted,
                Some(text) if *text != m.text.as_ref() => RecordStatus::Superseded,
                Some(_) => RecordStatus::Live,
            };
        }
    }
    out
}

/// Templates for pages found outside any database: every kept table of every database found
/// (with the serial-type prior of its live rows), then the built-in schemas of the app
/// profiles for tables no database found here defines.
fn orphan_templates(
    containers: &Containers,
    keep: &(dyn Fn(&sqlite::schema::TableDef) -> bool + Sync),
) -> Vec<recover::template::Template> {
    let mut out: Vec<recover::template::Template> = Vec::new();
    for db in &containers.databases {
        for t in db.tables.iter().filter(|t| keep(t)) {
            let Some(mut tpl) = recover::template::Template::of(t) else { continue };
            if out.iter().any(|o| o.table == tpl.table && o.columns == tpl.columns) {
                continue;
            }
            // A table without a typed column (`sqlite_sequence`, full-text-search shadow
            // tables) fits any record of as many columns found on a stray page: it is read
            // where its database is, never matched on pages outside it.
            if tpl.affinities.iter().all(|a| *a == recover::template::Affinity::Blob) {
                continue;
            }
            let name = std::sync::Arc::clone(&tpl.table);
            tpl.learn(db.records.iter().filter(|r| r.table == name && r.status == recover::RecordStatus::Live));
            out.push(tpl);
        }
    }
    for t in apps::builtin_tables() {
        // A table of that name found here is the same app's table (perhaps another version)
        // when it shares most of the built-in's columns; two apps' tables may share a name
        // (WhatsApp's and Apple Messages' `message`).
        let same_table = |o: &recover::template::Template| {
            *o.table == *t.name
                && 2 * t.columns.iter().filter(|c| o.columns.contains(&c.name)).count() >= t.columns.len()
        };
        if out.iter().any(same_table) {
            continue;
        }
        out.extend(
            recover::template::Template::of(&t).map(|tpl| recover::template::Template { extendable: true, ..tpl }),
        );
    }
    out
}
