"""test_recon_outputs.py - a statement's reconciliation (SPEC section 10,
docs/reconciliation.md sections 2-4) through the real binary: reconciliation.csv,
statement.json's and statement.html's reconciliation, the summary, `settle status`, holds
and their release (data catching up, `settle approve`), waiting statements settled again,
daily matching and p.reconciliation in a rule. Every expected figure is computed here from
the rows written, by a small model of the documented rules (matching, waiting vs missing,
break amounts, FX once per day and currency, half-even), not read back from settle.
"""
import csv
import io
import json
import os
import stat
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from harness import SETTLE_UTC_EUR, Workspace, check, check_eq, done, test

CONFIG = SETTLE_UTC_EUR.replace("partners:\n", "fx: { rates: rates.csv }\npartners:\n") + """\
  ps:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount, currency: cur, game: game }
    rules: plain.lua
    reconcile:
      - { ledger: wallet, day_window: 1, wait_days: 2 }
  pd:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount, currency: cur, game: game }
    rules: ledger.lua
    reconcile:
      - { ledger: wallet, match: daily, day_window: 1, wait_days: 2,
          tolerance: { breaks: 10, amount: "100" } }
ledgers:
  wallet:
    files: "*.csv"
    fields:
      partner: { from: prov, values: { PS: ps, PD: pd } }
      id: tx
      time: ts
      game: game
      type: kind
      amount: amt
      currency: cur
"""
PLAIN = "return { settle = function(p) return { lines = {}, payable = p.ggr, carry_out = 0 } end }\n"
# pays the ledger's GGR: a rule can settle on the operator's own figure
LEDGER_RULE = """\
return { settle = function(p)
  local r = p.reconciliation[1]
  return { lines = { { label = "ledger ggr", amount = r.ledger_totals.ggr },
                     { label = "breaks", amount = r.breaks.missing_in_ledger.count } },
           payable = r.ledger_totals.ggr, carry_out = 0 }
end }
"""
RATE = Decimal("0.9")  # USD -> EUR from 2025-08-31
P_HEAD = "id,time,type,amount,cur,game\n"
W_HEAD = "prov,tx,ts,game,kind,amt,cur\n"
KINDS = ["missing_in_ledger", "missing_in_partner", "amount_mismatch", "type_mismatch",
         "currency_mismatch", "day_shift"]
EXP = {"EUR": 2, "USD": 2}
FIRST, LAST = date(2025, 9, 1), date(2025, 9, 30)


def workspace():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("plain.lua", PLAIN)
    ws.write("ledger.lua", LEDGER_RULE)
    ws.write("rates.csv", "date,base,quote,rate\n2025-08-31,USD,EUR,%s\n" % RATE)
    return ws


def d(s):
    return date.fromisoformat(s)


# A transaction as both sides write it: (id, day, type, amount text, currency, game).
def partner_file(rows):
    return P_HEAD + "".join("%s,%sT10:00:00Z,%s,%s,%s,%s\n" % r for r in rows)


def ledger_file(prov, rows):
    return W_HEAD + "".join("%s,%s,%sT11:00:00Z,%s,%s,%s,%s\n" % (prov, i, day, g, t, a, c)
                            for i, day, t, a, c, g in rows)


def to_eur(amount, cur):
    """One (day, currency) sum in EUR, half-even (the rate is the same every day here)."""
    return amount if cur == "EUR" else (amount * RATE).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def fmt(x):
    return "%.2f" % x


def csv_cell(s):
    """A cell as settle writes it: formula-like text defused with a leading apostrophe."""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


