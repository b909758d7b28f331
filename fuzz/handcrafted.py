#!/usr/bin/env python3
"""Writes the handcrafted hostile inputs of fixtures/crashes/: one file per way a hostile image
can lie to a decoder, each named <target>-<what-it-captures>.hex (the prefix picks the fuzz
target whose code tests/fuzz_regressions.rs replays it through).

    python3 fuzz/handcrafted.py        # rewrites every handcrafted file; crash files the fuzzer
                                       # found (<target>-<8 hex digits>.hex) are left alone

Each input is a pure function of the code below. The input layouts are those of
fuzz/harness.rs: `page` inputs are page bytes + [flags, reserved], `record` inputs are
[flags] + payload (flags 1: a big-endian u32 payload size comes first).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hexdump  # noqa: E402

FIXTURES = []


def fixture(target, name, comment):
    def register(build):
        FIXTURES.append((target, name, comment, build))
        return build
    return register


# ---------------------------------------------------------------- format helpers

def varint(v):
    """SQLite varint: 1..9 bytes, big-endian groups of 7 bits, the 9th byte whole."""
    if v > 0x00FFFFFFFFFFFFFF:
        out = [v & 0xFF]
        v >>= 8
        for _ in range(8):
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        return bytes(reversed(out))
    groups = [v & 0x7F]
    v >>= 7
    while v:
        groups.append((v & 0x7F) | 0x80)
        v >>= 7
    return bytes(reversed(groups))


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def record(values):
    """A record from (serial_type, body_bytes) pairs."""
    types = b"".join(varint(t) for t, _ in values)
    body = b"".join(b for _, b in values)
    n = len(types) + 1
    while len(varint(n)) + len(types) != n:
        n += 1
    return varint(n) + types + body


def text(s):
    b = s.encode()
    return (13 + 2 * len(b), b)


def integer(v):
    return (4, struct.pack(">i", v))


def integer48(v):
    return (5, v.to_bytes(6, "big", signed=True))


def btree_page(size, kind, cells, header_pos=0, right_child=None, first_freeblock=0,
               fragmented=0, content_start=None):
    """A b-tree page whose cells (raw bytes, in key order) are packed at the page end."""
    p = bytearray(size)
    hdr = 8 if kind in (10, 13) else 12
    end = size
    ptrs = []
    for cell in cells:
        end -= len(cell)
        p[end:end + len(cell)] = cell
        ptrs.append(end)
    p[header_pos] = kind
    p[header_pos + 1:header_pos + 3] = u16(first_freeblock)
    p[header_pos + 3:header_pos + 5] = u16(len(cells))
    start = end if content_start is None else content_start
    p[header_pos + 5:header_pos + 7] = u16(start & 0xFFFF)
    p[header_pos + 7] = fragmented
    if hdr == 12:
        p[header_pos + 8:header_pos + 12] = u32(right_child or 0)
    for i, ptr in enumerate(ptrs):
        at = header_pos + hdr + 2 * i
        p[at:at + 2] = u16(ptr)
    return p


def leaf_cell(rowid, payload):
    return (varint(len(payload)) + varint(rowid) + payload).ljust(4, b"\0")


def db_header(page_size, page_count, encoding=1):
    h = bytearray(100)
    h[0:16] = b"SQLite format 3\x00"
    h[16:18] = u16(1 if page_size == 65536 else page_size)
    h[18] = h[19] = 1
    h[21], h[22], h[23] = 64, 32, 32
    h[24:28] = u32(1)             # change counter
    h[28:32] = u32(page_count)
    h[44:48] = u32(4)             # schema format
    h[56:60] = u32(encoding)
    h[92:96] = u32(1)             # version-valid-for = change counter: page count trusted
    h[96:100] = u32(3045000)
    return h


def schema_row(rowid, name, rootpage, sql):
    return leaf_cell(rowid, record([text("table"), text(name), text(name), integer(rootpage),
                                    text(sql)]))


def database(page_size, pages, encoding=1, page_count=None):
    """pages[0] is page 1 without its first 100 bytes' header (written here)."""
    data = bytearray()
    for p in pages:
        data += p
    data[0:100] = db_header(page_size, len(pages) if page_count is None else page_count, encoding)
    return bytes(data)


