//! App profiles as data: what a messaging app's database looks like and how its rows become
//! messages, read from a TOML file (`profiles/*.toml`; the format is documented in
//! `docs/profiles.md`). A new app or a new schema version is a new file, not new code.
//!
//! A profile names the message table and, for each field of a message (chat, sender, time,
//! text, type, direction, id), where it comes from: a column of the message row, or a value
//! reached through *lookups* (rows of other tables found by id, live or deleted). Loading
//! checks everything a profile refers to, so that a profile that loads cannot fail later.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::sqlite::schema::TableDef;

/// A profile that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not valid TOML, or fields of the wrong shape.
    #[error("profile {name}: {source}; see docs/profiles.md for the format")]
    Syntax {
        /// File or built-in name.
        name: String,
        /// The parser's message.
        source: toml::de::Error,
    },
    /// Valid TOML that refers to something it does not define.
    #[error("profile {name}: {problem}; see docs/profiles.md for the format")]
    Invalid {
        /// File or built-in name.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

/// A profile as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// The report's app name (`whatsapp-android`, …).
    pub app: String,
    /// Apps of one family share contact names (a WhatsApp JID names one person in every
    /// WhatsApp app).
    #[serde(default)]
    pub family: Option<String>,
    /// What the profile is for, in a sentence.
    #[serde(default)]
    pub description: String,
    /// A database is this app's when each of these tables exists with these columns.
    pub recognise: BTreeMap<String, Vec<String>>,
    /// Other apps with the same schema, told apart by what the image shows.
    #[serde(default)]
    pub variant: Vec<Variant>,
    /// How a message row becomes a message. Absent for profiles that only give names.
    #[serde(default)]
    pub message: Option<MessageSpec>,
    /// Tables whose rows other fields reach by id.
    #[serde(default)]
    pub lookup: BTreeMap<String, LookupSpec>,
    /// Names for chat identifiers (an address book such as WhatsApp's `wa.db`).
    #[serde(default)]
    pub contacts: Option<ContactsSpec>,
    /// The app's `CREATE TABLE` statements, the templates for pages found without their
    /// database.
    #[serde(default)]
    pub builtin_schema: Vec<String>,
}

/// Another app with the same schema (WhatsApp Business beside WhatsApp).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Its report app name.
    pub app: String,
    /// The database's path (when the input tells it) contains one of these.
    #[serde(default)]
    pub path_contains: Vec<String>,
    /// The database has one of these tables.
    #[serde(default)]
    pub tables_any: Vec<String>,
    /// One of these tables holds a live row.
    #[serde(default)]
    pub rows_in_any: Vec<String>,
}

/// Where a value comes from: a column of the row at hand (or its rowid), or a format over its
/// columns; optionally then looked up in another table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Column name; `rowid` is the row's id.
    #[serde(default)]
    pub column: Option<String>,
    /// A text made of columns: `{user}@{server}`.
    #[serde(default)]
    pub format: Option<String>,
    /// How the column's value is decoded: `typedstream` takes the text out of an
    /// NSAttributedString archive (Apple's `attributedBody`).
    #[serde(default)]
    pub decode: Option<String>,
    /// The value is the key of a row of this lookup…
    #[serde(default)]
    pub lookup: Option<String>,
    /// …and the field of that row to take (default `value`).
    #[serde(default)]
    pub take: Option<String>,
    /// A regular expression the value must match (a JID's form), else the field does not
    /// resolve.
    #[serde(default)]
    pub pattern: Option<String>,
    /// `pattern` compiled when the profile loads.
    #[serde(skip)]
    pub compiled: Option<regex::Regex>,
}

/// Direction: the values of a column that mean sent by the owner, and those that mean received.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromMeSpec {
    /// Column.
    pub column: String,
    /// Values meaning sent by the device owner.
    pub sent: Vec<i64>,
    /// Values meaning received.
    pub received: Vec<i64>,
}

/// A message time: column, unit and epoch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// Column.
    pub column: String,
    /// `s`, `ms`, `us`, `ns`, or `s_or_ns` (seconds in older files, nanoseconds in newer ones,
    /// told by magnitude).
    pub unit: String,
    /// `unix` (1970-01-01) or `cocoa` (2001-01-01, Apple's reference date).
    pub epoch: String,
}

