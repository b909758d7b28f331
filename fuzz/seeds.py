#!/usr/bin/env python3
"""Regenerates the seed corpora of chatcarve's fuzz targets in fuzz/corpus/<target>/.

    python3 fuzz/seeds.py            # from anywhere; needs only python3's sqlite3 module
    python3 fuzz/seeds.py --clean    # first delete fuzz/corpus/ (with what fuzzing added to it)

The corpus directory is git-ignored: this script is its source. Everything it writes is a
pure function of the code below (fixed rows, fixed random seed, no clock), plus slices of
fixtures/*.img when they are present (rule 15: seeds from fixtures/).

Seeds per target (see fuzz/harness.rs for the input layouts):
  page        every page of small databases (page sizes 512, 1024, 4096; UTF-8 and UTF-16;
              live, deleted rows -> freeblocks, overflow rows, indexes), followed by the two
              steering bytes (flags: bit 0 = header at 100; reserved bytes = 0)
  record      the payload of every table-leaf cell of those databases, whole (flags 0) and
              as a truncated prefix with its declared size (flags 1)
  wal         -wal files written in journal_mode=WAL with checkpoints off (several commits,
              a rollback, an UPDATE and a DELETE), page sizes 512/1024/4096, <= 300000 bytes
  journal     -journal files copied while a write transaction is open (DELETE and PERSIST
              modes), page sizes 512/1024/4096
  schema      the small databases whole (<= 70000 bytes) and CREATE TABLE statements
  scan_chunk  raw images <= 65536 bytes: noise with a database or WAL written at a
              512-aligned, not 4096-aligned offset (straddling a chunk boundary), and 64 KiB
              slices of fixtures/*.img around every header they hold; images <= 262144 bytes
              for the recovery paths (extra_scan_seeds): 256 KiB fixture slices, every
              fixture database's pages (truth page_offsets) packed scattered into 256 KiB,
              a dropped-and-recreated table, a WAL beside its database, a committed PERSIST
              journal (header zeroed: headerless) beside its database, a deep b-tree with
              interior pages and a freelist, a non-WhatsApp database without its page 1
              (orphan leaves of an unknown schema), many copies of one database (many
              sightings of each row) and a WAL rewriting one row many times
"""

import os
import random
import shutil
import sqlite3
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")
TARGETS = ["page", "record", "wal", "journal", "schema", "scan_chunk", "export_text", "fts_node"]
MAX_LEN = {"page": 70000, "record": 70000, "schema": 70000, "scan_chunk": 262144,
           "wal": 300000, "journal": 300000, "fts_node": 70000}

DB_MAGIC = b"SQLite format 3\x00"
WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
JOURNAL_MAGIC = bytes([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7])

SCHEMA = r'''
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL,
                  agent INTEGER, type INTEGER NOT NULL DEFAULT 0, raw_string TEXT);
CREATE UNIQUE INDEX jid_key_index ON jid (user, server, agent);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE,
                   hidden INTEGER, subject TEXT, created_timestamp INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
                      from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER,
                      status INTEGER, timestamp INTEGER, message_type INTEGER,
                      text_data TEXT, sort_id INTEGER NOT NULL DEFAULT 0);
CREATE INDEX message_chat_index ON message (chat_row_id, sort_id);
CREATE TABLE "odd ""name""" ([a b] int, `c,d` VARCHAR(10, 2) DEFAULT 'x,y', e BLOB,
                             f REAL, CONSTRAINT pk PRIMARY KEY (e)) WITHOUT ROWID;
'''

