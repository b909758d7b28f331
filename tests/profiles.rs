//! Every app profile on a database of the app's real schema, written by SQLite: the messages,
//! their chat, sender, direction, time and text as the app's own joins give them, live and
//! deleted; the app told apart where the image shows it (WhatsApp Business); names from the
//! address book.

mod common;

use common::{CREATE_CHAT, CREATE_JID, CREATE_MESSAGE};

use std::path::Path;

use rusqlite::{params, Connection};
use serde_json::Value;

fn open(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA page_size=4096; PRAGMA secure_delete=OFF; PRAGMA journal_mode=DELETE;")
        .expect("pragmas");
    conn
}

/// Scans the files, laid one after another in noise, and returns the report.
fn scan(files: &[&Path]) -> Value {
    let mut image = common::noise(64 * 1024, 7);
    for f in files {
        image.extend(std::fs::read(f).expect("read db"));
        image.extend(common::noise(12 * 1024, 9));
    }
    common::scan_bytes_with_library(&[image])
}

/// (app, chat, chat name, sender, from_me, time, text, status) of every message, sorted.
type Row = (String, String, Option<String>, Option<String>, bool, i64, Option<String>, String);

fn rows(report: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    for c in report["conversations"].as_array().into_iter().flatten() {
        for m in c["messages"].as_array().into_iter().flatten() {
            out.push((
                c["app"].as_str().unwrap_or("").to_owned(),
                m["chat_jid"].as_str().unwrap_or("").to_owned(),
                c["chat_name"].as_str().map(str::to_owned),
                m["sender_jid"].as_str().map(str::to_owned),
                m["from_me"].as_bool().unwrap_or(false),
                m["timestamp_ms"].as_i64().unwrap_or(0),
                m["text"].as_str().map(str::to_owned),
                m["status"].as_str().unwrap_or("").to_owned(),
            ));
        }
    }
    assert!(report["unattributed_messages"].as_array().is_none_or(Vec::is_empty), "{report:#}");
    out.sort();
    out
}

fn row(
    app: &str,
    chat: &str,
    name: Option<&str>,
    sender: Option<&str>,
    from_me: bool,
    t: i64,
    text: &str,
    status: &str,
) -> Row {
    (
        app.into(),
        chat.into(),
        name.map(Into::into),
        sender.map(Into::into),
        from_me,
        t,
        Some(text.into()),
        status.into(),
    )
}

const ALICE: &str = "4915112345678@s.whatsapp.net";
const BOB: &str = "33612345678@s.whatsapp.net";
const GROUP: &str = "120363025246125486@g.us";

fn legacy_msgstore(path: &Path) {
    let conn = open(path);
    conn.execute_batch(
        "CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL, key_from_me INTEGER,
          key_id TEXT NOT NULL, status INTEGER, needs_push INTEGER, data TEXT, timestamp INTEGER, media_url TEXT,
          media_mime_type TEXT, media_wa_type TEXT, media_size INTEGER, media_name TEXT, media_caption TEXT, media_hash TEXT,
          media_duration INTEGER, origin INTEGER, latitude REAL, longitude REAL, thumb_image TEXT, remote_resource TEXT,
          received_timestamp INTEGER, send_timestamp INTEGER, receipt_server_timestamp INTEGER, receipt_device_timestamp INTEGER,
          read_device_timestamp INTEGER, played_device_timestamp INTEGER, raw_data BLOB, recipient_count INTEGER,
          participant_hash TEXT, starred INTEGER, quoted_row_id INTEGER, mentioned_jids TEXT, multicast_id TEXT,
          edit_version INTEGER, media_enc_hash TEXT, payment_transaction_id TEXT, forwarded INTEGER, preview_type INTEGER,
          send_count INTEGER, lookup_tables INTEGER, future_message_type INTEGER, message_add_on_flags INTEGER);
         CREATE TABLE chat_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT UNIQUE, message_table_id INTEGER,
          subject TEXT, creation INTEGER, last_read_message_table_id INTEGER, last_read_receipt_sent_message_table_id INTEGER,
          archived INTEGER, sort_timestamp INTEGER);
         INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type)
          VALUES ('-1', 0, '-1', -1, NULL, 0, NULL);",
    )
    .expect("legacy schema");
    conn.execute(
        "INSERT INTO chat_list (key_remote_jid, subject) VALUES (?1, NULL), (?2, 'Climbing')",
        params![ALICE, GROUP],
    )
    .expect("chats");
    let ins = "INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type,
               media_caption, remote_resource) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8)";
    let msgs: [(&str, i64, &str, Option<&str>, i64, &str, Option<&str>, Option<&str>); 5] = [
        (ALICE, 0, "A1B2C3D4E5F60718293A4B5C6D7E8F90", Some("hallo, bist du da?"), 1_600_000_000_000, "0", None, None),
        (ALICE, 1, "3EB0C0FFEE00112233445566", Some("ja, gleich"), 1_600_000_060_000, "0", None, None),
        (GROUP, 0, "BAE5F00D11223344", None, 1_600_000_120_000, "1", Some("summit photo"), Some(BOB)),
        (GROUP, 1, "3A0123456789ABCDEF01", Some("see you at the wall"), 1_600_000_180_000, "0", None, None),
        (
            ALICE,
            0,
            "D00DFEEDBEEF00112233445566778899",
            Some("this one gets deleted"),
            1_600_000_240_000,
            "0",
            None,
            None,
        ),
    ];
    for m in msgs {
        conn.execute(ins, params![m.0, m.1, m.2, m.3, m.4, m.5, m.6, m.7]).expect("insert");
    }
    conn.execute("DELETE FROM messages WHERE key_id = 'D00DFEEDBEEF00112233445566778899'", []).expect("delete");
}