/// Message type: a column and the names of its values.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// Column; absent when every message has the `default` type.
    #[serde(default)]
    pub column: Option<String>,
    /// Name of each stored value (integers and texts alike, written as text).
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// The type when the column is absent or NULL.
    #[serde(default)]
    pub default: Option<String>,
}

/// A row that is no message (the app's sentinel rows).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipRule {
    /// Column.
    pub column: String,
    /// Skip when the value, written as text, equals this.
    #[serde(default)]
    pub equals: Option<String>,
    /// Skip when the value is an integer below this.
    #[serde(default)]
    pub below: Option<i64>,
}

/// How a message row becomes a message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSpec {
    /// The message table.
    pub table: String,
    /// The app's own message id.
    #[serde(default)]
    pub key_id: Option<Field>,
    /// The form a recovered key id must have (a regular expression).
    #[serde(default)]
    pub key_pattern: Option<String>,
    /// The app's id of the chat: keeps the messages of a lost chat together.
    #[serde(default)]
    pub chat_id: Option<Field>,
    /// The chat's identifier (JID, address).
    #[serde(default)]
    pub chat: Vec<Field>,
    /// The chat's name (a group's subject, a contact's name).
    #[serde(default)]
    pub chat_name: Vec<Field>,
    /// Direction; absent for a copy of message text that does not keep it.
    #[serde(default)]
    pub from_me: Option<FromMeSpec>,
    /// The sender of a received message in a group.
    #[serde(default)]
    pub sender: Vec<Field>,
    /// The sender's display name as the message carries it.
    #[serde(default)]
    pub sender_name: Vec<Field>,
    /// Time; absent for a copy of message text that does not keep it.
    #[serde(default)]
    pub time: Option<TimeSpec>,
    /// Text, or caption: the first field that holds text.
    #[serde(default)]
    pub text: Vec<Field>,
    /// Type.
    #[serde(default, rename = "type")]
    pub kind: TypeSpec,
    /// The app's sort key column (`rowid` for the row's id).
    #[serde(default)]
    pub sort: Option<String>,
    /// Rows that are no message.
    #[serde(default)]
    pub skip: Vec<SkipRule>,
    /// What a record recovered from free space must have to become a message: any of
    /// `key_id`, `chat`, `chat_id`, `from_me`, `time`, `text`.
    #[serde(default)]
    pub required: Vec<String>,
    /// How the app numbers messages, so that missing numbers mark gaps:
    /// `row_id_per_database` or `sort_key_per_chat`.
    #[serde(default)]
    pub numbering: Option<String>,
    /// A copy of a message (a full-text-search index's content table, a reply's copy of the
    /// message it quotes): a row becomes a message, `deleted`, only when no row of the message
    /// table holds its id (the message itself was found, live or deleted).
    #[serde(default)]
    pub copy_of: Option<CopyOf>,
    /// What else gives a message its meaning (media, a quoted message, a system action, an
    /// edit, a revocation, reactions): name → fields, reported as the message's `details`.
    #[serde(default)]
    pub details: BTreeMap<String, Vec<Field>>,
}

/// The table whose rows a copy of message text stands for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyOf {
    /// The message table.
    pub table: String,
    /// Its id column, whose value is this row's id.
    pub column: String,
    /// This table's column that holds the id (`rowid` when absent).
    #[serde(default)]
    pub by: Option<String>,
    /// The evidence source of the messages it makes (`quoted_copy`), when not the place the
    /// copy's record was found.
    #[serde(default)]
    pub source: Option<String>,
    /// Which originals make a copy needless: `found` (live or deleted; the default: a copy
    /// without the message's key and time would stand beside a deleted original as another
    /// message) or `live` (a copy that holds the whole message joins a deleted original as
    /// more evidence of it).
    #[serde(default)]
    pub unless: Option<String>,
}

/// A table whose rows other fields reach by a key. (Every other key of its TOML table is a
/// value it gives, so unknown keys cannot be refused: a misspelt one fails as a list of fields.)
#[derive(Debug, Clone, Deserialize)]
pub struct LookupSpec {
    /// Table.
    pub table: String,
    /// The column holding the key (`rowid` for the row's id).
    pub key: String,
    /// A row of one key never names another value: two recovered rows of one key that
    /// disagree come from two databases (deleted files of two phones).
    #[serde(default)]
    pub stable: bool,
    /// Several rows share a key (the reactions to one message): a field taken from this lookup
    /// gives the values of all of them.
    #[serde(default)]
    pub many: bool,
    /// Values a row must give to be one of this table's (a row of a few integer columns is
    /// easily another table's record found on a stray page): rows without them answer nothing.
    #[serde(default)]
    pub require: Vec<String>,
    /// Ties a chat row to the message it names as its last one (its id and time): evidence
    /// that the two rows come from one database.
    #[serde(default)]
    pub last_message: Option<LastMessageSpec>,
    /// The values a row gives: name → fields, the first that resolves wins.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Vec<Field>>,
}

