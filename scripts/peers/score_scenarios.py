#!/usr/bin/env python3
"""Score deleted-message recovery on chatcarve's accuracy scenarios, for chatcarve (its scan
report of the image) and two peers given the exported database files: SQLite Dissect (CSV
export) and SQLite's `.recover` (its SQL, loaded into a fresh database). stdlib only.

  score_scenarios.py [--details] WORKDIR [SCENARIO ...]

WORKDIR is what scripts/peers/scenarios writes: WORKDIR/<scenario>/{truth.json, chatcarve.json,
db/<db>/<db>[-wal], dissect/<db>/<db>-message.csv, recover/<db>.recovered.sqlite}.

Targets: truth messages with status deleted or superseded and bytes_survive true.

chatcarve: a reported message with status deleted/superseded is right when it is exactly right
(tests/support/accuracy.rs: key id, direction, chat JID, sender JID, timestamp, text) for some
truth message; it recovers a target when it is exactly right for it. Fabricated: a reported
deleted/superseded message exactly right for no truth message (those the report flags
payload_truncated are counted too, and shown apart with --details).

Peers: every message record they output, as (key_id, text):
  * Dissect: the rows of <db>-message.csv, every operation and version ("" is NULL);
  * .recover: the rows of `message` and the rows of `lost_and_found` with nfield = 20 (the
    message table's column count; c3 is key_id, c15 text_data).
A record that equals a live row of the database it was run on (the file opened with its WAL,
(key_id, text_data) of `message`; for a file SQLite cannot scan whole, the rows it reaches by
looking each rowid up) is a live read, not a claim. Any other record is a claim of a
recovered row. A claim recovers a target when its text is the target's text and its key_id is the
target's (a claim whose key_id is NULL, i.e. lost, matches on the text alone; counted apart);
for a target whose text is NULL, key_id and a NULL text. A claim that matches no truth
message that way (live or deleted) is fabricated, except the app's sentinel row (key_id '-1',
NULL text, never in the truth).
Targets of a deleted database file (truth layout "fragmented") that a peer reads as live rows of
the exported, reassembled file are not counted as recovered (the export did that work); they are
shown as "+N".
"""

import argparse
import csv
import glob
import json
import os
import shutil
import sqlite3
import sys
import tempfile

MESSAGE_COLUMNS = 20
KEY, TEXT = 3, 15  # column positions of key_id and text_data in the message table
ROWID_PROBE = 5000  # rowids looked up one by one in a file SQLite cannot scan whole


def live_rows(dbdir, name):
    """{(key_id, text_data)} of `message` of the database, read by SQLite with its WAL, from a
    throwaway copy. A malformed file yields the rows read before the error."""
    rows, err = set(), None
    with tempfile.TemporaryDirectory() as tmp:
        for f in os.listdir(dbdir):
            shutil.copy(os.path.join(dbdir, f), tmp)
        con = sqlite3.connect(os.path.join(tmp, name))
        try:
            for k, t in con.execute("SELECT key_id, text_data FROM message"):
                rows.add((k, t))
        except sqlite3.DatabaseError as e:
            # A file with overwritten pages: look each rowid up instead (a lookup only walks
            # its own path down the b-tree), so the rows SQLite can still reach count as live.
            err = str(e)
            for rowid in range(1, ROWID_PROBE + 1):
                try:
                    r = con.execute("SELECT key_id, text_data FROM message WHERE _id = ?", (rowid,)).fetchone()
                except sqlite3.DatabaseError:
                    continue
                if r:
                    rows.add(r)
        finally:
            con.close()
    return rows, err


def dissect_records(outdir, name):
    """(key_id, text, operation) of every row of sqlite_dissect's message CSV export."""
    path = os.path.join(outdir, name + "-message.csv")
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if not header:
            return []
        op, k, t = header.index("Operation"), header.index("key_id"), header.index("text_data")
        for row in rows:
            key = row[k] if len(row) > k and row[k] != "" else None
            text = row[t] if len(row) > t and row[t] != "" else None
            out.append((key, text, row[op]))
    return out


