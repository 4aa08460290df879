"""test_threads.py - `settle run --threads N` gives byte-identical results whatever N.

The same drops are run with 1 thread (no reader thread: today's single-threaded
path), 2 and 4, each from the same starting state (so the same dedup key), in two
runs: the first half of the drops, then all of them (a rerun that skips what it
processed, plus new files). Two sets of drops:
  - the four dialects of gen_dialects.py (gzip NDJSON with a trailer, JSON documents
    with a control mismatch, gzip CSV one row per round, JSON arrays with manifests),
    with every kind of bad row, re-sent files and unreadable files (quarantine);
  - the sample partners from tools/gendrops, one of them with a transaction hook
    (skip, retype, bucket), a file re-sending rows with changed amounts (duplicates
    and conflicts across runs), a copy of a processed file (skipped), a file of the
    same size with other bytes (read: with threads a new file's SHA-256 is taken
    beside the reading unless a processed file has its size) and a CSV whose quote is
    left open (quarantined).
Files are large enough for many batches each. Compared: exit codes, stdout (but the
time taken), stderr, every report, the quarantine, the files each audit entry
records, and every figure of the state (all tables but the run log).
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess

import gen_dialects as G
from harness import GENDROPS, ROOT, Workspace, check, check_eq, done, test, tree_bytes

THREADS = (1, 2, 4)
LATE = {"SETTLE_TODAY": "2025-11-10"}

HOOK = """\
return {
  transaction = function(tx, params)
    local last = tx.id:sub(-1)
    if last == "7" then return false, "test account" end
    if tx.type == "bet" and last == "3" then return "bonus" end
    if tx.type == "win" and last == "1" then return true, "bucketed" end
  end,
  settle = function"""


def state_figures(db):
    """Every row of every table but the run log, sorted: {table: [rows]}."""
    con = sqlite3.connect(db)
    out = {}
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        if t in ("runs", "meta"):
            continue
        # file_stats keys a file by its inode and times, which differ between the copies
        cols = "partner, sha256" if t == "file_stats" else "*"
        out[t] = sorted(con.execute("SELECT %s FROM %s" % (cols, t)).fetchall(), key=repr)
    con.close()
    return out


def audit_files(path):
    """The `files` list of every audit entry, in order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line).get("files") for line in f if line.strip()]


def quarantine(ws, var):
    """The quarantine's files, the time in each .reason file left out."""
    files = tree_bytes(ws.path(var, "quarantine"))
    return {k: re.sub(rb"(?m)^quarantined: .*$", b"quarantined: T", v) if k.endswith(".reason")
            else v for k, v in files.items()}


def outcome(ws, var, audit):
    """Everything a run series left that must not depend on the thread count."""
    return {
        "reports": tree_bytes(ws.path(var, "reports")),
        "quarantine": quarantine(ws, var),
        "state": state_figures(ws.path(var, "state", "settle.db")),
        "audit": audit_files(ws.path(audit)),
    }


def run_series(ws, inbox, steps, threads, var="var", audit="var/audit/audit.jsonl", env=None,
               config="settle.yaml"):
    """From the saved starting state, copies each step's files {relpath: bytes} into the
    inbox and runs settle with --threads; returns (runs, outcome)."""
    shutil.rmtree(ws.path(var), ignore_errors=True)
    shutil.rmtree(ws.path(inbox), ignore_errors=True)
    shutil.copytree(ws.path("start"), ws.path(var))
    runs = []
    for files in steps:
        for rel, data in files.items():
            os.makedirs(os.path.dirname(ws.path(inbox, rel)), exist_ok=True)
            with open(ws.path(inbox, rel), "wb") as f:
                f.write(data)
        r = ws.settle("run", "--threads", str(threads), env=env, config=config)
        runs.append((r.returncode, re.sub(r" in [0-9.]+s;", " in Ts;", r.stdout), r.stderr))
    return runs, outcome(ws, var, audit)