SQL_SEEDS = [
    "CREATE TABLE t(a, b)",
    "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, "
    "key_id TEXT NOT NULL, sort_id INTEGER NOT NULL DEFAULT 0 )",
    "CREATE TABLE \"we\"\"ird (t)\" ( [a b] int, `c,d` VARCHAR(10, 2) DEFAULT 'x,y', e, "
    "CONSTRAINT pk PRIMARY KEY (e), CHECK (a > 0)) WITHOUT ROWID",
    "CREATE TABLE t(x INTEGER, y, PRIMARY KEY(x))",
    "CREATE TABLE t(x INTEGER PRIMARY KEY DESC, y) -- comment\n",
    "CREATE TABLE t(a, b AS (a*2), c GENERATED ALWAYS AS (a) STORED) /* c */",
    "CREATE VIRTUAL TABLE f USING fts4(content)",
    "CREATE TABLE t AS SELECT 1",
    "CREATE TABLE t(\u00e9\u00e8 TEXT, \u6587\u5b57 INTEGER, [x]]y] REAL)",
]


def rng_text(rng, n):
    words = ["hello", "ok", "see you", "\u00e7a va", "\u043f\u0440\u0438\u0432\u0435\u0442",
             "\u4f60\u597d", "\U0001F600", "line\nbreak", "'quote'", ""]
    return " ".join(rng.choice(words) for _ in range(n))


def make_db(path, page_size, encoding="UTF-8", rows=40, long_rows=1, delete_every=0,
            journal_mode=None, wal_rows=0, secure_delete=False):
    """Writes a WhatsApp-like database; returns the open connection when wal_rows > 0."""
    rng = random.Random(page_size * 7 + rows)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA page_size={page_size}")
    conn.execute(f"PRAGMA encoding='{encoding}'")
    conn.execute("PRAGMA auto_vacuum=NONE")
    conn.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    if journal_mode:
        conn.execute(f"PRAGMA journal_mode={journal_mode}")
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.executescript(SCHEMA)
    conn.execute("BEGIN")
    for i in range(1, 7):
        conn.execute("INSERT INTO jid(user, server, type, raw_string) VALUES (?,?,?,?)",
                     (f"4917{i:08d}", "s.whatsapp.net", 0, f"4917{i:08d}@s.whatsapp.net"))
    conn.execute("INSERT INTO jid(user, server, type) VALUES ('120363000000000001', 'g.us', 1)")
    for i in range(1, 8):
        conn.execute("INSERT INTO chat(jid_row_id, subject, created_timestamp) VALUES (?,?,?)",
                     (i, "group" if i == 7 else None, 1700000000000 + i))
    for i in range(rows):
        text = rng_text(rng, rng.randint(0, 12))
        if i < long_rows:
            text = ("long message " * 600)[: page_size * 3]
        conn.execute(
            "INSERT INTO message(chat_row_id, from_me, key_id, sender_jid_row_id, status, "
            "timestamp, message_type, text_data, sort_id) VALUES (?,?,?,?,?,?,?,?,?)",
            (rng.randint(1, 7), i % 2, f"3EB0{i:016X}", rng.randint(0, 6), 13,
             1700000000000 + i * 61000, rng.choice([0, 0, 0, 1, 7]), text, i + 1))
    conn.execute("INSERT INTO \"odd \"\"name\"\"\" VALUES (1, 'x', x'00ff', 1.5)")
    conn.execute("COMMIT")
    if delete_every:
        conn.execute(f"DELETE FROM message WHERE _id % {delete_every} = 0")
    for i in range(wal_rows):
        conn.execute("INSERT INTO message(chat_row_id, from_me, key_id, text_data) VALUES (1,1,?,?)",
                     (f"WAL{i:04d}", f"wal row {i}"))
    if wal_rows:
        conn.execute("UPDATE message SET text_data='edited' WHERE _id=2")
        conn.execute("DELETE FROM message WHERE _id=3")
        conn.execute("BEGIN")
        conn.execute("INSERT INTO message(chat_row_id, from_me, key_id) VALUES (1,1,'ROLLEDBACK')")
        conn.execute("ROLLBACK")
        return conn
    conn.close()
    return None


