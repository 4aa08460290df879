"""test_bench.py - the settle side and the agreement check of scripts/bench
(scripts/bench_driver.py), on a small royal-live drop through the real binary.

DuckDB and pandas are not needed: a reference computed here with the standard
library (first row per id, exact cents, Seoul business day from 06:00) stands
in for them. Checks that the bench's CSV and NDJSON configs and its two hook
rules (a no-op one, one reading five fields) make settle compute exactly those
cells, that the result-file reader is exact, that the agreement check stops on
a single differing cell, and that `--reconcile` (scripts/bench_reconcile.py)
matches its ledger as written.
"""
import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from harness import GENDROPS, ROOT, SETTLE, check, check_eq, done, test

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bench_driver as bd  # noqa: E402
import bench_reconcile as br  # noqa: E402

bd.SETTLE, bd.GENDROPS = SETTLE, GENDROPS
SEOUL = ZoneInfo("Asia/Seoul")


def reference(path):
    """{(day, game, currency, type): (cents, count)} of a royal-live CSV, keeping the first
    row of every txn_id; also the number of rows read."""
    seen, cells, rows = set(), {}, 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            rows += 1
            if r["txn_id"] in seen:
                continue
            seen.add(r["txn_id"])
            t = datetime.fromisoformat(r["created_at"]).astimezone(SEOUL) - timedelta(hours=6)
            key = (t.date().isoformat(), r["table_id"], r["ccy"], bd.TYPES[r["event"]])
            cents = int(Decimal(r["amount"].replace(",", "")) * 100)
            total, count = cells.get(key, (0, 0))
            cells[key] = (total + cents, count + 1)
    return cells, rows


def to_ndjson(src, dst):
    """The NDJSON the bench converts to: CSV header as keys, all strings, no thousands."""
    with open(src, encoding="utf-8-sig", newline="") as f, open(dst, "w") as out:
        for r in csv.DictReader(f):
            r["amount"] = r["amount"].replace(",", "")
            out.write(json.dumps(r) + "\n")


def settle_cells(work, name, fmt, rules):
    """Runs the bench's settle job once; returns its cells and the files counters."""
    job = bd.settle_job(name, bd.write_config(work, name, fmt, rules))
    job.run_once()
    check(job.secs[0] > 0 and job.rss[0] > 0, "%s: a wall time and a peak RSS" % name)
    return bd.read_settle(job.argv[-1])


WORK = tempfile.mkdtemp(prefix="settle-e2e-bench-")
DROP, SIZE = bd.generate(WORK, 3000, "csv")
REF, ROWS = reference(DROP)
LIVE = os.path.join(ROOT, "rules", "live_casino.lua")


@test
def csv_and_hook_match_reference():
    check_eq(os.path.basename(DROP), "RL-%s.csv" % bd.START_DAY, "one royal-live file")
    check(ROWS > sum(c for _, c in REF.values()), "the drop has re-sent ids to drop")
    check_eq(sorted({k[2] for k in REF}), ["EUR", "USD"], "currencies in the drop")
    cells, files = settle_cells(WORK, "settle", "csv", LIVE)
    check_eq(cells, REF, "settle's cells (CSV) against the reference")
    check_eq(files[0], ROWS, "settle read every row")
    hook = bd.hook_rules(WORK)
    with open(hook) as f:
        check(bd.HOOK_LINE in f.read(), "the hook rule has the no-op transaction hook")
    cells, _ = settle_cells(WORK, "settle-hook", "csv", hook)
    check_eq(cells, REF, "settle's cells with the no-op hook")
    read = bd.hook_rules(WORK, bd.HOOK_READ_LINE, "live_casino_read.lua")
    cells, _ = settle_cells(WORK, "settle-read", "csv", read)
    check_eq(cells, REF, "settle's cells with the hook that reads fields (and keeps all)")


@test
def ndjson_matches_reference():
    to_ndjson(DROP, DROP[:-4] + ".ndjson")                   # the config reads RL-*.ndjson only
    cells, files = settle_cells(WORK, "settle-ndjson", "ndjson", LIVE)
    check_eq(cells, REF, "settle's cells (NDJSON) against the reference")
    check_eq(files[0], ROWS, "settle read every NDJSON line")


@test
def result_reader_is_exact():
    path = os.path.join(WORK, "result.csv")
    with open(path, "w") as f:
        f.write("day,game,currency,type,total,count\n"
                "2025-11-03,BJ-01,USD,stake,1234567890123.45,3\n"
                "2025-11-03,BJ-01,USD,void,-0.10,1\n")
    check_eq(bd.read_result(path), {("2025-11-03", "BJ-01", "USD", "bet"): (123456789012345, 3),
                                    ("2025-11-03", "BJ-01", "USD", "refund"): (-10, 1)},
             "decimal text read as exact cents, words as settle's types")


@test
def agreement_check_stops_on_one_cell():
    lines = bd.check_agreement({"duckdb": REF, "pandas": dict(REF), "settle": dict(REF)})
    check_eq(len(lines), 2, "one total line per currency")
    key = sorted(REF)[0]
    off = dict(REF)
    off[key] = (off[key][0] + 1, off[key][1])
    try:
        bd.check_agreement({"duckdb": REF, "settle": off})
        check(False, "a one-cent difference stops the bench")
    except SystemExit as e:
        check("settle and duckdb disagree" in str(e.code), "the message names the sides: %s"
              % e.code)


@test
def reconcile_mode_matches_its_ledger():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        res = br.reconcile(argparse.Namespace(rows=3000, runs=1))
    ids = sum(c for _, c in REF.values())          # the same drop: gendrops is seeded
    check(ids > 2900, "the drop has about 3000 distinct ids: %d" % ids)
    # ledger rows 0..3 of the drop's first-seen ids: an amount off by a cent, one left out,
    # one a day later, one extra ledger-only id; every other id matches.
    check_eq(res["matched"], ids - 3, "matched transactions")
    check_eq(res["breaks"], {"amount_mismatch": 1, "day_shift": 1}, "stored breaks")
    check_eq(res["open"], {0: 1, 1: 1}, "open items: one partner-only, one ledger-only")
    check(res["ratio"] > 0 and res["rss"] > 0, "a time ratio and a peak RSS")
    text = out.getvalue()
    check("settle+ledger/settle, median of the paired runs' ratios: wall time" in text
          and "3000 rows of royal-live" in text,
          "the report's lines: %s" % text[-300:])
    want = {"amount_mismatch": 1, "missing_in_ledger": 1, "day_shift": 1,
            "missing_in_partner": 1}
    check_eq(br.break_problems(want, res["breaks"], res["open"]), [], "the bench's own check")
    want["day_shift"] = 2
    check_eq(br.break_problems(want, res["breaks"], res["open"]),
             ["day_shift: 2 written, settle has 1"], "a break count that differs is reported")


shutil.rmtree(WORK, ignore_errors=True)
done()