def wal_checksum(data, s0, s1):
    for i in range(0, len(data), 8):
        x0, x1 = struct.unpack("<II", data[i:i + 8])
        s0 = (s0 + x0 + s1) & 0xFFFFFFFF
        s1 = (s1 + x1 + s0) & 0xFFFFFFFF
    return s0, s1


def wal(page_size, frames, salts=(0x1234, 0x5678), header_page_size=None, good_sums=True):
    """A little-endian-checksum WAL; frames are (page_number, commit_size, image[, salts])."""
    h = bytearray(u32(0x377F0682) + u32(3007000) + u32(page_size if header_page_size is None else header_page_size) +
                  u32(0) + u32(salts[0]) + u32(salts[1]))
    s = wal_checksum(h, 0, 0)
    h += u32(s[0]) + u32(s[1])
    out = bytearray(h)
    for f in frames:
        pgno, commit, image = f[:3]
        fsalts = f[3] if len(f) > 3 else salts
        fh = u32(pgno) + u32(commit)
        s = wal_checksum(fh + image, *s)
        sums = s if good_sums else (s[0] ^ 1, s[1])
        out += fh + u32(fsalts[0]) + u32(fsalts[1]) + u32(sums[0]) + u32(sums[1]) + image
    return bytes(out)


JOURNAL_MAGIC = bytes([0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7])


def journal(page_size, sector, records, count=0xFFFFFFFF, nonce=7, initial_pages=3):
    h = JOURNAL_MAGIC + u32(count) + u32(nonce) + u32(initial_pages) + u32(sector) + u32(page_size)
    out = bytearray(h)
    if sector and sector < 1 << 20:
        out = out.ljust(sector, b"\0")
    for pgno, image in records:
        s = nonce
        i = len(image) - 200
        while i > 0:
            s += image[i]
            i -= 200
        out += u32(pgno) + image + u32(s & 0xFFFFFFFF)
    return bytes(out)


def leaf512():
    return btree_page(512, 13, [leaf_cell(1, record([integer(7)])),
                                leaf_cell(2, record([text("ab")]))])


# ---------------------------------------------------------------- page

@fixture("page", "freeblock-self-loop", "a freeblock whose next pointer is itself")
def _():
    p = btree_page(512, 13, [leaf_cell(1, record([integer(7)]))], first_freeblock=400,
                   content_start=400)
    p[400:404] = u16(400) + u16(8)
    return p + b"\0\0"


@fixture("page", "freeblock-cycle", "freeblocks 400 -> 440 -> 400: a two-block cycle")
def _():
    p = btree_page(512, 13, [leaf_cell(1, record([integer(7)]))], first_freeblock=400,
                   content_start=400)
    p[400:404] = u16(440) + u16(8)
    p[440:444] = u16(400) + u16(8)
    return p + b"\0\0"


@fixture("page", "freeblock-size-zero", "a freeblock of size 0 (next = pos + size never advances)")
def _():
    p = btree_page(512, 13, [], first_freeblock=500, content_start=496)
    p[500:504] = u16(500) + u16(0)
    return p + b"\0\0"


@fixture("page", "freeblock-size-ffff", "a freeblock claiming 65535 bytes at the end of a 512-byte page")
def _():
    p = btree_page(512, 13, [], first_freeblock=508, content_start=508)
    p[508:512] = u16(0) + u16(0xFFFF)
    return p + b"\0\0"


@fixture("page", "freeblock-chain-1024-long", "a valid 64 KiB leaf: 1024 cells, each after a 28-byte freeblock, one chain of 1024 links")
def _():
    p = bytearray(65536)
    p[0] = 13
    p[1:3] = u16(32768)
    p[3:5] = u16(1024)
    p[5:7] = u16(32768)
    for k in range(1024):
        pos = 32768 + 32 * k
        nxt = pos + 32 if k < 1023 else 0
        p[pos:pos + 4] = u16(nxt) + u16(28)
        cell = varint(1) + varint(k + 1) + b"\x01"
        p[pos + 28:pos + 28 + len(cell)] = cell
        p[8 + 2 * k:10 + 2 * k] = u16(pos + 28)
    return p + b"\0\0"


@fixture("page", "cell-count-ffff", "a 512-byte leaf claiming 65535 cells")
def _():
    p = leaf512()
    p[3:5] = u16(0xFFFF)
    return p + b"\0\0"


