#!/usr/bin/env python3
"""test_oracle_selfcheck.py - checks the oracle on its own (no settle binary needed):
the YAML subset reader, money and time parsing, a small hand-computed inbox, and a
generated inbox whose injected faults gendrops reports (built from tools/gendrops*.c
with the system C compiler; skipped when there is none).

Run: python3 tests/e2e/test_oracle_selfcheck.py   (ends with "N passed, N failed, N skipped",
the line scripts/test adds up), or through python3 -m unittest.
"""
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from collections import Counter
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import run_unittests  # noqa: E402
import oracle  # noqa: E402


class YamlSubset(unittest.TestCase):
    """The hand-written YAML reader against the shapes our configs use."""

    def test_shapes(self):
        doc = oracle.load_yaml(
            "# comment\n"
            "a:\n"
            "  b: { x: 1, y: \"q # not a comment\", z: [1, 'it''s'] }   # trailing\n"
            "  c: {p: \"\\t\",\n"
            "      q: true}\n"
            "  list:\n"
            "    - { upto: \"50\", rate: \"10%\" }\n"
            "    - rate: 15%\n"
            "      note: plain text\n"
            "  seq_same_indent:\n"
            "  - one\n"
            "  - \"%d/%m/%Y %H:%M:%S\"\n"
            "  empty:\n"
            "  한글: 구매\n")
        self.assertEqual(doc, {"a": {
            "b": {"x": 1, "y": "q # not a comment", "z": [1, "it's"]},
            "c": {"p": "\t", "q": True},
            "list": [{"upto": "50", "rate": "10%"}, {"rate": "15%", "note": "plain text"}],
            "seq_same_indent": ["one", "%d/%m/%Y %H:%M:%S"],
            "empty": None, "한글": "구매"}})

    def test_sample_files_match_pyyaml(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML not installed")
        for name in ("settle.yaml", "tax.yaml"):
            with open(os.path.join(ROOT, "data", name), encoding="utf-8") as f:
                text = f.read()
            self.assertEqual(oracle.load_yaml(text), yaml.safe_load(text), name)


class MoneyAndTime(unittest.TestCase):
    """Exact money parsing per dialect and timestamp reading."""

    def test_money(self):
        cases = [
            ("1.234,50", ",", ".", 2, (123450, None)), ("12,3x", ",", ".", 2, (None, "bad_amount")),
            ("12,345", ",", ".", 2, (None, "precision")), ("12,340", ",", ".", 2, (1234, None)),
            ("\"x\"", ".", ",", 2, (None, "bad_amount")), ("1,234.50", ".", ",", 2, (123450, None)),
            ("1,23,4.5", ".", ",", 2, (None, "bad_amount")), ("(12.34)", ".", None, 2, (-1234, None)),
            ("-0.05", ".", None, 2, (-5, None)), ("+7", ".", None, 0, (7, None)),
            ("1234.5", ".", ",", 0, (None, "precision")), ("1,2345", ".", ",", 0, (None, "bad_amount")),
            ("1234567890123456789012345", ".", None, 0, (None, "overflow")),
            ("9223372036854775807", ".", None, 0, (2**63 - 1, None)),
            ("92233720368547758.08", ".", None, 2, (None, "overflow")), ("", ".", None, 0, (None, "bad_amount")),
        ]
        for text, dec, thou, exp, want in cases:
            self.assertEqual(oracle.parse_money(text, dec, thou, exp), want, text)
        self.assertEqual(oracle.fmt_money(123450, 2), "1234.50")
        self.assertEqual(oracle.fmt_money(-5, 2), "-0.05")
        self.assertEqual(oracle.fmt_money(7, 0), "7")

    def test_time(self):
        malta, seoul = ZoneInfo("Europe/Malta"), ZoneInfo("Asia/Seoul")
        p = "%d/%m/%Y %H:%M:%S"
        # 26 Oct 2025 02:30 happens twice in Malta: the earlier (CEST, UTC+2) instant wins.
        self.assertEqual(oracle.parse_time("26/10/2025 02:30:00", p, malta),
                         int(dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.timezone.utc).timestamp()))
        self.assertIsNone(oracle.parse_time("30/03/2025 02:30:00", p, malta))   # DST gap
        self.assertIsNone(oracle.parse_time("31/02/2025 10:00:00", p, malta))
        self.assertEqual(oracle.parse_time("1970-01-01T09:00:01+09:00", "iso8601", malta), 1)
        self.assertEqual(oracle.parse_time("1970-01-01T00:00:01.999Z", "iso8601", malta), 1)
        self.assertEqual(oracle.parse_time("1970-01-01 09:00:02", "iso8601", seoul), 2)
        self.assertEqual(oracle.parse_time("-1", "epoch_ms", seoul), -1)
        self.assertEqual(oracle.parse_time("1695390000.123", "epoch_s", seoul), 1695390000)
        self.assertIsNone(oracle.parse_time("17x9", "epoch_s", seoul))
        self.assertEqual(oracle.period_label("weekly", dt.date(2025, 12, 29)), "2026-W01")
        self.assertEqual(oracle.period_label("monthly", dt.date(2025, 9, 22)), "2025-09")