fn wa_db(path: &Path) {
    let conn = open(path);
    conn.execute_batch(
        "CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL, is_whatsapp_user BOOLEAN NOT NULL,
          status TEXT, status_timestamp INTEGER, number TEXT, raw_contact_id INTEGER, display_name TEXT, phone_type INTEGER,
          phone_label TEXT, unseen_msg_count INTEGER, photo_ts INTEGER, thumb_ts INTEGER, photo_id_timestamp INTEGER,
          given_name TEXT, family_name TEXT, wa_name TEXT, sort_name TEXT, nickname TEXT, company TEXT, title TEXT);",
    )
    .expect("wa.db schema");
    conn.execute(
        "INSERT INTO wa_contacts (jid, is_whatsapp_user, display_name, wa_name) VALUES (?1, 1, 'Alice Müller', 'Ali')",
        params![ALICE],
    )
    .expect("contact");
}

#[test]
fn android_legacy_messages_with_names_from_wa_db() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (msgstore, wa) = (dir.path().join("msgstore.db"), dir.path().join("wa.db"));
    legacy_msgstore(&msgstore);
    wa_db(&wa);
    let report = scan(&[&msgstore, &wa]);
    let app = "whatsapp-android";
    let alice = Some("Alice Müller");
    let mut expected = vec![
        row(app, ALICE, alice, None, false, 1_600_000_000_000, "hallo, bist du da?", "live"),
        row(app, ALICE, alice, None, true, 1_600_000_060_000, "ja, gleich", "live"),
        row(app, GROUP, Some("Climbing"), Some(BOB), false, 1_600_000_120_000, "summit photo", "live"),
        row(app, GROUP, Some("Climbing"), None, true, 1_600_000_180_000, "see you at the wall", "live"),
        row(app, ALICE, alice, None, false, 1_600_000_240_000, "this one gets deleted", "deleted"),
    ];
    expected.sort();
    assert_eq!(rows(&report), expected);
}

/// A ChatStorage.sqlite of the real iOS schema: two chats (one a group with a member), four
/// messages (one with a captioned photo), the last one deleted.
fn chatstorage(path: &Path) {
    let conn = open(path);
    conn.execute_batch(
        "PRAGMA auto_vacuum=INCREMENTAL;
         CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHILDMESSAGESDELIVEREDCOUNT INTEGER,
          ZCHILDMESSAGESPLAYEDCOUNT INTEGER, ZCHILDMESSAGESREADCOUNT INTEGER, ZDATAITEMVERSION INTEGER, ZDOCID INTEGER,
          ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER,
          ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSPOTLIGHTSTATUS INTEGER,
          ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER, ZMEDIAITEM INTEGER,
          ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER, ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR,
          ZMEDIASECTIONID VARCHAR, ZPHASH VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR );
         CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER,
          ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER, ZIDENTITYVERIFICATIONEPOCH INTEGER,
          ZIDENTITYVERIFICATIONSTATE INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER,
          ZSPOTLIGHTSTATUS INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZPROPERTIES INTEGER,
          ZLASTMESSAGEDATE TIMESTAMP, ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR,
          ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR, ZSAVEDINPUT VARCHAR );
         CREATE TABLE ZWAGROUPMEMBER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCONTACTABID INTEGER,
          ZISACTIVE INTEGER, ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER, ZCHATSESSION INTEGER, ZRECENTGROUPCHAT INTEGER,
          ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR );
         CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCLOUDSTATUS INTEGER,
          ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZASPECTRATIO FLOAT,
          ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR,
          ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR,
          ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB );",
    )
    .expect("iOS schema");
    conn.execute_batch(&format!(
        "INSERT INTO ZWACHATSESSION (Z_PK, Z_ENT, ZSESSIONTYPE, ZCONTACTJID, ZPARTNERNAME) VALUES
          (1, 4, 0, '{ALICE}', 'Alice'), (2, 4, 1, '{GROUP}', 'Climbing');
         INSERT INTO ZWAGROUPMEMBER (Z_PK, Z_ENT, ZCHATSESSION, ZCONTACTNAME, ZMEMBERJID) VALUES (1, 6, 2, 'Bob', '{BOB}');
         INSERT INTO ZWAMEDIAITEM (Z_PK, Z_ENT, ZMESSAGE, ZTITLE) VALUES (1, 8, 3, 'summit photo');"
    ))
    .expect("sessions");
    let ins = "INSERT INTO ZWAMESSAGE (Z_PK, Z_ENT, ZISFROMME, ZMESSAGETYPE, ZSORT, ZCHATSESSION, ZGROUPMEMBER, ZMEDIAITEM,
               ZMESSAGEDATE, ZFROMJID, ZSTANZAID, ZTEXT, ZTOJID) VALUES (?1, 9, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    // A whole second stored as INTEGER, fractions as REAL, as the app does.
    conn.execute(
        ins,
        params![
            1,
            0,
            0,
            1,
            1,
            None::<i64>,
            None::<i64>,
            676_082_810,
            ALICE,
            "3A1111111111111111AA",
            "hi from iOS",
            None::<String>
        ],
    )
    .expect("m1");
    conn.execute(
        ins,
        params![
            2,
            1,
            0,
            2,
            1,
            None::<i64>,
            None::<i64>,
            676_082_870.25,
            None::<String>,
            "3A2222222222222222BB",
            "sent from iOS",
            ALICE
        ],
    )
    .expect("m2");
    conn.execute(
        ins,
        params![3, 0, 1, 1, 2, 1, 1, 676_082_930.5, GROUP, "3A3333333333333333CC", None::<String>, None::<String>],
    )
    .expect("m3");
    conn.execute(
        ins,
        params![
            4,
            0,
            0,
            3,
            1,
            None::<i64>,
            None::<i64>,
            676_082_990.125,
            ALICE,
            "3A4444444444444444DD",
            "deleted on iOS",
            None::<String>
        ],
    )
    .expect("m4");
    conn.execute("DELETE FROM ZWAMESSAGE WHERE Z_PK = 4", []).expect("delete");
}