@fixture("page", "cell-count-max-same-cell", "a 64 KiB leaf with the most cells that fit, every pointer at one cell")
def _():
    n = (65536 - 8) // 6
    cell = leaf_cell(1, record([integer(7)]))
    p = bytearray(65536)
    p[0] = 13
    p[3:5] = u16(n)
    start = 65536 - len(cell)
    p[start:] = cell
    p[5:7] = u16(start)
    for i in range(n):
        p[8 + 2 * i:10 + 2 * i] = u16(start)
    return p + b"\0\0"


@fixture("page", "cell-pointers-out-of-page", "cell pointers 0xFFFF, 0 and usable - 1")
def _():
    p = leaf512()
    p[3:5] = u16(3)
    p[8:14] = u16(0xFFFF) + u16(0) + u16(511)
    return p + b"\0\0"


@fixture("page", "content-start-zero-512", "cell content start 0 (= 65536) on a 512-byte page")
def _():
    p = leaf512()
    p[5:7] = u16(0)
    return p + b"\0\0"


@fixture("page", "payload-size-2pow31", "a cell declaring a 2^31-byte payload, with an overflow page")
def _():
    cell = varint(1 << 31) + varint(1) + bytes(range(256)) * 2
    p = btree_page(512, 13, [cell[:400]])
    return p + b"\0\0"


@fixture("page", "payload-size-max-spills", "a cell declaring 2^31 - 1 bytes (the largest allowed), spilling to page 0xFFFFFFFF")
def _():
    size = (1 << 31) - 1
    keep = 39 + (size - 39) % 508  # usable 512, table leaf: M = 39, X = 477
    keep = keep if keep <= 477 else 39
    cell = varint(size) + varint(1) + bytes(range(256))[:keep].ljust(keep, b"z") + u32(0xFFFFFFFF)
    return btree_page(512, 13, [cell]) + b"\0\0"


@fixture("page", "varints-nine-bytes", "payload size and rowid as 9-byte 0xFF varints (u64::MAX)")
def _():
    cell = b"\xff" * 9 + b"\xff" * 9 + bytes(8)
    return btree_page(512, 13, [cell]) + b"\0\0"


@fixture("page", "interior-child-zero", "an interior table page whose left and right children are page 0")
def _():
    cell = u32(0) + varint(5)
    return btree_page(512, 5, [cell], right_child=0) + b"\0\0"


@fixture("page", "interior-index-overflow-zero", "an interior index cell that spills to overflow page 0")
def _():
    # usable 4096, index: X = 1002, M = 489; P = 5000 keeps 489 + (5000 - 489) % 4092 = 908
    cell = u32(2) + varint(5000) + (bytes(range(1, 201)) * 5)[:908] + u32(0)
    return btree_page(4096, 2, [cell], right_child=3) + b"\0\0"


@fixture("page", "header-at-100-short-page", "a page-1 header (at 100) on a 480-byte page whose pointer array runs off it")
def _():
    p = bytearray(480)
    p[100] = 13
    p[103:105] = u16(70)
    p[105:107] = u16(479)
    return p + b"\x01\x00"


@fixture("page", "usable-below-480", "255 reserved bytes: usable size 257")
def _():
    return leaf512() + b"\x00\xff"


@fixture("page", "fragmented-61", "61 fragmented free bytes (SQLite's limit is 60)")
def _():
    p = leaf512()
    p[7] = 61
    return p + b"\0\0"


@fixture("page", "rowids-descending", "a valid-looking leaf whose rowids go down")
def _():
    return btree_page(512, 13, [leaf_cell(9, record([integer(1)])),
                                leaf_cell(3, record([integer(2)]))]) + b"\0\0"


@fixture("page", "overlapping-cells", "two cell pointers into the middle of one cell")
def _():
    p = btree_page(512, 13, [leaf_cell(1, record([text("x" * 40)]))])
    start = int.from_bytes(p[5:7], "big")
    p[3:5] = u16(2)
    p[8:12] = u16(start) + u16(start + 3)
    return p + b"\0\0"


# ---------------------------------------------------------------- record

@fixture("record", "header-claims-2pow31", "a record header size of 2^31 bytes on a 12-byte payload")
def _():
    return b"\x00" + varint(1 << 31) + b"\x01\x01\x07" + bytes(6)