def varint(buf, pos):
    v = 0
    for i in range(8):
        b = buf[pos + i]
        v = (v << 7) | (b & 0x7F)
        if b < 0x80:
            return v, i + 1
    return (v << 8) | buf[pos + 8], 9


def leaf_payloads(db):
    """(payload, payload_size) of every table-leaf cell whose payload is all on its page."""
    page_size = struct.unpack(">H", db[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    usable = page_size - db[20]
    out = []
    for start in range(0, len(db) - page_size + 1, page_size):
        page = db[start:start + page_size]
        hp = 100 if start == 0 else 0
        if page[hp] != 13:
            continue
        ncells = struct.unpack(">H", page[hp + 3:hp + 5])[0]
        for i in range(ncells):
            ptr = struct.unpack(">H", page[hp + 8 + 2 * i:hp + 10 + 2 * i])[0]
            try:
                size, n = varint(page, ptr)
                _, m = varint(page, ptr + n)
            except IndexError:
                continue
            body = ptr + n + m
            local = min(size, usable - 35)
            out.append((bytes(page[body:body + local]), size))
    return out


def write(target, name, data):
    if len(data) > MAX_LEN[target]:
        data = data[:MAX_LEN[target]]
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def noise(rng, n):
    """Noise like the fixtures': zero runs, random bytes, log text; no sector starts like a page."""
    out = bytearray()
    while len(out) < n:
        kind = rng.randrange(3)
        if kind == 0:
            out += bytes(512)
        elif kind == 1:
            out += bytes(rng.randrange(256) for _ in range(512))
        else:
            out += (b"2024-01-01 12:00:00 INFO service started\n" * 13)[:512]
        if out[-512] in (2, 5, 10, 13):
            out[-512] = 0x20
    return bytes(out[:n])


def persist_journal(tmp, name, page_size=1024):
    """A database and its PERSIST journal after a committed transaction (header zeroed)."""
    path = os.path.join(tmp, name + ".db")
    make_db(path, page_size, rows=30, long_rows=0)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")
    conn.execute("PRAGMA journal_mode=PERSIST")
    conn.execute("BEGIN")
    conn.execute("UPDATE message SET text_data = 'persisted ' || _id WHERE _id % 3 = 0")
    conn.execute("DELETE FROM message WHERE _id % 4 = 0")
    conn.execute("COMMIT")
    conn.close()
    with open(path, "rb") as f:
        db = f.read()
    with open(path + "-journal", "rb") as f:
        jr = f.read()
    return db, jr


def extra_scan_seeds(tmp, rng):
    """Seeds <= 256 KiB reaching the recovery paths (generation, sightings, interior and
    orphan pages, freelist trunks, headerless journals, the WhatsApp resolver)."""
    big = MAX_LEN["scan_chunk"]
    # a dropped-and-recreated message table (the old rows are a dropped table's pages)
    for ps in (1024, 4096):
        path = os.path.join(tmp, f"dropped{ps}.db")
        make_db(path, ps, rows=50, long_rows=1)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA secure_delete=OFF")  # Debian's SQLite defaults to ON
        conn.execute("DROP TABLE message")
        conn.execute("CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id "
                     "INTEGER NOT NULL, from_me INTEGER NOT NULL, key_id TEXT NOT NULL, "
                     "sender_jid_row_id INTEGER, status INTEGER, timestamp INTEGER, "
                     "message_type INTEGER, text_data TEXT, sort_id INTEGER NOT NULL DEFAULT 0)")
        for i in range(15):
            conn.execute("INSERT INTO message(chat_row_id, from_me, key_id, timestamp, text_data) "
                         "VALUES (?,?,?,?,?)", (1 + i % 7, i % 2, f"NEW{i:04d}",
                                                1710000000000 + i, f"after the drop {i}"))
        conn.close()
        with open(path, "rb") as f:
            db = f.read()
        write("scan_chunk", f"recover-dropped-recreated-p{ps}", noise(rng, 1536) + db + noise(rng, 2048))
        write("schema", f"dropped-recreated-p{ps}", db)
        # the same database in WAL mode: the drop and recreation in the WAL, beside the file
        path = os.path.join(tmp, f"dropwal{ps}.db")
        conn = make_db(path, ps, rows=30, long_rows=0, journal_mode="WAL", wal_rows=3)
        conn.execute("DROP TABLE message")
        conn.execute("CREATE TABLE message (_id INTEGER PRIMARY KEY, chat_row_id INTEGER, "
                     "from_me INTEGER, key_id TEXT, timestamp INTEGER, text_data TEXT)")
        conn.execute("INSERT INTO message VALUES (1, 1, 1, 'AFTERDROP', 1710000000000, 'x')")
        with open(path, "rb") as f:
            db = f.read()
        with open(path + "-wal", "rb") as f:
            w = f.read()
        conn.close()
        write("scan_chunk", f"recover-dropped-in-wal-p{ps}", db + noise(rng, 512) + w)
        write("wal", f"dropped-in-wal-p{ps}", w)
    # a committed PERSIST journal (headerless) beside its database, and apart from it
    for ps in (512, 1024, 4096):
        db, jr = persist_journal(tmp, f"persist{ps}", ps)
        write("journal", f"persist-committed-p{ps}", jr)
        write("scan_chunk", f"recover-persist-journal-p{ps}", noise(rng, 1024) + db + noise(rng, 1024) + jr)
        write("scan_chunk", f"recover-persist-journal-only-p{ps}", noise(rng, 2560) + jr + noise(rng, 512))
    # a deep b-tree (interior table and index pages), then a freelist with trunks
    for ps in (512, 1024):
        path = os.path.join(tmp, f"deep{ps}.db")
        make_db(path, ps, rows=400, long_rows=2)
        with open(path, "rb") as f:
            full = f.read()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("DELETE FROM message WHERE _id % 5 != 0")
        conn.close()
        with open(path, "rb") as f:
            db = f.read()
        write("scan_chunk", f"recover-deep-freelist-p{ps}", noise(rng, 512) + db)
        write("scan_chunk", f"recover-deep-full-p{ps}", full + noise(rng, 512))
        # its pages without page 1, shuffled in blocks: orphan interior and leaf pages
        pages = [db[i:i + ps] for i in range(ps, len(db), ps)]
        rng.shuffle(pages)
        write("scan_chunk", f"recover-deep-orphans-p{ps}", noise(rng, 1024) + b"".join(pages))
        if len(db) <= MAX_LEN["schema"]:
            write("schema", f"deep-freelist-p{ps}", db)
    # a non-WhatsApp database, page 1 cut: orphan leaves of an unknown schema
    path = os.path.join(tmp, "notes.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=1024")
    conn.execute("PRAGMA secure_delete=OFF")
    conn.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT, body TEXT, score REAL, blob BLOB)")
    for i in range(200):
        conn.execute("INSERT INTO notes VALUES (?,?,?,?,?)",
                     (i, f"note {i}", rng_text(rng, 8), i * 1.25, bytes([i % 256]) * (i % 17)))
    conn.execute("DELETE FROM notes WHERE id % 3 = 0")
    conn.close()
    with open(path, "rb") as f:
        db = f.read()
    write("scan_chunk", "recover-unknown-schema-no-page1", noise(rng, 512) + db[1024:])
    write("scan_chunk", "recover-unknown-schema-whole", db + noise(rng, 512))
    # many copies of one small database: many sightings of every row
    path = os.path.join(tmp, "copies.db")
    make_db(path, 512, rows=12, long_rows=0, delete_every=3)
    with open(path, "rb") as f:
        db = f.read()
    img = b""
    while len(img) + len(db) + 512 <= big:
        img += db + noise(rng, 512)
    write("scan_chunk", "recover-many-copies-p512", img)
    # a WAL that rewrites one row many times (many versions of one content key)
    path = os.path.join(tmp, "rewrites.db")
    conn = make_db(path, 1024, rows=10, long_rows=0, journal_mode="WAL", wal_rows=1)
    for i in range(120):
        conn.execute("UPDATE message SET text_data = ?, status = ? WHERE _id = 4", (f"edit {i % 3}", i))
        if i % 10 == 0:
            conn.execute("DELETE FROM message WHERE _id = 5")
            conn.execute("INSERT INTO message(_id, chat_row_id, from_me, key_id, text_data) VALUES "
                         "(5, 2, 0, '3EB00000000000000005', 'again')")
    with open(path, "rb") as f:
        db = f.read()
    with open(path + "-wal", "rb") as f:
        w = f.read()
    conn.close()
    write("scan_chunk", "recover-wal-rewrites-one-row", db + w)
    write("wal", "rewrites-one-row", w)
    # fixtures: every database of a truth file, its pages packed scattered into 256 KiB
    fixtures = os.path.join(ROOT, "fixtures")
    for fname in sorted(os.listdir(fixtures)) if os.path.isdir(fixtures) else []:
        if not fname.endswith(".truth.json"):
            continue
        stem = fname[:-len(".truth.json")]
        try:
            import json
            with open(os.path.join(fixtures, fname)) as f:
                truth = json.load(f)
            with open(os.path.join(fixtures, stem + ".img"), "rb") as f:
                img = f.read()
        except (OSError, ValueError):
            continue
        blocks = []  # (image offset, bytes): every page of every database, and WALs
        for d in truth.get("databases", []):
            ps = d.get("page_size") or 4096
            for off in d.get("page_offsets") or []:
                blocks.append((off, img[off:off + ps]))
            w = d.get("wal")
            if isinstance(w, dict) and "offset" in w and "length" in w:
                blocks.append((w["offset"], img[w["offset"]:w["offset"] + w["length"]]))
        blocks.sort()
        out = b""
        for _, b in blocks:
            b = b[:max(0, big - 512 - len(out))]  # a long WAL: its first frames
            if not b:
                break
            out += b + (noise(rng, 512) if rng.random() < 0.3 else b"")
        if out:
            write("scan_chunk", f"recover-packed-{stem}", out)
        # 256 KiB slices around the first database and journal headers
        for magic, kind in ((DB_MAGIC, "db"), (JOURNAL_MAGIC, "journal")):
            pos = img.find(magic)
            if pos != -1:
                start = max(0, pos - 8192) // 512 * 512
                write("scan_chunk", f"fixture256-{stem}-{kind}-{pos}", img[start:start + big])
        if stem == "journal_persist":
            # the journal's records are where the truth's database is not: slices everywhere
            for start in range(0, len(img), big):
                write("scan_chunk", f"fixture256-{stem}-at-{start}", img[start:start + big])


def fts_seeds(tmp):
    """`fts_node`: every `_segdir.root` and `_segments.block` of an FTS4 table with WhatsApp's
    columns and of an FTS3 table, after inserts (one big segment, merged small ones), an edit
    and deletions (deletion markers)."""
    path = os.path.join(tmp, "fts.db")
    con = sqlite3.connect(path)
    con.executescript("PRAGMA page_size=1024; PRAGMA secure_delete=ON;"
                      "CREATE VIRTUAL TABLE message_ftsv2 USING FTS4(content, fts_jid, fts_namespace);"
                      "CREATE VIRTUAL TABLE messages_fts USING FTS3();")
    words = ["meet", "me", "at", "the", "harbour", "tonight", "Café", "日本語", "Zürich", "ok", "e-mail"]
    rng = random.Random(7)

    def insert(docid):
        text = " ".join(rng.choice(words) for _ in range(3 + docid % 9))
        con.execute("INSERT INTO message_ftsv2(docid, content, fts_jid, fts_namespace) VALUES (?, ?, ?, ?)",
                    (docid, text, f"4915{docid % 7:07}@s.whatsapp.net", "ns"))
        con.execute("INSERT INTO messages_fts(docid, content) VALUES (?, ?)", (docid, text))

    with con:
        for docid in range(1, 150):
            insert(docid)
    for docid in range(150, 170):
        with con:
            insert(docid)
    with con:
        con.execute("UPDATE message_ftsv2 SET content = 'changed text' WHERE docid = 20")
        for docid in (7, 100, 160):
            con.execute("DELETE FROM message_ftsv2 WHERE docid = ?", (docid,))
            con.execute("DELETE FROM messages_fts WHERE docid = ?", (docid,))
    for fts in ("message_ftsv2", "messages_fts"):
        for level, idx, root in con.execute(f"SELECT level, idx, root FROM {fts}_segdir"):
            write("fts_node", f"{fts}-root-{level}-{idx}", root)
        for blockid, block in con.execute(f"SELECT blockid, block FROM {fts}_segments"):
            write("fts_node", f"{fts}-block-{blockid}", block)
    con.close()


def main():
    if "--clean" in sys.argv[1:]:
        shutil.rmtree(CORPUS, ignore_errors=True)
    for t in TARGETS:
        os.makedirs(os.path.join(CORPUS, t), exist_ok=True)
    rng = random.Random(15)
    dbs = {}
    with tempfile.TemporaryDirectory() as tmp:
        variants = [
            ("p512", dict(page_size=512, rows=40)),
            ("p1024-utf16le", dict(page_size=1024, encoding="UTF-16le", rows=30)),
            ("p1024-deleted", dict(page_size=1024, rows=60, delete_every=3)),
            ("p4096", dict(page_size=4096, rows=60, long_rows=2)),
            ("p4096-utf16be-deleted", dict(page_size=4096, encoding="UTF-16be", rows=40,
                                           delete_every=4)),
            ("p512-secure-delete", dict(page_size=512, rows=30, delete_every=2, secure_delete=True)),
        ]
        for name, kw in variants:
            path = os.path.join(tmp, name + ".db")
            make_db(path, **kw)
            with open(path, "rb") as f:
                dbs[name] = f.read()

        # WAL files, and the database they belong to
        wals = {}
        for ps in (512, 1024, 4096):
            path = os.path.join(tmp, f"wal{ps}.db")
            conn = make_db(path, ps, rows=20, long_rows=1 if ps == 512 else 0,
                           journal_mode="WAL", wal_rows=6)
            with open(path + "-wal", "rb") as f:
                wals[ps] = f.read()
            with open(path, "rb") as f:
                dbs[f"wal{ps}-main"] = f.read()
            conn.close()
            write("wal", f"wal-p{ps}", wals[ps])

        # rollback journals captured while a write transaction is open
        for ps in (512, 1024, 4096):
            # SQLite writes the journal magic only when it syncs the journal (at commit, or
            # when the page cache spills); with synchronous=OFF it writes it at once, with a
            # record count of 0xFFFFFFFF. A tiny cache forces a spill, hence a synced header.
            for mode, pragmas in (("DELETE", "synchronous=OFF"), ("PERSIST", "synchronous=OFF"),
                                  ("DELETE", "cache_size=2"), ("PERSIST", "cache_size=2")):
                path = os.path.join(tmp, f"j{ps}{mode}{pragmas[:5]}.db")
                make_db(path, ps, rows=25, long_rows=0)
                conn = sqlite3.connect(path, isolation_level=None)
                conn.execute(f"PRAGMA journal_mode={mode}")
                conn.execute(f"PRAGMA {pragmas}")
                conn.execute("BEGIN")
                conn.execute("UPDATE message SET text_data = 'changed ' || _id WHERE _id % 2 = 0")
                conn.execute("DELETE FROM message WHERE _id % 5 = 0")
                with open(path + "-journal", "rb") as f:
                    write("journal", f"journal-p{ps}-{mode.lower()}-{pragmas.split('=')[0]}",
                          f.read())
                conn.execute("ROLLBACK")
                conn.close()
        extra_scan_seeds(tmp, rng)
        fts_seeds(tmp)

    for name, db in sorted(dbs.items()):
        page_size = struct.unpack(">H", db[16:18])[0]
        for i in range(len(db) // page_size):
            page = db[i * page_size:(i + 1) * page_size]
            if i > 0 and page[0] not in (2, 5, 10, 13):
                continue  # overflow and freelist pages: a few are enough
            flags = 1 if i == 0 else 0
            write("page", f"{name}-page{i + 1}", page + bytes([flags, 0]))
        for j, (payload, size) in enumerate(leaf_payloads(db)):
            write("record", f"{name}-cell{j}", b"\x00" + payload)
            if j % 5 == 0 and len(payload) > 4:
                cut = payload[: len(payload) // 2]
                write("record", f"{name}-cell{j}-truncated", b"\x01" + struct.pack(">I", size) + cut)
        if len(db) <= MAX_LEN["schema"]:
            write("schema", name, db)
            if len(db) + 4096 <= MAX_LEN["scan_chunk"]:
                at = 512 * rng.randrange(1, 8)  # 512-aligned, mostly not 4096-aligned
                img = noise(rng, at) + db + noise(rng, 4096)
                write("scan_chunk", f"{name}-at-{at}", img[:65536])
    for j, sql in enumerate(SQL_SEEDS):
        write("schema", f"sql{j}", sql.encode())
    for ps, w in sorted(wals.items()):
        if len(w) < 60000:
            img = noise(rng, 3584) + w + noise(rng, 1024)
            write("scan_chunk", f"wal-p{ps}-at-3584", img[:65536])
        write("scan_chunk", f"wal-p{ps}-main-then-wal",
              (dbs[f"wal{ps}-main"] + w)[:65536])

    # slices of the checked-in fixture images around every header they hold
    fixtures = os.path.join(ROOT, "fixtures")
    for fname in sorted(os.listdir(fixtures)) if os.path.isdir(fixtures) else []:
        if not fname.endswith(".img"):
            continue
        with open(os.path.join(fixtures, fname), "rb") as f:
            img = f.read()
        stem = fname[:-4]
        hits = []
        for magic, kind in [(DB_MAGIC, "db")] + [(m, "wal") for m in WAL_MAGICS] + \
                [(JOURNAL_MAGIC, "journal")]:
            pos = img.find(magic)
            while pos != -1 and len(hits) < 64:
                hits.append((pos, kind))
                pos = img.find(magic, pos + 1)
        for pos, kind in sorted(hits)[:12]:
            start = max(0, pos - 3584) // 512 * 512
            write("scan_chunk", f"fixture-{stem}-{kind}-{pos}", img[start:start + 65536])
            if kind == "wal":
                write("wal", f"fixture-{stem}-{pos}", img[pos:pos + MAX_LEN["wal"]])
            if kind == "journal":
                write("journal", f"fixture-{stem}-{pos}", img[pos:pos + MAX_LEN["journal"]])
            if kind == "db":
                write("schema", f"fixture-{stem}-{pos}", img[pos:pos + MAX_LEN["schema"]])
                page_size = struct.unpack(">H", img[pos + 16:pos + 18])[0]
                for i in range(1, 4):
                    page = img[pos + i * page_size:pos + (i + 1) * page_size]
                    if page[:1] and page[0] in (2, 5, 10, 13):
                        write("page", f"fixture-{stem}-{pos}-page{i + 1}", page + b"\x00\x00")

    for t in TARGETS:
        d = os.path.join(CORPUS, t)
        n = len(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
        print(f"{t:11} {n:4} seeds {size:9} bytes")


if __name__ == "__main__":
    sys.exit(main())