#[test]
fn ios_chatstorage_with_cocoa_dates_members_and_captions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ChatStorage.sqlite");
    chatstorage(&path);
    let report = scan(&[&path]);
    let app = "whatsapp-ios";
    let mut expected = vec![
        row(app, ALICE, Some("Alice"), None, false, 1_654_390_010_000, "hi from iOS", "live"),
        row(app, ALICE, Some("Alice"), None, true, 1_654_390_070_250, "sent from iOS", "live"),
        row(app, GROUP, Some("Climbing"), Some(BOB), false, 1_654_390_130_500, "summit photo", "live"),
        row(app, ALICE, Some("Alice"), None, false, 1_654_390_190_125, "deleted on iOS", "deleted"),
    ];
    expected.sort();
    assert_eq!(rows(&report), expected);
    let group =
        report["conversations"].as_array().into_iter().flatten().find(|c| c["chat_jid"] == GROUP).expect("group");
    assert_eq!(group["messages"][0]["sender_name"], "Bob");
    assert_eq!(group["messages"][0]["message_type"], "image");
}

#[test]
fn android_sms_threads_by_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mmssms.db");
    let conn = open(&path);
    conn.execute_batch(
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER, date INTEGER,
          date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0, status INTEGER DEFAULT -1, type INTEGER,
          reply_path_present INTEGER, subject TEXT, body TEXT, service_center TEXT, locked INTEGER DEFAULT 0,
          sub_id INTEGER DEFAULT -1, error_code INTEGER DEFAULT 0, creator TEXT, seen INTEGER DEFAULT 0);
         CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, message_count INTEGER DEFAULT 0,
          recipient_ids TEXT, snippet TEXT, snippet_cs INTEGER DEFAULT 0, read INTEGER DEFAULT 1, archived INTEGER DEFAULT 0,
          type INTEGER DEFAULT 0, error INTEGER DEFAULT 0, has_attachment INTEGER DEFAULT 0);
         CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT);
         INSERT INTO canonical_addresses (address) VALUES ('+4915112345678');
         INSERT INTO threads (recipient_ids) VALUES ('1');",
    )
    .expect("sms schema");
    let ins = "INSERT INTO sms (thread_id, address, date, date_sent, read, type, body, seen) VALUES (1, ?1, ?2, ?2, 1, ?3, ?4, 1)";
    conn.execute(ins, params!["+4915112345678", 1_700_000_000_123_i64, 1, "Your code is 123456"]).expect("m1");
    conn.execute(ins, params!["+4915112345678", 1_700_000_100_456_i64, 2, "thanks, got it"]).expect("m2");
    conn.execute(ins, params!["+4915112345678", 1_700_000_200_789_i64, 1, "meet at 8 at the station"]).expect("m3");
    conn.execute("DELETE FROM sms WHERE _id = 3", []).expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    let (app, chat) = ("android-sms", "+4915112345678");
    let mut expected = vec![
        row(app, chat, None, None, false, 1_700_000_000_123, "Your code is 123456", "live"),
        row(app, chat, None, None, true, 1_700_000_100_456, "thanks, got it", "live"),
        row(app, chat, None, None, false, 1_700_000_200_789, "meet at 8 at the station", "deleted"),
    ];
    expected.sort();
    assert_eq!(rows(&report), expected);
}

/// An NSAttributedString archive of `s`, as Messages writes `attributedBody`.
fn attributed_body(s: &str) -> Vec<u8> {
    let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
    b.push(u8::try_from(s.len()).expect("short text"));
    b.extend_from_slice(s.as_bytes());
    b.extend_from_slice(b"\x86\x84\x02iI\x01\x05\x92\x84\x84\x84\x0cNSDictionary\x00\x95\x84\x01i\x01\x92\x84\x98\x98\x1d__kIMMessagePartAttributeName\x86");
    b
}

