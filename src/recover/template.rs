//! Table templates: what a table's records look like (column count, each column's affinity,
//! the rowid alias), used to recognise and rebuild records found outside the live b-tree.
//!
//! Affinity follows SQLite's rules (datatype3 §3.1) on the declared type: INT → INTEGER;
//! CHAR, CLOB, TEXT → TEXT; BLOB or none → BLOB; REAL, FLOA, DOUB → REAL; else NUMERIC. What a
//! column of each affinity can hold on disk bounds the serial types a candidate may have: a
//! TEXT column never stores a number (SQLite converts it to text on insert); an INTEGER or
//! REAL column is taken to hold only numbers and NULL (text or a BLOB there needs an app that
//! binds one, which the apps we carve for do not).

use std::sync::Arc;

use crate::sqlite::schema::TableDef;

/// Column affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    /// INTEGER affinity.
    Integer,
    /// TEXT affinity.
    Text,
    /// BLOB (no) affinity.
    Blob,
    /// REAL affinity.
    Real,
    /// NUMERIC affinity.
    Numeric,
}

impl Affinity {
    /// The affinity of a declared type.
    pub fn of(decl: &str) -> Self {
        let t = decl.to_ascii_uppercase();
        if t.contains("INT") {
            Self::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Self::Text
        } else if t.is_empty() || t.contains("BLOB") {
            Self::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Self::Real
        } else {
            Self::Numeric
        }
    }

    /// Whether `t` is what a column of this affinity stores natively.
    pub fn native(self, t: u64) -> bool {
        match self {
            Self::Integer => matches!(t, 1..=6 | 8 | 9),
            Self::Real => t == 7 || matches!(t, 1..=6 | 8 | 9),
            Self::Text => t >= 13 && t % 2 == 1,
            Self::Blob => t >= 12 && t.is_multiple_of(2),
            Self::Numeric => matches!(t, 1..=9),
        }
    }

    /// Whether a column of this affinity can hold a value of serial type `t`.
    pub fn allows(self, t: u64) -> bool {
        let is_int = matches!(t, 1..=6 | 8 | 9);
        let is_text = t >= 13 && t % 2 == 1;
        let is_blob = t >= 12 && t.is_multiple_of(2);
        match self {
            // Text in a numeric column happens only when an app stores non-numeric text there;
            // the apps we carve for do not, and allowing it would admit far more false records.
            Self::Integer | Self::Real => t == 0 || is_int || t == 7,
            Self::Numeric => t == 0 || is_int || t == 7 || is_text,
            Self::Text => t == 0 || is_text || is_blob,
            Self::Blob => !matches!(t, 10 | 11),
        }
    }
}

/// What the records of one table look like.
#[derive(Debug, Clone)]
pub struct Template {
    /// Table name.
    pub table: Arc<str>,
    /// Column names, in record order.
    pub columns: Arc<[String]>,
    /// Affinity of each column.
    pub affinities: Vec<Affinity>,
    /// Index of the `INTEGER PRIMARY KEY` column, stored as NULL.
    pub rowid_alias: Option<usize>,
    /// Columns declared `NOT NULL` (never NULL on disk, but for the rowid alias).
    pub not_null: Vec<bool>,
    /// Per column, how often live records hold each class of serial type (see
    /// [`type_class`]): the prior that ranks rebuilt serial types.
    pub prior: Vec<[u32; CLASSES]>,
    /// A built-in schema of an app profile rather than the database's own: a newer version of
    /// the app may have appended columns, so a record may hold more columns than it names
    /// (those are not read).
    pub extendable: bool,
}

/// Tables with fewer columns are never read from records with fewer columns than they have.
pub const MIN_ALTERED: usize = 8;

/// Columns a newer app version may have appended to a built-in schema.
pub const MAX_APPENDED: usize = 64;

/// Number of serial-type classes: types 0 to 9, text, blob.
pub const CLASSES: usize = 12;

/// The class of a serial type: itself for 0 to 9, 10 for text, 11 for BLOBs.
pub fn type_class(t: u64) -> usize {
    match t {
        0..=9 => t as usize,
        t if t % 2 == 1 => 10,
        _ => 11,
    }
}

