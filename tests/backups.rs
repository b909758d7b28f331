//! WhatsApp's encrypted backups: the real crypt12, crypt14 and crypt15 files of
//! `../shared/samples/wa-crypt-tools/` decrypt with their key files to the database byte for
//! byte (skipped, with a message, where the samples are absent); a wrong key or a damaged file
//! is refused, never decrypted to garbage.

mod common;

use common::{CREATE_CHAT, CREATE_JID, CREATE_MESSAGE};

use std::path::{Path, PathBuf};

use chatcarve::backup::{self, BackupError, BackupKey, Generation};
use sha2::{Digest, Sha256};

fn samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/wa-crypt-tools");
    if dir.join("msgstore.db").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent (the real WhatsApp backup samples)", dir.display());
        None
    }
}

/// Writes `image` to a file, scans it with `chatcarve scan` (and `args`) and returns the report
/// as written and as JSON.
fn scan_image(image: &[u8], args: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = dir.path().join("image.bin");
    std::fs::write(&img, image).expect("image");
    let out =
        common::chatcarve_bin().args(["scan", "--quiet", "--json", "-"]).args(args).arg(&img).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(&text).expect("JSON");
    (text, report)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_real_backups_decrypt_to_the_database_byte_for_byte() {
    let Some(dir) = samples() else { return };
    let db = read(&dir, "msgstore.db");
    let legacy = BackupKey::from_file(&read(&dir, "key")).expect("files/key reads");
    let root = BackupKey::from_file(&read(&dir, "encrypted_backup.key")).expect("encrypted_backup.key reads");
    for (name, generation, key) in [
        ("msgstore.db.crypt12", Generation::Crypt12, &legacy),
        ("msgstore.db.crypt14", Generation::Crypt14, &legacy),
        ("msgstore.db.crypt15", Generation::Crypt15, &root),
    ] {
        let file = read(&dir, name);
        let b = backup::parse(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(b.generation, generation, "{name}");
        assert!(b.md5_trailer, "{name}: MD5 trailer");
        let plain = backup::decrypt(&b, key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plain.plaintext.len(), db.len(), "{name}");
        assert_eq!(Sha256::digest(&plain.plaintext), Sha256::digest(&db), "{name}: not byte for byte");
    }
}

#[test]
fn a_wrong_or_mismatched_key_and_a_damaged_file_are_refused() {
    let Some(dir) = samples() else { return };
    let legacy = BackupKey::from_file(&read(&dir, "key")).expect("files/key");
    let file = read(&dir, "msgstore.db.crypt15");
    let b = backup::parse(&file).expect("crypt15");
    assert!(matches!(backup::decrypt(&b, &legacy), Err(BackupError::WrongKeyKind { .. })));
    let other = BackupKey::Root([0x42; 32]);
    assert_eq!(backup::decrypt(&b, &other), Err(BackupError::TagMismatch));
    let mut damaged = file.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x01;
    let root = BackupKey::from_file(&read(&dir, "encrypted_backup.key")).expect("key");
    let d = backup::parse(&damaged).expect("the layout still reads");
    assert!(!d.md5_trailer, "the trailer no longer matches");
    assert!(backup::decrypt(&d, &root).is_err());
}

#[test]
fn decrypt_writes_the_database_and_never_shows_the_key() {
    let Some(dir) = samples() else { return };
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("msgstore.db");
    let key_file = read(&dir, "encrypted_backup.key");
    let key_hex = hex::encode(&key_file[27..]);
    let bin = common::chatcarve_bin;
    let run = bin()
        .arg("decrypt")
        .arg(dir.join("msgstore.db.crypt15"))
        .args(["--key", &key_hex, "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(!stderr.contains(&key_hex[..16]), "the key is printed: {stderr}");
    assert!(stderr.contains("sha256:"), "{stderr}");
    assert!(std::fs::read(&out).expect("written") == read(&dir, "msgstore.db"), "not byte for byte");
    // An existing output is not overwritten without --force; with a key file it decrypts too.
    bin()
        .arg("decrypt")
        .arg(dir.join("msgstore.db.crypt14"))
        .arg("--key")
        .arg(dir.join("key"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    bin()
        .arg("decrypt")
        .arg(dir.join("msgstore.db.crypt14"))
        .arg("--key")
        .arg(dir.join("key"))
        .arg("--out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    assert!(std::fs::read(&out).expect("written") == read(&dir, "msgstore.db"), "not byte for byte");
    // The wrong key: a clear refusal, nothing written.
    let other = out_dir.path().join("other.db");
    let wrong = bin()
        .arg("decrypt")
        .arg(dir.join("msgstore.db.crypt15"))
        .args(["--key", &"ab".repeat(32), "--out"])
        .arg(&other)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&wrong.get_output().stderr).contains("authentication tag"));
    assert!(!other.exists());
}

#[test]
fn key_files_in_an_image_are_named_by_fingerprint_never_shown() {
    let Some(dir) = samples() else { return };
    let legacy = read(&dir, "key");
    let root = read(&dir, "encrypted_backup.key");
    let mut image = vec![0x5au8; 10_000];
    image.extend_from_slice(&legacy);
    image.extend_from_slice(&[0u8; 3_333]);
    image.extend_from_slice(&root);
    image.extend_from_slice(&[0x11u8; 7_000]);
    let (text, report) = scan_image(&image, &[]);
    let errors = common::schema_errors(&report);
    assert!(errors.is_empty(), "{errors:?}");
    let keys: Vec<(u64, String, String)> = report["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == "backup_key")
        .map(|a| {
            (
                a["offset"].as_u64().unwrap_or(0),
                a["details"]["opens"].as_str().unwrap_or("").to_owned(),
                a["details"]["key_sha256"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let legacy_key = BackupKey::from_file(&legacy).expect("key");
    let root_key = BackupKey::from_file(&root).expect("key");
    assert_eq!(
        keys,
        vec![
            (10_000, "crypt12/14".to_owned(), legacy_key.fingerprint()),
            (10_000 + 158 + 3_333, "crypt15".to_owned(), root_key.fingerprint()),
        ]
    );
    for secret in [&legacy[27 + 99..], &root[27..]] {
        assert!(!text.to_lowercase().contains(&hex::encode(secret)), "key material in the report");
    }
}

#[test]
fn a_backup_found_in_raw_space_opens_from_its_first_byte_without_its_end() {
    let Some(dir) = samples() else { return };
    let db = read(&dir, "msgstore.db");
    let legacy = BackupKey::from_file(&read(&dir, "key")).expect("key");
    let root = BackupKey::from_file(&read(&dir, "encrypted_backup.key")).expect("key");
    for (name, key) in
        [("msgstore.db.crypt12", &legacy), ("msgstore.db.crypt14", &legacy), ("msgstore.db.crypt15", &root)]
    {
        let file = read(&dir, name);
        // The backup, then bytes of something else: its end is not known.
        let mut space = file.clone();
        space.extend_from_slice(&[0x37u8; 9_000]);
        let opened = backup::stream::open(&space, key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(opened.intact && opened.complete, "{name}");
        assert_eq!(opened.length, file.len() as u64, "{name}: the backup's own length");
        assert!(opened.plaintext == db, "{name}: not byte for byte");
        // Cut in its middle (the rest overwritten): what inflates starts with the database's
        // first pages (its last bytes may come from the overwritten region: the scan of the
        // plaintext validates every page).
        let mut cut = file[..file.len() / 2].to_vec();
        cut.extend_from_slice(&[0u8; 4096]);
        let partial = backup::stream::open(&cut, key).unwrap_or_else(|e| panic!("{name} cut: {e}"));
        assert!(!partial.intact && !partial.complete, "{name} cut");
        let same = partial.plaintext.iter().zip(&db).take_while(|(a, b)| a == b).count();
        assert!(same >= 16 * 4096, "{name}: only {same} bytes of the database before the cut");
    }
}

#[test]
fn backups_in_an_image_are_opened_with_the_keys_it_holds() {
    let Some(dir) = samples() else { return };
    let db_sha = hex::encode(Sha256::digest(read(&dir, "msgstore.db")));
    let c15 = read(&dir, "msgstore.db.crypt15");
    let c14 = read(&dir, "msgstore.db.crypt14");
    let mut image = vec![0x5au8; 4_096];
    let at15 = image.len() as u64;
    image.extend_from_slice(&c15);
    image.extend_from_slice(&[0x11u8; 5_000]);
    image.extend_from_slice(&read(&dir, "encrypted_backup.key"));
    image.extend_from_slice(&[0x22u8; 3_000]);
    let at14 = image.len() as u64;
    image.extend_from_slice(&c14);
    image.extend_from_slice(&[0x33u8; 2_000]);
    image.extend_from_slice(&read(&dir, "key"));
    image.extend_from_slice(&[0x44u8; 6_000]);
    // A crypt12 backup starts a sector, like any file; its header repeats its key file's salts.
    let c12 = read(&dir, "msgstore.db.crypt12");
    image.resize(image.len().next_multiple_of(512), 0x55);
    let at12 = image.len() as u64;
    image.extend_from_slice(&c12);
    image.extend_from_slice(&[0x66u8; 700]);
    let (_, report) = scan_image(&image, &[]);
    let errors = common::schema_errors(&report);
    assert!(errors.is_empty(), "{errors:?}");
    let backups: Vec<(u64, u64, &str, bool, &str)> = report["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == "backup")
        .map(|a| {
            (
                a["offset"].as_u64().unwrap_or(0),
                a["length"].as_u64().unwrap_or(0),
                a["details"]["generation"].as_str().unwrap_or(""),
                a["intact"].as_bool().unwrap_or(false),
                a["details"]["plaintext_sha256"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        backups,
        vec![
            (at15, c15.len() as u64, "crypt15", true, db_sha.as_str()),
            (at14, c14.len() as u64, "crypt14", true, db_sha.as_str()),
            (at12, c12.len() as u64, "crypt12", true, db_sha.as_str()),
        ]
    );
}

/// A crypt15 backup of `db` under `root`, as WhatsApp writes it: length byte, flag, the
/// protobuf prefix (key type 1, the IV), the zlib stream encrypted with AES-256-GCM (16-byte
/// IV), the tag and the MD5 trailer.
fn crypt15(db: &[u8], root: &[u8; 32], iv: [u8; 16]) -> Vec<u8> {
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::KeyInit;
    use md5::Digest as _;
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(db).expect("compress");
    let mut body = z.finish().expect("compress");
    let mut file_key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, root).expand(b"backup encryption", &mut file_key).expect("hkdf");
    let cipher = aes_gcm::AesGcm::<aes_gcm::aes::Aes256, aes_gcm::aead::consts::U16>::new(&file_key.into());
    let tag = cipher.encrypt_in_place_detached(&iv.into(), b"", &mut body).expect("encrypt");
    let mut prefix = vec![0x08, 0x01, 0x1a, 0x12, 0x0a, 0x10];
    prefix.extend_from_slice(&iv);
    let mut file = vec![prefix.len() as u8, 0x01];
    file.extend_from_slice(&prefix);
    file.extend_from_slice(&body);
    file.extend_from_slice(&tag);
    let md5 = md5::Md5::digest(&file);
    file.extend_from_slice(&md5);
    file
}

#[test]
fn what_a_backup_proves_deleted_and_superseded_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("msgstore.db");
    let conn = rusqlite::Connection::open(&path).expect("db");
    conn.execute_batch(
        &format!("PRAGMA page_size=4096; PRAGMA secure_delete=ON; PRAGMA journal_mode=DELETE;
         {CREATE_JID};
         {CREATE_CHAT};
         {CREATE_MESSAGE};
         INSERT INTO jid (user, server, type, raw_string) VALUES ('4915112345678', 's.whatsapp.net', 0, '4915112345678@s.whatsapp.net');
         INSERT INTO chat (jid_row_id) VALUES (1);
         INSERT INTO message (chat_row_id, from_me, key_id, timestamp, message_type, text_data, sort_id) VALUES
          (1, 0, '3EB0AA00000000000001', 1700000000000, 0, 'kept as it was', 1),
          (1, 1, '3EB0AA00000000000002', 1700000060000, 0, 'edited later', 2),
          (1, 0, '3EB0AA00000000000003', 1700000120000, 0, 'deleted after the backup', 3);"),
    )
    .expect("schema");
    drop(conn);
    let night = std::fs::read(&path).expect("db bytes");
    let root = [0x5cu8; 32];
    let backup = crypt15(&night, &root, [9u8; 16]);
    let conn = rusqlite::Connection::open(&path).expect("db");
    conn.execute_batch(
        "UPDATE message SET text_data = 'edited: see you at 8' WHERE _id = 2; DELETE FROM message WHERE _id = 3;",
    )
    .expect("day");
    drop(conn);
    let today = std::fs::read(&path).expect("db bytes");
    let mut key_file = backup::key::JAVA_BYTE_ARRAY.to_vec();
    key_file.extend_from_slice(&32u32.to_be_bytes());
    key_file.extend_from_slice(&root);
    let mut image = vec![0x5au8; 8192];
    image.extend_from_slice(&today);
    image.extend_from_slice(&[0x11u8; 4096]);
    let at = image.len();
    image.extend_from_slice(&backup);
    image.extend_from_slice(&[0x22u8; 1000]);
    image.extend_from_slice(&key_file);
    image.extend_from_slice(&[0x33u8; 3000]);
    let (_, report) = scan_image(&image, &[]);
    assert!(common::schema_errors(&report).is_empty(), "{:?}", common::schema_errors(&report));
    let mut seen: Vec<(String, String, Vec<String>)> = common::all_messages(&report)
        .iter()
        .map(|m| {
            let mut sources: Vec<String> = m["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["source"].as_str().map(str::to_owned))
                .collect();
            sources.sort();
            sources.dedup();
            (m["text"].as_str().unwrap_or("").to_owned(), m["status"].as_str().unwrap_or("").to_owned(), sources)
        })
        .collect();
    seen.sort();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        seen,
        vec![
            // Also in a freeblock of today's file (the second connection had no secure delete).
            ("deleted after the backup".to_owned(), "deleted".to_owned(), s(&["backup", "freeblock"])),
            ("edited later".to_owned(), "superseded".to_owned(), s(&["backup", "freeblock"])),
            ("edited: see you at 8".to_owned(), "live".to_owned(), s(&["live_record"])),
            ("kept as it was".to_owned(), "live".to_owned(), s(&["backup", "live_record"])),
        ],
        "{report:#}"
    );
    let from_backup =
        common::all_messages(&report).into_iter().find(|m| m["text"] == "deleted after the backup").expect("recovered");
    let e = &from_backup["evidence"][0];
    assert_eq!(e["artifact"], format!("backup-0-{at:012x}"));
    assert!(e["detail"].as_str().is_some_and(|d| d.starts_with("crypt15 backup at input offset")), "{e}");
    // When the backup was made: after its latest message.
    assert!(e["detail"].as_str().is_some_and(|d| d.contains("made after 2023-11-14T22:15:20")), "{e}");
    let artifact =
        report["artifacts"].as_array().into_iter().flatten().find(|a| a["kind"] == "backup").expect("backup artifact");
    assert_eq!(artifact["details"]["latest_message_time"], "2023-11-14T22:15:20.000Z");
}

#[test]
fn a_key_given_on_the_command_line_opens_backups_and_never_reaches_the_report() {
    let Some(dir) = samples() else { return };
    let key_hex = hex::encode(&read(&dir, "encrypted_backup.key")[27..]);
    let mut image = vec![0x5au8; 4_096];
    image.extend_from_slice(&read(&dir, "msgstore.db.crypt15"));
    image.extend_from_slice(&[0x11u8; 5_000]);
    let (text, report) = scan_image(&image, &["--key", &key_hex]);
    assert!(!text.to_lowercase().contains(&key_hex), "the key reached the report");
    let opened: Vec<&serde_json::Value> =
        report["artifacts"].as_array().into_iter().flatten().filter(|a| a["kind"] == "backup").collect();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["details"]["key"], "given");
    assert_eq!(opened[0]["intact"], true);
}
