//! The truth of the other apps' scenarios is what SQL says: every database those scenarios place
//! is read back from the image (at the truth's page offsets), opened with SQLite and queried
//! through its app's own joins; the live rows must be exactly the truth's live messages of that
//! database (key id, chat, sender, direction, time, text, rowid), and the chat names the
//! databases hold must be exactly the truth's `name`s.

#[path = "../fixtures/gen/generator.rs"]
mod generator;

use generator::apps::{attributed_body, attributed_body_text, verify_database, AppRow};
use generator::MessageStatus;

/// The scenarios whose databases are not WhatsApp Android's current schema (or add tables to it).
const APP_SCENARIOS: &[&str] =
    &["android_legacy", "business_and_consumer", "ios_chatstorage", "android_sms", "ios_messages"];

#[test]
fn the_truth_of_every_app_scenario_is_what_sql_returns() {
    for &name in APP_SCENARIOS {
        let scenario = generator::build(name).expect("scenario builds");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut names: Vec<(String, String)> = Vec::new();
        for (file, bytes) in generator::database_files(&scenario) {
            let path = dir.path().join(&file);
            std::fs::write(&path, &bytes).expect("write database");
            let contents = verify_database(&path).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            names.extend(contents.names);
            let expected: Vec<AppRow> = scenario
                .truth
                .messages
                .iter()
                .filter(|m| m.database == file && m.status == MessageStatus::Live)
                .map(|m| AppRow {
                    rowid: m.rowid,
                    key_id: m.key_id.clone(),
                    chat_jid: m.chat_jid.clone(),
                    sender_jid: m.sender_jid.clone(),
                    from_me: m.from_me,
                    timestamp_ms: m.timestamp_ms,
                    text: m.text.clone(),
                })
                .collect();
            assert_eq!(contents.rows.len(), expected.len(), "{name}/{file}: live row count");
            for (got, want) in contents.rows.iter().zip(&expected) {
                assert_eq!(got, want, "{name}/{file}");
            }
            // Deleted rows are gone from SQL's view.
            let deleted =
                scenario.truth.messages.iter().filter(|m| m.database == file && m.status == MessageStatus::Deleted);
            for m in deleted {
                assert!(
                    !contents.rows.iter().any(|r| r.rowid == m.rowid),
                    "{name}/{file}: deleted row {} is live",
                    m.rowid
                );
            }
        }
        for c in &scenario.truth.chats {
            let held: Vec<&String> = names.iter().filter(|(jid, _)| *jid == c.jid).map(|(_, n)| n).collect();
            match &c.name {
                Some(n) => assert!(
                    held.contains(&n),
                    "{name}: chat {} should be named {n:?}, the databases say {held:?}",
                    c.jid
                ),
                None => assert!(
                    held.is_empty(),
                    "{name}: chat {} has no name in the truth, the databases say {held:?}",
                    c.jid
                ),
            }
        }
        for m in &scenario.truth.messages {
            let app = m.app.as_str();
            let expected_app = match m.database.as_str() {
                "msgstore_business.db" => "whatsapp-business-android",
                "ChatStorage.sqlite" => "whatsapp-ios",
                "mmssms.db" => "android-sms",
                "sms.db" => "ios-messages",
                _ => "whatsapp-android",
            };
            assert_eq!(app, expected_app, "{name}: app of {}", m.database);
            assert_eq!(m.key_id.is_empty(), app == "android-sms", "{name}: only SMS has no key ids");
        }
    }
}

#[test]
fn the_new_scenarios_have_deleted_messages_whose_bytes_survive() {
    for &name in APP_SCENARIOS {
        let scenario = generator::build(name).expect("scenario builds");
        let surviving =
            scenario.truth.messages.iter().filter(|m| m.status == MessageStatus::Deleted && m.bytes_survive).count();
        assert!(surviving >= 4, "{name}: only {surviving} deleted messages survive");
    }
}

#[test]
fn ios_times_convert_as_the_truth_says() {
    let scenario = generator::build("ios_chatstorage").expect("scenario builds");
    // Whole seconds (stored as INTEGER) and millisecond fractions (REAL) both occur.
    let whole = scenario.truth.messages.iter().filter(|m| m.timestamp_ms % 1000 == 0).count();
    assert!(whole > 3 && whole < scenario.truth.messages.len() / 2, "{whole} whole-second times");
}

