#!/usr/bin/env python3
"""Score deleted-record recovery on the SQLite Forensic Corpus (categories 0C/0D/0E) the way the
published comparisons do, for any tool whose output is turned into JSON lines
{"tool", "db", "table" (or null), "values": [...]} (one line per recovered, non-live record).

A recovered record is
  * a true positive when its values equal a deleted row (<row deleted="1">) of the answer key,
  * a live re-read when they equal a live row instead (counted apart, not as a false positive),
  * a false positive otherwise.
Integers compare as integers, reals to five decimals (the key keeps five; an integral real that
SQLite stored as an integer compares equal to it), text exactly, NULL as the key's "NULL".
Recall = distinct deleted rows matched / all deleted rows; precision = TP / (TP + FP), counted
per record (a record emitted twice counts twice), as chatcarve's tests/corpus.rs counts.

Sub-commands (stdlib only):
  score.py score --corpus DIR [--categories "0C 0D 0E"] [--match-table] [--per-db] [--show-fp N]
                 TOOL=FILE.jsonl[@0C,...] ...     (@: the categories the tool was run on)
  score.py from-chatcarve DB REPORT.json   chatcarve `records --json` report -> JSON lines
                                           (status != "live" and truncated == false only)
  score.py from-dissect DB OUTDIR          sqlite_dissect `-e csv` output -> JSON lines (non-live only)
"""

import argparse
import csv
import html
import json
import os
import re
import sys
from collections import OrderedDict

# --------------------------------------------------------------------------------------------
# Answer key
# --------------------------------------------------------------------------------------------


def answer_key(xml_path):
    """[(table, [value text], deleted)] in key order. A plain split like tests/corpus.rs does:
    the key files are regular, and their <content> never spans a line or nests."""
    text = open(xml_path, encoding="utf-8").read()
    rows = []
    for element in text.split("<element>")[1:]:
        m = re.search(r"<name>(.*?)</name>", element, re.S)
        if not m:
            continue
        table = html.unescape(m.group(1))
        for row in element.split("<row")[1:]:
            deleted = row.startswith(' deleted="1"')
            values = [html.unescape(c) for c in re.findall(r"<content>(.*?)</content>", row, re.S)]
            # An empty <content/> would be an empty string; the 0C–0E keys have none.
            values += [""] * len(re.findall(r"<content\s*/>", row))
            rows.append((table, values, deleted))
    return rows


# --------------------------------------------------------------------------------------------
# Value comparison
# --------------------------------------------------------------------------------------------


def _num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def _is_int_text(s):
    return re.fullmatch(r"[+-]?\d+", s) is not None


def cell_matches(got, key):
    """got: a decoded JSON value (None, bool, int, float, str, dict for blobs); key: key text."""
    if got is None:
        return key == "NULL"
    if isinstance(got, bool):  # never produced, but keep True from equalling 1
        return False
    if isinstance(got, int):
        if _is_int_text(key):
            return got == int(key)
        k = _num(key)  # a REAL column whose value SQLite stored as an integer
        return k is not None and "%.5f" % got == "%.5f" % k
    if isinstance(got, float):
        k = _num(key)
        return k is not None and "%.5f" % got == "%.5f" % k
    if isinstance(got, str):
        return got == key
    return False  # blobs, undecodable text: the 0C–0E keys hold none


def row_matches(values, key_values):
    return len(values) == len(key_values) and all(cell_matches(g, k) for g, k in zip(values, key_values))


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def category_of(db_path):
    return os.path.basename(db_path)[:2]


def score_db(key, records, match_table):
    """key: answer_key(); records: JSON-line dicts of one tool for one db."""
    t = {"deleted": sum(1 for k in key if k[2]), "recovered": 0, "records": 0,
         "tp": 0, "fp": 0, "live": 0}
    tables = {k[0] for k in key}
    matched = [False] * len(key)
    fps = []
    for r in records:
        t["records"] += 1
        table = r.get("table")
        use_table = match_table and table in tables
        cands = [i for i, k in enumerate(key)
                 if (not use_table or k[0] == table) and row_matches(r["values"], k[1])]
        dels = [i for i in cands if key[i][2]]
        if dels:
            t["tp"] += 1
            # Identical deleted rows: credit the first one not yet matched.
            i = next((i for i in dels if not matched[i]), dels[0])
            matched[i] = True
        elif cands:
            t["live"] += 1
        else:
            t["fp"] += 1
            fps.append(r)
    t["recovered"] = sum(1 for i, k in enumerate(key) if k[2] and matched[i])
    return t, fps


def add(a, b):
    for k, v in b.items():
        a[k] = a.get(k, 0) + v


def ratios(t):
    recall = t["recovered"] / t["deleted"] if t["deleted"] else 0.0
    claims = t["tp"] + t["fp"]
    precision = t["tp"] / claims if claims else float("nan")
    return recall, precision


