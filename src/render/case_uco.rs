//! CASE/UCO: the investigation as JSON-LD in the CASE 1.5.0 ontology (UCO 1.5.0), as the CASE
//! project's `case_validate` checks it.
//!
//! ```text
//! Investigation ─ object ─▶ InvestigativeAction ─ instrument ─▶ AnalyticTool (chatcarve)
//!                                │  performer ─▶ Person (--examiner)
//!                                │  object ───▶ File (each input: FileFacet, ContentDataFacet with its SHA-256)
//!                                └─ result ───▶ ProvenanceRecord (one per input) ─ object ─▶ the input, its messages
//! Message (MessageFacet: messageID, messageText, sentTime, messageType, from, application;
//!          ConfidenceFacet 0…100; RecoveredObjectFacet unless live)
//! Relationship  message ─ Contained_Within ─▶ input, with a DataRangeFacet (offset, length): one per evidence item
//! MessageThread (MessageThreadFacet: participants, a Thread whose elements are its messages): one per conversation
//! ApplicationAccount (AccountFacet: the JID), Application (the app profile)
//! ```
//!
//! Node ids are `kb:<kind>-<uuid>` with `kb:` = `urn:chatcarve:`; each UUID (version 3,
//! name-based, as UCO's identifier shape asks for versions 1 to 5) is derived from the case id, the inputs' hashes and the node's report id, so the same
//! report and case id give the same graph, and graphs of two cases can be merged without clashes.
//! The graph is written one node per line (a large case is large).

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use super::reader::{Message, ReportDoc};
use super::{CaseInfo, RenderError, Zone};

/// The CASE version the graph is written in.
pub const CASE_VERSION: &str = "1.5.0";

/// The JSON-LD context: the CASE/UCO namespaces used, and `kb:` for this graph's nodes.
pub fn context() -> Json {
    json!({
        "kb": "urn:chatcarve:",
        "case-investigation": "https://ontology.caseontology.org/case/investigation/",
        "co": "http://purl.org/co/",
        "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
        "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
        "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
        "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
        "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
        "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
        "xsd": "http://www.w3.org/2001/XMLSchema#"
    })
}

/// Deterministic node ids.
struct Ids {
    namespace: [u8; 32],
}

impl Ids {
    fn new(report: &ReportDoc, case: &CaseInfo) -> Self {
        let mut h = Sha256::new();
        h.update(b"chatcarve case/uco\0");
        h.update(case.case_id.as_deref().unwrap_or("").as_bytes());
        for i in &report.inputs {
            h.update(b"\0");
            h.update(i.sha256.as_deref().or(i.path.as_deref()).unwrap_or("").as_bytes());
        }
        Self { namespace: h.finalize().into() }
    }

    /// `kb:<kind>-<uuid>`, a name-based UUID (version 3, RFC 9562 §5.3: MD5 of a namespace and
    /// a name) in the graph's namespace, named by the kind and the key.
    fn id(&self, kind: &str, key: &str) -> String {
        use md5::{Digest as _, Md5};
        let mut h = Md5::new();
        h.update(self.namespace.get(..16).unwrap_or(&[]));
        h.update(kind.as_bytes());
        h.update(b"\0");
        h.update(key.as_bytes());
        let mut b: [u8; 16] = h.finalize().into();
        b[6] = (b[6] & 0x0f) | 0x30;
        b[8] = (b[8] & 0x3f) | 0x80;
        let x = hex::encode(b);
        format!(
            "kb:{kind}-{}-{}-{}-{}-{}",
            x.get(..8).unwrap_or(""),
            x.get(8..12).unwrap_or(""),
            x.get(12..16).unwrap_or(""),
            x.get(16..20).unwrap_or(""),
            x.get(20..).unwrap_or("")
        )
    }
}

fn reference(id: &str) -> Json {
    json!({ "@id": id })
}

fn typed(ty: &str, value: impl Into<Json>) -> Json {
    json!({ "@type": ty, "@value": value.into() })
}