class Model:
    """The documented result of one statement and ledger, from items."""

    def __init__(self):
        self.rows = []                      # reconciliation.csv rows (dicts)
        self.sums = defaultdict(Decimal)    # (day, kind, currency) -> native break amount
        self.counts = defaultdict(int)
        self.matched = defaultdict(Decimal)  # (day, currency) -> partner amount
        self.matched_n = 0
        self.waiting = 0

    def brk(self, kind, id_, day, cur, lcur, pa, la, pf, lf):
        diff = "" if pa is None or la is None or cur != lcur else fmt(pa - la)
        self.rows.append({"_id": id_, "ledger": "wallet", "kind": kind, "id": csv_cell(id_),
                          "day": str(day),
                          "currency": cur if cur == lcur else cur + "/" + lcur,
                          "partner_amount": "" if pa is None else fmt(pa),
                          "ledger_amount": "" if la is None else fmt(la),
                          "difference": diff, "partner_file": pf or "", "ledger_file": lf or ""})
        amount = {"amount_mismatch": abs(pa - la) if pa is not None and la is not None else 0,
                  "day_shift": abs(pa - la) if pa is not None and la is not None else 0,
                  "missing_in_partner": la}.get(kind, pa)
        self.sums[(day, kind, cur)] += amount
        self.counts[kind] += 1

    def json(self, status, reason=None):
        breaks = {k: {"count": self.counts[k], "amount": Decimal(0)} for k in KINDS}
        for (_day, kind, cur), v in self.sums.items():
            breaks[kind]["amount"] += to_eur(v, cur)
        matched = sum((to_eur(v, c) for (_d, c), v in self.matched.items()), Decimal(0))
        out = {"ledger": "wallet", "matched": {"count": self.matched_n, "amount": fmt(matched)},
               "breaks": {k: {"count": v["count"], "amount": fmt(v["amount"])}
                          for k, v in breaks.items()},
               "waiting": self.waiting, "status": status}
        if reason:
            out["reason"] = reason
        return out

    def sorted_rows(self):
        """By day, kind and the id as sent (bytewise), without the sort key."""
        rows = sorted(self.rows, key=lambda r: (r["day"], r["kind"], r["_id"].encode()))
        return [{k: v for k, v in r.items() if k != "_id"} for r in rows]


def model_transaction(prows, lrows, today, window=1, wait=2):
    """prows/lrows: (id, day, type, amount, cur, file:line); one item per id and side."""
    m = Model()
    P = {r[0]: r for r in prows}
    L = {r[0]: r for r in lrows}
    for key in sorted(set(P) | set(L)):
        p, l = P.get(key), L.get(key)
        if p and l:
            pd_, ld = d(p[1]), d(l[1])
            pa, la = Decimal(p[3]), Decimal(l[3])
            kind = ("currency_mismatch" if p[4] != l[4] else "type_mismatch" if p[2] != l[2]
                    else "amount_mismatch" if pa != la
                    else None if abs((pd_ - ld).days) > window
                    else "day_shift" if pd_ != ld else "matched")
            if kind == "matched":
                m.matched[(pd_, p[4])] += pa
                m.matched_n += 1
            elif kind:
                m.brk(kind, key, pd_, p[4], l[4], pa, la, p[5], l[5])
            else:
                m.brk("missing_in_ledger", key, pd_, p[4], p[4], pa, None, p[5], None)
                m.brk("missing_in_partner", key, ld, l[4], l[4], None, la, None, l[5])
            continue
        one = p or l
        day = d(one[1])
        if day + timedelta(days=wait) >= today:
            m.waiting += 1
        elif p:
            m.brk("missing_in_ledger", key, day, p[4], p[4], Decimal(p[3]), None, p[5], None)
        else:
            m.brk("missing_in_partner", key, day, l[4], l[4], None, Decimal(l[3]), None, l[5])
    return m