def cmd_score(args):
    args.categories = args.categories.replace(",", " ").split()
    tools = OrderedDict()
    tool_cats = {}
    for spec in args.tools:
        name, _, path = spec.partition("=")
        only = None
        if "@" in path:  # FILE.jsonl@0C,0D: the tool was run on these categories only
            path, _, cats = path.rpartition("@")
            only = set(cats.split(","))
        tool_cats[name] = only
        recs = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    r = json.loads(line)
                    recs.setdefault(os.path.realpath(r["db"]), []).append(r)
        tools[name] = recs

    dbs = []
    for cat in args.categories:
        d = os.path.join(args.corpus, cat)
        dbs += sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".db"))

    totals = {name: OrderedDict() for name in tools}
    fp_examples = {name: [] for name in tools}
    for db in dbs:
        key = answer_key(db[:-3] + ".xml")
        cat = category_of(db)
        for name, recs in tools.items():
            if tool_cats[name] is not None and cat not in tool_cats[name]:
                continue
            t, fps = score_db(key, recs.get(os.path.realpath(db), []), args.match_table)
            fp_examples[name] += [(os.path.basename(db), r) for r in fps]
            add(totals[name].setdefault(cat, {}), t)
            if args.per_db:
                rc, pr = ratios(t)
                print(f"{name:<16} {os.path.basename(db):<9} deleted {t['deleted']:>3} recovered "
                      f"{t['recovered']:>3} tp {t['tp']:>3} fp {t['fp']:>3} live {t['live']:>3}")

    print()
    print("SQLite Forensic Corpus, deleted-record recovery, scored alike "
          "(TP = equals a deleted row; live re-reads counted apart)")
    if args.match_table:
        print("(table names required to match where the tool names a table of the key)")
    hdr = f"{'category':<9} {'tool':<16} {'deleted rows':>12} {'recovered':>9} {'recall':>7} " \
          f"{'precision':>9} {'TP':>4} {'FP':>4} {'live re-reads':>13}"
    print(hdr)
    print("-" * len(hdr))
    for cat in args.categories:
        for name in tools:
            t = totals[name].get(cat)
            if not t:
                continue
            recall, precision = ratios(t)
            print(f"{cat:<9} {name:<16} {t['deleted']:>12} {t['recovered']:>9} {recall:>7.3f} "
                  f"{precision:>9.3f} {t['tp']:>4} {t['fp']:>4} {t['live']:>13}")
    if args.show_fp:
        for name, ex in fp_examples.items():
            for db, r in ex[: args.show_fp]:
                print(f"FP {name} {db} {r.get('table')} {json.dumps(r['values'], ensure_ascii=False)[:200]}")
    return 0


# --------------------------------------------------------------------------------------------
# Converters
# --------------------------------------------------------------------------------------------


def cmd_from_chatcarve(args):
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    for r in report.get("records", []):
        if r.get("status") == "live" or r.get("truncated"):
            continue
        print(json.dumps({"tool": "chatcarve", "db": args.db, "table": r.get("table"),
                          "values": r.get("values"), "status": r.get("status"),
                          "confidence": r.get("confidence")}, ensure_ascii=False))
    return 0


def _dissect_value(s):
    """A cell of sqlite_dissect's CSV export, where every cell is a quoted string: read it back
    as the narrowest type whose text it is. "" is NULL (the export writes NULL as an empty
    string; the 0C–0E keys hold neither NULL nor empty text, so nothing is lost here)."""
    if s == "":
        return None
    if _is_int_text(s):
        return int(s)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+", s):
        return float(s)
    return s


def cmd_from_dissect(args):
    """Carved records of sqlite_dissect's CSV export (OUTDIR/<db>-<table>.csv, one per table:
    "File Source","Version","Page Version","Cell Source","Page Number","Location","Operation",
    "File Offset","Row ID", then the table's columns). The text export (`-e text`) prints the same
    records with values unquoted and comma-joined, which text holding ", " would make ambiguous,
    so the CSV one is read. Every operation other than "Added" (a live cell of the version read)
    is a non-live claim: "Carved", and "Deleted"/"Updated" where a WAL gives the file a history."""
    prefix = os.path.basename(args.db) + "-"
    for root, _, files in os.walk(args.outdir):
        for fn in sorted(files):
            if not fn.endswith(".csv"):
                continue
            table = fn[:-4]
            if table.startswith(prefix):
                table = table[len(prefix):]
            with open(os.path.join(root, fn), encoding="utf-8", errors="replace", newline="") as f:
                rows = csv.reader(f)
                header = next(rows, None)
                if not header or "Operation" not in header or "Row ID" not in header:
                    continue
                op, first = header.index("Operation"), header.index("Row ID") + 1
                for row in rows:
                    if len(row) <= op or row[op] == "Added":
                        continue
                    values = [_dissect_value(c) for c in row[first:]]
                    print(json.dumps({"tool": "sqlite-dissect", "db": args.db, "table": table,
                                      "values": values, "operation": row[op]}, ensure_ascii=False))
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("--corpus", required=True)
    s.add_argument("--categories", default="0C 0D 0E", help='e.g. "0C 0D 0E" or 0C,0D')
    s.add_argument("--match-table", action="store_true",
                   help="require the table name to match when the tool names a table of the key")
    s.add_argument("--per-db", action="store_true")
    s.add_argument("--show-fp", type=int, default=0, metavar="N", help="print N false positives per tool")
    s.add_argument("tools", nargs="+", metavar="TOOL=FILE.jsonl[@0C,...]")
    c = sub.add_parser("from-chatcarve")
    c.add_argument("db")
    c.add_argument("report")
    d = sub.add_parser("from-dissect")
    d.add_argument("db")
    d.add_argument("outdir")
    args = p.parse_args(argv)
    return {"score": cmd_score, "from-chatcarve": cmd_from_chatcarve, "from-dissect": cmd_from_dissect}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