#[test]
fn ios_messages_with_joins_handles_and_attributed_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sms.db");
    let conn = open(&path);
    conn.execute_batch(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
          replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT,
          attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
          account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
          is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0,
          is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, cache_roomnames TEXT);
         CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT,
          service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
         CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
          state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT,
          account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT);
         CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
          message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0,
          PRIMARY KEY (chat_id, message_id));
         CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
          handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
         INSERT INTO handle (id, country, service) VALUES ('+4915112345678', 'de', 'iMessage'), ('bob@example.com', 'fr', 'iMessage');
         INSERT INTO chat (guid, style, chat_identifier, service_name, display_name) VALUES
          ('iMessage;-;+4915112345678', 45, '+4915112345678', 'iMessage', NULL),
          ('iMessage;+;chat123456789', 43, 'chat123456789', 'iMessage', 'Climbing');",
    )
    .expect("sms.db schema");
    let ins = "INSERT INTO message (guid, text, handle_id, attributedBody, service, date, is_from_me, cache_roomnames)
               VALUES (?1, ?2, ?3, ?4, 'iMessage', ?5, ?6, ?7)";
    let msgs: [(&str, Option<&str>, i64, Option<Vec<u8>>, i64, i64, Option<&str>, i64); 4] = [
        ("8C1E5B9A-1111-4E2B-9A0B-000000000001", Some("are you coming?"), 1, None, 721_000_000_123_456_789, 0, None, 1),
        (
            "8C1E5B9A-2222-4E2B-9A0B-000000000002",
            None,
            1,
            Some(attributed_body("yes, 10 min")),
            721_000_060_000_000_000,
            1,
            None,
            1,
        ),
        (
            "8C1E5B9A-3333-4E2B-9A0B-000000000003",
            None,
            2,
            Some(attributed_body("rope is packed")),
            721_000_120_500_000_000,
            0,
            Some("chat123456789"),
            2,
        ),
        (
            "8C1E5B9A-4444-4E2B-9A0B-000000000004",
            Some("deleted iMessage"),
            1,
            None,
            721_000_180_000_000_000,
            0,
            None,
            1,
        ),
    ];
    for (i, m) in msgs.iter().enumerate() {
        conn.execute(ins, params![m.0, m.1, m.2, m.3, m.4, m.5, m.6]).expect("message");
        conn.execute("INSERT INTO chat_message_join VALUES (?1, ?2, ?3)", params![m.7, i as i64 + 1, m.4])
            .expect("join");
    }
    conn.execute("DELETE FROM message WHERE ROWID = 4", []).expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    let (app, chat) = ("ios-messages", "+4915112345678");
    let mut expected = vec![
        row(app, chat, None, None, false, 1_699_307_200_123, "are you coming?", "live"),
        row(app, chat, None, None, true, 1_699_307_260_000, "yes, 10 min", "live"),
        row(
            app,
            "chat123456789",
            Some("Climbing"),
            Some("bob@example.com"),
            false,
            1_699_307_320_500,
            "rope is packed",
            "live",
        ),
        row(app, chat, None, None, false, 1_699_307_380_000, "deleted iMessage", "deleted"),
    ];
    expected.sort();
    assert_eq!(rows(&report), expected);
}

/// The current schema with business tables: empty in the consumer app's database, filled in
/// the Business app's.
fn current_msgstore(path: &Path, owner_peer: &str, key_prefix: &str, business: bool) {
    let conn = open(path);
    conn.execute_batch(
        &format!(
            "{CREATE_JID};
         {CREATE_CHAT};
         {CREATE_MESSAGE};
         CREATE TABLE quick_replies (_id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT UNIQUE NOT NULL, content TEXT NOT NULL);
         CREATE TABLE labels (_id INTEGER PRIMARY KEY AUTOINCREMENT, label_name TEXT, predefined_id INTEGER, color_id INTEGER);
         INSERT INTO message (chat_row_id, from_me, key_id, timestamp, sort_id) VALUES (-1, 0, '-1', 0, 0);"
        ),
    )
    .expect("schema");
    let (user, server) = owner_peer.split_once('@').expect("jid");
    conn.execute(
        "INSERT INTO jid (user, server, type, raw_string) VALUES (?1, ?2, 0, ?3)",
        params![user, server, owner_peer],
    )
    .expect("jid");
    conn.execute("INSERT INTO chat (jid_row_id) VALUES (1)", []).expect("chat");
    conn.execute(
        "INSERT INTO message (chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
         VALUES (1, 0, ?1, 1700000000000, 0, ?2, 2)",
        params![format!("{key_prefix}00112233445566778899AA"), format!("hello from {key_prefix}")],
    )
    .expect("message");
    if business {
        conn.execute_batch(
            "INSERT INTO quick_replies (title, content) VALUES ('/hours', 'We are open 9 to 18, Monday to Saturday.');",
        )
        .expect("quick reply");
    }
}

#[test]
fn whatsapp_business_is_told_apart_from_whatsapp_in_one_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (consumer, business) = (dir.path().join("consumer.db"), dir.path().join("business.db"));
    current_msgstore(&consumer, ALICE, "3EB0AA", false);
    current_msgstore(&business, BOB, "3EB0BB", true);
    let report = scan(&[&consumer, &business]);
    let apps: Vec<(String, String)> = rows(&report).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        apps,
        vec![
            ("whatsapp-android".to_owned(), ALICE.to_owned()),
            ("whatsapp-business-android".to_owned(), BOB.to_owned())
        ]
    );
    let dbs: Vec<&str> = report["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == "sqlite_db")
        .filter_map(|a| a["app"].as_str())
        .collect();
    assert_eq!(dbs, ["whatsapp-android", "whatsapp-business-android"]);
}

/// A messenger chatcarve has never heard of, described by a profile file given at run time.
const ACME_PROFILE: &str = r#"
app = "acme-chat"
description = "A made-up messenger: one table, times in seconds"

[recognise]
msgs = ["conv", "outgoing", "ts", "body"]

[message]
table = "msgs"
key_id = { column = "uid" }
chat = [{ column = "conv" }]
from_me = { column = "outgoing", sent = [1], received = [0] }
time = { column = "ts", unit = "s", epoch = "unix" }
text = [{ column = "body" }]
required = ["key_id", "chat", "from_me", "time", "text"]
"#;

#[test]
fn a_new_app_is_a_new_profile_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("acme.db");
    let conn = open(&db);
    conn.execute_batch(
        "CREATE TABLE msgs (id INTEGER PRIMARY KEY, uid TEXT, conv TEXT, outgoing INTEGER, ts INTEGER, body TEXT);
         INSERT INTO msgs (uid, conv, outgoing, ts, body) VALUES ('u-0001', 'alice', 0, 1700000000, 'ping'),
          ('u-0002', 'alice', 1, 1700000005, 'pong'), ('u-0003', 'alice', 0, 1700000010, 'gone soon');
         DELETE FROM msgs WHERE uid = 'u-0003';",
    )
    .expect("acme db");
    drop(conn);
    let profile = dir.path().join("acme.toml");
    std::fs::write(&profile, ACME_PROFILE).expect("profile");
    let report_path = dir.path().join("report.json");
    common::chatcarve_bin()
        .args(["scan", "--quiet", "--json"])
        .arg(&report_path)
        .arg("--profile")
        .arg(&profile)
        .arg(&db)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).expect("report")).expect("JSON");
    let app = "acme-chat";
    let mut expected = vec![
        row(app, "alice", None, None, false, 1_700_000_000_000, "ping", "live"),
        row(app, "alice", None, None, true, 1_700_000_005_000, "pong", "live"),
        row(app, "alice", None, None, false, 1_700_000_010_000, "gone soon", "deleted"),
    ];
    expected.sort();
    assert_eq!(rows(&report), expected);
}

