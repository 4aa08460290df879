"""bench_reconcile.py - `scripts/bench --reconcile`: what reconciliation costs (SPEC section 10).

One drop of ROWS rows of the royal-live sample partner and a wallet ledger of the same
transactions (with a few breaks: an amount off by a cent, a transaction missing, a day
shifted, a ledger-only row, every BREAK_EVERY rows) are settled by a full `settle run` on a
fresh state: the drop alone, then the drop and the ledger matched by transaction. Prints the
median wall time and peak RSS of each, the median of the paired runs' ratios (target <= ~2x),
and checks the breaks settle stored against the ones written. Used by bench_driver.py.
"""
import csv
import os
import shutil
import sqlite3
import statistics
import tempfile
from datetime import datetime, timedelta

import bench_driver as bd

BREAK_EVERY = 50000
LEDGER = """\
    reconcile:
      - {{ ledger: wallet, match: transaction, day_window: 1, wait_days: 2 }}
ledgers:
  wallet:
    format: csv
    files: "*.csv"
    csv: {{ delimiter: ",", header: true }}
    timezone: Asia/Manila
    fields:
      partner: {{ from: provider, values: {{ RL: {partner} }} }}
      id: provider_tx_id
      round: round_id
      time: {{ from: ts, format: iso8601 }}
      game: game_code
      type: {{ from: kind, values: {types} }}
      amount: amount
      currency: currency
"""


