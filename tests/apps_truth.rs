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