/// A chat row's pointer to its last message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastMessageSpec {
    /// Column of the chat row holding the message's id.
    pub message_id: String,
    /// Column of the chat row holding the message's time, as the message stores it.
    pub time: String,
}

/// Names for chat identifiers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsSpec {
    /// Table.
    pub table: String,
    /// Column with the identifier (JID, address).
    pub id: String,
    /// Name columns, the first that holds text wins.
    pub name: Vec<String>,
}

/// A loaded, checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// As written.
    pub file: ProfileFile,
    /// `message.key_pattern` compiled.
    pub key_pattern: Option<regex::Regex>,
    /// Lookups in an order where each comes after the lookups its fields use.
    pub lookup_order: Vec<String>,
    /// `builtin_schema` parsed.
    pub builtin_tables: Vec<TableDef>,
    /// The shadow tables of the full-text index whose content table the profile reads (a
    /// `copy_of` table `<fts>_content`): `<fts>_segdir` and `<fts>_segments`.
    pub index_tables: Vec<String>,
}

const UNITS: [&str; 5] = ["s", "ms", "us", "ns", "s_or_ns"];
const EPOCHS: [&str; 2] = ["unix", "cocoa"];
const NUMBERINGS: [&str; 2] = ["row_id_per_database", "sort_key_per_chat"];
/// Evidence sources a copy's messages may be given.
const COPY_SOURCES: &[&str] = &["quoted_copy"];
const REQUIREMENTS: [&str; 6] = ["key_id", "chat", "chat_id", "from_me", "time", "text"];