def model_daily(prows, lrows, today, window=1, wait=2):
    """Daily matching per (game, currency, type): both sides on a day, then day shifts in
    partner-day order (nearest, earlier on a tie), then waiting or missing."""
    m = Model()
    sides = [defaultdict(lambda: [Decimal(0), 0]), defaultdict(lambda: [Decimal(0), 0])]
    for s, rows in ((0, prows), (1, lrows)):
        for _id, day, typ, amt, cur, game in rows:
            e = sides[s][(game, cur, typ, d(day))]
            e[0] += Decimal(amt)
            e[1] += 1
    groups = sorted({k[:3] for s in sides for k in s})
    for game, cur, typ in groups:
        days = sorted({k[3] for s in sides for k in s if k[:3] == (game, cur, typ)})
        P = {x: sides[0][(game, cur, typ, x)] for x in days if (game, cur, typ, x) in sides[0]}
        L = {x: sides[1][(game, cur, typ, x)] for x in days if (game, cur, typ, x) in sides[1]}
        gid, done_ = "%s/%s" % (game, typ), set()
        for x in days:
            if x in P and x in L:
                done_.add(x)
                if P[x] == L[x]:
                    m.matched[(x, cur)] += P[x][0]
                    m.matched_n += P[x][1]
                else:
                    m.brk("amount_mismatch", gid, x, cur, cur, P[x][0], L[x][0], None, None)
        for x in days:
            if x in done_ or x not in P:
                continue
            cands = [y for y in days if y not in done_ and y in L and y not in P and L[y] == P[x]
                     and abs((y - x).days) <= window]
            if cands:
                y = min(cands, key=lambda y: (abs((y - x).days), y))
                done_ |= {x, y}
                m.brk("day_shift", gid, x, cur, cur, P[x][0], L[y][0], None, None)
        for x in days:
            if x in done_:
                continue
            if x + timedelta(days=wait) >= today:
                m.waiting += 1
            elif x in P:
                m.brk("missing_in_ledger", gid, x, cur, cur, P[x][0], None, None, None)
            else:
                m.brk("missing_in_partner", gid, x, cur, cur, None, L[x][0], None, None)
    return m


def recon_csv(ws, partner, period="2025-09"):
    return list(csv.DictReader(io.StringIO(ws.read("var", "reports", period, partner,
                                                   "reconciliation.csv"))))


def recon_json(st):
    """The statement's reconciliation without ledger_totals and match (checked apart)."""
    return [{k: v for k, v in r.items() if k not in ("ledger_totals", "match")}
            for r in st.get("reconciliation", [])]


def with_lines(rows, folder):
    """Adds "<folder>/<file>:<line>" to (id, day, type, amount, cur, game) rows of one file."""
    return [r[:5] + ("%s:%d" % (folder, i + 2),) for i, r in enumerate(rows)]


# ps's drop and the wallet's rows of ps: one case of every kind, an id that looks like a
# formula, a USD amount converted at 0.9, an item still waiting
PS = [("p1", "2025-09-01", "bet", "10.00", "EUR", "g1"),
      ("p2", "2025-09-01", "bet", "5.00", "EUR", "g1"),
      ("p3", "2025-09-02", "win", "3.00", "EUR", "g1"),
      ("=p4", "2025-09-02", "bet", "2.05", "USD", "g1"),
      ("p6", "2025-09-04", "bet", "7.00", "EUR", "g1"),
      ("p7", "2025-09-01", "bet", "4.00", "EUR", "g1"),
      ("p8", "2025-09-01", "bet", "6.00", "EUR", "g1"),
      ("p9", "2025-09-01", "bet", "1.00", "EUR", "g1")]
WS = [("p1", "2025-09-01", "bet", "10.00", "EUR", "g1"),
      ("p2", "2025-09-01", "bet", "5.50", "EUR", "g1"),
      ("p3", "2025-09-03", "win", "3.00", "EUR", "g1"),
      ("l5", "2025-09-01", "bet", "1.00", "EUR", "g1"),
      ("p7", "2025-09-01", "win", "4.00", "EUR", "g1"),
      ("p8", "2025-09-01", "bet", "6.00", "USD", "g1"),
      ("p9", "2025-09-04", "bet", "1.00", "EUR", "g1")]  # three days away: missing both
TODAY = d("2025-09-05")
ENV = {"SETTLE_TODAY": str(TODAY)}


