#!/usr/bin/env python3
"""Crash files in SQLite's sparse hex-dump form (tool/dbtotxt.c), and back.

    python3 fuzz/hexdump.py save TARGET ARTIFACT [NAME]   # -> fixtures/crashes/TARGET-NAME.hex
    python3 fuzz/hexdump.py load FILE.hex OUT.bin          # bytes again, e.g. for `cargo fuzz run T OUT.bin`
    python3 fuzz/hexdump.py show FILE                      # print a binary file as a dump

NAME defaults to the first 8 hex digits of the SHA-1 of the bytes (libFuzzer names its
artifacts crash-<sha1>, so the name ties the fixture to the artifact).

The form, as dbtotxt writes it: a `| size N pagesize P filename F` line, then for every 16-byte
line that is not all zeros a `|  OFF: xx ... xx   ascii` line, under a `| page K offset O` line
that gives the base of OFF, and a closing `| end F`. Zero lines are left out, so a 64 KiB page
with a few bytes set is a few lines. tests/fuzz_regressions.rs reads this form, and plain hex
(`xxd -p`) too; lines starting with `#` are comments saying what the input captures.
"""

import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRASHES = os.path.join(os.path.dirname(HERE), "fixtures", "crashes")
TARGETS = ("page", "record", "wal", "journal", "schema", "scan_chunk", "export_text", "fts_node", "android_sparse", "tar")

SHOW = bytes(c if 0x20 <= c <= 0x7E and chr(c) not in '{}"\\' else ord(".") for c in range(256))


def page_size_of(data):
    """The database page size when the bytes start with a database header, else 1024 (dbtotxt --raw)."""
    if data[:16] == b"SQLite format 3\x00" and len(data) >= 18:
        ps = int.from_bytes(data[16:18], "big")
        ps = 65536 if ps == 1 else ps
        if ps >= 512 and ps & (ps - 1) == 0:
            return ps
    return 1024


def dump(data, name, comments=()):
    pgsz = page_size_of(data)
    out = [f"# {c}" for c in comments]
    out.append(f"| size {len(data)} pagesize {pgsz} filename {name}")
    last_page = 0
    for i in range(0, len(data), 16):
        line = data[i:i + 16].ljust(16, b"\x00")
        if not any(line):
            continue
        page = i // pgsz + 1
        if page != last_page:
            out.append(f"| page {page} offset {(page - 1) * pgsz}")
            last_page = page
        hexes = " ".join(f"{b:02x}" for b in line)
        out.append(f"|  {i - (page - 1) * pgsz:5d}: {hexes}   {line.translate(SHOW).decode()}")
    out.append(f"| end {name}")
    return "\n".join(out) + "\n"


def load(text):
    lines = [l.strip() for l in text.splitlines()]
    if not any(l.startswith("| size ") for l in lines):
        digits = "".join("".join(l.split()) for l in lines if not l.startswith("#"))
        return bytes.fromhex(digits)
    buf = None
    base = 0
    for l in lines:
        if not l.startswith("|"):
            continue
        words = l[1:].split()
        if not words:
            continue
        if words[0] == "size":
            buf = bytearray(int(words[1]))
        elif words[0] == "page":
            base = int(words[3])
        elif words[0] == "end":
            break
        else:
            off = base + int(words[0].rstrip(":"))
            for j, tok in enumerate(words[1:17]):
                if off + j < len(buf):
                    buf[off + j] = int(tok, 16)
    return bytes(buf)


def save(target, data, name=None, comments=()):
    """Writes fixtures/crashes/<target>-<name>.hex and returns its path."""
    assert target in TARGETS, f"unknown target {target}"
    name = name or hashlib.sha1(data).hexdigest()[:8]
    fname = f"{target}-{name}.hex"
    path = os.path.join(CRASHES, fname)
    os.makedirs(CRASHES, exist_ok=True)
    text = dump(data, fname[:-4], comments)
    assert load(text) == data, "dump does not round-trip"
    with open(path, "w") as f:
        f.write(text)
    return path


def main(argv):
    if len(argv) >= 3 and argv[0] == "save":
        with open(argv[2], "rb") as f:
            data = f.read()
        print(save(argv[1], data, argv[3] if len(argv) > 3 else None,
                   [f"found by cargo fuzz run {argv[1]}; minimised artifact {os.path.basename(argv[2])}"]))
    elif len(argv) == 3 and argv[0] == "load":
        with open(argv[1]) as f:
            data = load(f.read())
        with open(argv[2], "wb") as f:
            f.write(data)
    elif len(argv) == 2 and argv[0] == "show":
        with open(argv[1], "rb") as f:
            sys.stdout.write(dump(f.read(), os.path.basename(argv[1])))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