impl Profile {
    /// Parses and checks a profile. `name` names it in errors.
    pub fn parse(name: &str, text: &str) -> Result<Profile, ProfileError> {
        let file: ProfileFile =
            toml::from_str(text).map_err(|source| ProfileError::Syntax { name: name.to_owned(), source })?;
        let invalid = |problem: String| ProfileError::Invalid { name: name.to_owned(), problem };
        let lookup_order = lookup_order(&file.lookup).map_err(invalid)?;
        let mut fields: Vec<(&str, &Field)> = Vec::new();
        if let Some(m) = &file.message {
            for (what, list) in [
                ("chat", &m.chat),
                ("chat_name", &m.chat_name),
                ("sender", &m.sender),
                ("sender_name", &m.sender_name),
                ("text", &m.text),
            ] {
                fields.extend(list.iter().map(|f| (what, f)));
            }
            for list in m.details.values() {
                fields.extend(list.iter().map(|f| ("details", f)));
            }
            fields.extend(m.key_id.iter().map(|f| ("key_id", f)));
            fields.extend(m.chat_id.iter().map(|f| ("chat_id", f)));
            if let Some(t) = &m.time {
                if !UNITS.contains(&t.unit.as_str()) {
                    return Err(invalid(format!("time unit {:?} is none of {UNITS:?}", t.unit)));
                }
                if !EPOCHS.contains(&t.epoch.as_str()) {
                    return Err(invalid(format!("time epoch {:?} is none of {EPOCHS:?}", t.epoch)));
                }
            }
            if let Some(n) = m.numbering.as_deref().filter(|n| !NUMBERINGS.contains(n)) {
                return Err(invalid(format!("numbering {n:?} is none of {NUMBERINGS:?}")));
            }
            if let Some(r) = m.required.iter().find(|r| !REQUIREMENTS.contains(&r.as_str())) {
                return Err(invalid(format!("required {r:?} is none of {REQUIREMENTS:?}")));
            }
            if let Some(s) = m.copy_of.as_ref().and_then(|c| c.source.as_deref()).filter(|s| !COPY_SOURCES.contains(s))
            {
                return Err(invalid(format!("copy_of.source {s:?} is none of {COPY_SOURCES:?}")));
            }
            if let Some(u) =
                m.copy_of.as_ref().and_then(|c| c.unless.as_deref()).filter(|u| !["found", "live"].contains(u))
            {
                return Err(invalid(format!("copy_of.unless {u:?} is neither \"found\" nor \"live\"")));
            }
        }
        for (l, spec) in &file.lookup {
            if let Some(r) = spec.require.iter().find(|r| !spec.fields.contains_key(*r)) {
                return Err(invalid(format!("lookup {l:?} requires {r:?}, which it does not give")));
            }
            for list in spec.fields.values() {
                fields.extend(list.iter().map(|f| (l.as_str(), f)));
            }
        }
        for (what, f) in fields {
            check_field(&file.lookup, f, what == "details").map_err(|p| invalid(format!("{what}: {p}")))?;
        }
        let mut file = file;
        for f in all_fields_mut(&mut file) {
            if let Some(p) = &f.pattern {
                f.compiled = Some(compile(p).map_err(|e| invalid(format!("pattern {p:?}: {e}")))?);
            }
        }
        let key_pattern = match file.message.as_ref().and_then(|m| m.key_pattern.as_deref()) {
            Some(p) => Some(compile(p).map_err(|e| invalid(format!("key_pattern: {e}")))?),
            None => None,
        };
        let mut builtin_tables = Vec::new();
        for sql in &file.builtin_schema {
            let name = sql
                .split_whitespace()
                .nth(2)
                .map(|n| n.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']' || c == '('))
                .unwrap_or("");
            let Some((columns, without_rowid)) = crate::sqlite::schema::parse_create_table(sql) else {
                return Err(invalid(format!("builtin_schema: cannot read {sql:.60}")));
            };
            builtin_tables.push(TableDef { name: name.to_owned(), rootpage: 0, columns, without_rowid });
        }
        let index_tables = file
            .message
            .as_ref()
            .filter(|m| m.copy_of.is_some())
            .and_then(|m| m.table.strip_suffix("_content"))
            .map(|fts| vec![format!("{fts}_segdir"), format!("{fts}_segments")])
            .unwrap_or_default();
        Ok(Profile { file, key_pattern, lookup_order, builtin_tables, index_tables })
    }

    /// The report's app name.
    pub fn app(&self) -> &str {
        &self.file.app
    }

    /// Every table the profile reads, with the columns it must have to be the one meant.
    pub fn tables(&self) -> impl Iterator<Item = (&str, &[String])> {
        let required = |t: &str| self.file.recognise.get(t).map_or(&[][..], |c| &c[..]);
        let message = self.file.message.iter().map(|m| m.table.as_str());
        let lookups = self.file.lookup.values().map(|l| l.table.as_str());
        let contacts = self.file.contacts.iter().map(|c| c.table.as_str());
        let variants = self.file.variant.iter().flat_map(|v| v.rows_in_any.iter().map(String::as_str));
        let mut names: Vec<&str> = message.chain(lookups).chain(contacts).chain(variants).collect();
        names.extend(self.index_tables.iter().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(move |t| (t, required(t)))
    }

    /// Whether `tables` (a database's schema) are this app's.
    pub fn recognises(&self, tables: &[TableDef]) -> bool {
        self.file.recognise.iter().all(|(name, cols)| {
            tables.iter().any(|t| t.name == *name && cols.iter().all(|c| t.columns.iter().any(|tc| tc.name == *c)))
        })
    }
}

/// A regular expression with a bounded compiled size (a profile file may come from anyone).
fn compile(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).build()
}

/// Every field of a profile, to compile their patterns.
fn all_fields_mut(file: &mut ProfileFile) -> Vec<&mut Field> {
    let mut out: Vec<&mut Field> = Vec::new();
    if let Some(m) = &mut file.message {
        for list in [&mut m.chat, &mut m.chat_name, &mut m.sender, &mut m.sender_name, &mut m.text] {
            out.extend(list.iter_mut());
        }
        out.extend(m.details.values_mut().flatten());
        out.extend(m.key_id.iter_mut());
        out.extend(m.chat_id.iter_mut());
    }
    for spec in file.lookup.values_mut() {
        out.extend(spec.fields.values_mut().flatten());
    }
    out
}

