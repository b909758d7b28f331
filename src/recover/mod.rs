//! Recovery: follow what the scan found and turn it into records with evidence.
//!
//! One module per evidence source, named as the report's `source` values. This issue builds
//! the containers ([`database`]: databases, WALs, journals found whole) and the live records of
//! their b-trees ([`live_record`]); deleted-record sources plug in beside them. Depends on
//! [`crate::sqlite`], never on apps or reports.

pub mod carve;
pub mod database;
pub mod generation;
pub mod in_page;
pub mod journal_page;
pub mod live_record;
pub mod numbering;
pub mod orphan_page;
pub mod sightings;
pub mod template;
pub mod unpaired;
pub mod wal_frame;

use std::sync::Arc;

/// Where a recovered record's bytes were found, as named in the report's `source` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceSource {
    /// A cell of the live b-tree of a database found whole.
    LiveRecord,
    /// A record of the database inside a decrypted WhatsApp backup (`offset` is inside its
    /// plaintext, `detail` says which backup and where the record lay).
    Backup,
    /// A freeblock inside a table-leaf page.
    Freeblock,
    /// Unallocated space inside a page.
    UnallocatedInPage,
    /// A freelist trunk or leaf page.
    FreelistPage,
    /// A page outside any database found whole.
    OrphanPage,
    /// A current WAL frame.
    WalFrame,
    /// A stale WAL frame.
    WalStaleFrame,
    /// A page image of a rollback journal.
    JournalPage,
    /// A line of an exported chat (`WhatsApp Chat with <name>.txt`, `_chat.txt`) found as text.
    ExportLine,
    /// A reply's copy of the message it quotes (`message_quoted`), the message itself gone
    /// (`detail` says where the copy's record lay).
    QuotedCopy,
    /// Words of a message in a full-text-search index's segments, the message itself gone.
    FtsIndex,
}

impl EvidenceSource {
    /// Every source.
    pub const ALL: [Self; 12] = [
        Self::LiveRecord,
        Self::Backup,
        Self::Freeblock,
        Self::UnallocatedInPage,
        Self::FreelistPage,
        Self::OrphanPage,
        Self::WalFrame,
        Self::WalStaleFrame,
        Self::JournalPage,
        Self::ExportLine,
        Self::QuotedCopy,
        Self::FtsIndex,
    ];

    /// The source the report names `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The report's name for this source.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiveRecord => "live_record",
            Self::Backup => "backup",
            Self::Freeblock => "freeblock",
            Self::UnallocatedInPage => "unallocated_in_page",
            Self::FreelistPage => "freelist_page",
            Self::OrphanPage => "orphan_page",
            Self::WalFrame => "wal_frame",
            Self::WalStaleFrame => "wal_stale_frame",
            Self::JournalPage => "journal_page",
            Self::ExportLine => "export_line",
            Self::QuotedCopy => "quoted_copy",
            Self::FtsIndex => "fts_index",
        }
    }
}

/// Where a record's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Evidence {
    /// Kind of place.
    pub source: EvidenceSource,
    /// Index of the input in the run.
    pub input: usize,
    /// Absolute offset of the record's cell in the input.
    pub offset: u64,
    /// Length of the cell on its page.
    pub length: u64,
    /// Id of the artifact (database, WAL, …) it belongs to.
    pub artifact: String,
    /// Page number in its database.
    pub page_number: Option<u32>,
    /// Free-form detail (WAL frame index, overflow state, …).
    pub detail: Option<String>,
    /// Bytes of the record's header that were lost and rebuilt (a freeblock overwrites the
    /// first four bytes of the cell it frees): 0 for a whole record.
    pub rebuilt_header_bytes: u8,
}

/// A column value owned by the recovery output.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// NULL.
    Null,
    /// An integer.
    Integer(i64),
    /// A float.
    Real(f64),
    /// Text decoded from the database encoding.
    Text(String),
    /// Text bytes that are not valid in the database encoding, kept as they are.
    TextBytes(Vec<u8>),
    /// A BLOB.
    Blob(Vec<u8>),
}

impl FieldValue {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(v) => Some(*v),
            _ => None,
        }
    }
    /// The text, if this is valid text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Whether a record is in the live database or recovered from outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordStatus {
    /// In the current b-tree of a database found whole.
    Live,
    /// Recovered from outside the live b-tree.
    Deleted,
    /// An older version of a record that still exists.
    Superseded,
    /// Only text outside any database (a line of an exported chat).
    Fragment,
}

impl RecordStatus {
    /// The report's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Deleted => "deleted",
            Self::Superseded => "superseded",
            Self::Fragment => "fragment",
        }
    }
}

/// A record of some table, decoded, with where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredRecord {
    /// Table name.
    pub table: Arc<str>,
    /// Column names of the table, in record order.
    pub columns: Arc<[String]>,
    /// Rowid, when known.
    pub rowid: Option<i64>,
    /// Values in column order (the rowid alias column holds the rowid).
    pub values: Vec<FieldValue>,
    /// True when part of the payload was lost (broken overflow chain, a tail overwritten).
    pub truncated: bool,
    /// When truncated: the first column whose value was lost or cut short (the values before
    /// it are whole). None when unknown or when nothing was lost.
    pub cut_from: Option<usize>,
    /// Live, deleted or superseded.
    pub status: RecordStatus,
    /// Where its bytes are: the first place it was found.
    pub evidence: Evidence,
    /// Other places the same record was found (see [`sightings`]).
    pub also_seen: Vec<Evidence>,
    /// Index of the rowid alias column (`INTEGER PRIMARY KEY`), whose value is the rowid.
    pub rowid_alias: Option<usize>,
    /// The row belongs to an earlier table of this name, dropped and created again (see
    /// [`generation`]).
    pub dropped_table: bool,
}

/// What two sightings of one row share ([`RecoveredRecord::content_key`]): the table and the
/// values, encoded without loss.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ContentKey(Vec<u8>);

impl RecoveredRecord {
    /// The table and the values other than the rowid alias: what two sightings of one row
    /// share even when one of them lost its rowid (a cell whose head a freeblock overwrote).
    /// Equal keys are equal contents: each value is written with its kind and length.
    pub fn content_key(&self) -> ContentKey {
        let mut key = Vec::with_capacity(self.table.len() + 16 * self.values.len());
        let mut put = |kind: u8, bytes: &[u8]| {
            key.push(kind);
            key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            key.extend_from_slice(bytes);
        };
        put(0, self.table.as_bytes());
        for (_, v) in self.values.iter().enumerate().filter(|(i, _)| Some(*i) != self.rowid_alias) {
            match v {
                FieldValue::Null => put(1, &[]),
                FieldValue::Integer(n) => put(2, &n.to_le_bytes()),
                FieldValue::Real(f) => put(3, &f.to_bits().to_le_bytes()),
                FieldValue::Text(t) => put(4, t.as_bytes()),
                FieldValue::TextBytes(b) => put(5, b),
                FieldValue::Blob(b) => put(6, b),
            }
        }
        ContentKey(key)
    }

    /// Every place the record was found, the first one first.
    pub fn all_evidence(&self) -> impl Iterator<Item = &Evidence> {
        std::iter::once(&self.evidence).chain(&self.also_seen)
    }

    /// The value of column `name`, if the table has it and the record holds it.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        let i = self.columns.iter().position(|c| c == name)?;
        self.values.get(i)
    }
}