/// An RFC 3339 time from the report as an `xsd:dateTime` in UTC, `None` when it is not one.
fn date_time(s: &str) -> Option<Json> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    Some(typed("xsd:dateTime", Zone::default().format_ms(ts.as_millisecond())?))
}

/// Writes one node per line inside the `@graph` array.
struct Graph<W: Write> {
    w: W,
    first: bool,
}

impl<W: Write> Graph<W> {
    fn node(&mut self, node: &Json) -> Result<(), RenderError> {
        self.w.write_all(if self.first { b"\n    " } else { b",\n    " })?;
        self.first = false;
        serde_json::to_writer(&mut self.w, node).map_err(RenderError::Json)
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseUcoOutcome {
    /// Nodes in the graph (facets and hashes included).
    pub nodes: u64,
}

fn message_key(m: &Message, n: usize) -> String {
    super::casedb::message_id(m, n)
}

/// Writes the report as a CASE/UCO JSON-LD document to `w`.
pub fn write<W: Write>(report: &ReportDoc, case: &CaseInfo, w: W) -> Result<CaseUcoOutcome, RenderError> {
    let ids = Ids::new(report, case);
    let mut out = Graph { w, first: true };
    let mut nodes = 0u64;
    let context = serde_json::to_string_pretty(&context()).map_err(RenderError::Json)?;
    out.w.write_all(b"{\n  \"@context\": ")?;
    out.w.write_all(context.replace('\n', "\n  ").as_bytes())?;
    out.w.write_all(b",\n  \"@graph\": [")?;

    let tool_name = report.tool.name.clone().unwrap_or_else(|| "chatcarve".to_owned());
    let tool = ids.id("tool", &format!("{tool_name} {}", report.tool.version.as_deref().unwrap_or("")));
    let mut node = json!({
        "@id": tool,
        "@type": "uco-tool:AnalyticTool",
        "uco-core:name": tool_name,
        "uco-tool:toolType": "forensic recovery of SQLite databases and chat messages from storage images",
    });
    if let Some(v) = &report.tool.version {
        node["uco-tool:version"] = json!(v);
    }
    out.node(&node)?;
    nodes += 1;

    let examiner = case.examiner.as_ref().map(|name| ids.id("examiner", name));
    if let (Some(id), Some(name)) = (&examiner, &case.examiner) {
        out.node(&json!({ "@id": id, "@type": "uco-identity:Person", "uco-core:name": name }))?;
        nodes += 1;
    }

    // Inputs.
    let mut input_ids = BTreeMap::new();
    for (pos, i) in report.inputs.iter().enumerate() {
        let index = i.index.unwrap_or(pos as u64);
        let id = ids.id("file", &format!("input {index}"));
        let path = i.path.clone().unwrap_or_default();
        let name = std::path::Path::new(&path).file_name().map(|n| n.to_string_lossy().into_owned());
        let mut file_facet = json!({
            "@id": ids.id("file-facet", &format!("input {index}")),
            "@type": "uco-observable:FileFacet",
            "uco-observable:filePath": path,
        });
        if let Some(n) = name {
            file_facet["uco-observable:fileName"] = json!(n);
        }
        if let Some(size) = i.size_bytes {
            file_facet["uco-observable:sizeInBytes"] = json!(size);
        }
        let mut facets = vec![file_facet];
        if let Some(sha) = i.sha256.as_deref().filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())) {
            let mut content = json!({
                "@id": ids.id("content-data-facet", &format!("input {index}")),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": [{
                    "@id": ids.id("hash", &format!("input {index}")),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": "SHA256",
                    "uco-types:hashValue": typed("xsd:hexBinary", sha.to_ascii_uppercase()),
                }],
            });
            if let Some(size) = i.size_bytes {
                content["uco-observable:sizeInBytes"] = json!(size);
            }
            facets.push(content);
        }
        let mut desc = format!("input {index} of the scan");
        if let Some(c) = &i.container {
            desc.push_str(&format!(", read as {c}"));
        }
        if let Some(e) = &i.error {
            desc.push_str(&format!("; could not be read: {e}"));
        }
        out.node(&json!({
            "@id": id,
            "@type": "uco-observable:File",
            "uco-core:description": desc,
            "uco-core:hasFacet": facets,
        }))?;
        nodes += 1 + facets.len() as u64;
        input_ids.insert(index, id);
    }

    // Applications and accounts.
    let mut apps: BTreeMap<String, String> = BTreeMap::new();
    for c in &report.conversations {
        if let Some(app) = &c.app {
            apps.entry(app.clone()).or_insert_with(|| ids.id("application", app));
        }
    }
    for (name, id) in &apps {
        out.node(&json!({ "@id": id, "@type": "uco-observable:Application", "uco-core:name": name }))?;
        nodes += 1;
    }
    let mut accounts: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
    for (conversation, m) in report.messages() {
        let app = conversation.and_then(|i| report.conversations.get(i)).and_then(|c| c.app.clone());
        let c_jid = conversation.and_then(|i| report.conversations.get(i)).and_then(|c| c.chat_jid.clone());
        for jid in [m.sender_jid.clone(), c_jid].into_iter().flatten() {
            let key = (app.clone(), jid);
            let id = ids.id("account", &format!("{} {}", key.0.as_deref().unwrap_or(""), key.1));
            accounts.entry(key).or_insert(id);
        }
    }
    for ((app, jid), id) in &accounts {
        let key = format!("{} {jid}", app.as_deref().unwrap_or(""));
        let mut facets = vec![json!({
            "@id": ids.id("account-facet", &key),
            "@type": "uco-observable:AccountFacet",
            "uco-observable:accountIdentifier": jid,
        })];
        if let Some(app_id) = app.as_ref().and_then(|a| apps.get(a)) {
            facets.push(json!({
                "@id": ids.id("application-account-facet", &key),
                "@type": "uco-observable:ApplicationAccountFacet",
                "uco-observable:application": reference(app_id),
            }));
        }
        out.node(&json!({
            "@id": id,
            "@type": "uco-observable:ApplicationAccount",
            "uco-core:hasFacet": facets,
        }))?;
        nodes += 1 + facets.len() as u64;
    }

    // Messages and where their bytes are.
    let mut by_input: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut by_conversation: Vec<Vec<String>> = vec![Vec::new(); report.conversations.len()];
    for (n, (conversation, m)) in report.messages().enumerate() {
        let key = message_key(m, n);
        let id = ids.id("message", &key);
        let c = conversation.and_then(|i| report.conversations.get(i));
        let app = c.and_then(|c| c.app.clone());
        let mut facet = Map::new();
        facet.insert("@id".into(), json!(ids.id("message-facet", &key)));
        facet.insert("@type".into(), json!("uco-observable:MessageFacet"));
        if let Some(k) = &m.key_id {
            facet.insert("uco-observable:messageID".into(), json!(k));
        }
        if let Some(t) = &m.text {
            facet.insert("uco-observable:messageText".into(), json!(t));
        }
        if let Some(t) = m.timestamp_ms.and_then(|ms| Zone::default().format_ms(ms)) {
            facet.insert("uco-observable:sentTime".into(), typed("xsd:dateTime", t));
        }
        if let Some(t) = &m.message_type {
            facet.insert("uco-observable:messageType".into(), json!(t));
        }
        if let Some(a) = app.as_ref().and_then(|a| apps.get(a)) {
            facet.insert("uco-observable:application".into(), reference(a));
        }
        if let Some(from) = m.sender_jid.as_ref().and_then(|j| accounts.get(&(app.clone(), j.clone()))) {
            facet.insert("uco-observable:from".into(), reference(from));
        }
        let mut facets = vec![Json::Object(facet)];
        if let Some(conf) = m.confidence {
            facets.push(json!({
                "@id": ids.id("confidence-facet", &key),
                "@type": "uco-core:ConfidenceFacet",
                "uco-core:confidence": typed("xsd:nonNegativeInteger", (conf.clamp(0.0, 1.0) * 100.0).round() as u64),
            }));
        }
        if m.status.as_deref().is_some_and(|s| s != "live") {
            let truncated = m.confidence_factors.iter().any(|f| f.factor.as_deref() == Some("payload_truncated"));
            facets.push(json!({
                "@id": ids.id("recovered-object-facet", &key),
                "@type": "uco-observable:RecoveredObjectFacet",
                "uco-observable:contentRecoveredStatus": if truncated { "partially recovered" } else { "recovered" },
            }));
        }
        let mut desc = format!("chatcarve message {key}, status {}", m.status.as_deref().unwrap_or("unknown"));
        if let Some(conf) = m.confidence {
            desc.push_str(&format!(", confidence {conf}"));
        }
        if let Some(s) = &m.sender_name {
            desc.push_str(&format!(", sender name {s:?}"));
        }
        if m.from_me == Some(true) {
            desc.push_str(", sent by the device owner");
        }
        if let Some(b) = &m.text_bytes {
            desc.push_str(&format!(", stored text bytes (base64) {b}"));
        }
        out.node(&json!({
            "@id": id,
            "@type": "uco-observable:Message",
            "uco-core:description": desc,
            "uco-core:hasFacet": facets,
        }))?;
        nodes += 1 + facets.len() as u64;
        let mut inputs_seen = Vec::new();
        for (k, e) in m.evidence.iter().enumerate() {
            let Some(target) = e.input.and_then(|i| input_ids.get(&i)) else { continue };
            let ekey = format!("{key} {k}");
            let mut range = json!({
                "@id": ids.id("data-range-facet", &ekey),
                "@type": "uco-observable:DataRangeFacet",
            });
            if let Some(o) = e.offset {
                range["uco-observable:rangeOffset"] = json!(o);
            }
            if let Some(l) = e.length {
                range["uco-observable:rangeSize"] = json!(l);
            }
            let mut desc = format!("evidence source {}", e.source.as_deref().unwrap_or("unknown"));
            if let Some(a) = &e.artifact {
                desc.push_str(&format!(", artifact {a}"));
            }
            if let Some(p) = e.page_number {
                desc.push_str(&format!(", page {p}"));
            }
            if let Some(d) = &e.detail {
                desc.push_str(&format!(", {d}"));
            }
            if e.source.as_deref() == Some("backup") {
                desc.push_str(" (the range is inside the backup's decrypted plaintext)");
            }
            out.node(&json!({
                "@id": ids.id("relationship", &ekey),
                "@type": "uco-core:Relationship",
                "uco-core:source": reference(&id),
                "uco-core:target": reference(target),
                "uco-core:kindOfRelationship": "Contained_Within",
                "uco-core:isDirectional": true,
                "uco-core:description": desc,
                "uco-core:hasFacet": [range],
            }))?;
            nodes += 2;
            if let Some(i) = e.input.filter(|i| !inputs_seen.contains(i)) {
                inputs_seen.push(i);
                by_input.entry(i).or_default().push(id.clone());
            }
        }
        if let Some(list) = conversation.and_then(|i| by_conversation.get_mut(i)) {
            list.push(id);
        }
    }

    // Threads.
    for (n, c) in report.conversations.iter().enumerate() {
        let key = format!("conversation {n}");
        let messages = by_conversation.get(n).map(Vec::as_slice).unwrap_or(&[]);
        if messages.is_empty() {
            continue;
        }
        let thread = ids.id("thread", &key);
        out.node(&json!({
            "@id": thread,
            "@type": "uco-types:Thread",
            "co:size": typed("xsd:nonNegativeInteger", messages.len() as u64),
            "co:element": messages.iter().map(|m| reference(m)).collect::<Vec<_>>(),
        }))?;
        let mut participants: Vec<Json> = Vec::new();
        for jid in c.messages.iter().filter_map(|m| m.sender_jid.clone()).chain(c.chat_jid.clone()) {
            if let Some(a) = accounts.get(&(c.app.clone(), jid)) {
                let r = reference(a);
                if !participants.contains(&r) {
                    participants.push(r);
                }
            }
        }
        let mut facet = json!({
            "@id": ids.id("message-thread-facet", &key),
            "@type": "uco-observable:MessageThreadFacet",
            "uco-observable:messageThread": reference(&thread),
        });
        if !participants.is_empty() {
            facet["uco-observable:participant"] = Json::Array(participants);
        }
        let name = c
            .chat_name
            .clone()
            .or_else(|| c.chat_jid.clone())
            .or_else(|| c.chat_row_id.map(|r| format!("chat row {r}")))
            .unwrap_or_else(|| "unknown chat".to_owned());
        let mut desc = format!("{} conversation", c.kind.as_deref().unwrap_or("unknown"));
        if let Some(app) = &c.app {
            desc.push_str(&format!(" in {app}"));
        }
        if let Some(j) = &c.chat_jid {
            desc.push_str(&format!(", chat {j}"));
        }
        out.node(&json!({
            "@id": ids.id("message-thread", &key),
            "@type": "uco-observable:MessageThread",
            "uco-core:name": name,
            "uco-core:description": desc,
            "uco-core:hasFacet": [facet],
        }))?;
        nodes += 3;
    }

    // Provenance: one record per input, holding the input and the messages recovered from it.
    let mut records = Vec::new();
    for (index, file) in &input_ids {
        let id = ids.id("provenance-record", &format!("input {index}"));
        let path = report.input(*index).and_then(|i| i.path.clone()).unwrap_or_default();
        let mut objects = vec![reference(file)];
        objects.extend(by_input.get(index).into_iter().flatten().map(|m| reference(m)));
        out.node(&json!({
            "@id": id,
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": format!("input {index}: {path}"),
            "uco-core:description": format!("{} messages recovered by chatcarve from {path}", objects.len() - 1),
            "uco-core:object": objects,
        }))?;
        nodes += 1;
        records.push(id);
    }

    // The scan, and the investigation.
    let action = ids.id("investigative-action", "scan");
    let mut node = json!({
        "@id": action,
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "chatcarve scan",
        "uco-core:description": format!(
            "chatcarve scanned the inputs read-only and recovered chat messages; command line: {}",
            report.run.arguments.join(" ")
        ),
        "uco-action:instrument": reference(&tool),
        "uco-action:object": input_ids.values().map(|i| reference(i)).collect::<Vec<_>>(),
        "uco-action:result": records.iter().map(|r| reference(r)).collect::<Vec<_>>(),
    });
    if let Some(t) = report.run.started.as_deref().and_then(date_time) {
        node["uco-action:startTime"] = t;
    }
    if let Some(t) = report.run.finished.as_deref().and_then(date_time) {
        node["uco-action:endTime"] = t;
    }
    if let Some(e) = &examiner {
        node["uco-action:performer"] = reference(e);
    }
    out.node(&node)?;
    let mut objects = vec![reference(&action)];
    objects.extend(records.iter().map(|r| reference(r)));
    let mut investigation = json!({
        "@id": ids.id("investigation", "case"),
        "@type": "case-investigation:Investigation",
        "case-investigation:investigationForm": "case",
        "uco-core:description": format!("times are in UTC; the examiner's time zone is {}", case.zone.name()),
        "uco-core:object": objects,
    });
    if let Some(c) = &case.case_id {
        investigation["uco-core:name"] = json!(c);
    }
    out.node(&investigation)?;
    nodes += 2;
    out.w.write_all(b"\n  ]\n}\n")?;
    out.w.flush()?;
    Ok(CaseUcoOutcome { nodes })
}