fn check_field(lookups: &BTreeMap<String, LookupSpec>, f: &Field, many_allowed: bool) -> Result<(), String> {
    if f.column.is_some() == f.format.is_some() {
        return Err("a field has either `column` or `format`".into());
    }
    if let Some(d) = &f.decode {
        if d != "typedstream" {
            return Err(format!("decode {d:?} is not `typedstream`"));
        }
    }
    match (&f.lookup, &f.take) {
        (None, Some(_)) => Err("`take` without `lookup`".into()),
        (None, None) => Ok(()),
        (Some(l), take) => {
            let spec = lookups.get(l).ok_or_else(|| format!("lookup {l:?} is not defined"))?;
            if spec.many && !many_allowed {
                return Err(format!("lookup {l:?} gives several rows (`many`): only `details` may use it"));
            }
            let take = take.as_deref().unwrap_or("value");
            if spec.fields.contains_key(take) {
                Ok(())
            } else {
                Err(format!("lookup {l:?} gives no {take:?}"))
            }
        }
    }
}

/// The lookups in dependency order; an error names a cycle.
fn lookup_order(lookups: &BTreeMap<String, LookupSpec>) -> Result<Vec<String>, String> {
    let deps = |spec: &LookupSpec| -> Vec<String> {
        spec.fields.values().flatten().filter_map(|f| f.lookup.clone()).collect()
    };
    let mut order: Vec<String> = Vec::new();
    // Each round places every lookup whose dependencies are placed; a round that places none
    // means a cycle. At most one round per lookup.
    for _ in 0..=lookups.len() {
        if order.len() == lookups.len() {
            return Ok(order);
        }
        let ready: Vec<String> = lookups
            .iter()
            .filter(|(name, _)| !order.contains(name))
            .filter(|(_, spec)| deps(spec).iter().all(|d| order.contains(d) || !lookups.contains_key(d)))
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        order.extend(ready);
    }
    let left: Vec<&String> = lookups.keys().filter(|n| !order.contains(n)).collect();
    Err(format!("lookups {left:?} refer to each other in a cycle"))
}

// The profiles shipped with chatcarve: every file of `profiles/`, compiled in by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/profiles.rs"));

/// Profiles added at run time (`--profile FILE`), before the first scan.
static EXTRA: std::sync::OnceLock<Vec<Profile>> = std::sync::OnceLock::new();

/// Adds profiles to the built-in ones for the rest of the process. Call it once, before the
/// first scan; a later call, or one after the profiles were first used, is refused.
pub fn install(extra: Vec<Profile>) -> Result<(), ProfileError> {
    let names: Vec<String> = extra.iter().map(|p| p.file.app.clone()).collect();
    EXTRA.set(extra).map_err(|_| ProfileError::Invalid {
        name: names.join(", "),
        problem: "profiles can be added only once, before the first scan".into(),
    })?;
    Ok(())
}

/// The profiles in use, parsed once: the built-in ones, then those [`install`]ed.
pub fn builtin() -> &'static [Profile] {
    static PROFILES: std::sync::OnceLock<Vec<Profile>> = std::sync::OnceLock::new();
    PROFILES.get_or_init(|| {
        // The built-in files are checked by a unit test; one that fails to load is left out
        // rather than taking the scan down.
        let mut all: Vec<Profile> = BUILTIN.iter().filter_map(|(name, text)| Profile::parse(name, text).ok()).collect();
        // Profiles installed later than the first use are refused by `install`; these came first.
        all.extend(EXTRA.get_or_init(Vec::new).iter().cloned());
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads() {
        for &(name, text) in BUILTIN {
            if let Err(e) = Profile::parse(name, text) {
                panic!("{e}");
            }
        }
        assert_eq!(builtin().len(), BUILTIN.len());
    }

    #[test]
    fn a_cycle_of_lookups_is_refused() {
        let text = r#"
            app = "x"
            recognise = { m = ["a"] }
            [lookup.a]
            table = "a"
            key = "rowid"
            value = [{ column = "b", lookup = "b" }]
            [lookup.b]
            table = "b"
            key = "rowid"
            value = [{ column = "a", lookup = "a" }]
        "#;
        let e = Profile::parse("cycle", text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn an_undefined_lookup_is_refused() {
        let text = r#"
            app = "x"
            recognise = { m = ["a"] }
            [message]
            table = "m"
            chat = [{ column = "c", lookup = "nowhere" }]
            from_me = { column = "f", sent = [1], received = [0] }
            time = { column = "t", unit = "ms", epoch = "unix" }
        "#;
        let e = Profile::parse("undefined", text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("nowhere"), "{e}");
    }
}
