//! The schema table (`sqlite_schema`, rooted at page 1) and the column lists of its
//! `CREATE TABLE` statements.
//!
//! Records of `sqlite_schema` are `(type, name, tbl_name, rootpage, sql)`. The column names,
//! declared types and order of a table come from its `sql`, parsed here by a small tokenizer
//! that knows SQLite's quoting (`"x"`, `` `x` ``, `[x]`, `'x'`), comments and nested parentheses.
//! The parse is linear in the statement length.

use super::btree::Database;
use super::record::{Record, Value};
use super::TextEncoding;

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaEntry {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// Object name.
    pub name: String,
    /// Table the object belongs to.
    pub tbl_name: String,
    /// Root page of its b-tree (0 for views, triggers and virtual tables).
    pub rootpage: u32,
    /// The CREATE statement, if any.
    pub sql: Option<String>,
}

/// A column of a table, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name, unquoted.
    pub name: String,
    /// Declared type, as written (may be empty).
    pub decl_type: String,
    /// True for an `INTEGER PRIMARY KEY` column, whose value is the rowid.
    pub is_rowid_alias: bool,
    /// False for a `VIRTUAL` generated column, which takes no place in the record.
    pub stored: bool,
    /// Declared `NOT NULL`.
    pub not_null: bool,
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Table name.
    pub name: String,
    /// Root page.
    pub rootpage: u32,
    /// Columns in record order.
    pub columns: Vec<Column>,
    /// A `WITHOUT ROWID` table (stored as an index b-tree).
    pub without_rowid: bool,
}

impl TableDef {
    /// Columns that take a place in the record, in order.
    pub fn stored_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.stored)
    }
}

/// Reads every row of `sqlite_schema`. Rows that do not decode are skipped.
pub fn read_schema(db: &Database<'_>) -> (Vec<SchemaEntry>, Vec<super::btree::WalkProblem>) {
    let enc = db.header.encoding;
    let mut out = Vec::new();
    let problems = db.walk_table(1, |row| {
        let Ok(rec) = Record::parse(&row.payload, row.payload_size) else {
            return;
        };
        if let Some(e) = schema_entry(&rec.values(), enc) {
            out.push(e);
        }
    });
    (out, problems)
}

/// Builds a schema entry from the five values of a `sqlite_schema` record.
pub fn schema_entry(values: &[Value<'_>], enc: TextEncoding) -> Option<SchemaEntry> {
    let text = |v: Option<&Value<'_>>| match v {
        Some(Value::Text(b)) => enc.decode(b),
        _ => None,
    };
    let kind = text(values.first())?;
    if !matches!(kind.as_str(), "table" | "index" | "view" | "trigger") {
        return None;
    }
    let rootpage = match values.get(3) {
        Some(Value::Integer(n)) => u32::try_from(*n).ok()?,
        Some(Value::Null) | None => 0,
        _ => return None,
    };
    Some(SchemaEntry {
        kind,
        name: text(values.get(1))?,
        tbl_name: text(values.get(2))?,
        rootpage,
        sql: text(values.get(4)),
    })
}