class FirstSeen:
    """Is a transaction id new? gendrops' ids end in a running number (RL<date><n>), kept in
    a bitmap; any other id in a set."""

    def __init__(self, rows):
        self.bits, self.other = bytearray(rows // 8 + 1), set()

    def first(self, txn_id):
        tail = txn_id[10:]
        n = int(tail) if tail.isdigit() else -1
        if not 0 <= n < len(self.bits) * 8:
            new = txn_id not in self.other
            self.other.add(txn_id)
            return new
        new = not self.bits[n >> 3] & (1 << (n & 7))
        self.bits[n >> 3] |= 1 << (n & 7)
        return new


def write_ledger(work, drop, rows):
    """Writes inbox/wallet/wallet.csv from the drop's rows with the breaks (the first row of
    each transaction id only: settle counts a re-sent row once and rejects a conflicting
    one); returns the expected count of each break kind."""
    folder = os.path.join(work, "inbox", "wallet")
    os.makedirs(folder, exist_ok=True)
    want = {"amount_mismatch": 0, "missing_in_ledger": 0, "day_shift": 0,
            "missing_in_partner": 0}
    with open(drop, encoding="utf-8-sig", newline="") as src, \
            open(os.path.join(folder, "wallet.csv"), "w", encoding="utf-8", newline="") as dst:
        out = csv.writer(dst)
        out.writerow(["provider", "provider_tx_id", "round_id", "ts", "game_code", "kind",
                      "amount", "currency"])
        seen = FirstSeen(rows + rows // 10)
        n = -1
        for r in csv.DictReader(src):
            if not seen.first(r["txn_id"]):
                continue
            n += 1
            row = ["RL", r["txn_id"], r["round_id"], r["created_at"], r["table_id"], r["event"],
                   r["amount"].replace(",", ""), r["ccy"]]
            case = n % BREAK_EVERY
            if case == 1:
                want["missing_in_ledger"] += 1
                continue
            if case == 0:
                row[6] = str(bd.decimal.Decimal(row[6]) + bd.decimal.Decimal("0.01"))
                want["amount_mismatch"] += 1
            elif case == 2:
                t = datetime.fromisoformat(row[3]) + timedelta(days=1)
                row[3] = t.isoformat()
                want["day_shift"] += 1
            out.writerow(row)
            if case == 3:
                out.writerow(["RL", r["txn_id"] + "-extra"] + row[2:])
                want["missing_in_partner"] += 1
    return want


def with_ledger(config):
    """Adds the reconcile entry and the wallet ledger to a bench config (in place)."""
    with open(config, encoding="utf-8") as f:
        text = f.read()
    text += LEDGER.format(partner=bd.PARTNER,
                          types="{ " + ", ".join("%s: %s" % kv for kv in bd.TYPES.items()) + " }")
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)


def read_breaks(config):
    """{kind: count} of the breaks settle stored, and the matched count (recon_matched),
    and the open items' count (recon_open_days)."""
    db = sqlite3.connect(os.path.join(os.path.dirname(config), "var", "state", "settle.db"))
    try:
        kinds = dict(db.execute("SELECT kind, count(*) FROM recon_breaks GROUP BY kind"))
        matched = db.execute("SELECT coalesce(sum(count), 0) FROM recon_matched").fetchone()[0]
        opened = dict(db.execute("SELECT side, sum(count) FROM recon_open_days GROUP BY side"))
    finally:
        db.close()
    return kinds, matched, opened


def break_problems(want, kinds, opened):
    """What differs between the breaks written (want) and the ones settle has: stored
    breaks, and for the missing kinds also the open items of that side (still waiting: the
    drop is recent); a list of messages, empty when they agree."""
    out = []
    for kind, n in sorted(want.items()):
        got = kinds.get(kind, 0) + (opened.get(0 if kind == "missing_in_ledger" else 1, 0)
                                    if kind.startswith("missing") else 0)
        if got != n:
            out.append("%s: %d written, settle has %d" % (kind, n, got))
    return out


def reconcile(args):
    """The drop alone vs the drop and its ledger, interleaved, args.runs times each; exits
    when settle's breaks differ from the ones written. Returns {"matched", "breaks",
    "open", "ratio", "rss"} (median of the runs' paired wall-time ratios, largest peak RSS in MB of
    settle+ledger) for tests/e2e/test_bench.py."""
    work = tempfile.mkdtemp(prefix="settle-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        drop, size = bd.generate(work, args.rows, "csv")
        want = write_ledger(work, drop, args.rows)
        rules = os.path.join(bd.ROOT, "rules", "live_casino.lua")
        alone = bd.settle_job("settle", bd.write_config(work, "drop", "csv", rules))
        both_cfg = bd.write_config(work, "settle+ledger", "csv", rules)
        with_ledger(both_cfg)
        both = bd.settle_job("settle+ledger", both_cfg)
        print("bench --reconcile: %d rows of %s (%.1f MB) and a wallet ledger of the same rows, "
              "%d runs each, interleaved" % (args.rows, bd.PARTNER, size / 1e6, args.runs))
        for k in range(args.runs):
            for j in (alone, both):
                j.run_once()
                print("  run %d %-13s %6.2f s wall %6.2f s CPU %8s MB"
                      % (k + 1, j.name, j.secs[-1], j.cpu[-1], bd.fmt_mb(j.rss[-1])), flush=True)
        print(bd.tail(both.log, 400).splitlines()[-1])
        kinds, matched, opened = read_breaks(both_cfg)
        print("reconciliation: %d matched, breaks %s, open items %s"
              % (matched, dict(sorted(kinds.items())), opened))
        problems = break_problems(want, kinds, opened)
        if problems:
            bd.fail("; ".join(problems))
        print("%-13s %8s %7s %12s" % ("", "median s", "CPU s", "peak RSS MB"))
        for j in (alone, both):
            print("%-13s %8.2f %7.2f %12s" % (j.name, statistics.median(j.secs),
                                              statistics.median(j.cpu), bd.fmt_mb(max(j.rss))))
        # Each run of the pair ran back to back: their ratio cancels the machine's drift,
        # which the ratio of the two medians does not.
        ratio = statistics.median(b / a for a, b in zip(alone.secs, both.secs))
        cpu = statistics.median(b / a for a, b in zip(alone.cpu, both.cpu))
        print("settle+ledger/settle, median of the paired runs' ratios: wall time %.2fx, "
              "CPU time %.2fx; peak RSS %.2fx (target <= ~2x, RSS < 256 MB)"
              % (ratio, cpu, max(both.rss) / max(alone.rss)))
        return {"matched": matched, "breaks": kinds, "open": opened, "ratio": ratio,
                "rss": max(both.rss)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
