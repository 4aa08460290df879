"""test_oracle_match.py - the real binary against an independent calculation.

gendrops writes drops for the four sample partners (four CSV dialects, cp949,
FX conversion, a Malta DST change, re-sent rows, conflicting duplicates and
every kind of bad row); `settle run` settles them; oracle.py (Python's
Decimal, csv and zoneinfo: no code shared with the engine) computes what every
statement must say. Every figure and every rejected row must agree.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

from harness import GENDROPS, ROOT, Workspace, check, check_eq, done, test

ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle.py")
TYPES = ["bet", "win", "refund", "win_reversal", "bonus", "jackpot_contribution",
         "jackpot_win", "purchase", "adjustment"]


def sample_workspace(rows, start, days, seed):
    """The sample config and rules with freshly generated drops."""
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    subprocess.run([GENDROPS, "--out", ws.path("data", "inbox"), "--rows", str(rows),
                    "--start", start, "--days", str(days), "--seed", str(seed),
                    "--wallet", ws.path("data", "inbox", "wallet")],
                   check=True, capture_output=True)
    return ws


def expected(ws):
    """The oracle's figures for the workspace's inbox."""
    out = subprocess.run([sys.executable, ORACLE, "--config", ws.path("data", "settle.yaml")],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def engine_rejects(ws):
    """(file, line, reason) of every row in every exceptions.csv."""
    found = []
    for d, _, files in os.walk(ws.path("var", "reports")):
        if "exceptions.csv" in files:
            with open(os.path.join(d, "exceptions.csv"), encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    found.append((r["file"], int(r["line"]), r["reason"]))
    return sorted(found)


def compare_statement(ws, partner, label, want):
    """Checks one statement's aggregates against the oracle's."""
    st = ws.statement(label, partner)
    agg = st["aggregates"]
    where = "%s %s" % (partner, label)
    for t in TYPES:
        check_eq(agg["total"][t], want["total"][t], where + " total." + t)
        check_eq(agg["count"][t], want["count"][t], where + " count." + t)
    for k in ("ggr", "transactions", "duplicates", "rejected"):
        check_eq(agg[k], want[k], where + " " + k)


@test
def sample_partners_settle_as_the_oracle_says():
    # 25-28 Oct 2025 spans the end of Malta's summer time (26 Oct).
    ws = sample_workspace(40000, "2025-10-25", 4, 11)
    r = ws.settle("run", config="data/settle.yaml", env={"SETTLE_TODAY": "2025-10-29"})
    check_eq(r.returncode, 1, "bad rows were injected (stderr: %s)" % r.stderr[-500:])
    want = expected(ws)
    periods = 0
    for partner, by_label in want.items():
        if partner.startswith("_"):
            continue
        for label, figures in by_label.items():
            if label == "unattributed":
                continue
            compare_statement(ws, partner, label, figures)
            periods += 1
    check(periods >= 8, "all four partners produced statements (%d)" % periods)
    want_rejects = sorted((f, line, reason) for rows in want["_rejects"].values()
                          for f, line, reason in rows)
    check_eq(engine_rejects(ws), want_rejects, "every rejected row, file, line and reason")
    check(len(want_rejects) > 20, "the drops really had bad rows (%d)" % len(want_rejects))
    ws.cleanup()


@test
def two_nights_equal_one_night():
    # Drops of day 1-2 settled on night one, day 3-4 on night two: same figures as all at once.
    ws = sample_workspace(20000, "2025-11-03", 4, 5)
    inbox = ws.path("data", "inbox")
    later = ws.path("later")
    for partner in os.listdir(inbox):
        names = sorted(os.listdir(os.path.join(inbox, partner)))
        os.makedirs(os.path.join(later, partner))
        for name in names[2:]:
            os.rename(os.path.join(inbox, partner, name), os.path.join(later, partner, name))
    env = {"SETTLE_TODAY": "2025-11-05"}
    ws.settle("run", config="data/settle.yaml", env=env)
    for partner in os.listdir(later):
        for name in os.listdir(os.path.join(later, partner)):
            os.rename(os.path.join(later, partner, name), os.path.join(inbox, partner, name))
    r = ws.settle("run", config="data/settle.yaml", env=env)
    check(r.returncode in (0, 1), "second night ran (stderr: %s)" % r.stderr[-300:])
    want = expected(ws)
    for partner, by_label in want.items():
        if partner.startswith("_"):
            continue
        for label, figures in by_label.items():
            if label != "unattributed":
                compare_statement(ws, partner, label, figures)
    ws.cleanup()


done()