/// The tables of a schema with their parsed columns (tables whose SQL does not parse, and
/// virtual tables, are left out).
pub fn tables(entries: &[SchemaEntry]) -> Vec<TableDef> {
    entries
        .iter()
        .filter(|e| e.kind == "table" && e.rootpage > 0)
        .filter_map(|e| {
            let (columns, without_rowid) = parse_create_table(e.sql.as_deref()?)?;
            Some(TableDef { name: e.name.clone(), rootpage: e.rootpage, columns, without_rowid })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Str(String),
    Punct(char),
}

fn tokenize(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut it = sql.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        match c {
            c if c.is_whitespace() => {}
            '-' if it.peek().map(|p| p.1) == Some('-') => {
                for (_, c) in it.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if it.peek().map(|p| p.1) == Some('*') => {
                it.next();
                let mut prev = ' ';
                for (_, c) in it.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' | '`' | '[' | '\'' => {
                let close = if c == '[' { ']' } else { c };
                let mut s = String::new();
                while let Some((_, d)) = it.next() {
                    if d == close {
                        if close != ']' && it.peek().map(|p| p.1) == Some(close) {
                            it.next();
                            s.push(d);
                            continue;
                        }
                        break;
                    }
                    s.push(d);
                }
                out.push(if c == '\'' { Token::Str(s) } else { Token::Quoted(s) });
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() => {
                let mut s = String::from(c);
                while let Some(&(_, d)) = it.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' || (!d.is_ascii() && !d.is_whitespace()) {
                        s.push(d);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(s));
            }
            c => out.push(Token::Punct(c)),
        }
    }
    out
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
}

const CONSTRAINT_STARTS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];
const COLUMN_CONSTRAINTS: [&str; 12] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
    "ON",
];

/// Parses a `CREATE TABLE` statement into its columns and whether it is `WITHOUT ROWID`.
/// Returns `None` for statements without a column list (`CREATE TABLE … AS SELECT`, virtual
/// tables).
pub fn parse_create_table(sql: &str) -> Option<(Vec<Column>, bool)> {
    let toks = tokenize(sql);
    if !is_kw(toks.first(), "CREATE") || toks.iter().take(4).any(|t| is_kw(Some(t), "VIRTUAL")) {
        return None;
    }
    let open = toks.iter().position(|t| *t == Token::Punct('('))?;
    if toks.get(..open)?.iter().any(|t| is_kw(Some(t), "AS")) {
        return None;
    }
    let mut parts: Vec<&[Token]> = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut close = None;
    for (i, t) in toks.iter().enumerate().skip(open + 1) {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') if depth == 0 => {
                parts.push(toks.get(start..i)?);
                close = Some(i);
                break;
            }
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                parts.push(toks.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    let close = close?;
    let tail = toks.get(close + 1..).unwrap_or(&[]);
    let without_rowid = tail.windows(2).any(|w| is_kw(w.first(), "WITHOUT") && is_kw(w.get(1), "ROWID"));
    let mut columns: Vec<Column> = Vec::new();
    let mut table_pk: Option<Vec<String>> = None;
    for part in parts {
        let first = part.first();
        if CONSTRAINT_STARTS.iter().any(|k| is_kw(first, k)) && !matches!(first, Some(Token::Quoted(_))) {
            if let Some(pk) = part.iter().position(|t| is_kw(Some(t), "PRIMARY")) {
                let names: Vec<String> = part
                    .get(pk..)
                    .unwrap_or(&[])
                    .iter()
                    .skip_while(|t| **t != Token::Punct('('))
                    .take_while(|t| **t != Token::Punct(')'))
                    .filter_map(|t| match t {
                        Token::Word(w) | Token::Quoted(w) | Token::Str(w) => Some(w.clone()),
                        _ => None,
                    })
                    .filter(|w| !["ASC", "DESC", "COLLATE"].iter().any(|k| w.eq_ignore_ascii_case(k)))
                    .collect();
                table_pk = Some(names);
            }
            continue;
        }
        // SQLite accepts a string literal where an identifier is expected ('id' INT).
        let name = match first {
            Some(Token::Word(w) | Token::Quoted(w) | Token::Str(w)) => w.clone(),
            _ => continue,
        };
        let rest = part.get(1..).unwrap_or(&[]);
        let type_end =
            rest.iter().position(|t| COLUMN_CONSTRAINTS.iter().any(|k| is_kw(Some(t), k))).unwrap_or(rest.len());
        let decl_type = render(rest.get(..type_end).unwrap_or(&[]));
        let cons = rest.get(type_end..).unwrap_or(&[]);
        let pk_at = cons.windows(2).position(|w| is_kw(w.first(), "PRIMARY") && is_kw(w.get(1), "KEY"));
        let pk_desc = pk_at.is_some_and(|i| is_kw(cons.get(i + 2), "DESC"));
        let is_rowid_alias = pk_at.is_some() && !pk_desc && decl_type.eq_ignore_ascii_case("INTEGER");
        let generated = cons.iter().any(|t| is_kw(Some(t), "AS"));
        let stored = !generated || cons.iter().any(|t| is_kw(Some(t), "STORED"));
        let not_null = cons.windows(2).any(|w| is_kw(w.first(), "NOT") && is_kw(w.get(1), "NULL"));
        columns.push(Column { name, decl_type, is_rowid_alias, stored, not_null });
    }
    if let Some([pk]) = table_pk.as_deref() {
        if let Some(c) = columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(pk)) {
            c.is_rowid_alias = c.decl_type.eq_ignore_ascii_case("INTEGER");
        }
    }
    if without_rowid {
        columns.iter_mut().for_each(|c| c.is_rowid_alias = false);
    }
    if columns.is_empty() {
        return None;
    }
    Some((columns, without_rowid))
}

fn render(toks: &[Token]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Token::Word(w) | Token::Quoted(w) => {
                if !s.is_empty() && !s.ends_with('(') {
                    s.push(' ');
                }
                s.push_str(w);
            }
            Token::Punct(c) => s.push(*c),
            Token::Str(_) => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<(String, bool)> {
        parse_create_table(sql)
            .map(|(c, _)| c.into_iter().map(|c| (c.name, c.is_rowid_alias)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn parses_whatsapp_message_table() {
        let sql = "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, \
                   key_id TEXT NOT NULL, sort_id INTEGER NOT NULL DEFAULT 0 )";
        assert_eq!(
            names(sql),
            vec![
                ("_id".into(), true),
                ("chat_row_id".into(), false),
                ("key_id".into(), false),
                ("sort_id".into(), false)
            ]
        );
    }

    #[test]
    fn handles_quotes_constraints_and_odd_names() {
        let sql = "CREATE TABLE \"we\"\"ird (t)\" ( [a b] int, `c,d` VARCHAR(10, 2) DEFAULT 'x,y', e, \
                   CONSTRAINT pk PRIMARY KEY (e), CHECK (a > 0)) WITHOUT ROWID";
        let (cols, wr) = parse_create_table(sql).expect("parses");
        assert!(wr);
        let got: Vec<_> = cols.iter().map(|c| (c.name.as_str(), c.decl_type.as_str())).collect();
        assert_eq!(got, vec![("a b", "int"), ("c,d", "VARCHAR(10, 2)"), ("e", "")]);
    }

    #[test]
    fn table_level_integer_primary_key_is_an_alias() {
        assert_eq!(
            names("CREATE TABLE t(x INTEGER, y, PRIMARY KEY(x))"),
            vec![("x".into(), true), ("y".into(), false)]
        );
        assert_eq!(
            names("CREATE TABLE t(x INTEGER PRIMARY KEY DESC, y)"),
            vec![("x".into(), false), ("y".into(), false)]
        );
        assert_eq!(names("CREATE TABLE t(x INT PRIMARY KEY, y)"), vec![("x".into(), false), ("y".into(), false)]);
    }

    #[test]
    fn virtual_generated_columns_are_not_stored() {
        let (cols, _) =
            parse_create_table("CREATE TABLE t(a, b AS (a*2), c GENERATED ALWAYS AS (a) STORED)").expect("parses");
        assert_eq!(cols.iter().map(|c| c.stored).collect::<Vec<_>>(), vec![true, false, true]);
        assert!(parse_create_table("CREATE VIRTUAL TABLE f USING fts4(content)").is_none());
        assert!(parse_create_table("CREATE TABLE t AS SELECT 1").is_none());
    }
}