@fixture("record", "declared-size-ffffffff", "a consistent header inside a payload declaring 2^32 - 1 bytes")
def _():
    return b"\x01" + u32(0xFFFFFFFF) + record([integer(7)])


@fixture("record", "text-2pow31-consistent", "one TEXT column of 2^31 - 8 bytes: header and declared size agree, the bytes are not there")
def _():
    size = (1 << 31) - 1
    hdr = None
    for n in range(2, 10):
        st = 13 + 2 * (size - n)
        if len(varint(n)) + len(varint(st)) == n:
            hdr = varint(n) + varint(st)
            break
    return b"\x01" + u32(size) + hdr + b"partial"


@fixture("record", "serial-type-u64-max", "a serial type of 2^64 - 1 (9-byte varint)")
def _():
    return b"\x00" + b"\x0a" + b"\xff" * 9


@fixture("record", "serial-types-10-11", "the reserved serial types 10 and 11")
def _():
    return b"\x00" + b"\x03\x0a\x0b"


@fixture("record", "header-size-zero", "a header size of 0, smaller than its own varint")
def _():
    return b"\x00\x00\x01\x02"


@fixture("record", "header-varint-runs-off", "a header-size varint that never ends")
def _():
    return b"\x00" + b"\x81" * 8


@fixture("record", "many-null-columns", "2000 NULL columns (a 2002-byte header, no body)")
def _():
    return b"\x00" + record([(0, b"")] * 2000)


@fixture("record", "serial-type-straddles-header-end", "a serial-type varint that starts inside the header and ends after it")
def _():
    return b"\x00" + b"\x02\x81\x01" + bytes(4)


# ---------------------------------------------------------------- wal

@fixture("wal", "page-size-1", "a WAL header with page size 1")
def _():
    return wal(512, [], header_page_size=1) + bytes(64)


@fixture("wal", "page-size-0", "a WAL header with page size 0")
def _():
    return wal(512, [], header_page_size=0) + bytes(64)


@fixture("wal", "page-size-1000", "a page size that is not a power of two")
def _():
    return wal(512, [], header_page_size=1000) + bytes(2048)


@fixture("wal", "page-size-65536-frame-cut", "page size 65536 and a frame cut short after its header")
def _():
    w = wal(65536, [(1, 1, bytes(65536))])
    return w[:32 + 24 + 100]


@fixture("wal", "salt-wraps-below-zero", "header salt-1 0, frames with salt-1 0xFFFFFFFF (an 'older generation' by wrap-around)")
def _():
    page = leaf512()
    return wal(512, [(2, 0, page, (0xFFFFFFFF, 9)), (3, 5, page, (0xFFFFFFFF, 9))],
               salts=(0, 9))


@fixture("wal", "frame-page-number-zero", "a frame for page 0 between good frames")
def _():
    page = leaf512()
    return wal(512, [(2, 0, page), (0, 0, page), (3, 3, page)])


@fixture("wal", "broken-chain-then-commit", "a bad checksum in frame 1, commits after it")
def _():
    page = leaf512()
    good = wal(512, [(2, 0, page), (3, 0, page), (4, 4, page)])
    frame1 = 32 + (24 + 512)
    b = bytearray(good)
    b[frame1 + 16] ^= 0xFF
    return bytes(b)


@fixture("wal", "commit-size-u32-max", "a valid commit frame whose database size is 2^32 - 1 pages")
def _():
    return wal(512, [(2, 0xFFFFFFFF, leaf512())])


# ---------------------------------------------------------------- journal

def journal_page():
    return bytes((i * 7) & 0xFF for i in range(512))


@fixture("journal", "sector-size-0", "a journal header with sector size 0")
def _():
    return journal(512, 0, []) + bytes(1024)


@fixture("journal", "sector-size-1000", "a sector size that is not a power of two")
def _():
    return journal(512, 1000, []) + bytes(1024)


@fixture("journal", "sector-size-65536-past-end", "sector size 65536 on a 28-byte journal: records would start past the end")
def _():
    return JOURNAL_MAGIC + u32(0xFFFFFFFF) + u32(7) + u32(3) + u32(65536) + u32(512)


@fixture("journal", "page-size-1", "a journal header with page size 1")
def _():
    return journal(1, 512, []) + bytes(64)


@fixture("journal", "page-size-0", "a journal header with page size 0")
def _():
    return journal(0, 512, []) + bytes(64)


