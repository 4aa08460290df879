"""test_seen_store.py - the seen id store on the real binary: the same drops
run with the default dedup budget and with a 64 KB one (SETTLE_SEEN_BUDGET,
so the table spills to sorted runs on disk many times and the runs merge)
give byte-identical reports, the same summary line and the same state
figures (cells, duplicate counts, rejects, file counts and the stored seen id
chunks). A second run with rows re-sent from the first (some with another
type) finds every one of them again through the look-back window, with both
budgets; with `today` past the window the same rows count as new. A rerun
with nothing new does not load the stored ids at all.
"""
import csv
import io
import os
import re
import shutil
import sqlite3
import subprocess

from harness import GENDROPS, ROOT, SETTLE, check, check_eq, done, test, tree_bytes

TODAY = "2025-10-29"
TINY = {"SETTLE_SEEN_BUDGET": "65536"}
RESEND = "reelstorm_resend.csv"


def make_workspace(base):
    """data/ and rules/ of the repository with generated drops, in a fresh folder."""
    os.makedirs(base)
    shutil.copytree(os.path.join(ROOT, "data"), os.path.join(base, "data"),
                    ignore=shutil.ignore_patterns("inbox"))
    shutil.copytree(os.path.join(ROOT, "rules"), os.path.join(base, "rules"))
    subprocess.run([GENDROPS, "--out", os.path.join(base, "data", "inbox"), "--rows", "80000",
                    "--start", "2025-10-24", "--days", "3", "--seed", "11",
                    "--wallet", os.path.join(base, "data", "inbox", "wallet")],
                   check=True, capture_output=True)


def run(base, env=None, today=TODAY):
    e = dict(os.environ, SETTLE_TODAY=today)
    e.pop("SETTLE_SEEN_BUDGET", None)
    e.update(env or {})
    return subprocess.run([SETTLE, "run", "-c", os.path.join(base, "data", "settle.yaml")],
                          capture_output=True, text=True, env=e, timeout=600)


def summary(r):
    """The summary line without its timing."""
    return re.sub(r" in [0-9.]+s", "", r.stdout.strip())


def state_figures(base):
    """Every stored figure that dedup decides, as plain rows."""
    db = sqlite3.connect(os.path.join(base, "var", "state", "settle.db"))
    q = {
        "cells": "SELECT * FROM cells ORDER BY 1,2,3,4,5,6",
        "day_counts": "SELECT * FROM day_counts ORDER BY 1,2",
        "rejects": "SELECT file, line, tx_id, reason, day FROM rejects ORDER BY 1,2,3,4",
        "files": "SELECT partner, path, outcome, rows, transactions, duplicates, rejected "
                 "FROM files ORDER BY 1,2",
        "seen_ids": "SELECT s.partner, f.path, chunk, last_day, ids FROM seen_ids s "
                    "JOIN files f ON f.id = s.file_id ORDER BY 1,2,3",
    }
    out = {k: db.execute(v).fetchall() for k, v in q.items()}
    db.close()
    return out


def file_counts(base, name):
    db = sqlite3.connect(os.path.join(base, "var", "state", "settle.db"))
    row = db.execute("SELECT rows, transactions, duplicates, rejected FROM files "
                     "WHERE path LIKE ? AND outcome = 'processed'", ("%/" + name,)).fetchone()
    db.close()
    return row


