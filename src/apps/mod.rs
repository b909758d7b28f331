//! App profiles: which databases belong to which messaging app, which tables they need, and
//! how their records become messages. Matches records; knows nothing of pages or reports.

pub mod whatsapp_android;

use crate::conversations::Message;
use crate::recover::database::DbFinding;
use crate::sqlite::schema::TableDef;

/// Whether any profile needs the records of `table`.
pub fn wanted_table(table: &TableDef) -> bool {
    whatsapp_android::wanted_table(table)
}

/// The app a database belongs to, if a profile recognises its schema.
pub fn recognise(db: &DbFinding) -> Option<&'static str> {
    whatsapp_android::recognise(&db.tables).then_some(whatsapp_android::APP)
}

/// Messages of every recognised database.
pub fn messages(db: &DbFinding) -> Vec<Message> {
    match recognise(db) {
        Some(whatsapp_android::APP) => whatsapp_android::messages(db),
        _ => Vec::new(),
    }
}