@fixture("journal", "record-count-ffffffff-cut", "record count 0xFFFFFFFF, two good records, a third cut short")
def _():
    j = journal(512, 512, [(1, journal_page()), (2, journal_page()), (3, journal_page())])
    return j[:-100]


@fixture("journal", "record-count-limits", "record count 1 with three good records after it")
def _():
    return journal(512, 512, [(1, journal_page()), (2, journal_page()), (3, journal_page())], count=1)


@fixture("journal", "record-page-number-zero", "a record for page 0")
def _():
    return journal(512, 512, [(0, journal_page()), (2, journal_page())])


# ---------------------------------------------------------------- schema

@fixture("schema", "create-unterminated-quote", "CREATE TABLE with a quoted name that never closes")
def _():
    return b'CREATE TABLE t("abc, b INTEGER'


@fixture("schema", "create-deep-parens", "20000 nested opening parentheses in a column type")
def _():
    return b"CREATE TABLE t(a VARCHAR" + b"(" * 20000 + b", b)"


@fixture("schema", "create-extra-closing-parens", "more closing than opening parentheses")
def _():
    return b"CREATE TABLE t(a)))), b))"


@fixture("schema", "create-unterminated-comment", "a block comment that never ends")
def _():
    return b"CREATE TABLE t(a /* b INTEGER, c"


@fixture("schema", "create-invalid-utf8", "invalid UTF-8 and multi-byte characters in names")
def _():
    return b"CREATE TABLE \xff\xfe(\xc3\xa9 TEXT, \xe6\x96\x87 INT, [\xf0\x9f\x98] REAL, `x``y` PRIMARY KEY)"


@fixture("schema", "db-root-self-child", "page 1 an interior table page whose right child is page 1")
def _():
    p1 = btree_page(512, 5, [], header_pos=100, right_child=1)
    return database(512, [p1])


@fixture("schema", "db-interior-cycle", "pages 1 -> 2 -> 1 through left-child pointers")
def _():
    p1 = btree_page(512, 5, [u32(2) + varint(10)], header_pos=100, right_child=2)
    p2 = btree_page(512, 5, [u32(1) + varint(5)], right_child=1)
    return database(512, [p1, p2])


@fixture("schema", "db-deep-interior-chain", "a chain of 80 interior pages, deeper than the walk's depth cap")
def _():
    pages = [btree_page(512, 5, [], header_pos=100, right_child=2)]
    for n in range(2, 81):
        pages.append(btree_page(512, 5, [], right_child=n + 1))
    pages.append(btree_page(512, 13, []))
    return database(512, pages)


@fixture("schema", "db-overflow-self-loop", "a schema row spilling to overflow page 2, whose next page is 2")
def _():
    sql = "CREATE TABLE t(" + ", ".join(f"c{i} TEXT" for i in range(120)) + ")"
    payload = record([text("table"), text("t"), text("t"), integer(3), text(sql)])
    # usable 512: a table-leaf keeps M = 39 + (P - 39) % 508 bytes on the page when P > 477
    keep = 39 + (len(payload) - 39) % 508
    keep = keep if keep <= 477 else 39
    cell = varint(len(payload)) + varint(1) + payload[:keep] + u32(2)
    p1 = btree_page(512, 13, [cell], header_pos=100)
    p2 = bytearray(512)
    p2[0:4] = u32(2)
    p2[4:512] = payload[keep:keep + 508]
    p3 = btree_page(512, 13, [leaf_cell(1, record([text("v")]))])
    return database(512, [p1, p2, p3])


@fixture("schema", "db-rootpage-u32-max", "a schema row naming root page 0xFFFFFFFF, and one naming page 0")
def _():
    big = leaf_cell(1, record([text("table"), text("a"), text("a"), integer48(0xFFFFFFFF),
                               text("CREATE TABLE a(x)")]))
    p1 = btree_page(512, 13, [big, schema_row(2, "b", 0, "CREATE TABLE b(y)")], header_pos=100)
    return database(512, [p1])


@fixture("schema", "db-page-count-u32-max", "a trusted header page count of 2^32 - 1 on a one-page file")
def _():
    p1 = btree_page(512, 13, [schema_row(1, "t", 2, "CREATE TABLE t(x)")], header_pos=100)
    return database(512, [p1], page_count=0xFFFFFFFF)