def write_resend(base):
    """Re-sends every 5th good row of the first reelstorm file (rows that were counted in the
    first run: no reject); one in five of those as WIN instead of BET. Returns (rows, changed)."""
    inbox = os.path.join(base, "data", "inbox", "reelstorm")
    first = sorted(n for n in os.listdir(inbox) if n != RESEND)[0]
    db = sqlite3.connect(os.path.join(base, "var", "state", "settle.db"))
    bad = {l for (l,) in db.execute("SELECT line FROM rejects WHERE file = ?",
                                    ("reelstorm/" + first,))}
    db.close()
    with open(os.path.join(inbox, first), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, kept, changed = rows[0], [], 0
    t = header.index("Type")
    for line, row in enumerate(rows[1:], start=2):
        if line in bad or line % 5:
            continue
        if row[t] == "BET" and len(kept) % 5 == 0:
            row = row[:t] + ["WIN"] + row[t + 1:]
            changed += 1
        kept.append(row)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(header)
    w.writerows(kept)
    with open(os.path.join(inbox, RESEND), "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    return len(kept), changed


def spills(r):
    """Total spills the diagnostic lines of a SETTLE_SEEN_BUDGET run report."""
    return sum(int(m) for m in re.findall(r"seen ids: \d+ spilled in (\d+) spills", r.stderr))


@test
def tiny_budget_equals_default_and_second_run_finds_first_runs_ids():
    root = subprocess.run(["mktemp", "-d", "/tmp/settle-e2e-seen.XXXXXX"], capture_output=True,
                          text=True, check=True).stdout.strip()
    try:
        big, tiny = os.path.join(root, "default"), os.path.join(root, "tiny")
        make_workspace(big)
        # one run on an empty inbox first, so both copies share the state's dedup key
        inbox, held = os.path.join(big, "data", "inbox"), os.path.join(root, "held")
        os.rename(inbox, held)
        os.makedirs(inbox)
        check(run(big).returncode in (0, 1), "run on an empty inbox")
        os.rmdir(inbox)
        os.rename(held, inbox)
        shutil.copytree(big, tiny)
        r1, r2 = run(big), run(tiny, TINY)
        check(r1.returncode in (0, 1), "default run (stderr: %s)" % r1.stderr[-500:])
        check(r2.returncode in (0, 1), "tiny-budget run (stderr: %s)" % r2.stderr[-500:])
        check(spills(r2) >= 20, "the 64 KB budget spilled (%d spills)" % spills(r2))
        check("seen ids" not in r1.stderr, "no diagnostic without SETTLE_SEEN_BUDGET")
        check_eq(summary(r2), summary(r1), "summary line")
        check(tree_bytes(os.path.join(tiny, "var", "reports")) ==
              tree_bytes(os.path.join(big, "var", "reports")), "reports byte-identical")
        s1, s2 = state_figures(big), state_figures(tiny)
        for k in s1:
            check(s1[k] == s2[k], "state %s identical (%d rows)" % (k, len(s1[k])))
        check(len(s1["seen_ids"]) >= 7 and len(s1["cells"]) > 10, "the state has figures")
        check(not os.path.exists(os.path.join(tiny, "var", "state", "seen.tmp")),
              "the spill folder is removed")

        # nothing new: the stored ids are not even loaded (nothing spills with 64 KB)
        r0 = run(tiny, TINY)
        # (exit 1 when a statement is held: the sample wallet holds reelstorm)
        check(r0.returncode in (0, 1) and "seen ids" in r0.stderr and spills(r0) == 0,
              "a rerun with nothing new loads no ids (%d spills)" % spills(r0))

        # a later run: re-sent rows are found through the look-back window
        later = os.path.join(root, "later")
        shutil.copytree(big, later)
        n, changed = write_resend(big)
        write_resend(tiny)
        write_resend(later)
        check(n > 1000 and changed > 100, "re-sent %d rows, %d changed" % (n, changed))
        r3, r4 = run(big), run(tiny, TINY)
        check(spills(r4) >= 10, "loading reelstorm's window spilled (%d spills)" % spills(r4))
        want = (n, 0, n - changed, changed)
        check_eq(file_counts(big, RESEND), want, "default budget: rows, new, duplicates, conflicts")
        check_eq(file_counts(tiny, RESEND), want, "64 KB budget: rows, new, duplicates, conflicts")
        check_eq(summary(r4), summary(r3), "second summary line")
        s3, s4 = state_figures(big), state_figures(tiny)
        for k in s3:
            check(s3[k] == s4[k], "second run: state %s identical" % k)

        # past the window (reelstorm looks back 120 days) the same rows are new
        r5 = run(later, TINY, today="2026-04-01")
        check(r5.returncode in (0, 1), "run past the window (stderr: %s)" % r5.stderr[-500:])
        check_eq(file_counts(later, RESEND), (n, n, 0, 0), "past the window: all new")
    finally:
        shutil.rmtree(root, ignore_errors=True)


done()
