//! App profiles: which databases belong to which messaging app, which tables they need, and
//! how their records become messages. Matches records; knows nothing of pages or reports.

pub mod whatsapp_android;

use crate::conversations::Message;
use crate::recover::database::DbFinding;
use crate::recover::RecoveredRecord;
use crate::sqlite::schema::TableDef;

/// Whether any profile needs the records of `table`.
pub fn wanted_table(table: &TableDef) -> bool {
    whatsapp_android::wanted_table(table)
}

/// The app a database belongs to, if a profile recognises its schema.
pub fn recognise(db: &DbFinding) -> Option<&'static str> {
    recognise_tables(&db.tables)
}

/// The app whose schema `tables` are.
pub fn recognise_tables(tables: &[TableDef]) -> Option<&'static str> {
    whatsapp_android::recognise(tables).then_some(whatsapp_android::APP)
}

/// Messages of a recognised database.
pub fn messages(db: &DbFinding) -> Vec<Message> {
    messages_of(&db.tables, &db.records, &[])
}

/// Messages in `records`, read as the tables `tables` of a recognised app. `links` are pairs
/// of artifacts (runs of orphan pages) known to come from one database.
pub fn messages_of(tables: &[TableDef], records: &[RecoveredRecord], links: &[(String, String)]) -> Vec<Message> {
    match recognise_tables(tables) {
        Some(whatsapp_android::APP) => whatsapp_android::messages(records, links),
        _ => Vec::new(),
    }
}

/// The built-in table definitions of every profile, for pages found without their database.
pub fn builtin_tables() -> Vec<TableDef> {
    whatsapp_android::builtin_tables()
}
