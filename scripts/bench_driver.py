"""bench_driver.py - runs the side-by-side benchmark of scripts/bench (SPEC section 9).

Started by scripts/bench (which installs DuckDB, pandas and builds settle) with
the environment BENCH_SETTLE, BENCH_GENDROPS, BENCH_DUCKDB_MODULES, BENCH_ROOT.

One drop of the royal-live sample partner (RFC 4180 CSV, or the same rows as
NDJSON) is settled by a full `settle run` on a fresh state, by DuckDB
(bench_duckdb.mjs) and by pandas (bench_pandas.py), interleaved, K times each.
Prints the median wall time and peak RSS of each (wait4 rusage of the child),
the ratios, and checks that all of them computed the same totals. Exits 1 when
a job fails or the results disagree, 2 on bad usage.
"""
import argparse
import collections
import decimal
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.environ.get("BENCH_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTLE = os.environ.get("BENCH_SETTLE", os.path.join(ROOT, "build", "engine", "settle"))
GENDROPS = os.environ.get("BENCH_GENDROPS", os.path.join(ROOT, "build", "tools", "gendrops"))
DUCKDB_MODULES = os.environ.get("BENCH_DUCKDB_MODULES", "")
NODE = "/usr/bin/node"
PANDAS_PYTHON = "/usr/bin/python3"
START_DAY = "2025-11-03"        # inside data/fx/rates.csv, so statements are converted, not held
PARTNER = "royal-live"
# royal-live's `event` values and settle's canonical types (the bench config and the check).
TYPES = {"stake": "bet", "payout": "win", "void": "refund", "payout_reversal": "win_reversal",
         "bonus_stake": "bonus", "jp_contrib": "jackpot_contribution", "jp_payout": "jackpot_win"}
# settle's tx_type enum order (engine/txn.h): the `type` column of the state's cells table.
TYPE_ORDER = ["bet", "win", "refund", "win_reversal", "bonus", "jackpot_contribution",
              "jackpot_win", "purchase", "adjustment"]

CONFIG = """\
# settle.yaml written by scripts/bench: the royal-live sample partner alone.
settle:
  timezone: Asia/Seoul
  day_starts_at: "06:00"
  currency: KRW
  paths: {{ inbox: {inbox}, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }}
fx: {{ rates: {rates} }}
partners:
  {partner}:
    kind: live_casino
{format}
    timezone: Asia/Manila
    statement: weekly
    currency: KRW
    fields:
      id: txn_id
      round: round_id
      time: {{ from: created_at, format: iso8601 }}
      player: player
      game: table_id
      category: game_type
      type: {{ from: event, values: {types} }}
      amount: amount
      currency: ccy
    rules: {rules}
    params: {{ share: "8.5%", minimum: "2000000" }}
"""
FORMATS = {
    "csv": '    format: csv\n    files: "RL-*.csv"\n'
           '    csv: { delimiter: ",", quote: "\\"", header: true, decimal: ".", thousands: ",",'
           ' encoding: utf-8 }',
    "ndjson": '    format: json\n    files: "RL-*.ndjson"',
}
HOOK_LINE = "  transaction = function(tx, params) end,   -- no-op hook added by scripts/bench\n"
HOOK_READ_LINE = ("  transaction = function(tx, params)   -- reading hook added by scripts/bench\n"
                  "    local a, t, g, c, p = tx.amount, tx.type, tx.game, tx.currency, tx.player\n"
                  "    if a < 0 and t == \"x\" and g == c and p then return false end\n"
                  "  end,\n")   # never true: keeps every transaction


def fail(msg):
    """Prints msg and exits 1."""
    sys.exit("bench: " + msg)


def measure(argv, log):
    """Runs argv with stdout+stderr into `log`; returns (exit code, wall s, CPU s, peak RSS MB),
    CPU being user + system time of the child (wait4 rusage)."""
    with open(log, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, secs, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def tail(path, n=2000):
    """The last n characters of a log file."""
    with open(path, "rb") as f:
        return f.read()[-n:].decode("utf-8", "replace").strip()


def generate(work, rows, fmt):
    """Writes the drop into work/inbox/royal-live/; returns (path, bytes)."""
    inbox = os.path.join(work, "inbox")
    r = subprocess.run([GENDROPS, "--out", inbox, "--rows", str(rows), "--partners", PARTNER,
                        "--days", "1", "--start", START_DAY, "--seed", "7", "--bad-rate", "0"],
                       capture_output=True, text=True)
    if r.returncode:
        fail("gendrops failed: " + r.stderr)
    csv = os.path.join(inbox, PARTNER, "RL-%s.csv" % START_DAY)
    if fmt == "csv":
        return csv, os.path.getsize(csv)
    nd = csv[:-4] + ".ndjson"
    code, _, _, _ = measure([NODE, os.path.join(ROOT, "scripts", "bench_duckdb.mjs"), DUCKDB_MODULES,
                          "ndjson", csv, nd], os.path.join(work, "convert.log"))
    if code:
        fail("CSV -> NDJSON conversion failed: " + tail(os.path.join(work, "convert.log")))
    os.remove(csv)
    return nd, os.path.getsize(nd)


def write_config(work, name, fmt, rules):
    """Writes work/<name>/settle.yaml for this format and rule file; returns its path."""
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    text = CONFIG.format(inbox=json.dumps(os.path.join(work, "inbox")),
                         rates=json.dumps(os.path.join(ROOT, "data", "fx", "rates.csv")),
                         partner=PARTNER, format=FORMATS[fmt], rules=json.dumps(rules),
                         types="{ " + ", ".join("%s: %s" % kv for kv in TYPES.items()) + " }")
    path = os.path.join(folder, "settle.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def hook_rules(work, line=HOOK_LINE, name="live_casino_hook.lua"):
    """The sample live_casino.lua with a transaction hook (`line`, default the no-op one)
    added, as work/name; returns its path."""
    with open(os.path.join(ROOT, "rules", "live_casino.lua"), encoding="utf-8") as f:
        text = f.read()
    if text.count("\nreturn {\n") != 1:
        fail("rules/live_casino.lua no longer has one 'return {' line to add the hook after")
    path = os.path.join(work, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("\nreturn {\n", "\nreturn {\n" + line))
    return path


class Job:
    """One contestant: how to run it once on a fresh output, and its measurements."""

    def __init__(self, name, argv, prepare, log):
        self.name, self.argv, self.prepare, self.log = name, argv, prepare, log
        self.secs, self.cpu, self.rss = [], [], []

    def run_once(self):
        """Prepares (untimed), runs and records one measurement; exits on failure."""
        self.prepare()
        code, secs, cpu, rss = measure(self.argv, self.log)
        ok = (0, 1) if self.name.startswith("settle") else (0,)
        if code not in ok:
            fail("%s exited %d:\n%s" % (self.name, code, tail(self.log)))
        self.secs.append(secs)
        self.cpu.append(cpu)
        self.rss.append(rss)


def settle_job(name, config):
    """A full `settle run` on a fresh state beside `config` each time."""
    var = os.path.join(os.path.dirname(config), "var")
    return Job(name, [SETTLE, "run", "-c", config], lambda: shutil.rmtree(var, ignore_errors=True),
               os.path.join(os.path.dirname(config), "run.log"))


def output_job(name, argv, out, log):
    """A job writing its result to `out` (removed before each run)."""
    def prepare():
        if os.path.exists(out):
            os.remove(out)
    return Job(name, argv, prepare, log)


def money_cents(text):
    """Exact cents of a decimal text such as "1234.50"."""
    d = decimal.Decimal(text) * 100
    if d != d.to_integral_value():
        fail("amount %r has more than two decimals" % text)
    return int(d)


def read_result(path):
    """{(day, game, currency, canonical type): (cents, count)} of a DuckDB/pandas result file."""
    cells = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip()
        if header != "day,game,currency,type,total,count":
            fail("%s: unexpected header %r" % (path, header))
        for line in f:
            day, game, cur, typ, total, count = line.rstrip("\n").split(",")
            cells[(day, game, cur, TYPES.get(typ, typ))] = (money_cents(total), int(count))
    return cells


def read_settle(config):
    """Cells of the partner from settle's state (summed over categories), and file counters."""
    db = sqlite3.connect(os.path.join(os.path.dirname(config), "var", "state", "settle.db"))
    try:
        cells = collections.defaultdict(lambda: (0, 0))
        for day, game, cur, typ, total, count in db.execute(
                "SELECT day, game, currency, type, total, count FROM cells WHERE partner = ?",
                (PARTNER,)):
            key = ((date(1970, 1, 1) + timedelta(days=day)).isoformat(), game, cur,
                   TYPE_ORDER[typ])
            t, c = cells[key]
            cells[key] = (t + total, c + count)
        files = db.execute("SELECT sum(rows), sum(transactions), sum(duplicates), sum(rejected) "
                           "FROM files WHERE partner = ?", (PARTNER,)).fetchone()
    finally:
        db.close()
    return dict(cells), files


def by_currency(cells):
    """{currency: (cents, count)} of a cell map."""
    out = collections.defaultdict(lambda: (0, 0))
    for (_, _, cur, _), (t, c) in cells.items():
        out[cur] = (out[cur][0] + t, out[cur][1] + c)
    return dict(out)


def check_agreement(results):
    """Compares every contestant's cells with DuckDB's; returns the report lines or exits."""
    ref = results["duckdb"]
    lines = []
    for name, cells in results.items():
        if cells != ref:
            diff = sorted(set(cells.items()) ^ set(ref.items()))[:6]
            fail("%s and duckdb disagree (%d vs %d cells); first differences: %s"
                 % (name, len(cells), len(ref), diff))
    for cur, (cents, count) in sorted(by_currency(ref).items()):
        lines.append("  %s: %s in %d transactions" % (cur, "%d.%02d" % divmod(cents, 100), count))
    return lines


def fmt_mb(x):
    return "%.1f" % x


def print_table(jobs, rows, size):
    """The per-contestant medians (rows/s and MB/s from the median wall time), then the
    ratios of the medians."""
    print("%-12s %8s %7s %7s %7s %12s %9s %6s" % ("", "median s", "min s", "max s", "CPU s",
                                                 "peak RSS MB", "rows/s", "MB/s"))
    med = {}
    for j in jobs:
        m = statistics.median(j.secs)
        med[j.name] = (m, statistics.median(j.cpu), statistics.median(j.rss))
        print("%-12s %8.2f %7.2f %7.2f %7.2f %12s %9.0f %6.1f"
              % (j.name, m, min(j.secs), max(j.secs), med[j.name][1], fmt_mb(max(j.rss)),
                 rows / m, size / 1e6 / m))
    s, scpu, srss = med["settle"]
    best = {j.name: min(j.secs) for j in jobs}
    for other in ("duckdb", "pandas"):
        o, ocpu, orss = med[other]
        print("settle/%-7s wall time %.2fx (fastest runs %.2fx)   CPU time %.2fx   peak RSS %.2fx"
              % (other, s / o, best["settle"] / best[other], scpu / ocpu, srss / orss))
    for name, what in (("settle+hook", "no-op hook"), ("settle+read", "hook reading 5 fields")):
        if name in med:
            h, hcpu, _ = med[name]
            print("%s overhead: wall %+.0f%% (%.2f s vs %.2f s), CPU %+.0f%%%s"
                  % (what, (h / s - 1) * 100, h, s, (hcpu / scpu - 1) * 100,
                     " (SPEC target <= +30%)" if name == "settle+hook" else ""))
    print("SPEC targets: settle/duckdb time <= 0.50 at 5M rows, settle peak RSS < 256 MB")


def bench(args):
    """The side-by-side benchmark."""
    work = tempfile.mkdtemp(prefix="settle-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        drop, size = generate(work, args.rows, args.format)
        jobs = [settle_job("settle", write_config(work, "settle", args.format,
                                                  os.path.join(ROOT, "rules", "live_casino.lua")))]
        if args.hook:
            jobs.append(settle_job("settle+hook", write_config(work, "settle-hook", args.format,
                                                               hook_rules(work))))
            read = hook_rules(work, HOOK_READ_LINE, "live_casino_read.lua")
            jobs.append(settle_job("settle+read", write_config(work, "settle-read", args.format,
                                                               read)))
        duck_out, pd_out = os.path.join(work, "duckdb.csv"), os.path.join(work, "pandas.csv")
        jobs.append(output_job("duckdb", [NODE, os.path.join(ROOT, "scripts", "bench_duckdb.mjs"),
                                          DUCKDB_MODULES, "settle", args.format, drop, duck_out,
                                          str(args.threads)],
                               duck_out, os.path.join(work, "duckdb.log")))
        jobs.append(output_job("pandas", [PANDAS_PYTHON, os.path.join(ROOT, "scripts",
                                                                      "bench_pandas.py"),
                                          args.format, drop, pd_out],
                               pd_out, os.path.join(work, "pandas.log")))
        print("bench: %d rows of %s as %s, %.1f MB, %d runs each, interleaved; DuckDB %d threads"
              % (args.rows, PARTNER, args.format, size / 1e6, args.runs, args.threads))
        for k in range(args.runs):
            for j in jobs:
                j.run_once()
                print("  run %d %-12s %6.2f s wall %6.2f s CPU %8s MB"
                      % (k + 1, j.name, j.secs[-1], j.cpu[-1], fmt_mb(j.rss[-1])), flush=True)
        results = {"duckdb": read_result(duck_out), "pandas": read_result(pd_out)}
        for j in jobs:
            if j.name.startswith("settle"):
                results[j.name], files = read_settle(j.argv[-1])
        print(tail(jobs[0].log, 400).splitlines()[-1])
        print("settle files table: %d rows, %d transactions, %d duplicates, %d rejected"
              % tuple(files))
        lines = check_agreement(results)
        print("check: %s agree on all %d (day, game, currency, type) cells:"
              % (", ".join(results), len(results["duckdb"])))
        print("\n".join(lines))
        print_table(jobs, args.rows, size)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sweep(args):
    """settle's peak RSS at each row count of the sweep (one run each, fresh data)."""
    print("%10s %9s %9s %9s %12s" % ("rows", "input MB", "wall s", "CPU s", "peak RSS MB"))
    for rows in args.rows_sweep:
        work = tempfile.mkdtemp(prefix="settle-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
        try:
            _, size = generate(work, rows, args.format)
            job = settle_job("settle", write_config(work, "settle", args.format,
                                                    os.path.join(ROOT, "rules",
                                                                 "live_casino.lua")))
            job.run_once()
            print("%10d %9.1f %9.2f %9.2f %12s" % (rows, size / 1e6, job.secs[0], job.cpu[0],
                                                   fmt_mb(job.rss[0])), flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def row_list(text):
    """'1000000,5000000' -> [1000000, 5000000]."""
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected row counts separated by commas")
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError("expected positive row counts")
    return out


def main():
    """Parses the command line and runs the benchmark or the sweep; SIGTERM exits through
    the clean-up of the temporary folder like Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[1])
    ap.add_argument("rows", nargs="?", type=int, default=1000000, help="rows (default 1000000)")
    ap.add_argument("--format", choices=("csv", "ndjson"), default="csv")
    ap.add_argument("--hook", action="store_true",
                    help="also run settle with a no-op hook and with a hook reading 5 fields")
    ap.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    ap.add_argument("--rows-sweep", nargs="?", type=row_list, const=[1000000, 5000000, 20000000],
                    help="only settle's peak RSS at these row counts (default 1M,5M,20M)")
    ap.add_argument("--reconcile", action="store_true",
                    help="settle the drop alone vs the drop and a wallet ledger of its rows")
    args = ap.parse_args()
    if args.rows < 1 or args.runs < 1 or args.threads < 1:
        ap.error("rows, --runs and --threads must be positive")
    if args.rows_sweep:
        sweep(args)
    elif args.reconcile:
        import bench_reconcile
        bench_reconcile.reconcile(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