#[test]
fn a_broken_profile_file_is_refused_with_what_to_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("broken.toml");
    std::fs::write(&profile, ACME_PROFILE.replace("unit = \"s\"", "unit = \"fortnights\"")).expect("profile");
    let image = dir.path().join("image.bin");
    std::fs::write(&image, common::noise(8192, 1)).expect("image");
    let out = common::chatcarve_bin()
        .args(["scan", "--quiet", "--json"])
        .arg(dir.path().join("r.json"))
        .arg("--profile")
        .arg(&profile)
        .arg(&image)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("fortnights") && stderr.contains("docs/profiles.md"), "{stderr}");
    assert!(!dir.path().join("r.json").exists());
}

#[test]
fn a_database_given_by_its_path_under_the_business_app_is_whatsapp_business() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_dir = dir.path().join("data/data/com.whatsapp.w4b/databases");
    std::fs::create_dir_all(&app_dir).expect("dirs");
    let db = app_dir.join("msgstore.db");
    // No business rows: only the path tells.
    current_msgstore(&db, ALICE, "3EB0CC", false);
    let report_path = dir.path().join("report.json");
    common::chatcarve_bin().args(["scan", "--quiet", "--json"]).arg(&report_path).arg(&db).assert().success();
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).expect("report")).expect("JSON");
    let apps: Vec<String> = rows(&report).into_iter().map(|r| r.0).collect();
    assert_eq!(apps, ["whatsapp-business-android"]);
}

fn conversations(report: &Value) -> Vec<&Value> {
    report["conversations"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

#[test]
fn gaps_mark_where_messages_are_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mmssms.db");
    let conn = open(&path);
    // Secure delete: the deleted messages leave nothing but the holes in the ids.
    conn.execute_batch(
        "PRAGMA secure_delete=ON;
         CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER, date INTEGER,
          date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0, status INTEGER DEFAULT -1, type INTEGER,
          reply_path_present INTEGER, subject TEXT, body TEXT, service_center TEXT, locked INTEGER DEFAULT 0,
          sub_id INTEGER DEFAULT -1, error_code INTEGER DEFAULT 0, creator TEXT, seen INTEGER DEFAULT 0);",
    )
    .expect("schema");
    // Two threads interleaved: ids 1..=8, thread 1 holds the odd ones and thread 2 the even.
    for i in 1..=8_i64 {
        let (thread, address) = if i % 2 == 1 { (1, "+4915100000001") } else { (2, "+4915100000002") };
        conn.execute(
            "INSERT INTO sms (_id, thread_id, address, date, type, body) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            params![i, thread, address, 1_700_000_000_000 + i * 60_000, format!("message {i}")],
        )
        .expect("insert");
    }
    conn.execute("DELETE FROM sms WHERE _id IN (3, 5, 6)", []).expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    let gaps: Vec<(String, u64, i64, i64)> = conversations(&report)
        .iter()
        .flat_map(|c| {
            c["gaps"].as_array().into_iter().flatten().map(|g| {
                (
                    c["chat_jid"].as_str().unwrap_or("").to_owned(),
                    g["missing"].as_u64().unwrap_or(0),
                    g["first_missing"].as_i64().unwrap_or(0),
                    g["last_missing"].as_i64().unwrap_or(0),
                )
            })
        })
        .collect();
    // Thread 1 keeps 1, 7: ids 2..=6 lie between, of which 2 and 4 are thread 2's: 3 are missing.
    // Thread 2 keeps 2, 4, 8: id 3 between 2 and 4 is missing (nothing tells whose it was);
    // between 4 and 8, 7 is thread 1's: 5 and 6 are missing.
    assert_eq!(
        gaps,
        vec![
            ("+4915100000001".to_owned(), 3, 2, 6),
            ("+4915100000002".to_owned(), 1, 3, 3),
            ("+4915100000002".to_owned(), 2, 5, 7)
        ],
        "{report:#}"
    );
}

#[test]
fn messages_of_a_lost_chat_stay_one_conversation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    current_msgstore(&path, ALICE, "3EB0DD", false);
    let conn = open(&path);
    conn.execute_batch("PRAGMA secure_delete=ON;").expect("pragma");
    for i in 0..3_i64 {
        conn.execute(
            "INSERT INTO message (chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
             VALUES (1, ?1, ?2, ?3, 0, ?4, ?5)",
            params![i % 2, format!("3EB0DD{i:018X}"), 1_700_000_100_000 + i * 1000, format!("more {i}"), 3 + i],
        )
        .expect("message");
    }
    // The chat's row and its JID are gone (zeroed): its messages have no JID, one chat id.
    conn.execute_batch("DELETE FROM chat; DELETE FROM jid;").expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    let convs = conversations(&report);
    assert_eq!(convs.len(), 1, "{report:#}");
    assert_eq!(convs[0]["chat_jid"], Value::Null);
    assert_eq!(convs[0]["chat_row_id"], 1);
    assert_eq!(convs[0]["messages"].as_array().map(Vec::len), Some(4));
}