SMALL_CONFIG = """
settle:
  timezone: Asia/Seoul
  day_starts_at: "06:00"
  currency: KRW
  paths: { inbox: inbox }
fx: { rates: rates.csv }
partners:
  live:
    files: "*.csv"
    timezone: Asia/Manila
    statement: daily
    fields:
      id: id
      time: { from: t, format: "%Y-%m-%d %H:%M" }
      type: { from: ev, values: { stake: bet, payout: win } }
      amount: amt
      currency: ccy
  rounds:
    csv: { delimiter: "|", header: false }
    statement: weekly
    fields:
      id: 1
      time: { from: 2, format: epoch_s }
      amounts: { bet: 3, win: 4 }
"""


class SmallInbox(unittest.TestCase):
    """A few hand-made rows whose every number is worked out below."""

    def test_small_inbox(self):
        with tempfile.TemporaryDirectory() as d:
            files = {
                "settle.yaml": SMALL_CONFIG,
                "rates.csv": "date,base,quote,rate\n2025-09-19,USD,KRW,1385\n2025-09-22,USD,KRW,1390.5\n",
                # Manila 05:30 = Seoul 06:30 -> business day 22nd; 04:59 Manila = 05:59 Seoul -> 21st.
                "inbox/live/a.csv": "id,t,ev,amt,ccy\n"
                                    "L1,2025-09-22 05:30,stake,0.50,USD\n"     # 22nd: 0.50 USD
                                    "L2,2025-09-22 04:59,stake,1.50,USD\n"     # 21st (Sunday)
                                    "L3,2025-09-22 07:00,payout,1.00,USD\n"
                                    "L4,bad,stake,1.00,USD\n"                  # bad_time -> last day of file
                                    "L1,2025-09-22 05:30,stake,0.50,USD\n",    # duplicate (22nd)
                "inbox/live/b.csv": "id,t,ev,amt,ccy\n"
                                    "L3,2025-09-22 07:00,payout,2.00,USD\n"    # duplicate_conflict (22nd)
                                    "L5,nope,stake,1.00,USD\n",                # no accepted row: unattributed
                "inbox/live/c.csv": "id,t,ev,amt,ccy\n"
                                    "L6,2025-09-22 07:00,stake,1.00,USD\n"     # 22nd
                                    "L7,2025-09-22 04:00,stake,1.00,USD\n"     # 21st, last in file order
                                    "L2,2025-09-22 04:59,stake,1.50,USD\n"     # duplicate: not 'accepted'
                                    "L8,25:00,stake,1.00,USD\n",              # bad_time -> latest day: 22nd
                "inbox/rounds/r.psv": "R1|1758488400|100|250\n"       # 2025-09-22T06:00 Seoul: bet+win
                                      "R1|1758488400|100|250\n"       # 2 duplicates
                                      "R2|1758488399|100|\n"          # 05:59:59 Seoul -> 21st (W38)
                                      "R3|1758488400||\n"             # missing_field (W39)
                                      "R4|1758488400|5x|1\n",         # bad_amount, whole row
            }
            for name, text in files.items():
                path = os.path.join(d, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            got = oracle.settle(os.path.join(d, "settle.yaml"))
        live = got["live"]
        # 21st: (150 + 100) cents * 1385 (rate of Fri 19th) = 3462.5 -> half-even 3462.
        d21 = live["2025-09-21"]
        self.assertEqual((d21["total"]["bet"], d21["duplicates"], d21["rejected"]), ("3462", 1, 0))
        # 22nd: bets 150 * 1390.5 = 2085.75 -> 2086; wins 100 * 1390.5 = 1390.5 -> 1390 (half-even).
        d22 = live["2025-09-22"]
        self.assertEqual((d22["total"]["bet"], d22["total"]["win"], d22["ggr"]), ("2086", "1390", "696"))
        self.assertEqual((d22["duplicates"], d22["rejected"], d22["transactions"]), (1, 3, 3))
        self.assertEqual(d22["by_currency"]["USD"]["bet"], "1.50")
        self.assertEqual(live["unattributed"]["rejected"], 1)
        self.assertEqual(got["_rejects"]["live"], [["live/a.csv", 5, "bad_time"],
                                                   ["live/b.csv", 2, "duplicate_conflict"],
                                                   ["live/b.csv", 3, "bad_time"],
                                                   ["live/c.csv", 5, "bad_time"]])
        rounds = got["rounds"]
        self.assertEqual(rounds["2025-W38"]["total"]["bet"], "100")
        w39 = rounds["2025-W39"]
        self.assertEqual((w39["total"]["bet"], w39["total"]["win"], w39["duplicates"], w39["rejected"]),
                         ("100", "250", 2, 2))
        self.assertEqual([r[2] for r in got["_rejects"]["rounds"]], ["missing_field", "bad_amount"])


def build_gendrops(tmp):
    """$GENDROPS_BIN when built, else tools/gendrops*.c compiled here; None without a compiler."""
    exe = os.environ.get("GENDROPS_BIN")
    if exe and os.access(exe, os.X_OK):
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    exe = os.path.join(tmp, "gendrops")
    tools = os.path.join(ROOT, "tools")
    sources = sorted(os.path.join(tools, n) for n in os.listdir(tools)
                     if n.startswith("gendrops") and n.endswith(".c"))
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", "-o", exe] + sources,
                   check=True)
    return exe


