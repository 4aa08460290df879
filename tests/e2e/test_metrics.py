"""test_metrics.py - <metrics>/settle.prom (SPEC section 11, docs/watching.md).

The sample partners and their wallet are settled by the real binary; every figure of
settle.prom is checked against an independent count: rows read against the drop files'
lines, rejects and duplicates against exceptions.csv and the statements, statements
against the statement.json files, breaks against reconciliation.csv, the audit head
against audit.jsonl's last line, the run's exit code and time against what the test saw.
`promtool check metrics` must accept the file (scripts/test installs promtool), and
`promtool test rules` runs deploy/prometheus/settle.rules.yml against series that must
and must not alert. Failed runs (a usage error, the lock held) still write the file.
"""
import csv
import fcntl
import glob
import json
import os
import re
import shutil
import subprocess
import time

from harness import GENDROPS, ROOT, SETTLE, Workspace, check, check_eq, done, test

TODAY = {"SETTLE_TODAY": "2025-10-29"}
PROMTOOL = shutil.which("promtool")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def sample_workspace(days=3, start="2025-10-25"):
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    gen(ws, start, days)
    return ws


def gen(ws, start, days, seed=5):
    subprocess.run([GENDROPS, "--out", ws.path("data", "inbox"), "--rows", "6000",
                    "--start", start, "--days", str(days), "--seed", str(seed),
                    "--wallet", ws.path("data", "inbox", "wallet")],
                   check=True, capture_output=True)


def run(ws, *args):
    env = dict(os.environ, **TODAY)
    return subprocess.run([SETTLE, "run", "-c", ws.path("data", "settle.yaml")] + list(args),
                          capture_output=True, text=True, env=env, timeout=300)


def parse(path):
    """settle.prom as {(name, frozenset of labels): value}, and {name: type}."""
    samples, types = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            check(m is not None, "a sample line: %r" % line)
            if not m:
                continue
            labels = frozenset(LABEL.findall(m.group(2) or ""))
            key = (m.group(1), labels)
            check(key not in samples, "one sample per series: %r" % line)
            samples[key] = float(m.group(3))
    return samples, types


def family(samples, name, *label_names):
    """{(label values...): value} of one metric."""
    out = {}
    for (n, labels), v in samples.items():
        if n == name:
            d = dict(labels)
            out[tuple(d.get(k) for k in label_names)] = v
    return out


def prom_path(ws):
    return ws.path("var", "metrics", "settle.prom")


def promtool_accepts(path):
    if not PROMTOOL:
        check(False, "promtool is installed (scripts/test installs the prometheus package)")
        return
    with open(path, "rb") as f:
        p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f, capture_output=True,
                           text=True)
    check(p.returncode == 0, "promtool check metrics accepts settle.prom: %s%s"
          % (p.stdout, p.stderr))


# ---- the independent counts ----

def lines_per_source(ws):
    """Physical lines of each source's drop files (rows read counts every line)."""
    out = {}
    inbox = ws.path("data", "inbox")
    for src in sorted(os.listdir(inbox)):
        n = 0
        for p in glob.glob(os.path.join(inbox, src, "*")):
            with open(p, "rb") as f:
                n += sum(1 for _ in f)
        out[src] = n
    return out


def statements(ws):
    """{(partner, status): count} over the statement.json files."""
    out = {}
    for p in glob.glob(ws.path("var", "reports", "*", "*", "statement.json")):
        with open(p) as f:
            st = json.load(f)
        key = (st["partner"], st["status"])
        out[key] = out.get(key, 0) + 1
    return out


