//! What an exported message body says besides text: media placeholders, deleted-message
//! notices, and the title an export's file name carries (whatsapp-reference.md section 6).
//!
//! Media markers, Android without media: `<Media omitted>` and its translations; Android with
//! media: `IMG-20210428-WA0001.jpg (file attached)` (the parenthesis is localised, the file
//! name is not, so the name decides); iOS with media: `<attached: 00000012-PHOTO-…jpg>` (the
//! word before the colon is localised, the file name decides); iOS without media: `image
//! omitted` and the like.

/// What the first line of a body is, and the message type it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// Report message type: image, video, audio, document, sticker, media, revoked.
    pub message_type: &'static str,
}

/// `<Media omitted>` in the languages the reference lists.
const MEDIA_OMITTED: &[&str] = &[
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Médias omis>",
    "<Multimedia omitido>",
    "<Media omesso>",
    "<Mídia oculta>",
];

/// iOS placeholders of media not included in the export.
const IOS_OMITTED: &[(&str, &str)] = &[
    ("image omitted", "image"),
    ("video omitted", "video"),
    ("audio omitted", "audio"),
    ("sticker omitted", "sticker"),
    ("GIF omitted", "video"),
    ("document omitted", "document"),
    ("Contact card omitted", "contact"),
    ("Bild weggelassen", "image"),
];

/// Notices that replace a deleted message.
const DELETED: &[&str] = &[
    "This message was deleted",
    "You deleted this message",
    "Diese Nachricht wurde gelöscht",
    "Ce message a été supprimé",
    "Se eliminó este mensaje",
    "Questo messaggio è stato eliminato",
    "Esta mensagem foi apagada",
];

/// Title prefixes of an export's file name (`WhatsApp Chat with <name>.txt`); iOS names its zip
/// `WhatsApp Chat - <name>.zip`.
pub const TITLES: &[&str] = &[
    "WhatsApp Chat with ",
    "WhatsApp Chat mit ",
    "Discussion WhatsApp avec ",
    "Chat de WhatsApp con ",
    "Chat WhatsApp con ",
    "Conversa do WhatsApp com ",
    "Чат WhatsApp с ",
    "WhatsApp Chat - ",
];

/// The marker `line` (the first line of a body, without its U+200E marks) is, if any.
pub fn classify(line: &str) -> Option<Marker> {
    let line = line.trim_end_matches('\r');
    let m = |t| Some(Marker { message_type: t });
    if MEDIA_OMITTED.contains(&line) {
        return m("media");
    }
    if let Some(&(_, t)) = IOS_OMITTED.iter().find(|(s, _)| *s == line) {
        return m(t);
    }
    if DELETED.contains(&line) {
        return m("revoked");
    }
    // iOS `<word: 00000012-PHOTO-2020-12-31-21-41-05.jpg>`.
    if let Some(inner) = line.strip_prefix('<').and_then(|l| l.strip_suffix('>')) {
        if let Some((_, name)) = inner.split_once(": ") {
            if let Some(t) = ios_attachment_type(name) {
                return m(t);
            }
        }
    }
    // Android `IMG-20210428-WA0001.jpg (file attached)`.
    if let Some((name, note)) = line.split_once(" (") {
        if note.ends_with(')') && !name.contains(' ') {
            if let Some(t) = android_attachment_type(name) {
                return m(t);
            }
        }
    }
    None
}

/// `00000012-PHOTO-2020-12-31-21-41-05.jpg` → image.
fn ios_attachment_type(name: &str) -> Option<&'static str> {
    let mut parts = name.splitn(3, '-');
    let serial = parts.next()?;
    let kind = parts.next()?;
    if serial.len() != 8 || !serial.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match kind {
        "PHOTO" => "image",
        "VIDEO" | "GIF" => "video",
        "AUDIO" => "audio",
        "STICKER" => "sticker",
        _ => "document",
    })
}

/// `IMG-20210428-WA0001.jpg` → image.
fn android_attachment_type(name: &str) -> Option<&'static str> {
    let (kind, rest) = name.split_once('-')?;
    let (date, rest) = rest.split_once('-')?;
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) || !rest.starts_with("WA") {
        return None;
    }
    Some(match kind {
        "IMG" => "image",
        "VID" => "video",
        "AUD" | "PTT" => "audio",
        "STK" => "sticker",
        _ => "document",
    })
}

/// The chat name in a title found in `window` (`WhatsApp Chat with Bob.txt` → `Bob`): the text
/// after a title prefix up to the first `.txt` or `.zip`, at most 128 bytes, without a line end,
/// NUL, quote or path separator in it. When the name was written with `_` for spaces, they
/// become spaces again.
pub fn title_in(window: &[u8]) -> Option<String> {
    for prefix in TITLES {
        for variant in [prefix.to_string(), prefix.replace(' ', "_")] {
            let Some(at) = memchr::memmem::find(window, variant.as_bytes()) else { continue };
            let rest = window.get(at + variant.len()..)?;
            let rest = rest.get(..rest.len().min(128 + 4)).unwrap_or(rest);
            let ext = [b".txt".as_slice(), b".zip"].iter().filter_map(|e| memchr::memmem::find(rest, e)).min();
            let Some(raw) = ext.and_then(|e| rest.get(..e)) else { continue };
            if raw.is_empty() || raw.iter().any(|&b| matches!(b, b'\n' | b'\r' | 0 | b'"' | b'/' | b'\\')) {
                continue;
            }
            let Ok(name) = std::str::from_utf8(raw) else { continue };
            return Some(if variant.contains('_') { name.replace('_', " ") } else { name.to_owned() });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(classify("<Media omitted>").map(|m| m.message_type), Some("media"));
        assert_eq!(classify("<Médias omis>").map(|m| m.message_type), Some("media"));
        assert_eq!(
            classify("<attached: 00000012-PHOTO-2020-12-31-21-41-05.jpg>").map(|m| m.message_type),
            Some("image")
        );
        assert_eq!(
            classify("<Anhang: 00000013-AUDIO-2020-12-31-21-41-05.opus>").map(|m| m.message_type),
            Some("audio")
        );
        assert_eq!(classify("IMG-20210428-WA0001.jpg (file attached)").map(|m| m.message_type), Some("image"));
        assert_eq!(classify("PTT-20210428-WA0002.opus (Datei angehängt)").map(|m| m.message_type), Some("audio"));
        assert_eq!(classify("video omitted").map(|m| m.message_type), Some("video"));
        assert_eq!(classify("This message was deleted").map(|m| m.message_type), Some("revoked"));
        assert_eq!(classify("see you (maybe)"), None);
        assert_eq!(classify("<b>bold</b>"), None);
    }

    #[test]
    fn titles() {
        assert_eq!(title_in(b"xx WhatsApp Chat with Bob Smith.txt\0\0"), Some("Bob Smith".into()));
        assert_eq!(title_in(b"PK\x03\x04WhatsApp_Chat_mit_Jonas_K.txt"), Some("Jonas K".into()));
        assert_eq!(title_in(b"WhatsApp Chat with "), None);
        assert_eq!(title_in(b"WhatsApp Chat with Tom.txt31/12/2020, 21:41 - Tom: hi"), Some("Tom".into()));
        assert_eq!(title_in(b"WhatsApp Chat with A\nB.txt"), None);
        assert_eq!(title_in(b"no title here"), None);
    }
}
