//! App profiles: which databases belong to which messaging app, which tables they need, and
//! how their records become messages. Each app is a data file under `profiles/`
//! ([`profile`]), read by one engine ([`engine`]). Matches records; knows nothing of pages or
//! reports.

pub mod engine;
pub mod fts_words;
pub mod profile;
pub mod resolve;
pub mod typedstream;

use crate::conversations::Message;
use crate::recover::database::DbFinding;
use crate::recover::{RecordStatus, RecoveredRecord};
use crate::sqlite::schema::TableDef;
use profile::Profile;

/// The profiles in use: the built-in ones.
pub fn profiles() -> &'static [Profile] {
    profile::builtin()
}

/// Whether any profile needs the records of `table`.
pub fn wanted_table(table: &TableDef) -> bool {
    profiles().iter().any(|p| {
        p.tables()
            .any(|(name, cols)| table.name == name && cols.iter().all(|c| table.columns.iter().any(|tc| tc.name == *c)))
    })
}

/// The app a profile reads these tables and records as: a variant when the image shows it
/// (the path, a table only the variant has, rows only the variant writes).
fn app_for(p: &'static Profile, tables: &[TableDef], records: &[RecoveredRecord], path: Option<&str>) -> &'static str {
    for v in &p.file.variant {
        let by_path = path.is_some_and(|path| v.path_contains.iter().any(|s| path.contains(s.as_str())));
        let by_table = v.tables_any.iter().any(|t| tables.iter().any(|d| d.name == *t));
        let by_rows =
            v.rows_in_any.iter().any(|t| records.iter().any(|r| *r.table == **t && r.status == RecordStatus::Live));
        if by_path || by_table || by_rows {
            return &v.app;
        }
    }
    &p.file.app
}

/// The app a database belongs to, if a profile recognises its schema. `path` is the
/// database's file path when the input tells it.
pub fn recognise(db: &DbFinding, path: Option<&str>) -> Option<&'static str> {
    let recognising: Vec<&'static Profile> = profiles().iter().filter(|p| p.recognises(&db.tables)).collect();
    // A profile that reads messages names the app before one that reads copies of their text,
    // and that one before one that only gives names.
    let rank = |p: &Profile| match &p.file.message {
        Some(m) if m.copy_of.is_none() => 0,
        Some(_) => 1,
        None => 2,
    };
    let best = *recognising.iter().min_by_key(|p| rank(p))?;
    Some(app_for(best, &db.tables, &db.records, path))
}

/// Messages of a database, read by every profile that recognises its schema (a database of
/// the migration era holds the legacy and the current message tables).
pub fn messages(db: &DbFinding, path: Option<&str>) -> Vec<Message> {
    let reading: Vec<&'static Profile> =
        profiles().iter().filter(|p| p.file.message.is_some() && p.recognises(&db.tables)).collect();
    let mut out: Vec<Message> = reading
        .iter()
        .flat_map(|p| engine::messages(p, app_for(p, &db.tables, &db.records, path), &db.records, &[]))
        .collect();
    // Words of messages that are gone, from the full-text indexes those profiles read.
    let words: Vec<Message> = reading
        .iter()
        .flat_map(|p| fts_words::fragments(p, app_for(p, &db.tables, &db.records, path), &db.records, &out))
        .collect();
    out.extend(words);
    out
}

/// Messages in records found without their database (orphan pages, a WAL without its
/// database), read by every profile whose message table they hold. `links` are pairs of
/// artifacts known to come from one database.
pub fn messages_of(records: &[RecoveredRecord], links: &[(String, String)]) -> Vec<Message> {
    profiles()
        .iter()
        .filter(|p| p.file.message.as_ref().is_some_and(|m| records.iter().any(|r| engine::is_table(p, r, &m.table))))
        .flat_map(|p| engine::messages(p, app_for(p, &[], records, None), records, links))
        .collect()
}

/// A name for a chat identifier, from an address book.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Contact {
    /// The app family it names identifiers of.
    pub family: &'static str,
    /// The identifier (JID, address).
    pub id: String,
    /// The name.
    pub name: String,
    /// From a live row.
    pub live: bool,
}

/// Names in records (of a database or orphan pages), from every profile with an address book.
pub fn contacts(records: &[RecoveredRecord]) -> Vec<Contact> {
    let mut out = Vec::new();
    for p in profiles() {
        let Some(family) = p.file.family.as_deref() else { continue };
        for (id, name, status) in engine::contacts(p, records) {
            out.push(Contact { family, id, name, live: status == RecordStatus::Live });
        }
    }
    out
}

/// The profiles that report as `app` (as themselves or as a variant).
fn profiles_of(app: &str) -> impl Iterator<Item = &'static Profile> + '_ {
    profiles().iter().filter(move |p| p.file.app == app || p.file.variant.iter().any(|v| v.app == app))
}

/// The family of an app (apps of one family share contact names).
pub fn family(app: &str) -> Option<&'static str> {
    profiles_of(app).find_map(|p| p.file.family.as_deref())
}

/// How an app numbers its messages (its profile's `numbering`).
pub fn numbering(app: &str) -> Option<crate::conversations::Numbering> {
    use crate::conversations::Numbering;
    let p = profiles_of(app).find(|p| p.file.message.as_ref().is_some_and(|m| m.numbering.is_some()))?;
    match p.file.message.as_ref()?.numbering.as_deref()? {
        "row_id_per_database" => Some(Numbering::RowIdPerDatabase),
        "sort_key_per_chat" => Some(Numbering::SortKeyPerChat),
        _ => None,
    }
}

/// The built-in table definitions of every profile, for pages found without their database.
pub fn builtin_tables() -> Vec<TableDef> {
    profiles().iter().flat_map(|p| p.builtin_tables.iter().cloned()).collect()
}