#[test]
fn what_gives_a_whatsapp_message_its_meaning_is_in_its_details() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    current_msgstore(&path, ALICE, "3EB0EE", false);
    let conn = open(&path);
    // The tables as WhatsApp 2.22 creates them.
    conn.execute_batch(
        "CREATE TABLE message_media (  message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER, autotransfer_retry_enabled INTEGER,
          multicast_id TEXT, media_job_uuid TEXT, transferred INTEGER, transcoded INTEGER, file_path TEXT, file_size INTEGER,
          suspicious_content INTEGER, trim_from INTEGER, trim_to INTEGER, face_x INTEGER, face_y INTEGER, media_key BLOB,
          media_key_timestamp INTEGER, width INTEGER, height INTEGER, has_streaming_sidecar INTEGER, gif_attribution INTEGER,
          thumbnail_height_width_ratio REAL, direct_path TEXT, first_scan_sidecar BLOB, first_scan_length INTEGER,
          message_url TEXT, mime_type TEXT, file_length INTEGER, media_name TEXT, file_hash TEXT, media_duration INTEGER,
          page_count INTEGER, enc_file_hash TEXT, partial_media_hash TEXT, partial_media_enc_hash TEXT,
          is_animated_sticker INTEGER, original_file_hash TEXT, mute_video INTEGER DEFAULT 0);
         CREATE TABLE message_quoted (message_row_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
          parent_message_chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL, sender_jid_row_id INTEGER, key_id TEXT NOT NULL,
          timestamp INTEGER, message_type INTEGER, origin INTEGER, text_data TEXT, payment_transaction_id TEXT, lookup_tables INTEGER);
         CREATE TABLE message_system (message_row_id INTEGER PRIMARY KEY, action_type INTEGER NOT NULL);
         CREATE TABLE message_revoked (message_row_id INTEGER PRIMARY KEY,revoked_key_id TEXT NOT NULL,admin_jid_row_id INTEGER);
         CREATE TABLE message_add_on (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER, from_me INTEGER,
          key_id TEXT NOT NULL, sender_jid_row_id INTEGER, parent_message_row_id INTEGER, timestamp INTEGER, status INTEGER,
          message_add_on_type INTEGER);
         CREATE TABLE message_add_on_reaction (message_add_on_row_id INTEGER PRIMARY KEY, reaction TEXT, sender_timestamp INTEGER);
         CREATE TABLE message_location (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER, latitude REAL, longitude REAL,
          place_name TEXT, place_address TEXT, url TEXT, live_location_share_duration INTEGER,
          live_location_sequence_number INTEGER, live_location_final_latitude REAL, live_location_final_longitude REAL,
          live_location_final_timestamp INTEGER, map_download_status INTEGER);",
    )
    .expect("tables");
    let ins = "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
               VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?1)";
    // The photo (with its caption), a reply quoting it, a revoked message, a system message,
    // a location.
    conn.execute(ins, params![10, 0, "3EB0EE0000000000000010", 1_700_000_010_000_i64, 1, "the view from the top"])
        .expect("photo");
    conn.execute(ins, params![11, 1, "3EB0EE0000000000000011", 1_700_000_020_000_i64, 0, "wow!"]).expect("reply");
    conn.execute(ins, params![12, 0, "3EB0EE0000000000000012", 1_700_000_030_000_i64, 15, None::<String>])
        .expect("revoked");
    conn.execute(ins, params![13, 0, "3EB0EE0000000000000013", 1_700_000_040_000_i64, 7, None::<String>])
        .expect("system");
    conn.execute(ins, params![14, 1, "3EB0EE0000000000000014", 1_700_000_050_000_i64, 5, None::<String>])
        .expect("location");
    conn.execute_batch(
        "INSERT INTO message_media (message_row_id, chat_row_id, file_path, file_size, mime_type)
          VALUES (10, 1, 'Media/WhatsApp Images/IMG-20231114-WA0003.jpg', 183211, 'image/jpeg');
         INSERT INTO message_quoted (message_row_id, chat_row_id, parent_message_chat_row_id, from_me, key_id, timestamp,
          message_type, text_data) VALUES (11, 1, 1, 0, '3EB0EE0000000000000010', 1700000010000, 1, 'the view from the top');
         INSERT INTO message_revoked (message_row_id, revoked_key_id) VALUES (12, '3EB0EE0000000000000012');
         INSERT INTO message_system (message_row_id, action_type) VALUES (13, 67);
         INSERT INTO message_location (message_row_id, chat_row_id, latitude, longitude, place_name)
          VALUES (14, 1, 45.832622, 6.864717, 'Mont Blanc');
         INSERT INTO message_add_on (chat_row_id, from_me, key_id, parent_message_row_id, timestamp, message_add_on_type)
          VALUES (1, 1, '3EB0EE00000000000000A1', 10, 1700000011000, 56), (1, 0, '3EB0EE00000000000000A2', 10, 1700000012000, 56);
         INSERT INTO message_add_on_reaction (message_add_on_row_id, reaction, sender_timestamp)
          VALUES (1, '😍', 1700000011000), (2, '👍', 1700000012000);",
    )
    .expect("details");
    drop(conn);
    let report = scan(&[&path]);
    common::check_report(&report);
    let by_key = |k: &str| {
        common::all_messages(&report)
            .into_iter()
            .find(|m| m["key_id"] == k)
            .unwrap_or_else(|| panic!("{k}: {report:#}"))
    };
    let photo = by_key("3EB0EE0000000000000010");
    assert_eq!(photo["message_type"], "image");
    assert_eq!(photo["text"], "the view from the top");
    assert_eq!(photo["details"]["media_mime_type"], "image/jpeg");
    assert_eq!(photo["details"]["media_file"], "Media/WhatsApp Images/IMG-20231114-WA0003.jpg");
    assert_eq!(photo["details"]["media_size"], "183211");
    assert_eq!(photo["details"]["reactions"], serde_json::json!(["😍", "👍"]));
    let reply = by_key("3EB0EE0000000000000011");
    assert_eq!(reply["details"]["quoted_key_id"], "3EB0EE0000000000000010");
    assert_eq!(reply["details"]["quoted_text"], "the view from the top");
    let revoked = by_key("3EB0EE0000000000000012");
    assert_eq!(revoked["message_type"], "revoked");
    assert_eq!(revoked["details"]["revoked_key_id"], "3EB0EE0000000000000012");
    assert_eq!(by_key("3EB0EE0000000000000013")["details"]["system_action"], "67");
    let location = by_key("3EB0EE0000000000000014");
    assert_eq!(location["details"]["location"], "45.832622,6.864717");
    assert_eq!(location["details"]["place_name"], "Mont Blanc");
}