class GeneratedInbox(unittest.TestCase):
    """Every fault gendrops injects shows up in the oracle's counts, exactly."""

    def test_injected_faults_are_found(self):
        with tempfile.TemporaryDirectory() as tmp:
            exe = build_gendrops(tmp)
            if not exe:
                self.skipTest("no C compiler")
            inbox = os.path.join(tmp, "inbox")
            run = subprocess.run([exe, "--out", inbox, "--rows", "40000", "--seed", "7",
                                  "--bad-rate", "5000", "--dup-rate", "5000"],
                                 check=True, capture_output=True, text=True)
            got = oracle.settle(os.path.join(ROOT, "data", "settle.yaml"), inbox)
        stats = {}
        for line in run.stderr.splitlines():
            m = re.match(r"(\S+)\s+(\d+) rows, (\d+) re-sent, (\d+) conflicting, bad:(.*)", line)
            if m:
                bad = dict(zip(*[iter(m.group(5).split())] * 2))
                stats[m.group(1)] = (int(m.group(3)), int(m.group(4)), {k: int(v) for k, v in bad.items()})
        self.assertEqual(set(stats), {"reelstorm", "royal-live", "chipmart", "spinworks"})
        names = {"empty_id": "missing_field", "dst_gap": "bad_time"}
        for partner, (resent, conflicts, bad) in stats.items():
            want = Counter()
            for kind, n in bad.items():
                want[names.get(kind, kind)] += n
            want["duplicate_conflict"] += conflicts
            got_rej = Counter(r[2] for r in got["_rejects"][partner])
            self.assertEqual(+got_rej, +want, partner)
            periods = [v for k, v in got[partner].items()]
            self.assertEqual(sum(p["rejected"] for p in periods), sum(want.values()), partner)
            dups = sum(p["duplicates"] for p in periods)
            if partner == "spinworks":        # one row is up to three transactions
                self.assertGreaterEqual(dups, resent, partner)
            else:
                self.assertEqual(dups, resent, partner)
            self.assertNotIn("unattributed", got[partner], partner)
            self.assertTrue(all("hold" not in p for p in periods), partner)


if __name__ == "__main__":
    sys.exit(run_unittests(sys.modules[__name__]))