/// The serial type SQLite (schema format 4) writes for a value, as a class.
pub fn value_class(v: &super::FieldValue) -> usize {
    use super::FieldValue;
    match v {
        FieldValue::Null => 0,
        FieldValue::Integer(0) => 8,
        FieldValue::Integer(1) => 9,
        FieldValue::Integer(i) => match *i {
            -128..=127 => 1,
            -32_768..=32_767 => 2,
            -8_388_608..=8_388_607 => 3,
            -2_147_483_648..=2_147_483_647 => 4,
            -140_737_488_355_328..=140_737_488_355_327 => 5,
            _ => 6,
        },
        FieldValue::Real(_) => 7,
        FieldValue::Text(_) | FieldValue::TextBytes(_) => 10,
        FieldValue::Blob(_) => 11,
    }
}

impl Template {
    /// The template of a rowid table, or `None` for WITHOUT ROWID tables.
    pub fn of(t: &TableDef) -> Option<Self> {
        if t.without_rowid {
            return None;
        }
        let stored: Vec<_> = t.stored_columns().collect();
        Some(Self {
            table: Arc::from(t.name.as_str()),
            columns: stored.iter().map(|c| c.name.clone()).collect(),
            affinities: stored.iter().map(|c| Affinity::of(&c.decl_type)).collect(),
            rowid_alias: stored.iter().position(|c| c.is_rowid_alias),
            not_null: stored.iter().map(|c| c.not_null && !c.is_rowid_alias).collect(),
            prior: vec![[0; CLASSES]; stored.len()],
            extendable: false,
        })
    }

    /// Learns the prior from the live records of the table.
    pub fn learn<'r>(&mut self, live: impl Iterator<Item = &'r super::RecoveredRecord>) {
        for r in live {
            for (i, v) in r.values.iter().enumerate() {
                if Some(i) == self.rowid_alias {
                    continue;
                }
                if let Some(slot) = self.prior.get_mut(i).and_then(|p| p.get_mut(value_class(v))) {
                    *slot = slot.saturating_add(1);
                }
            }
        }
    }

    /// Log-likelihood of serial type `t` in column `col` under the prior (add-one smoothed).
    pub fn log_prior(&self, col: usize, t: u64) -> f64 {
        let Some(p) = self.prior.get(col) else { return 0.0 };
        let total: u64 = p.iter().map(|&c| u64::from(c)).sum();
        let count = p.get(type_class(t)).copied().unwrap_or(0);
        ((f64::from(count) + 1.0) / (total as f64 + CLASSES as f64)).ln()
    }

    /// Whether live rows hold values of `t`'s class in column `col`.
    pub fn seen(&self, col: usize, t: u64) -> bool {
        self.prior.get(col).and_then(|p| p.get(type_class(t))).is_some_and(|&n| n > 0)
    }

    /// Whether `t`'s class is the one most live rows hold in column `col`.
    pub fn usual(&self, col: usize, t: u64) -> bool {
        let Some(p) = self.prior.get(col) else { return false };
        let n = p.get(type_class(t)).copied().unwrap_or(0);
        n > 0 && p.iter().all(|&other| other <= n)
    }

    /// Number of columns in a full record.
    pub fn len(&self) -> usize {
        self.affinities.len()
    }

    /// True for a table without columns (never built).
    pub fn is_empty(&self) -> bool {
        self.affinities.is_empty()
    }

    /// The column counts a record of this table may have. Fewer than the table has: rows
    /// written before `ALTER TABLE ADD COLUMN`, which rewrites no stored row (taken to add at
    /// most a third of the columns of a table of [`MIN_ALTERED`] columns or more; a small
    /// table's shorter records are too easily another small table's). More: only for a
    /// built-in schema ([`Self::extendable`]).
    pub fn column_range(&self) -> (usize, usize) {
        let n = self.len();
        let min = if n < MIN_ALTERED { n } else { (2 * n).div_ceil(3) };
        let max = if self.extendable { n + MAX_APPENDED } else { n };
        (min, max)
    }

    /// Whether `types` (a record's serial types) fits this table: a column count in
    /// [`Self::column_range`], each type allowed by its column's affinity, no NULL in a NOT NULL
    /// column, NULL in the rowid alias column, and at least one column holding something.
    pub fn fits(&self, types: &[u64]) -> bool {
        let (min, max) = self.column_range();
        (min..=max).contains(&types.len())
            && types.iter().zip(&self.affinities).all(|(&t, a)| a.allows(t))
            && types.iter().zip(&self.not_null).all(|(&t, &nn)| !(nn && t == 0))
            && self.rowid_alias.is_none_or(|i| types.get(i).is_none_or(|&t| t == 0))
            && types.iter().enumerate().any(|(i, &t)| t != 0 && Some(i) != self.rowid_alias)
    }
}