#[test]
fn chatstorage_in_the_business_app_group_is_whatsapp_business_on_ios() {
    let dir = tempfile::tempdir().expect("tempdir");
    let group = dir.path().join("Shared/AppGroup/group.net.whatsapp.WhatsAppSMB.shared");
    std::fs::create_dir_all(&group).expect("dirs");
    let path = group.join("ChatStorage.sqlite");
    chatstorage(&path);
    let report_path = dir.path().join("report.json");
    common::chatcarve_bin().args(["scan", "--quiet", "--json"]).arg(&report_path).arg(&path).assert().success();
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).expect("report")).expect("JSON");
    let apps: Vec<String> = rows(&report).into_iter().map(|r| r.0).collect();
    assert_eq!(apps, ["whatsapp-business-ios"; 4]);
}

#[test]
fn text_the_search_index_kept_of_a_message_that_is_gone_is_a_fragment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    current_msgstore(&path, ALICE, "3EB0FF", false);
    let conn = open(&path);
    conn.execute_batch(
        "CREATE VIRTUAL TABLE message_ftsv2 USING FTS4(content, fts_jid, fts_namespace);
         INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
          VALUES (3, 1, 1, '3EB0FF0000000000000003', 1700000100000, 0, 'see you at the station', 3),
                 (4, 1, 0, '3EB0FF0000000000000004', 1700000200000, 0, 'bring the blue folder', 4);",
    )
    .expect("fts");
    conn.execute(
        "INSERT INTO message_ftsv2 (docid, content, fts_jid, fts_namespace) SELECT _id, text_data, ?1, 0 FROM message
         WHERE _id > 1",
        params![ALICE],
    )
    .expect("index");
    // The app's trigger would delete the index row with the message; here only the message row
    // goes (zeroed: secure delete), as when the index outlives it until a merge.
    conn.execute_batch("PRAGMA secure_delete=ON; DELETE FROM message WHERE _id = 4;").expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    let all = common::all_messages(&report);
    let from_index: Vec<&Value> = all.iter().filter(|m| m["text"] == "bring the blue folder").collect();
    assert_eq!(from_index.len(), 1, "{report:#}");
    let m = from_index[0];
    assert_eq!(m["status"], "deleted");
    assert_eq!(m["chat_jid"], ALICE);
    assert_eq!(m["key_id"], Value::Null);
    assert!(m["confidence"].as_f64().is_some_and(|c| c < 0.1), "no time: a fragment");
    // The message that is still there is reported once, from its own row.
    assert_eq!(all.iter().filter(|m| m["text"] == "see you at the station").count(), 1);
}

#[test]
fn a_replys_copy_of_a_message_that_is_gone_is_that_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    current_msgstore(&path, ALICE, "3EB0AA", false);
    let conn = open(&path);
    conn.execute_batch(
        "CREATE TABLE message_quoted (message_row_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
          parent_message_chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL, sender_jid_row_id INTEGER, key_id TEXT NOT NULL,
          timestamp INTEGER, message_type INTEGER, origin INTEGER, text_data TEXT, payment_transaction_id TEXT, lookup_tables INTEGER);",
    )
    .expect("table");
    let ins = "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
               VALUES (?1, 1, ?2, ?3, ?4, 0, ?5, ?1)";
    let quote = "INSERT INTO message_quoted (message_row_id, chat_row_id, parent_message_chat_row_id, from_me, key_id,
                  timestamp, message_type, text_data) VALUES (?1, 1, 1, ?2, ?3, ?4, 0, ?5)";
    // 20 quoted by 21 (both stay); 22 quoted by 23, then 22 deleted for me (zeroed): its copy
    // in 23's quote is all that is left of it.
    for (id, from_me, t, text) in [
        (20, 0, 1_700_000_100_000_i64, "are you coming tonight?"),
        (21, 1, 1_700_000_110_000, "yes, at eight"),
        (22, 0, 1_700_000_120_000, "the code for the door is 4417"),
        (23, 1, 1_700_000_130_000, "got it"),
    ] {
        conn.execute(ins, params![id, from_me, format!("3EB0AA00000000000000{id}"), t, text]).expect("message");
    }
    conn.execute(quote, params![21, 0, "3EB0AA0000000000000020", 1_700_000_100_000_i64, "are you coming tonight?"])
        .expect("quote 20");
    conn.execute(
        quote,
        params![23, 0, "3EB0AA0000000000000022", 1_700_000_120_000_i64, "the code for the door is 4417"],
    )
    .expect("quote 22");
    conn.execute_batch("PRAGMA secure_delete=ON; DELETE FROM message WHERE _id = 22;").expect("delete");
    drop(conn);
    let report = scan(&[&path]);
    common::check_report(&report);
    let all = common::all_messages(&report);
    let gone: Vec<&Value> = all.iter().filter(|m| m["key_id"] == "3EB0AA0000000000000022").collect();
    assert_eq!(gone.len(), 1, "{report:#}");
    let m = gone[0];
    assert_eq!(m["status"], "deleted");
    assert_eq!(m["chat_jid"], ALICE);
    assert_eq!(m["from_me"], false);
    assert_eq!(m["timestamp_ms"], 1_700_000_120_000_i64);
    assert_eq!(m["text"], "the code for the door is 4417");
    assert_eq!(m["evidence"][0]["source"], "quoted_copy");
    assert_eq!(m["details"]["quoted_by_row_id"], "23");
    assert!(m.get("row_id").is_none(), "the quoted message's own row id is unknown");
    assert!(m["confidence"].as_f64().is_some_and(|c| c > 0.9), "{m:#}");
    // A message still there is reported once, from its own row, not again from the copy.
    assert_eq!(all.iter().filter(|m| m["key_id"] == "3EB0AA0000000000000020").count(), 1);
    assert_eq!(all.iter().filter(|m| m["evidence"][0]["source"] == "quoted_copy").count(), 1);
}