@fixture("schema", "db-utf16-odd-text", "a UTF-16le database whose schema texts have odd byte lengths")
def _():
    cell = leaf_cell(1, record([(13 + 2 * 5, b"t\0a\0b"), (13 + 2 * 1, b"t"), (13, b""),
                                integer(2), (13 + 2 * 3, b"C\0R")]))
    p1 = btree_page(512, 13, [cell], header_pos=100)
    return database(512, [p1], encoding=2)


# ---------------------------------------------------------------- scan_chunk

def small_db():
    p1 = btree_page(512, 13, [schema_row(1, "t", 2, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")],
                    header_pos=100)
    p2 = btree_page(512, 13, [leaf_cell(i, record([(0, b""), text(f"row {i}")])) for i in range(1, 6)])
    return database(512, [p1, p2])


@fixture("scan_chunk", "db-header-straddles-chunk", "a database whose header starts 16 bytes before a 4 KiB chunk boundary (not 512-aligned)")
def _():
    db = small_db()
    return bytes(4096 - 16) + db + bytes(1024)


@fixture("scan_chunk", "wal-commit-size-u32-max", "a database and a WAL paired to it whose commit frame says 2^32 - 1 pages")
def _():
    db = small_db()
    page2 = db[512:1024]
    w = wal(512, [(2, 0xFFFFFFFF, page2)])
    return db + bytes(512) + w


@fixture("scan_chunk", "every-page-size-at-one-offset", "a type byte with content start 0 at every 512-byte boundary of 66 KiB")
def _():
    unit = bytearray(512)
    unit[0] = 13
    unit[8] = 1
    return bytes(unit) * 132


@fixture("scan_chunk", "journal-sector-past-end", "a journal header at the very end of the image, sector size 65536")
def _():
    j = JOURNAL_MAGIC + u32(0) + u32(1) + u32(1) + u32(65536) + u32(512)
    return bytes(8192 - len(j)) + j


@fixture("scan_chunk", "headers-everywhere", "database, WAL and journal magics at every 512-byte boundary")
def _():
    unit = bytearray(512)
    unit[0:100] = db_header(512, 3)
    unit[128:160] = wal(512, [])
    unit[256:284] = JOURNAL_MAGIC + u32(0) + u32(1) + u32(1) + u32(512) + u32(512)
    return bytes(unit) * 64


@fixture("scan_chunk", "carve-header-size-varint-max", "a WhatsApp jid table leaf whose unallocated space holds a stale freeblock header then 0xFF bytes: the carver reads a record header size of 2^64 - 1")
def _():
    sql = "CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL)"
    p1 = btree_page(512, 13, [schema_row(1, "jid", 2, sql)], header_pos=100)
    p2 = btree_page(512, 13, [leaf_cell(1, record([(0, b""), text("4917000001"), text("s.whatsapp.net")]))])
    p2[100:104] = u16(0) + u16(32)      # next 0, size 32: a plausible stale freeblock header
    p2[104:132] = b"\xff" * 28
    return database(512, [p1, p2])

@fixture("scan_chunk", "orphan-leaves-one-content-many-rowids", "128 orphan 512-byte table leaves (no database header anywhere), 8064 cells of one NULL column with rowids 1..8064: every record has the same content and its own rowid, so sightings::fold compares each with every earlier one (quadratic: ~1 s in the fuzz build here, 11 s at 256 KiB)")
def _():
    null = record([(0, b"")])
    pages, rowid = [], 1
    for _ in range(128):
        cells = [leaf_cell(rowid + i, null) for i in range(63)]
        rowid += 63
        pages.append(bytes(btree_page(512, 13, cells)))
    return b"".join(pages)


# ---------------------------------------------------------------- fts_node: FTS3/FTS4 segment nodes

def fts_varint(v):
    """FTS varint: little-endian base-128 (not the record varint)."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


@fixture("fts_node", "doclist-length-2-63", "a leaf whose first doclist claims 2^63 bytes and holds two entries")
def _():
    return b"\x00" + fts_varint(5) + b"hello" + fts_varint(1 << 63) + b"\x01\x02\x00\x03\x03\x00"


@fixture("fts_node", "prefix-longer-than-term", "a leaf whose second term takes a 2^32 - 1 byte prefix of a 2-byte term")
def _():
    first = b"\x00\x02ab\x03\x01\x02\x00"
    return first + fts_varint(0xFFFFFFFF) + fts_varint(1) + b"c" + b"\x03\x02\x02\x00"


@fixture("fts_node", "suffix-length-u64-max", "an interior node whose first term is 2^64 - 1 bytes long, as a ten-byte varint")
def _():
    return b"\x01\x07" + b"\xff" * 9 + b"\x01" + b"x" * 32


@fixture("fts_node", "ten-continuation-bytes", "a leaf whose docid is eleven bytes with the high bit set")
def _():
    return b"\x00\x01a\x0c" + b"\xff" * 11 + b"\x00"


@fixture("fts_node", "column-and-position-huge", "position lists that switch to column 2^40 and jump by 2^62 positions")
def _():
    dl = fts_varint(9) + b"\x01" + fts_varint(1 << 40) + b"\x02\x00" + fts_varint(1) + fts_varint((1 << 62) + 2) + b"\x00"
    return b"\x00\x01z" + fts_varint(len(dl)) + dl


@fixture("fts_node", "many-terms-one-byte-suffixes", "an interior node of 20000 terms that each keep the whole term before and add one byte: the term grows to 20 KB")
def _():
    out = bytearray(b"\x01\x02\x01a")
    for i in range(1, 20000):
        out += fts_varint(i) + b"\x01" + bytes([0x61 + (i % 20)])
    return bytes(out)

def sparse(blk_sz, total_blks, chunks, total_chunks=None, file_hdr_sz=28, chunk_hdr_sz=12):
    """An Android sparse image: chunks are (type, chunk_sz, data[, total_sz])."""
    out = struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, file_hdr_sz, chunk_hdr_sz, blk_sz, total_blks,
                      len(chunks) if total_chunks is None else total_chunks, 0)
    for c in chunks:
        kind, n, data = c[:3]
        total = c[3] if len(c) > 3 else 12 + len(data)
        out += struct.pack("<HHII", kind, 0, n, total) + data
    return out


@fixture("android_sparse", "chunk-past-total-blocks", "a DONT_CARE chunk of 2^32-1 blocks in an image declared 1 block long")
def _():
    return sparse(4096, 1, [(0xCAC3, 0xFFFFFFFF, b"")])


@fixture("android_sparse", "raw-chunk-size-overflow", "a RAW chunk of 2^32-1 blocks of 2^32-4 bytes whose total size says 12")
def _():
    return sparse(0xFFFFFFFC, 0xFFFFFFFF, [(0xCAC1, 0xFFFFFFFF, b"", 12)])


@fixture("android_sparse", "raw-data-cut", "a RAW chunk of one 4096-byte block with 100 bytes of data before the end of the file")
def _():
    return sparse(4096, 4, [(0xCAC1, 1, b"\xAA" * 100, 12 + 4096)])


@fixture("android_sparse", "total-chunks-ffffffff", "2^32-1 chunks declared, one present")
def _():
    return sparse(4096, 4, [(0xCAC2, 1, b"\x01\x02\x03\x04")], total_chunks=0xFFFFFFFF)


@fixture("android_sparse", "declared-16-gib", "a header declaring 16 GiB of blocks: past the harness's 16 MiB limit")
def _():
    return sparse(4096, 0x400000, [(0xCAC3, 0x400000, b"")])


@fixture("android_sparse", "header-sizes-zero", "file and chunk header sizes of 0 and a block size of 0")
def _():
    return sparse(0, 4, [], file_hdr_sz=0, chunk_hdr_sz=0)


def main():
    os.makedirs(hexdump.CRASHES, exist_ok=True)
    for f in os.listdir(hexdump.CRASHES):
        stem = f[:-4] if f.endswith(".hex") else ""
        tail = stem.split("-", 1)[1] if "-" in stem else ""
        hand_made = not (len(tail) == 8 and all(c in "0123456789abcdef" for c in tail))
        if stem and hand_made:
            os.remove(os.path.join(hexdump.CRASHES, f))
    for target, name, comment, build in FIXTURES:
        data = build()
        path = hexdump.save(target, data, name, [comment, "written by fuzz/handcrafted.py"])
        print(f"{os.path.relpath(path)}  {len(data)} bytes")


if __name__ == "__main__":
    main()