def exceptions(ws):
    """{(partner, reason): rows} over every period's exceptions.csv."""
    out = {}
    for p in glob.glob(ws.path("var", "reports", "*", "exceptions.csv")):
        with open(p, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                key = (row["partner"], row["reason"])
                out[key] = out.get(key, 0) + 1
    return out


def breaks(ws):
    """{(partner, ledger, kind): rows} over every reconciliation.csv."""
    out = {}
    for p in glob.glob(ws.path("var", "reports", "*", "*", "reconciliation.csv")):
        partner = os.path.basename(os.path.dirname(p))
        with open(p, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                key = (partner, row["ledger"], row["kind"])
                out[key] = out.get(key, 0) + 1
    return out


def audit_head(ws):
    with open(ws.path("var", "audit", "audit.jsonl"), encoding="utf-8") as f:
        last = [line for line in f if line.strip()][-1]
    entry = json.loads(last)
    return str(entry["seq"]), entry["hash"]


def nonzero(d):
    return {k: v for k, v in d.items() if v}


# ---- the tests ----

@test
def figures_agree_with_the_drops_and_the_reports():
    ws = sample_workspace()
    t0 = time.time()
    r = run(ws)
    t1 = time.time()
    check(r.returncode in (0, 1), "the sample run settles: %s" % r.stderr)
    path = prom_path(ws)
    check(os.path.exists(path), "settle.prom is written")
    check_eq(oct(os.stat(path).st_mode & 0o777), "0o640", "settle.prom's mode")
    check_eq([n for n in os.listdir(ws.path("var", "metrics"))], ["settle.prom"],
             "no temp file left beside it")
    samples, types = parse(path)
    promtool_accepts(path)
    one = lambda name: samples.get((name, frozenset()))  # noqa: E731
    check_eq(one("settle_last_run_exit_code"), float(r.returncode), "exit code")
    ended = one("settle_last_run_timestamp_seconds")
    check(ended is not None and int(t0) <= ended <= t1 + 1, "run end time %r in [%d, %d]"
          % (ended, t0, t1))
    duration = one("settle_last_run_duration_seconds")
    check(duration is not None and 0 < duration <= t1 - t0 + 0.01, "duration %r" % duration)
    check_eq(one("settle_last_success_timestamp_seconds"), ended, "the run was recorded")
    check_eq(types.get("settle_rows_read_total"), "counter", "rows read is a counter")
    check_eq(types.get("settle_statements"), "gauge", "statements is a gauge")

    rows = family(samples, "settle_rows_read_total", "partner")
    check_eq({k[0]: int(v) for k, v in rows.items()}, lines_per_source(ws),
             "rows read per source = the drop files' lines")
    files = family(samples, "settle_files_total", "partner", "outcome")
    check_eq({k[0]: int(v) for k, v in files.items() if k[1] == "processed"},
             {s: len(os.listdir(ws.path("data", "inbox", s)))
              for s in os.listdir(ws.path("data", "inbox"))}, "processed files per source")
    check_eq({k: int(v) for k, v in family(samples, "settle_statements", "partner",
                                           "status").items()},
             statements(ws), "statements by partner and status = statement.json files")
    rejects = {k: int(v) for k, v in family(samples, "settle_rejects_total", "partner",
                                            "reason").items()}
    check_eq(rejects, exceptions(ws), "rejects by reason = exceptions.csv rows")
    check(sum(rejects.values()) > 0, "the sample drops have rejects to count")
    got_breaks = {k: int(v) for k, v in family(samples, "settle_reconciliation_breaks",
                                               "partner", "ledger", "kind").items()}
    check_eq(nonzero(got_breaks), breaks(ws), "breaks by kind = reconciliation.csv rows")
    check(sum(got_breaks.values()) >= 3, "the sample wallet's breaks are counted")
    head = family(samples, "settle_audit_head_info", "seq", "hash")
    check_eq(list(head.keys()), [audit_head(ws)], "audit head = audit.jsonl's last entry")

    # The run's own summary line says the same totals (rows read, transactions,
    # duplicates, rejects over every source).
    m = re.search(r"(\d+) rows read .*?, (\d+) transactions, (\d+) duplicates, (\d+) rejected",
                  r.stdout + r.stderr)
    check(m is not None, "the summary line: %r" % (r.stdout + r.stderr))
    if m:
        total = lambda name: int(sum(family(samples, name, "partner").values()))  # noqa: E731
        check_eq((total("settle_rows_read_total"), total("settle_transactions_total"),
                  total("settle_duplicates_total"), sum(rejects.values())),
                 tuple(int(g) for g in m.groups()), "settle.prom's totals = the summary line")

    # Counters only grow: a later day's drops add to every partner's figures.
    gen(ws, "2025-10-28", 1, seed=9)
    r2 = run(ws)
    check(r2.returncode in (0, 1), "the second run settles: %s" % r2.stderr)
    samples2, _ = parse(prom_path(ws))
    rows2 = family(samples2, "settle_rows_read_total", "partner")
    check_eq({k[0]: int(v) for k, v in rows2.items()}, lines_per_source(ws),
             "after a second run: rows read = all the drop files' lines")
    check(all(rows2[k] > v for k, v in rows.items()), "every source's rows read grew")
    check_eq({k: int(v) for k, v in family(samples2, "settle_statements", "partner",
                                           "status").items()},
             statements(ws), "after a second run: statements = statement.json files")
    promtool_accepts(prom_path(ws))
    ws.cleanup(rows=False)


@test
def failed_runs_write_it_too():
    ws = sample_workspace(days=1)
    r = run(ws)
    check(r.returncode in (0, 1), "a first run: %s" % r.stderr)
    samples, _ = parse(prom_path(ws))
    success = samples.get(("settle_last_success_timestamp_seconds", frozenset()))

    # A usage error after the config was read: exit 2, the state's figures still there.
    r = run(ws, "--partner", "no-such-partner")
    check_eq(r.returncode, 2, "an unknown partner is a usage error")
    samples, _ = parse(prom_path(ws))
    check_eq(samples.get(("settle_last_run_exit_code", frozenset())), 2.0,
             "settle.prom says exit 2")
    promtool_accepts(prom_path(ws))

    # The lock held by another run: exit 75, said in settle.prom; the state is not read.
    lock = os.open(ws.path("var", "state", "settle.lock"), os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        r = run(ws)
    finally:
        os.close(lock)
    check_eq(r.returncode, 75, "a held lock: exit 75")
    samples, _ = parse(prom_path(ws))
    check_eq(samples.get(("settle_last_run_exit_code", frozenset())), 75.0,
             "settle.prom says exit 75")
    check(not family(samples, "settle_rows_read_total", "partner"),
          "without the state no state figure is guessed")
    promtool_accepts(prom_path(ws))

    # A metrics folder that cannot be written: said, and the run's exit code is its own.
    shutil.rmtree(ws.path("var", "metrics"))
    ws.write("var/metrics", "not a folder")
    gen(ws, "2025-10-26", 1, seed=11)
    r = run(ws)
    check(r.returncode in (0, 1), "the run itself settles: %s" % r.stderr)
    check("metrics" in r.stderr and "warning" in r.stderr, "the failure is said: %r" % r.stderr)
    os.remove(ws.path("var", "metrics"))
    r = run(ws)
    samples, _ = parse(prom_path(ws))
    later = samples.get(("settle_last_success_timestamp_seconds", frozenset()))
    check(success is not None and later is not None and later >= success,
          "the last success only moves forward")
    ws.cleanup(rows=False)


@test
def the_alert_rules_fire_when_they_should():
    rules = os.path.join(ROOT, "deploy", "prometheus", "settle.rules.yml")
    tests = os.path.join(ROOT, "deploy", "prometheus", "settle.rules.test.yml")
    if not PROMTOOL:
        check(False, "promtool is installed (scripts/test installs the prometheus package)")
        return
    p = subprocess.run([PROMTOOL, "check", "rules", rules], capture_output=True, text=True)
    check(p.returncode == 0, "promtool check rules: %s%s" % (p.stdout, p.stderr))
    p = subprocess.run([PROMTOOL, "test", "rules", tests], capture_output=True, text=True,
                       cwd=os.path.dirname(tests))
    check(p.returncode == 0, "promtool test rules: %s%s" % (p.stdout, p.stderr))

    # Every settle metric the rules read is one a real run writes.
    with open(rules, encoding="utf-8") as f:
        wanted = set(re.findall(r"\bsettle_[a-z_]+", f.read()))
    ws = sample_workspace(days=1)
    run(ws)
    _, types = parse(prom_path(ws))
    check_eq(sorted(wanted - set(types)), [], "metrics the rules read but settle.prom lacks")
    check(len(wanted) >= 5, "the rules read settle's metrics: %s" % sorted(wanted))
    ws.cleanup(rows=False)


done()