#[test]
fn attributed_bodies_round_trip() {
    for text in ["hi", "Ünïcødé 👍 and a second line\nhere", &"x".repeat(300), &"é".repeat(5000)] {
        let blob = attributed_body(text);
        assert!(blob.starts_with(b"\x04\x0bstreamtyped"));
        assert_eq!(attributed_body_text(&blob).as_deref(), Some(text));
    }
    // The one-byte length form below 0x80, `0x81` + u16 LE above.
    let short = attributed_body("abc");
    let at = short.windows(3).position(|w| w == b"abc").expect("text inside");
    assert_eq!(short[at - 1], 3);
    let long = attributed_body(&"y".repeat(200));
    let at = long.windows(4).position(|w| w == b"yyyy").expect("text inside");
    assert_eq!(&long[at - 3..at], &[0x81, 200, 0]);
}

/// The truth of the harder images: the databases placed whole (`ios_with_wal`, with their
/// `-wal` beside them; `ios_messages_upgraded`) are read back from the image and queried through
/// the app's joins with the WAL replayed: their live rows are exactly the truth's `live` and
/// `wal_only` messages, and no `deleted` one is live. The scattered files of
/// `mixed_apps_scattered` cannot be opened from the image (two lost page 1), so the files as
/// built, before deletion, are queried instead: their live rows are the built truth's live rows,
/// and the scenario's truth is every row of every file, `deleted`.
#[test]
fn the_truth_of_the_harder_images_is_what_sql_returns() {
    let check = |label: &str, path: &std::path::Path, truth: &[generator::TruthMessage], live: &[MessageStatus]| {
        let contents = verify_database(path).unwrap_or_else(|e| panic!("{label}: {e}"));
        let expected: Vec<AppRow> = truth
            .iter()
            .filter(|m| live.contains(&m.status))
            .map(|m| AppRow {
                rowid: m.rowid,
                key_id: m.key_id.clone(),
                chat_jid: m.chat_jid.clone(),
                sender_jid: m.sender_jid.clone(),
                from_me: m.from_me,
                timestamp_ms: m.timestamp_ms,
                text: m.text.clone(),
            })
            .collect();
        assert!(!expected.is_empty(), "{label}: no live rows");
        assert_eq!(contents.rows, expected, "{label}");
        for m in truth.iter().filter(|m| m.status == MessageStatus::Deleted) {
            assert!(!contents.rows.iter().any(|r| r.rowid == m.rowid), "{label}: deleted row {} is live", m.rowid);
        }
    };
    for name in ["ios_with_wal", "ios_messages_upgraded"] {
        let scenario = generator::build(name).expect("scenario builds");
        let dir = tempfile::tempdir().expect("temp dir");
        let files = generator::database_files(&scenario);
        for (file, bytes) in &files {
            std::fs::write(dir.path().join(file), bytes).expect("write database");
        }
        if name == "ios_with_wal" {
            assert_eq!(files.len(), 4, "two databases, each with its -wal");
        }
        for d in &scenario.truth.databases {
            let truth: Vec<_> = scenario.truth.messages.iter().filter(|m| m.database == d.name).cloned().collect();
            let label = format!("{name}/{}", d.name);
            check(&label, &dir.path().join(&d.name), &truth, &[MessageStatus::Live, MessageStatus::WalOnly]);
            if d.wal.is_some() {
                assert!(truth.iter().any(|m| m.status == MessageStatus::WalOnly), "{label}: no WAL-only rows");
                let deleted_in_wal = truth.iter().filter(|m| m.status == MessageStatus::Deleted && m.bytes_survive);
                assert!(deleted_in_wal.count() >= 4, "{label}: too few surviving deleted rows");
            }
        }
    }
    let scenario = generator::build("mixed_apps_scattered").expect("scenario builds");
    let dbs = generator::apps::mixed_apps_dbs(scenario.truth.seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = Vec::new();
    for db in &dbs {
        let path = dir.path().join(&db.name);
        std::fs::write(&path, &db.db).expect("write database");
        check(&format!("mixed_apps_scattered/{} as built", db.name), &path, &db.messages, &[MessageStatus::Live]);
        all.extend(db.messages.iter().map(|m| generator::TruthMessage { status: MessageStatus::Deleted, ..m.clone() }));
    }
    let got: Vec<_> =
        scenario.truth.messages.iter().map(|m| generator::TruthMessage { bytes_survive: false, ..m.clone() }).collect();
    let all: Vec<_> = all.into_iter().map(|m| generator::TruthMessage { bytes_survive: false, ..m }).collect();
    assert_eq!(got, all, "mixed_apps_scattered: every row of every file, deleted");
    let overwritten: Vec<(&str, &[u64])> =
        scenario.truth.databases.iter().map(|d| (d.name.as_str(), d.overwritten_pages.as_slice())).collect();
    assert_eq!(
        overwritten,
        [("ChatStorage.sqlite", &[1u64][..]), ("sms.db", &[1][..]), ("mmssms.db", &[][..]), ("msgstore.db", &[][..])]
    );
}