@test
def ledger_first_then_partner_every_output():
    ws = workspace()
    ws.write("inbox/wallet/w1.csv", ledger_file("PS", WS))
    r = ws.settle("run", env=ENV)
    m = model_transaction([], with_lines(WS, "wallet/w1.csv"), TODAY)
    check_eq(recon_csv(ws, "ps"), m.sorted_rows(), "ledger only: its rows missing or waiting")
    check_eq(r.returncode, 1, "held (stderr %s)" % r.stderr)
    ws.write("inbox/ps/d1.csv", partner_file(PS))
    r = ws.settle("run", env=ENV)
    check_eq(r.returncode, 1, "held: more breaks than tolerated (%s)" % r.stderr)
    m = model_transaction(with_lines(PS, "ps/d1.csv"), with_lines(WS, "wallet/w1.csv"), TODAY)
    got = recon_csv(ws, "ps")
    check_eq(got, m.sorted_rows(), "reconciliation.csv: every break, sorted, defused")
    check(any(x["id"] == "'=p4" for x in got), "a formula-like id is defused")
    n = sum(m.counts.values())
    reason = "reconciliation with wallet: %d breaks (tolerance 0)" % n
    st = ws.statement("2025-09", "ps")
    check_eq((st["status"], st.get("hold_reason")), ("held", reason), "the statement is held")
    check_eq(recon_json(st), [m.json("held", reason)], "statement.json reconciliation")
    check_eq(st["reconciliation"][0]["match"], "transaction", "match")
    lt = st["reconciliation"][0]["ledger_totals"]
    bets = [to_eur(Decimal(a), c) for _i, _d, t, a, c, _g in WS if t == "bet"]
    check_eq((lt["total"]["bet"], lt["count"]["bet"]), (fmt(sum(bets)), len(bets)),
             "ledger totals in EUR")
    path = ws.path("var", "reports", "2025-09", "ps", "reconciliation.csv")
    check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o640, "reconciliation.csv mode 0640")
    html = ws.read("var", "reports", "2025-09", "ps", "statement.html")
    check("<h2>Reconciliation</h2>" in html, "statement.html has a reconciliation section")
    for k in KINDS:
        check(">%s</td>" % k in html, "statement.html lists %s" % k)
    summary = json.loads(ws.read("var", "reports", "2025-09", "summary.json"))
    check_eq(summary.get("reconciliation"), {"partners": 1, "breaks": n, "held": 1},
             "summary: reconciled partners, breaks, reconciliation holds")
    status = json.loads(ws.settle("status", "--json").stdout)
    check_eq([x["partner"] for x in status["partners"]], ["ps"], "status: the ledger is no partner")
    check_eq([x["ledger"] for x in status["ledgers"]], ["wallet"], "status: listed as a ledger")
    # open: p6 (waiting) and the two halves of p9 are not stored as open (p9 is a pair)
    check_eq(status["partners"][0]["reconciliation"],
             [{"ledger": "wallet", "open_partner_items": 2, "open_ledger_items": 1,
               "oldest_day": "2025-09-01"}],
             "status: the open items of ps (=p4, p6; l5)")
    # approve releases exactly this hold; a new break holds it again
    r = ws.settle("approve", "--partner", "ps", "--period", "2025-09", "--reason", "checked")
    check_eq(r.returncode, 0, "approve a reconciliation hold (%s)" % r.stderr)
    r = ws.settle("run", env=ENV)
    st = ws.statement("2025-09", "ps")
    check_eq((r.returncode, st["status"], st.get("approval", {}).get("hold_reason")),
             (0, "provisional", reason), "released by the approval, which is shown")
    check_eq(recon_json(st), [m.json("held", reason)], "the reconciliation itself unchanged")
    ws.write("inbox/wallet/w2.csv", ledger_file("PS", [("l6", "2025-09-02", "bet", "1.00",
                                                        "EUR", "g1")]))
    r = ws.settle("run", env=ENV)
    st = ws.statement("2025-09", "ps")
    check_eq((r.returncode, st["status"], st.get("hold_reason")),
             (1, "held", "reconciliation with wallet: %d breaks (tolerance 0)" % (n + 1)),
             "another break: held again")
    ws.cleanup()


QS = [("q1", "2025-09-01", "bet", "10.00", "EUR", "g1"),
      ("q2", "2025-09-01", "bet", "2.00", "EUR", "g1")]


