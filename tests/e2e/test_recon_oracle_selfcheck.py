#!/usr/bin/env python3
"""test_recon_oracle_selfcheck.py - checks recon_oracle.py on its own (no settle binary):
small hand-written cases whose breaks, summaries and statuses are worked out by hand from
docs/reconciliation.md sections 2-3, so a wrong oracle fails here; and recon_gen.py: the
same seed gives the same bytes, every break kind is injected, and the splits over runs only
move rows between runs.

Run: python3 tests/e2e/test_recon_oracle_selfcheck.py (ends with "N passed, N failed,
N skipped", the line scripts/test adds up).
"""
import datetime as dt
import os
import sys
import unittest
from collections import Counter
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import run_unittests  # noqa: E402
import recon_gen  # noqa: E402
import recon_oracle as ro  # noqa: E402

D = dt.date


def utc(text):
    """'2025-10-05T10:00:00' (UTC) -> epoch seconds."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp())


def spec(entries, amounts=False, rates="", zone="UTC", day_start=0, partner="p"):
    return {"zone": zone, "day_start": day_start, "currency": "EUR", "statement": "monthly",
            "exp": {"EUR": 2, "USD": 2, "KWD": 3}, "rates": rates,
            "partners": {partner: {"reconcile": entries, "amounts": amounts}}}


def entry(ledger="w", match="transaction", window=1, wait=2, breaks=0, amount="0"):
    return {"ledger": ledger, "match": match, "day_window": window, "wait_days": wait,
            "breaks": breaks, "amount": amount}


class Rows:
    """Builds rows in file order: one file per (source, run)."""

    def __init__(self):
        self.rows = []
        self.lines = Counter()

    def _add(self, src, side, run, when, txns, cur, **kw):
        name = "%s/%s_%d.csv" % (src, src, run)
        self.lines[name] += 1
        row = {"src": src, "side": side, "file": name, "line": self.lines[name] + 1, "run": run,
               "reject": kw.pop("reject", None), "utc": utc(when), "cur": cur,
               "game": kw.pop("game", "g1"), "txns": txns}
        row.update(kw)
        self.rows.append(row)
        return row

    def p(self, tid, when, ttype, amount, cur="EUR", run=0, src="p", **kw):
        return self._add(src, "partner", run, when, [[ttype, amount]], cur, id=tid, **kw)

    def pr(self, rnd, when, amounts, run=0, src="p"):
        """A drop row of a round (amounts: {type: minor})."""
        return self._add(src, "partner", run, when, [[t, a] for t, a in amounts.items()], "EUR",
                         round=rnd)

    def l(self, tid, when, ttype, amount, cur="EUR", run=0, src="w", owner="p", rnd="", **kw):
        return self._add(src, "ledger", run, when, [[ttype, amount]], cur, id=tid, owner=owner,
                         round=rnd, **kw)


def kinds(res):
    """{kind: count} of the nonzero break kinds."""
    return {k: v[0] for k, v in res["breaks"].items() if v[0]}


def csv_set(res):
    return sorted((r["kind"], r["id"], r["day"]) for r in res["rows"])


class BusinessDays(unittest.TestCase):
    def test_cut_off_is_local_wall_time_across_dst(self):
        malta = ZoneInfo("Europe/Malta")
        bd = ro.business_day
        six = 6 * 3600
        # 25 Oct (CEST, UTC+2): 06:00 local is 04:00Z
        self.assertEqual(bd(utc("2025-10-25T03:59:59"), malta, six), D(2025, 10, 24))
        self.assertEqual(bd(utc("2025-10-25T04:00:00"), malta, six), D(2025, 10, 25))
        # 26 Oct (CET, UTC+1 after 01:00Z): 06:00 local is 05:00Z
        self.assertEqual(bd(utc("2025-10-26T04:45:00"), malta, six), D(2025, 10, 25))
        self.assertEqual(bd(utc("2025-10-26T05:05:00"), malta, six), D(2025, 10, 26))
        self.assertEqual(bd(utc("2025-10-26T00:30:00"), malta, 0), D(2025, 10, 26))
        self.assertEqual(recon_gen.bday_start(D(2025, 10, 26)), utc("2025-10-26T05:00:00"))
        self.assertEqual(recon_gen.bday_start(D(2025, 10, 25)), utc("2025-10-25T04:00:00"))


class Transaction(unittest.TestCase):
    def one(self, rows, entries=None, today=D(2025, 10, 20), **kw):
        out = ro.expected(spec(entries or [entry()], **kw), rows.rows, [today] * (
            1 + max(r["run"] for r in rows.rows)))
        return out

    def test_each_check_in_its_order(self):
        r = Rows()
        r.p("m", "2025-10-05T10:00:00", "bet", 1000)
        r.l("m", "2025-10-05T10:00:03", "bet", 1000)                       # matched
        r.p("cur", "2025-10-05T11:00:00", "bet", 500)
        r.l("cur", "2025-10-05T11:00:00", "win", 700, cur="USD")           # currency first
        r.p("typ", "2025-10-05T12:00:00", "bet", 500)
        r.l("typ", "2025-10-05T12:00:00", "win", 700)                      # then type
        r.p("amt", "2025-10-06T12:00:00", "win", 500)
        r.l("amt", "2025-10-05T12:00:00", "win", 480)                      # then amount
        r.p("shift", "2025-10-07T23:59:00", "bet", 300)
        r.l("shift", "2025-10-08T00:01:00", "bet", 300)                    # 1 day: day_shift
        r.p("far", "2025-10-09T10:00:00", "bet", 200)
        r.l("far", "2025-10-11T10:00:00", "bet", 200)                      # 2 days: missing x2
        res = self.one(r)[("p", "2025-10")]["w"]
        self.assertEqual(csv_set(res), [
            ("amount_mismatch", "amt", "2025-10-06"), ("currency_mismatch", "cur", "2025-10-05"),
            ("day_shift", "shift", "2025-10-07"), ("missing_in_ledger", "far", "2025-10-09"),
            ("missing_in_partner", "far", "2025-10-11"), ("type_mismatch", "typ", "2025-10-05")])
        self.assertEqual(res["matched"], (1, 1000))
        self.assertEqual(res["breaks"]["amount_mismatch"], (1, 20))     # |500 - 480|
        self.assertEqual(res["breaks"]["currency_mismatch"], (1, 500))  # the partner's amount
        self.assertEqual(res["breaks"]["type_mismatch"], (1, 500))
        self.assertEqual(res["breaks"]["day_shift"], (1, 0))
        self.assertEqual(res["breaks"]["missing_in_ledger"], (1, 200))
        self.assertEqual(res["breaks"]["missing_in_partner"], (1, 200))  # the ledger's amount
        self.assertEqual((res["status"], res["waiting"]), ("held", 0))
        rows = {r["kind"]: r for r in res["rows"]}
        self.assertEqual(rows["currency_mismatch"]["currency"], "EUR/USD")
        self.assertEqual((rows["currency_mismatch"]["partner_amount"],
                          rows["currency_mismatch"]["ledger_amount"],
                          rows["currency_mismatch"]["difference"]), ("5.00", "7.00", ""))
        self.assertEqual(rows["type_mismatch"]["difference"], "-2.00")
        self.assertEqual(rows["amount_mismatch"]["difference"], "0.20")
        self.assertEqual(rows["day_shift"]["difference"], "0.00")
        self.assertEqual((rows["missing_in_ledger"]["ledger_amount"],
                          rows["missing_in_ledger"]["ledger_file"],
                          rows["missing_in_ledger"]["partner_file"]), ("", "", "p/p_0.csv:7"))
        self.assertEqual((rows["missing_in_partner"]["partner_file"],
                          rows["missing_in_partner"]["ledger_file"]), ("", "w/w_0.csv:7"))

    def test_waiting_until_day_plus_wait_days_then_missing(self):
        r = Rows()
        r.p("a", "2025-10-18T10:00:00", "bet", 100)   # 18 + 2 >= 20: waiting
        r.l("b", "2025-10-17T10:00:00", "bet", 70)    # 17 + 2 < 20: missing_in_partner
        r.p("c", "2025-10-17T10:00:00", "bet", 40)    # missing_in_ledger
        res = self.one(r, today=D(2025, 10, 20))[("p", "2025-10")]["w"]
        self.assertEqual(res["waiting"], 1)
        self.assertEqual(kinds(res), {"missing_in_ledger": 1, "missing_in_partner": 1})
        self.assertEqual(res["status"], "held")
        res = self.one(r, [entry(breaks=2, amount="1.10")])[("p", "2025-10")]["w"]
        self.assertEqual(res["status"], "waiting")                       # 2 breaks, 1.10
        res = self.one(r, [entry(breaks=2, amount="1.09")])[("p", "2025-10")]["w"]
        self.assertEqual(res["status"], "held")                          # 1.10 > 1.09
        res = self.one(r, today=D(2025, 10, 19))[("p", "2025-10")]["w"]
        self.assertEqual((res["waiting"], kinds(res)), (3, {}))          # 17 + 2 >= 19
        self.assertEqual(res["status"], "waiting")

    def test_statuses_clean_and_within_tolerance(self):
        r = Rows()
        r.p("a", "2025-10-01T10:00:00", "bet", 100)
        r.l("a", "2025-10-01T10:00:00", "bet", 100)
        self.assertEqual(self.one(r)[("p", "2025-10")]["w"]["status"], "clean")
        r.p("b", "2025-10-02T10:00:00", "bet", 100)
        r.l("b", "2025-10-02T10:00:00", "bet", 99)
        res = self.one(r, [entry(breaks=1, amount="0.01")])[("p", "2025-10")]["w"]
        self.assertEqual(res["status"], "within_tolerance")

    def test_either_side_first_and_a_late_row_of_a_matched_key(self):
        for prun, lrun in ((0, 1), (1, 0), (0, 0)):
            r = Rows()
            r.p("a", "2025-10-01T10:00:00", "bet", 100, run=prun)
            r.l("a", "2025-10-01T10:00:05", "bet", 100, run=lrun)
            res = self.one(r)[("p", "2025-10")]["w"]
            self.assertEqual((res["matched"], res["status"]), ((1, 100), "clean"), (prun, lrun))

    def test_items_of_one_key_are_summed_within_a_run_not_after_the_match(self):
        r = Rows()
        r.pr("R1", "2025-10-01T10:00:00", {"bet": 300, "win": 50})
        r.l("x1", "2025-10-01T10:00:01", "bet", 100, rnd="R1")
        r.l("x2", "2025-10-01T10:00:02", "bet", 200, rnd="R1")
        r.l("x3", "2025-10-01T10:00:03", "win", 50, rnd="R1")
        s = [entry(breaks=5, amount="100")]
        res = self.one(r, s, amounts=True)[("p", "2025-10")]["w"]
        self.assertEqual((res["matched"], kinds(res)), ((2, 350), {}))
        # the second bet row a run later: the first pairs alone, the second is a new item
        r.rows[2]["run"] = 1
        r.rows[2]["file"] = "w/w_1.csv"
        res = self.one(r, s, amounts=True, today=D(2025, 10, 30))[("p", "2025-10")]["w"]
        self.assertEqual(csv_set(res), [("amount_mismatch", "R1:bet", "2025-10-01"),
                                        ("missing_in_partner", "R1:bet", "2025-10-01")])
        self.assertEqual(res["breaks"]["amount_mismatch"], (1, 200))
        self.assertEqual(res["matched"], (1, 50))
        # the same, but only the ledger's rows in run 0: they are summed when the drop comes
        for i in (0,):
            r.rows[i]["run"] = 1
            r.rows[i]["file"] = "p/p_1.csv"
        for i in (1, 2, 3):
            r.rows[i]["run"] = 0
            r.rows[i]["file"] = "w/w_0.csv"
        res = self.one(r, s, amounts=True)[("p", "2025-10")]["w"]
        self.assertEqual((res["matched"], kinds(res)), ((2, 350), {}))

    def test_summed_item_keeps_the_earliest_day_and_line(self):
        r = Rows()
        r.pr("R1", "2025-10-03T10:00:00", {"bet": 300})
        r.l("x2", "2025-10-03T10:00:00", "bet", 200, rnd="R1")
        r.l("x1", "2025-10-02T10:00:00", "bet", 50, rnd="R1")
        res = self.one(r, [entry()], amounts=True)[("p", "2025-10")]["w"]
        self.assertEqual(len(res["rows"]), 1)
        row = res["rows"][0]
        self.assertEqual((row["kind"], row["day"], row["ledger_amount"], row["ledger_file"]),
                         ("amount_mismatch", "2025-10-03", "2.50", "w/w_0.csv:3"))

    def test_pairing_same_currency_and_type_first(self):
        r = Rows()
        r.pr("R1", "2025-10-01T10:00:00", {"bet": 300, "win": 20})
        r.l("x1", "2025-10-01T10:00:00", "win", 20, rnd="R1")
        r.l("x2", "2025-10-01T10:00:00", "refund", 300, rnd="R1")   # key R1:refund
        res = self.one(r, [entry()], amounts=True)[("p", "2025-10")]["w"]
        self.assertEqual(csv_set(res), [("missing_in_ledger", "R1:bet", "2025-10-01"),
                                        ("missing_in_partner", "R1:refund", "2025-10-01")])
        self.assertEqual(res["matched"], (1, 20))
        r = Rows()   # one key, two types on the partner's side (ids as keys): loose pairing
        r.p("k", "2025-10-01T10:00:00", "bet", 300)
        r.l("k", "2025-10-01T10:00:00", "win", 300)
        res = self.one(r)[("p", "2025-10")]["w"]
        self.assertEqual(kinds(res), {"type_mismatch": 1})

    def test_duplicates_and_conflicts_make_no_item_and_rejects_none(self):
        r = Rows()
        r.p("a", "2025-10-01T10:00:00", "bet", 100)
        r.l("a", "2025-10-01T10:00:00", "bet", 100)
        r.l("a", "2025-10-01T10:00:00", "bet", 100, run=1)         # repeat: duplicate
        r.l("a", "2025-10-01T10:00:00", "bet", 999, run=1)         # conflict: rejected
        r.l("z", "2025-10-01T10:00:00", "bet", 5, reject="bad_amount")
        r.l("y", "2025-10-01T10:00:00", "bet", 5, owner=None, reject="unknown_partner")
        r.p("a", "2025-10-01T10:00:00", "bet", 100, src="q")       # another partner's id
        res = self.one(r)
        self.assertEqual(res[("p", "2025-10")]["w"]["status"], "clean")
        self.assertEqual(res[("p", "2025-10")]["w"]["matched"], (1, 100))

    def test_amounts_converted_per_day_and_currency_half_even(self):
        rates = "date,base,quote,rate\n2025-10-01,USD,EUR,0.5\n2025-10-03,USD,EUR,0.25\n"
        r = Rows()
        for i, day in enumerate(["01", "01", "02", "03"]):
            r.p("u%d" % i, "2025-10-%sT10:00:00" % day, "bet", 1, cur="USD")
            r.l("u%d" % i, "2025-10-%sT10:00:00" % day, "bet", 1, cur="USD")
        r.p("e", "2025-10-01T10:00:00", "bet", 7)
        r.l("e", "2025-10-01T10:00:00", "bet", 7)
        res = ro.expected(spec([entry()], rates=rates), r.rows, [D(2025, 10, 20)])
        # 1 Oct: 0.02 USD * 0.5 = 0.01; 2 Oct: 0.005 -> 0.00 (half-even); 3 Oct: 0.0025 -> 0.00
        self.assertEqual(res[("p", "2025-10")]["w"]["matched"], (5, 8))
        r.rows[-1]["txns"] = [["bet", 6]]
        r.p("v", "2025-10-02T10:00:00", "bet", 3, cur="USD")             # 0.015 -> 0.02
        res = ro.expected(spec([entry(breaks=2, amount="0.03")], rates=rates), r.rows,
                          [D(2025, 10, 20)])["p", "2025-10"]["w"]
        self.assertEqual(res["breaks"]["amount_mismatch"], (1, 1))
        self.assertEqual(res["breaks"]["missing_in_ledger"], (1, 2))
        self.assertEqual(res["status"], "within_tolerance")              # 0.03 <= 0.03

    def test_breaks_belong_to_their_days_period(self):
        r = Rows()
        r.p("a", "2025-09-30T22:00:00", "bet", 100)
        r.l("a", "2025-10-01T01:00:00", "bet", 100)        # day_shift, on the partner's day
        r.p("b", "2025-09-28T10:00:00", "bet", 100)
        r.l("b", "2025-10-02T10:00:00", "bet", 100)        # far apart: one break in each
        out = self.one(r)
        self.assertEqual(csv_set(out[("p", "2025-09")]["w"]),
                         [("day_shift", "a", "2025-09-30"), ("missing_in_ledger", "b", "2025-09-28")])
        self.assertEqual(csv_set(out[("p", "2025-10")]["w"]),
                         [("missing_in_partner", "b", "2025-10-02")])

    def test_two_ledgers_are_matched_each_on_its_own(self):
        r = Rows()
        r.p("a", "2025-10-01T10:00:00", "bet", 100)
        r.l("a", "2025-10-01T10:00:00", "bet", 100)
        r.l("a", "2025-10-01T10:00:00", "bet", 90, src="b")
        out = self.one(r, [entry(), entry("b", breaks=1, amount="1")])[("p", "2025-10")]
        self.assertEqual(out["w"]["status"], "clean")
        self.assertEqual((kinds(out["b"]), out["b"]["status"]),
                         ({"amount_mismatch": 1}, "within_tolerance"))


class Daily(unittest.TestCase):
    def test_cells(self):
        r = Rows()
        # matched cell: two rows each side
        r.p("a1", "2025-10-02T10:00:00", "bet", 100)
        r.p("a2", "2025-10-02T11:00:00", "bet", 50)
        r.l("x1", "2025-10-02T10:00:00", "bet", 120)
        r.l("x2", "2025-10-02T11:00:00", "bet", 30)
        # same sum, other count: amount_mismatch of 0
        r.p("b1", "2025-10-02T10:00:00", "win", 100)
        r.l("y1", "2025-10-02T10:00:00", "win", 60)
        r.l("y2", "2025-10-02T10:00:00", "win", 40)
        # g2 on the 3rd in the drop, on the 4th and the 2nd in the ledger: nearest, earlier wins
        r.p("c1", "2025-10-03T10:00:00", "bet", 70, game="g2")
        r.l("z1", "2025-10-04T10:00:00", "bet", 70, game="g2")
        r.l("z2", "2025-10-02T10:00:00", "bet", 70, game="g2")
        # other sums: missing on both sides (old), waiting (recent)
        r.p("d1", "2025-10-03T10:00:00", "bet", 5, game="g3")
        r.l("w1", "2025-10-04T10:00:00", "bet", 6, game="g3")
        r.p("e1", "2025-10-19T10:00:00", "bet", 9, game="g4")
        e = entry(match="daily", window=1, wait=2, breaks=5, amount="0.81")
        res = ro.expected(spec([e]), r.rows, [D(2025, 10, 20)])[("p", "2025-10")]["w"]
        self.assertEqual(csv_set(res), [
            ("amount_mismatch", "g1/win", "2025-10-02"), ("day_shift", "g2/bet", "2025-10-03"),
            ("missing_in_ledger", "g3/bet", "2025-10-03"),
            ("missing_in_partner", "g2/bet", "2025-10-04"),
            ("missing_in_partner", "g3/bet", "2025-10-04")])
        # one matched cell; matched.count is the partner's transactions in it
        self.assertEqual(res["matched"], (2, 150))
        self.assertEqual(res["waiting"], 1)
        self.assertEqual(res["breaks"]["amount_mismatch"], (1, 0))
        self.assertEqual(res["breaks"]["missing_in_partner"], (2, 76))
        self.assertEqual(res["status"], "waiting")
        rows = {(x["kind"], x["id"]): x for x in res["rows"]}
        self.assertEqual((rows["day_shift", "g2/bet"]["partner_file"],
                          rows["day_shift", "g2/bet"]["difference"]), ("", "0.00"))
        res = ro.expected(spec([dict(e, day_window=0)]), r.rows,
                          [D(2025, 10, 20)])[("p", "2025-10")]["w"]
        self.assertEqual(kinds(res), {"amount_mismatch": 1, "missing_in_ledger": 2,
                                      "missing_in_partner": 3})
        self.assertEqual(res["status"], "held")


class Generator(unittest.TestCase):
    def test_deterministic_and_every_kind_injected(self):
        a, b = recon_gen.generate(7), recon_gen.generate(7)
        self.assertEqual(a.files, b.files)
        self.assertNotEqual(a.files, recon_gen.generate(8).files)
        out = ro.expected(a.spec, a.rows, a.todays)
        seen = Counter()
        statuses = set()
        for (pid, _), ls in out.items():
            for L, res in ls.items():
                statuses.add(res["status"])
                for k, (n, _) in res["breaks"].items():
                    seen[(res["match"], k)] += n
        for k in ro.KINDS:
            self.assertGreater(seen[("transaction", k)], 0, k)
        for k in ("amount_mismatch", "day_shift", "missing_in_ledger", "missing_in_partner"):
            self.assertGreater(seen[("daily", k)], 0, k)
        self.assertEqual(statuses, {"clean", "held", "waiting", "within_tolerance"})
        rejects = Counter(r["reject"] for r in a.rows if r["reject"])
        self.assertEqual(set(rejects), {"bad_amount", "unknown_partner", "missing_field"})

    def test_dst_pairs(self):
        sc = recon_gen.generate(2)
        res = ro.expected(sc.spec, sc.rows, sc.todays)[("rs", "2025-10")]["wallet"]
        shifts = [x for x in res["rows"] if x["kind"] == "day_shift" and x["day"] == "2025-10-25"]
        self.assertTrue(shifts, "a day_shift from the 25th (05:55 CET) to the 26th (06:05 CET)")

    def test_splits_only_move_rows_between_runs(self):
        def key(r):
            return (r["src"], r.get("id"), r.get("round"), r["utc"], str(r["txns"]), r["reject"])
        one = Counter(key(r) for r in recon_gen.generate(5, split="one").rows)
        for split in ("ledger_first", "partner_first"):
            sc = recon_gen.generate(5, split=split)
            self.assertEqual(Counter(key(r) for r in sc.rows), one, split)
            first = {r["side"] for r in sc.rows if r["run"] == 0}
            self.assertEqual(first, {"ledger" if split == "ledger_first" else "partner"})
        sc = recon_gen.generate(5, split="three")
        self.assertEqual({r["run"] for r in sc.rows}, {0, 1, 2})
        # the one-run and the two-run orders give the same breaks
        base = ro.expected(sc.spec, recon_gen.generate(5).rows, [recon_gen.LAST_DAY])
        for split in ("ledger_first", "partner_first"):
            sc2 = recon_gen.generate(5, split=split)
            got = ro.expected(sc2.spec, sc2.rows, sc2.todays)
            self.assertEqual({k: {L: (r["matched"], r["breaks"], r["waiting"]) for L, r in v.items()}
                              for k, v in got.items()},
                             {k: {L: (r["matched"], r["breaks"], r["waiting"]) for L, r in v.items()}
                              for k, v in base.items()}, split)


if __name__ == "__main__":
    sys.exit(run_unittests(sys.modules[__name__]))