def save_start(ws, inbox, var="var", env=None, config="settle.yaml"):
    """Runs once on an empty inbox (the state and its dedup key are made) and keeps
    that state as every series' start."""
    os.makedirs(ws.path(inbox), exist_ok=True)
    r = ws.settle("run", "--threads", "1", env=env, config=config)
    check(r.returncode in (0, 1), "empty first run (stderr: %s)" % r.stderr[-500:])
    shutil.copytree(ws.path(var), ws.path("start"))


def take_inbox(ws, inbox):
    """Every file of the inbox {relpath: bytes}, then empties it."""
    files = tree_bytes(ws.path(inbox))
    shutil.rmtree(ws.path(inbox))
    return files


def halves(files):
    """The first half of the files (by name) and all of them, as two steps."""
    names = sorted(files)
    first = {n: files[n] for n in names[: len(names) // 2]}
    return [first, {n: files[n] for n in names[len(names) // 2:]}]


def compare(results, what):
    """Checks every thread count's results against those with one thread."""
    runs1, out1 = results[1]
    for n in THREADS[1:]:
        runs, out = results[n]
        where = "%s, %d threads vs 1" % (what, n)
        check_eq(runs, runs1, where + ": exit codes, stdout and stderr of each run")
        for part in ("reports", "quarantine"):
            check_eq(sorted(out[part]), sorted(out1[part]), where + ": %s files" % part)
            differ = sorted(k for k in out[part] if out1[part].get(k) != out[part][k])
            check_eq(differ, [], where + ": %s with different bytes" % part)
        for t in out1["state"]:
            check(out["state"].get(t) == out1["state"][t], where + ": state table " + t)
        check_eq(out["audit"], out1["audit"], where + ": files of each audit entry")


@test
def dialects_are_the_same_with_any_thread_count():
    ws = Workspace()
    os.makedirs(ws.path("rules"), exist_ok=True)
    for name in ("game_provider.lua", "live_casino.lua", "slot_solution.lua",
                 "credit_supplier.lua"):
        shutil.copy(os.path.join(ROOT, "rules", name), ws.path("rules", name))
    G.generate(ws.dir, seed=11, rows=5000, days=2, control={"funhouse": "trailer"},
                      mismatch=("gamehub",))
    files = take_inbox(ws, "inbox")
    check(max(len(b) for b in files.values()) > 3 << 20, "a drop spans several batches")
    steps = halves(files)
    steps[1]["funhouse/funhouse-cut.ndjson"] = (b'{"tx": {"id": "C1", "kind": "STAKE"}, "ts": '
                                                b'"2025-10-24T12:00:00", "amount": {"value": 5, '
                                                b'"currency": "EUR"}}\n{"tx": {"id": "C2", "ki')
    steps[1]["gamehub/gh_cut.json"] = (b'{"meta": {"count": 1, "sum": "1"}, "data": '
                                       b'{"transactions": [\n  {"id": 1, "event": {"type"')
    save_start(ws, "inbox", env=LATE)
    results = {n: run_series(ws, "inbox", steps, n, env=LATE) for n in THREADS}
    runs, out = results[1]
    check_eq([r[0] for r in runs], [1, 1], "rejects, holds and quarantine: exit 1 (%s)"
             % runs[-1][2][-600:])
    check(len(out["quarantine"]) >= 2, "the cut files are quarantined: %s" % sorted(out["quarantine"]))
    check(any(f["outcome"] == "skipped" for e in out["audit"][2:] for f in e or []),
          "the second run skips the files it processed")
    compare(results, "dialects")
    ws.cleanup()


def resend_with_changes(data, n):
    """The header and the first n rows of a reelstorm CSV, every 10th amount changed."""
    lines = data.decode().split("\n")
    out = [lines[0]]
    for i, line in enumerate(lines[1: n + 1]):
        cells = line.split(";")
        if i % 10 == 0:
            cells[7] = "1234,56"
        out.append(";".join(cells))
    return ("\n".join(out) + "\n").encode()


@test
def sample_partners_with_a_hook_are_the_same_with_any_thread_count():
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    rule = ws.read("rules", "game_provider.lua")
    check("return {\n  settle = function" in rule, "the rule can take a hook")
    ws.write("rules/game_provider.lua", rule.replace("return {\n  settle = function", HOOK, 1))
    subprocess.run([GENDROPS, "--out", ws.path("data", "inbox"), "--rows", "160000",
                    "--start", "2025-10-20", "--days", "1", "--seed", "5",
                    "--wallet", ws.path("data", "inbox", "wallet")],
                   check=True, capture_output=True)
    files = take_inbox(ws, "data/inbox")
    check(max(len(b) for b in files.values()) > 3 << 20, "a drop spans several batches")
    steps = halves(files)
    first = sorted(n for n in files if n.startswith("reelstorm/"))[0]
    steps[1]["reelstorm/reelstorm_resend.csv"] = resend_with_changes(files[first], 3000)
    copied = sorted(n for n in steps[0] if n.startswith("chipmart/"))[0]
    steps[1]["chipmart/chipmart_copy.txt"] = files[copied]
    # the same size as a processed file but other bytes: hashed first, then read
    changed = bytearray(files[copied])
    at = changed.rindex(b"\n", 0, len(changed) - 1) + 1
    changed[at] = ord("Q") if changed[at] != ord("Q") else ord("R")
    steps[1]["chipmart/chipmart_same_size.txt"] = bytes(changed)
    steps[1]["reelstorm/reelstorm_open.csv"] = (
        files[first][:200000].rsplit(b"\n", 1)[0] + b'\nRSX1;R1;"24/10/2025 10:00:00;P;g;slots;BET;1,00;EUR\n')
    env = {"SETTLE_TODAY": "2025-12-31"}
    save_start(ws, "data/inbox", env=env, config="data/settle.yaml")
    results = {n: run_series(ws, "data/inbox", steps, n, env=env, config="data/settle.yaml")
               for n in THREADS}
    runs, out = results[1]
    check_eq([r[0] for r in runs], [1, 1], "rejects: exit 1 (%s)" % runs[-1][2][-600:])
    check(re.search(r"\b[1-9][0-9]* skipped by rule", runs[0][1] + runs[1][1]),
          "the hook skips transactions: %s" % runs[1][1])
    check(any("reelstorm_open.csv" in k for k in out["quarantine"]),
          "the open quote is quarantined: %s" % sorted(out["quarantine"]))
    rejects = out["state"]["rejects"]
    check(any("duplicate_conflict" in r for r in rejects), "conflicts across runs")
    audit2 = {f["file"]: f["outcome"] for f in out["audit"][2] or []}
    check_eq(audit2.get("chipmart/chipmart_copy.txt"), "skipped", "a copy of a processed file")
    check_eq(audit2.get("chipmart/chipmart_same_size.txt"), "processed",
             "a file of a processed one's size with other bytes")
    compare(results, "sample partners")
    ws.cleanup()


@test
def a_bad_thread_count_is_a_usage_error():
    ws = Workspace()
    ws.write("settle.yaml", "settle: { timezone: UTC, currency: EUR, threads: 2 }\n"
             "partners:\n  a:\n    rules: r.lua\n"
             "    fields: { id: id, time: time, type: type, amount: amount }\n")
    ws.write("r.lua", "return { settle = function(p) return { lines = {}, payable = 0, "
             "carry_out = 0 } end }\n")
    for bad in ("0", "65", "two", "2x", ""):
        r = ws.settle("run", "--threads", bad)
        check_eq(r.returncode, 2, "--threads %r: exit 2" % bad)
        check("--threads expects a whole number from 1 to 64, got '%s'" % bad in r.stderr,
              "--threads %r: says why (%s)" % (bad, r.stderr.strip()[:200]))
    check(not os.path.exists(ws.path("var")), "nothing written")
    r = ws.settle("run", "--help")
    check("--threads N" in r.stdout, "run --help shows --threads")
    check_eq(ws.settle("run", "--threads", "64").returncode, 0, "--threads 64 runs")
    ws.write("settle.yaml", ws.read("settle.yaml").replace("threads: 2", "threads: 0"))
    r = ws.settle("run")
    check_eq(r.returncode, 2, "settle.threads: 0 is a config error")
    check("settle.yaml:1:50: settle.threads must be between 1 and 64, got 0" in r.stderr,
          "file:line:col of settle.threads (%s)" % r.stderr.strip()[:200])
    ws.cleanup(rows=False)


done()