@test
def partner_first_waiting_then_missing_then_released():
    ws = workspace()
    ws.write("inbox/ps/d1.csv", partner_file(QS))
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-02"})
    st = ws.statement("2025-09", "ps")
    check_eq((r.returncode, st["status"], st["reconciliation"][0]["status"],
              st["reconciliation"][0]["waiting"]), (0, "provisional", "waiting", 2),
             "partner first: both items wait")
    check_eq(recon_csv(ws, "ps"), [], "nothing waiting is a break")
    ws.write("inbox/wallet/w1.csv", ledger_file("PS", QS[:1]))
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-03"})
    st = ws.statement("2025-09", "ps")
    check_eq((st["reconciliation"][0]["matched"], st["reconciliation"][0]["waiting"]),
             ({"count": 1, "amount": "10.00"}, 1), "q1 matched, q2 waits (day + 2 >= today)")
    # no new file: the waiting statement is settled again, and q2 is now missing
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-04"})
    st = ws.statement("2025-09", "ps")
    m = model_transaction(with_lines(QS, "ps/d1.csv"), with_lines(QS[:1], "wallet/w1.csv"),
                          d("2025-09-04"))
    reason = "reconciliation with wallet: 1 break (tolerance 0)"
    check_eq((r.returncode, st["status"], st.get("hold_reason")), (1, "held", reason),
             "a waiting statement is settled again: q2 missing, held")
    check_eq(recon_json(st), [m.json("held", reason)], "the model agrees")
    check_eq(recon_csv(ws, "ps"), m.sorted_rows(), "q2 listed missing_in_ledger")
    ws.write("inbox/wallet/w2.csv", ledger_file("PS", QS[1:]))
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-04"})
    st = ws.statement("2025-09", "ps")
    check_eq((r.returncode, st["status"], st["reconciliation"][0]["status"]),
             (0, "provisional", "clean"), "the counterpart arrived: released, clean")
    check_eq(recon_csv(ws, "ps"), [], "no break left")
    check_eq(st["reconciliation"][0]["matched"], {"count": 2, "amount": "12.00"}, "both matched")
    ws.cleanup()


# pd, matched daily: g1 bets equal; g1 wins differ; g2 bet a day late in the ledger; g3 only
# in the drop; g4 only in the ledger; g5 on the 4th still waits; USD converted
PD = [("a1", "2025-09-01", "bet", "10.00", "EUR", "g1"),
      ("a2", "2025-09-01", "bet", "5.00", "EUR", "g1"),
      ("a3", "2025-09-01", "win", "4.00", "EUR", "g1"),
      ("a4", "2025-09-02", "bet", "3.00", "EUR", "g2"),
      ("a5", "2025-09-02", "bet", "2.25", "USD", "g3"),
      ("a6", "2025-09-04", "bet", "1.00", "EUR", "g5")]
WD = [("b1", "2025-09-01", "bet", "15.00", "EUR", "g1"),
      ("b2", "2025-09-01", "win", "4.50", "EUR", "g1"),
      ("b3", "2025-09-03", "bet", "3.00", "EUR", "g2"),
      ("b4", "2025-09-01", "win", "0.35", "USD", "g4")]


@test
def daily_matching_within_tolerance_and_the_rule_sees_it():
    ws = workspace()
    ws.write("inbox/pd/d1.csv", partner_file(PD))
    ws.write("inbox/wallet/w1.csv", ledger_file("PD", WD))
    r = ws.settle("run", env=ENV)
    check_eq(r.returncode, 0, "within tolerance: not held (%s)" % r.stderr)
    m = model_daily(PD, WD, TODAY)
    check_eq(recon_csv(ws, "pd"), m.sorted_rows(), "daily breaks, id <game>/<type>, no files")
    st = ws.statement("2025-09", "pd")
    check_eq(recon_json(st), [m.json("waiting")], "daily: counts and amounts; g5 waits")
    later = d("2025-09-10")
    r = ws.settle("run", env={"SETTLE_TODAY": str(later)})
    m = model_daily(PD, WD, later)
    st = ws.statement("2025-09", "pd")
    check_eq((r.returncode, recon_json(st)), (0, [m.json("within_tolerance")]),
             "settled again without new data: g5 missing, within tolerance")
    check_eq(recon_csv(ws, "pd"), m.sorted_rows(), "g5 listed")
    check_eq(st["reconciliation"][0]["match"], "daily", "match")
    ggr = (sum(to_eur(Decimal(a), c) for _i, _d, t, a, c, _g in WD if t == "bet")
           - sum(to_eur(Decimal(a), c) for _i, _d, t, a, c, _g in WD if t == "win"))
    check_eq((st["payable"], st["lines"][1]["amount"]), (fmt(ggr), "0.0%d" % m.counts[
        "missing_in_ledger"]), "the rule paid the ledger's GGR from p.reconciliation")
    ws.cleanup()


done()