#[test]
fn a_legacy_replys_copy_of_a_message_that_is_gone_is_that_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    legacy_msgstore(&path);
    let conn = open(&path);
    // `messages_quotes` has the columns of `messages`.
    let sql: String = conn
        .query_row("SELECT sql FROM sqlite_master WHERE name = 'messages'", [], |r| r.get(0))
        .expect("messages sql");
    conn.execute_batch(&sql.replacen("CREATE TABLE messages ", "CREATE TABLE messages_quotes ", 1)).expect("quotes");
    conn.execute_batch(
        "PRAGMA secure_delete=ON;
         INSERT INTO messages_quotes (key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type)
          SELECT key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type FROM messages
          WHERE key_id = '3EB0C0FFEE00112233445566';
         DELETE FROM messages WHERE key_id = '3EB0C0FFEE00112233445566';",
    )
    .expect("quote, then delete");
    drop(conn);
    let report = scan(&[&path]);
    common::check_report(&report);
    let all = common::all_messages(&report);
    let gone: Vec<&Value> = all.iter().filter(|m| m["key_id"] == "3EB0C0FFEE00112233445566").collect();
    assert_eq!(gone.len(), 1, "{report:#}");
    assert_eq!(gone[0]["status"], "deleted");
    assert_eq!(gone[0]["text"], "ja, gleich");
    assert_eq!(gone[0]["chat_jid"], ALICE);
    assert_eq!(gone[0]["timestamp_ms"], 1_600_000_060_000_i64);
    assert_eq!(gone[0]["evidence"][0]["source"], "quoted_copy");
}

#[test]
fn words_the_search_index_kept_of_messages_that_are_gone_are_fragments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    current_msgstore(&path, ALICE, "3EB0DD", false);
    let conn = open(&path);
    // As WhatsApp: the index is filled by the app on insert, emptied by a trigger on delete;
    // secure delete zeroes the message and content rows, the index's segments keep the words.
    conn.execute_batch(
        "PRAGMA secure_delete=ON;
         CREATE VIRTUAL TABLE message_ftsv2 USING FTS4(content, fts_jid, fts_namespace);
         CREATE TRIGGER message_bd_for_message_ftsv2_trigger BEFORE DELETE ON message
          BEGIN DELETE FROM message_ftsv2 WHERE docid = old._id; END;",
    )
    .expect("index");
    let ins = "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id)
               VALUES (?1, 1, ?2, ?3, ?4, 0, ?5, ?1)";
    for (id, from_me, text) in [
        (30_i64, 0, "Where are you?"),
        (31, 1, "Meet me at the harbour tonight"),
        (32, 0, "ok"),
        (33, 1, "The code for the safe is 7731, don't tell anyone"),
    ] {
        conn.execute(
            ins,
            params![id, from_me, format!("3EB0DD00000000000000{id}"), 1_700_000_000_000 + id * 1000, text],
        )
        .expect("message");
        conn.execute(
            "INSERT INTO message_ftsv2 (docid, content, fts_jid) VALUES (?1, ?2, ?3)",
            params![id, text, ALICE],
        )
        .expect("index row");
    }
    // 31 deleted for me; 33 deleted for everyone: the row stays, its text cleared.
    conn.execute_batch(
        "DELETE FROM message WHERE _id = 31;
         UPDATE message SET text_data = NULL, message_type = 15 WHERE _id = 33;
         UPDATE message_ftsv2 SET content = NULL WHERE docid = 33;",
    )
    .expect("delete, revoke");
    drop(conn);
    let report = scan(&[&path]);
    common::check_report(&report);
    let all = common::all_messages(&report);
    let fragments: Vec<&Value> = all.iter().filter(|m| m["status"] == "fragment").collect();
    let by_row = |id: i64| fragments.iter().find(|m| m["row_id"] == id).unwrap_or_else(|| panic!("{id}: {report:#}"));
    let deleted = by_row(31);
    assert_eq!(deleted["text"], "meet me at the harbour tonight");
    assert_eq!(deleted["chat_jid"], ALICE, "the index's own JID column");
    assert_eq!(deleted["evidence"][0]["source"], "fts_index");
    assert!(deleted["confidence"].as_f64().is_some_and(|c| c < 0.1), "words only: a fragment");
    // What a message said before "deleted for everyone" cleared it.
    let revoked = by_row(33);
    assert_eq!(revoked["text"], "the code for the safe is 7731 don t tell anyone");
    // Live messages whose words the index holds give no fragment.
    assert_eq!(fragments.len(), 2, "{fragments:#?}");
}
