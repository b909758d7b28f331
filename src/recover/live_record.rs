//! Live records: every cell of every table b-tree of a database found whole, decoded against
//! the table's columns from `sqlite_schema`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Evidence, EvidenceSource, FieldValue, RecordStatus, RecoveredRecord};
use crate::sqlite::btree::{Database, PageOrigin, PageSet, TableRow, WalkProblem};
use crate::sqlite::record::{Record, Value};
use crate::sqlite::schema::TableDef;
use crate::sqlite::TextEncoding;

/// Converts a borrowed value into an owned one, decoding text in `enc`.
pub fn owned_value(v: &Value<'_>, enc: TextEncoding) -> FieldValue {
    match *v {
        Value::Null => FieldValue::Null,
        Value::Integer(i) => FieldValue::Integer(i),
        Value::Real(f) => FieldValue::Real(f),
        Value::Text(b) => match enc.decode(b) {
            Some(s) => FieldValue::Text(s),
            None => FieldValue::TextBytes(b.to_vec()),
        },
        Value::Blob(b) => FieldValue::Blob(b.to_vec()),
    }
}

/// What reading one table gave besides its records.
#[derive(Debug, Clone, Default)]
pub struct TableRead {
    /// Counts.
    pub stats: TableStats,
    /// Problems met walking the b-tree.
    pub problems: Vec<WalkProblem>,
    /// Pages of the b-tree reached (interior and leaf), with where their image was read: where
    /// this table's deleted cells are to be looked for.
    pub leaves: Vec<(u32, PageOrigin)>,
    /// Per leaf page: records read, and those that do not fit the table (more columns than
    /// it has, or a value its column's affinity never holds). In a database that is
    /// not intact, a page of misfits is another file's page lying where the table's should be.
    pub fit_by_page: BTreeMap<u32, (u32, u32)>,
}

/// Counts from reading one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Cells whose record decoded.
    pub records: u64,
    /// Cells whose record did not decode.
    pub undecodable: u64,
    /// Problems met walking the b-tree.
    pub problems: u64,
}

/// Where the pages of a database come from: the artifact ids of the database file and of the
/// WAL replayed over it, named in each record's evidence.
#[derive(Debug, Clone, Copy)]
pub struct Artifacts<'s> {
    /// Id of the database file.
    pub database: &'s str,
    /// Id of the WAL whose frames are laid over it.
    pub wal: Option<&'s str>,
}

/// Reads the live records of `table`. When `keep` is false only counts are made (no values are
/// materialised), which keeps memory flat on tables no profile needs. Pages in `seen` are not
/// read again (see [`Database::walk_table_claiming`]); pass one set for all tables of a
/// database.
pub fn read_table(
    db: &Database<'_>,
    table: &TableDef,
    input: usize,
    artifacts: Artifacts<'_>,
    seen: &mut PageSet,
    keep: bool,
    out: &mut Vec<RecoveredRecord>,
) -> TableRead {
    let enc = db.header.encoding;
    let name: Arc<str> = Arc::from(table.name.as_str());
    let stored: Vec<&crate::sqlite::schema::Column> = table.stored_columns().collect();
    let columns: Arc<[String]> = stored.iter().map(|c| c.name.clone()).collect();
    let rowid_alias = stored.iter().position(|c| c.is_rowid_alias);
    let mut stats = TableStats::default();
    let mut leaves = Vec::new();
    let mut fit_by_page: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    let shape = super::template::Template::of(table);
    let problems = if table.without_rowid {
        // WITHOUT ROWID tables are index b-trees; reading them is left to a later step.
        Vec::new()
    } else {
        db.walk_table_full(
            table.rootpage,
            seen,
            |row: TableRow<'_>| {
                let Ok(rec) = Record::parse(&row.payload, row.payload_size) else {
                    stats.undecodable += 1;
                    return;
                };
                stats.records += 1;
                // Fewer columns is no misfit: rows written before an ALTER TABLE ADD COLUMN.
                let misfit = shape.as_ref().is_some_and(|t| {
                    rec.column_count() > t.len()
                        || rec
                            .serial_types
                            .iter()
                            .zip(&t.affinities)
                            .enumerate()
                            .any(|(i, (&ty, a))| Some(i) != t.rowid_alias && !a.allows(ty))
                });
                let fit = fit_by_page.entry(row.page_number).or_default();
                fit.0 += 1;
                fit.1 += u32::from(misfit);
                if !keep {
                    return;
                }
                let decoded = rec.values();
                let truncated = !rec.is_complete() || decoded.len() < rec.column_count();
                let mut values: Vec<FieldValue> = Vec::with_capacity(columns.len());
                for (i, col) in stored.iter().enumerate() {
                    let v = match decoded.get(i) {
                        Some(Value::Null) | None if col.is_rowid_alias => FieldValue::Integer(row.rowid),
                        Some(v) => owned_value(v, enc),
                        // Records written before an ALTER TABLE ADD COLUMN are shorter: missing
                        // trailing columns read as NULL (their declared default is not applied).
                        None => FieldValue::Null,
                    };
                    values.push(v);
                }
                let (source, artifact, detail) = match row.origin.wal_frame {
                    Some(frame) => (
                        EvidenceSource::WalFrame,
                        artifacts.wal.unwrap_or(artifacts.database),
                        Some(format!("wal frame {frame}, page {} of {}", row.page_number, artifacts.database)),
                    ),
                    None => (EvidenceSource::LiveRecord, artifacts.database, None),
                };
                out.push(RecoveredRecord {
                    table: name.clone(),
                    columns: columns.clone(),
                    rowid: Some(row.rowid),
                    values,
                    truncated,
                    cut_from: None,
                    status: RecordStatus::Live,
                    evidence: Evidence {
                        source,
                        input,
                        offset: row.origin.offset + row.cell_pos as u64,
                        length: row.cell_len as u64,
                        artifact: artifact.to_owned(),
                        page_number: Some(row.page_number),
                        detail,
                        rebuilt_header_bytes: 0,
                    },
                    also_seen: Vec::new(),
                    rowid_alias,
                    dropped_table: false,
                });
            },
            |pgno, _, origin| leaves.push((pgno, origin)),
        )
    };
    stats.problems = problems.len() as u64;
    TableRead { stats, problems, leaves, fit_by_page }
}