def recover_records(path):
    """(key_id, text, where) of `message` and message-shaped `lost_and_found` rows."""
    if not os.path.exists(path):
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.text_factory = lambda b: b.decode("utf-8", errors="replace")
    out = [(k, t, "message") for k, t in con.execute("SELECT key_id, text_data FROM message")]
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'lost_and_found'").fetchone():
        cols = [r[1] for r in con.execute("PRAGMA table_info(lost_and_found)")]
        if f"c{TEXT}" in cols:
            q = f"SELECT c{KEY}, c{TEXT} FROM lost_and_found WHERE nfield = {MESSAGE_COLUMNS}"
            out += [(k, t, "lost_and_found") for k, t in con.execute(q)]
    con.close()
    return out


def norm(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if v is not None and not isinstance(v, str):
        return str(v)
    return v


class Tally:
    def __init__(self):
        self.recovered = set()  # indices of targets
        self.fabricated = 0
        self.live_deleted_file = set()  # targets read as live rows of a deleted file
        self.text_only = set()  # targets matched by a claim whose key_id was lost
        self.truncated_fab = 0
        self.partial_fab = 0
        self.claims = 0
        self.failed = []
        self.fab_examples = []
        self.notes = []

    def cell(self):
        s = f"{len(self.recovered)} / {self.fabricated}"
        if self.live_deleted_file:
            s += f" (+{len(self.live_deleted_file)})"
        if self.failed:
            s += " (crashed on " + ", ".join(self.failed) + ")"
        return s


def score_scenario(sdir):
    truth = json.load(open(os.path.join(sdir, "truth.json"), encoding="utf-8"))
    msgs = truth["messages"]
    deleted_files = {d["name"] for d in truth["databases"] if d.get("layout") == "fragmented"}
    targets = {i for i, m in enumerate(msgs)
               if m["status"] in ("deleted", "superseded") and m["bytes_survive"]}
    by_text, by_key = {}, {}
    for i, m in enumerate(msgs):
        if m["text"] is not None:
            by_text.setdefault(m["text"], []).append(i)
        by_key.setdefault(m["key_id"], []).append(i)

    def match(key, text):
        """Truth messages a (key_id, text) record equals; text_only when its key was lost."""
        if text is None:
            return [i for i in by_key.get(key, []) if msgs[i]["text"] is None], False
        cands = by_text.get(text, [])
        if key is None:
            return cands, bool(cands)
        return [i for i in cands if msgs[i]["key_id"] == key], False

    res = {}

    # chatcarve, from the image.
    t = Tally()
    path = os.path.join(sdir, "chatcarve.json")
    try:
        report = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        report = None
        t.failed.append(f"chatcarve: {e}")
    if report is not None:
        reported = [m for c in report.get("conversations", []) for m in c.get("messages", [])]
        reported += report.get("unattributed_messages", [])
        for r in reported:
            if r.get("status") not in ("deleted", "superseded"):
                continue
            t.claims += 1
            right = [i for i in by_key.get(r.get("key_id"), []) if exactly_right(r, msgs[i])]
            t.recovered |= set(right) & targets
            if not right:
                t.fabricated += 1
                truncated = any(f.get("factor") == "payload_truncated" for f in r.get("confidence_factors") or [])
                t.truncated_fab += truncated
                t.fab_examples.append((r.get("key_id"), r.get("text"), "truncated" if truncated else r.get("status")))
    res["chatcarve"] = t

    # Peers, from the database files.
    dbs = sorted(os.listdir(os.path.join(sdir, "db")))
    for tool in ("dissect", "recover"):
        t = Tally()
        for name in dbs:
            live, err = live_rows(os.path.join(sdir, "db", name), name)
            if err:
                t.notes.append(f"{name}: SQLite cannot scan its message table ({err}); {len(live)} rows reached by rowid count as live")
            if tool == "dissect":
                d = os.path.join(sdir, "dissect", name)
                if os.path.exists(os.path.join(d, "FAILED")):
                    t.failed.append(name)
                recs = dissect_records(d, name)
            else:
                p = os.path.join(sdir, "recover", name + ".recovered.sqlite")
                if os.path.exists(os.path.join(sdir, "recover", name + ".FAILED")):
                    t.failed.append(name)
                recs = recover_records(p)
            for key, text, where in recs:
                key, text = norm(key), norm(text)
                if (key, text) in live:
                    if name in deleted_files:
                        t.live_deleted_file |= set(match(key, text)[0]) & targets
                    continue
                t.claims += 1
                found, text_only = match(key, text)
                hit = set(found) & targets
                t.recovered |= hit
                if text_only:
                    t.text_only |= hit
                if not found and not (key == "-1" and text is None):
                    t.fabricated += 1
                    # A real message's record whose text is cut or garbled (overflow not followed).
                    t.partial_fab += key in by_key
                    t.fab_examples.append((key, text, f"{name} {where}"))
            t.live_deleted_file -= t.recovered
        res[tool] = t
    return truth["scenario"], len(targets), res, msgs


def exactly_right(m, t):
    return (m.get("key_id") == t["key_id"] and m.get("from_me") == t["from_me"]
            and m.get("chat_jid") == t["chat_jid"] and m.get("sender_jid") == t["sender_jid"]
            and m.get("timestamp_ms") == t["timestamp_ms"] and m.get("text") == t["text"])


def short(s, n=60):
    if s is None:
        return "NULL"
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--details", action="store_true",
                   help="per scenario: targets one tool has and another lacks, fabricated examples")
    p.add_argument("workdir")
    p.add_argument("scenarios", nargs="*")
    a = p.parse_args(argv)
    names = a.scenarios or sorted(os.path.basename(os.path.dirname(f))
                                  for f in glob.glob(os.path.join(a.workdir, "*", "truth.json")))
    tools = [("chatcarve", "chatcarve (image)"), ("dissect", "SQLite Dissect"), ("recover", ".recover")]
    rows, totals, notes = [], {k: [0, 0, 0] for k, _ in tools}, []
    total_targets = 0
    for n in names:
        sdir = os.path.join(a.workdir, n)
        if not os.path.isdir(os.path.join(sdir, "db")):
            continue
        sc, ntargets, res, msgs = score_scenario(sdir)
        total_targets += ntargets
        rows.append([sc, str(ntargets)] + [res[k].cell() for k, _ in tools])
        for k, _ in tools:
            t = res[k]
            totals[k][0] += len(t.recovered)
            totals[k][1] += t.fabricated
            totals[k][2] += len(t.live_deleted_file)
            for x in t.notes:
                notes.append(f"{sc} {k}: {x}")
            if t.partial_fab:
                notes.append(f"{sc} {k}: {t.partial_fab} of {t.fabricated} fabricated carry the key_id of a truth "
                             "message (its text cut or garbled)")
            if t.text_only:
                notes.append(f"{sc} {k}: {len(t.text_only)} recovered on the text alone (key_id lost)")
            if k == "chatcarve" and t.truncated_fab:
                notes.append(f"{sc} chatcarve: {t.truncated_fab} of {t.fabricated} fabricated are flagged payload_truncated")
        if a.details:
            print(f"--- {sc}: {ntargets} targets")
            for k, _ in tools:
                t = res[k]
                for o, _ in tools:
                    extra = t.recovered - res[o].recovered
                    if o != k and extra:
                        listed = sorted(extra)[:8]
                        more = f"; and {len(extra) - len(listed)} more" if len(extra) > len(listed) else ""
                        print(f"  {k} has, {o} lacks ({len(extra)}): " + "; ".join(
                            f"{msgs[i]['database']} rowid {msgs[i]['rowid']} {short(msgs[i]['text'], 40)}"
                            for i in listed) + more)
                for key, text, where in t.fab_examples[:5]:
                    print(f"  {k} fabricated ({where}): key {key} text {short(text)}")
                if len(t.fab_examples) > 5:
                    print(f"  {k}: {len(t.fab_examples) - 5} more fabricated")
    cell = lambda v: f"{v[0]} / {v[1]}" + (f" (+{v[2]})" if v[2] else "")
    rows.append(["all", str(total_targets)] + [cell(totals[k]) for k, _ in tools])
    hdr = ["scenario", "deleted, text survives"] + [f"{label} recovered / fabricated" for _, label in tools]
    print("| " + " | ".join(hdr) + " |")
    print("|---|" + "---:|" * (len(hdr) - 1))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("(+N): deleted messages of a deleted database file that the peer read as live rows of the exported,")
    print("reassembled file; not counted as recovered.")
    for x in notes:
        print("note: " + x)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
