#!/usr/bin/env python3
"""recon_gen.py - generates partner drops and ledger files for reconciliation tests
(SPEC section 10, docs/reconciliation.md), deterministic from a seed, together with the
rows it wrote as data (recon_oracle.py computes the expected breaks from those rows, never
from settle's outputs). Python 3 standard library only; shares no code with the engine.

A scenario has partners of two layouts - `tx` (one transaction per row, local wall times in
Europe/Malta, the settle time zone, whose DST ends on 2025-10-26) and `rounds` (one row per
round with `amounts:` bet/win columns, UTC times) - and ledgers `wallet` (CSV, UTC ISO times,
provider codes mapped to partners) and `bank` (NDJSON, epoch seconds, partner ids as
written). Each partner lists the ledgers it is reconciled with (`match: transaction` or
`daily`). Injected per (partner, ledger):

  transaction: missing_in_ledger and missing_in_partner (old ones, and recent ones that still
    wait), amount_mismatch, type_mismatch, currency_mismatch (EUR/USD), day_shift across the
    06:00 business-day cut-off (both ways), a matched pair and a day_shift around the cut-off
    on the DST change, a pair too many days apart (two missing breaks), and for `rounds`
    partners ledger rows of one round and type summed into one item (matching and not);
  daily: a cell one row short (amount_mismatch), a game only in the drop and one only in
    the ledger (old and recent), a game recorded a business day later by the ledger
    (day_shift across the cut-off);
  ledger side: exact repeats (duplicates), a conflicting repeat (duplicate_conflict), and
  rejects: bad_amount, unknown_partner (an unmapped provider), missing_field.

The rows can be split over runs: `one` (one run), `ledger_first` / `partner_first` (the
ledgers' files in one run, the partners' in the next) and `three` (every source's rows spread
over three runs at random); with `three`, a `rounds` partner also gets a ledger row for a key
already matched in the first run (a new item, left open). `python3 recon_gen.py --out DIR`
writes a scenario (DIR/run<N>/inbox/..., settle.yaml, rates.csv, rows.json).
"""
import argparse
import datetime as dt
import json
import os
import random
import sys
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import fmt_money  # noqa: E402

UTC = dt.timezone.utc
SETTLE_ZONE = "Europe/Malta"
DAY_START = 6 * 3600                    # business days start at 06:00 Malta time
FIRST_DAY = dt.date(2025, 10, 20)
LAST_DAY = dt.date(2025, 11, 6)         # the last run's business day ("today")
DST_DAY = dt.date(2025, 10, 26)         # Malta: 03:00 CEST -> 02:00 CET
EXP = {"EUR": 2, "USD": 2}
SPLITS = ("one", "ledger_first", "partner_first", "three")

DEFAULT_PARTNERS = [
    {"id": "rs", "layout": "tx", "code": "RS", "n": 40,
     "reconcile": [{"ledger": "wallet", "match": "transaction", "day_window": 1, "wait_days": 2,
                    "breaks": 0, "amount": "0"},
                   {"ledger": "bank", "match": "transaction", "day_window": 1, "wait_days": 2,
                    "breaks": 30, "amount": "100000"}]},
    {"id": "rl", "layout": "rounds", "code": "RL", "n": 25,
     "reconcile": [{"ledger": "wallet", "match": "transaction", "day_window": 0, "wait_days": 1,
                    "breaks": 40, "amount": "100000"}]},
    {"id": "dp", "layout": "tx", "code": "DP", "n": 60,
     "reconcile": [{"ledger": "wallet", "match": "daily", "day_window": 1, "wait_days": 2,
                    "breaks": 3, "amount": "50"}]},
    {"id": "calm", "layout": "tx", "code": "CA", "n": 12,
     "reconcile": [{"ledger": "wallet", "match": "transaction", "day_window": 1,
                    "wait_days": 2, "breaks": 0, "amount": "0"}], "clean": True},
]


def bday_start(day):
    """UTC instant (epoch seconds) at which business day `day` starts."""
    z = ZoneInfo(SETTLE_ZONE)
    local = dt.datetime.combine(day, dt.time(DAY_START // 3600, DAY_START % 3600 // 60), tzinfo=z)
    return int(local.astimezone(UTC).timestamp())


def local_text(utc, zone):
    """Wall time of an instant in `zone` as 'YYYY-MM-DD HH:MM:SS'."""
    return dt.datetime.fromtimestamp(utc, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def money(minor, cur):
    """Minor units -> decimal text with the currency's digits."""
    return fmt_money(minor, EXP[cur])


class Scenario:
    """What generate() returns: config text, rates text, files per run, and the rows as data.

    rows: one dict per data row written, in file order: src (partner or ledger id), side
    ('partner'/'ledger'), file ('<src>/<name>'), line, run, reject (reason or None),
    owner (the partner a ledger row belongs to; None when unknown), utc, game, cur, id
    (transaction id; absent for a `rounds` drop row), round, and txns: [[type, amount
    minor]] (a `rounds` drop row has one per amount column)."""

    def __init__(self):
        self.config = ""
        self.rates = ""
        self.files = {}          # run -> [(relative path under the inbox, bytes)]
        self.rows = []
        self.todays = []         # business day "today" of each run (date)
        self.spec = {}           # settings recon_oracle.py needs


class _Gen:
    def __init__(self, seed, partners, split):
        self.r = random.Random(seed)
        self.partners = partners
        self.split = split
        self.ledgers = sorted({e["ledger"] for p in partners for e in p["reconcile"]})
        self.prows = {p["id"]: [] for p in partners}       # partner id -> row dicts
        self.lrows = {l: [] for l in self.ledgers}         # ledger id -> row dicts
        self.lextra = {l: [] for l in self.ledgers}        # repeats/rejects: last file's end
        self.force = {}                                    # id(row) -> run
        self.n = 0

    # ---- building blocks ----
    def uid(self, prefix):
        self.n += 1
        return "%s%04d" % (prefix, self.n)

    def day(self, lo=FIRST_DAY, hi=LAST_DAY):
        return lo + dt.timedelta(days=self.r.randrange((hi - lo).days + 1))

    def instant(self, day):
        """A time well inside business day `day` (never within 20 minutes of a cut-off)."""
        return bday_start(day) + self.r.randrange(1200, 22 * 3600)

    def amount(self):
        return self.r.randrange(50, 50000)

    def game(self):
        return "g%d" % self.r.randrange(1, 4)

    def partner_tx(self, p, utc, ttype="bet", amt=None, cur="EUR", game=None, tid=None):
        row = {"src": p["id"], "side": "partner", "utc": utc, "cur": cur,
               "game": game or self.game(), "reject": None, "id": tid or self.uid(p["code"]),
               "type": ttype, "amount": self.amount() if amt is None else amt}
        row["txns"] = [[ttype, row["amount"]]]
        self.prows[p["id"]].append(row)
        return row

    def partner_round(self, p, utc, bet, win, game=None):
        rid = self.uid("R" + p["code"])
        row = {"src": p["id"], "side": "partner", "utc": utc, "cur": "EUR",
               "game": game or self.game(), "reject": None, "round": rid,
               "amounts": {"bet": bet, "win": win}}
        row["txns"] = [["bet", bet], ["win", win]]
        self.prows[p["id"]].append(row)
        return row

    def ledger_row(self, ledger, p, utc, ttype, amt, cur="EUR", game="g1", tid=None, rnd="",
                   code=None, extra=False, reject=None, amount_text=None):
        """A ledger row of partner p (None: an unknown provider)."""
        tid = tid if tid is not None else self.uid("L")
        row = {"src": ledger, "side": "ledger", "utc": utc, "cur": cur, "game": game,
               "reject": reject, "owner": p["id"] if p and reject != "unknown_partner" else None,
               "code": code or (p["code"] if p else "XX"), "pid": p["id"] if p else "nobody",
               "id": tid, "round": rnd, "type": ttype, "amount": amt,
               "amount_text": amount_text}
        row["txns"] = [] if reject else [[ttype, amt]]
        (self.lextra if extra else self.lrows)[ledger].append(row)
        return row

    def mirror(self, ledger, p, prow, dt_s=None, **over):
        """The ledger's rows for a partner row (a few seconds later unless dt_s is given)."""
        utc = prow["utc"] + (self.r.randrange(0, 5) if dt_s is None else dt_s)
        out = []
        if "amounts" in prow:
            for t, a in prow["amounts"].items():
                out.append(self.ledger_row(ledger, p, utc, t, a, prow["cur"], prow["game"],
                                           rnd=prow["round"], tid="w" + self.uid("") + t[0]))
            return out
        kw = {"ttype": prow["type"], "amt": prow["amount"], "cur": prow["cur"],
              "game": prow["game"], "tid": prow["id"]}
        kw.update(over)
        out.append(self.ledger_row(ledger, p, utc, **kw))
        return out

    # ---- per partner ----
    def normal(self, p):
        """p's ordinary transactions, mirrored by every ledger it is reconciled with."""
        for _ in range(p["n"]):
            day = self.day()
            if p["layout"] == "rounds":
                row = self.partner_round(p, self.instant(day), self.amount(), self.amount())
            else:
                cur = "USD" if self.r.random() < 0.15 else "EUR"
                row = self.partner_tx(p, self.instant(day), self.r.choice(["bet", "win", "refund"]),
                                      cur=cur)
            for e in p["reconcile"]:
                self.mirror(e["ledger"], p, row)

    def others(self, p, row, but):
        """Mirrors a partner row in every ledger of p except `but`."""
        for e in p["reconcile"]:
            if e["ledger"] != but:
                self.mirror(e["ledger"], p, row)

    def breaks_tx(self, p, e):
        """Transaction-matching breaks of p against ledger e['ledger']."""
        L = e["ledger"]
        last = LAST_DAY
        rounds = p["layout"] == "rounds"

        def prow(day, utc=None):
            utc = self.instant(day) if utc is None else utc
            if rounds:
                return self.partner_round(p, utc, self.amount(), self.amount())
            return self.partner_tx(p, utc)

        for day in (self.day(hi=last - dt.timedelta(days=6)), last, last - dt.timedelta(days=1)):
            self.others(p, prow(day), L)                     # missing_in_ledger / waiting
            utc = self.instant(day)                          # missing_in_partner / waiting
            if rounds:
                rid = self.uid("R" + p["code"])
                self.ledger_row(L, p, utc, "bet", self.amount(), rnd=rid)
            else:
                self.ledger_row(L, p, utc, "win", self.amount())
        # amount, type, currency mismatches
        for kind in ("amount", "type", "currency"):
            row = prow(self.day(hi=last - dt.timedelta(days=4)))
            self.others(p, row, L)
            if rounds:
                bet = row["amounts"]["bet"]
                rid = row["round"]
                if kind == "amount":
                    self.mirror_round_types(L, p, row, {"bet": bet + 7})
                elif kind == "type":   # the ledger calls the bet a refund: another key
                    self.ledger_row(L, p, row["utc"], "refund", bet, game=row["game"], rnd=rid)
                    self.mirror_round_types(L, p, row, {}, only="win")
                else:
                    self.mirror_round_types(L, p, row, {}, cur={"bet": "USD"})
                continue
            over = {"amount": {"amt": row["amount"] + self.r.choice([-3, 1, 250])},
                    "type": {"ttype": "win" if row["type"] != "win" else "bet"},
                    "currency": {"cur": "USD"}}[kind]
            self.mirror(L, p, row, **over)
        # day_shift across the 06:00 cut-off, both ways
        for sign in (1, -1):
            day = self.day(lo=FIRST_DAY + dt.timedelta(days=1), hi=last - dt.timedelta(days=4))
            cut = bday_start(day)
            row = prow(day, cut - 120 if sign > 0 else cut + 90)
            self.others(p, row, L)
            self.mirror(L, p, row, dt_s=sign * 240 if sign > 0 else -300)
        # the DST change: 04:40Z/04:45Z are 05:40/05:45 CET (business day 25 October, though
        # 06:45 at the summer offset); 04:55Z (05:55 CET, day 25) against 05:05Z (06:05 CET,
        # day 26) is a day_shift
        base = int(dt.datetime(2025, 10, 26, 4, 40, tzinfo=UTC).timestamp())
        row = prow(None, base)
        self.others(p, row, L)
        self.mirror(L, p, row, dt_s=300)
        row = prow(None, base + 900)
        self.others(p, row, L)
        self.mirror(L, p, row, dt_s=600)
        # a pair too far apart: two missing breaks (day_window + 2 business days)
        day = self.day(hi=last - dt.timedelta(days=8))
        row = prow(day)
        self.others(p, row, L)
        self.mirror(L, p, row, dt_s=(e["day_window"] + 2) * 86400)
        if rounds:
            # two ledger rows of one round and type, summing to the drop's bet: matched
            row = prow(self.day())
            self.others(p, row, L)
            bet = row["amounts"]["bet"]
            self.split_bet(L, p, row, [bet // 3, bet - bet // 3])
            # summing to less: amount_mismatch
            row = prow(self.day(hi=last - dt.timedelta(days=3)))
            self.others(p, row, L)
            self.split_bet(L, p, row, [bet // 4, 5])
            if self.split == "three":
                # matched in the first run; a later ledger row of the same key is a new item
                row = prow(self.day(hi=last - dt.timedelta(days=5)))
                self.others(p, row, L)
                mine = self.mirror(L, p, row)
                self.force[id(row)] = 0
                for m in mine:
                    self.force[id(m)] = 0
                late = self.ledger_row(L, p, row["utc"] + 30, "bet", 11, game=row["game"],
                                       rnd=row["round"])
                self.force[id(late)] = 2

    def mirror_round_types(self, L, p, row, amounts, only=None, cur=None):
        """Ledger rows of a round, one per type, with amounts/currencies replaced."""
        for t, a in row["amounts"].items():
            if only and t != only:
                continue
            c = (cur or {}).get(t, row["cur"])
            self.ledger_row(L, p, row["utc"] + 2, t, amounts.get(t, a), c, row["game"],
                            rnd=row["round"])

    def split_bet(self, L, p, row, parts):
        """The round's bet as several ledger rows, its win as one."""
        for a in parts:
            self.ledger_row(L, p, row["utc"] + 1, "bet", a, game=row["game"], rnd=row["round"])
        self.mirror_round_types(L, p, row, {}, only="win")

    def breaks_daily(self, p, e):
        """Daily-matching breaks of p against ledger e['ledger'] (games the normal rows never
        use, so each break is a cell of its own)."""
        L = e["ledger"]
        last = LAST_DAY
        # a cell one row short in the ledger
        day = self.day(hi=last - dt.timedelta(days=5))
        rows = [self.partner_tx(p, self.instant(day), "bet", game="gA") for _ in range(3)]
        for row in rows[:2]:
            self.mirror(L, p, row)
        for row in rows:
            self.others(p, row, L)
        # drop-only and ledger-only games, old and recent
        for day in (self.day(lo=FIRST_DAY + dt.timedelta(days=2), hi=last - dt.timedelta(days=8)),
                    last):
            row = self.partner_tx(p, self.instant(day), "win", game="gP")
            self.others(p, row, L)
            self.ledger_row(L, p, self.instant(day), "bet", self.amount(), game="gL")
        # recorded by the ledger after the cut-off: a day_shift (inside one month)
        day = dt.date(2025, 10, 22)
        cut = bday_start(day + dt.timedelta(days=1))
        for k in range(2):
            row = self.partner_tx(p, cut - 200 + k, "bet", game="gS")
            self.others(p, row, L)
            self.mirror(L, p, row, dt_s=400)

    def ledger_noise(self):
        """Repeats, a conflicting repeat and rejects at the end of each ledger's last file."""
        by_code = {p["id"]: p for p in self.partners}
        for L in self.ledgers:
            good = [r for r in self.lrows[L] if not r["reject"]]
            if not good:
                continue
            for r in self.r.sample(good, min(4, len(good))):
                self.lextra[L].append(dict(r))                   # exact repeat: a duplicate
            r = self.r.choice(good)                              # duplicate_conflict
            self.lextra[L].append(dict(r, amount=r["amount"] + 1,
                                       txns=[[r["type"], r["amount"] + 1]]))
            p = by_code[r["owner"]]
            utc = self.instant(self.day())
            self.ledger_row(L, p, utc, "bet", 100, extra=True, reject="bad_amount",
                            amount_text="1.2x")
            self.ledger_row(L, None, utc, "bet", 100, extra=True, reject="unknown_partner")
            self.ledger_row(L, p, utc, "bet", 100, extra=True, reject="missing_field", tid="")

    # ---- runs and files ----
    def run_of(self, row, side):
        if id(row) in self.force:
            return self.force[id(row)]
        if self.split == "one":
            return 0
        if self.split == "ledger_first":
            return 0 if side == "ledger" else 1
        if self.split == "partner_first":
            return 0 if side == "partner" else 1
        return self.r.randrange(3)

    def n_runs(self):
        return {"one": 1, "ledger_first": 2, "partner_first": 2, "three": 3}[self.split]


def _partner_file(p, rows):
    if p["layout"] == "rounds":
        out = ["round,time,game,bet,win,cur"]
        for r in rows:
            out.append("%s,%s,%s,%s,%s,%s" % (
                r["round"], dt.datetime.fromtimestamp(r["utc"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                r["game"], money(r["amounts"]["bet"], r["cur"]), money(r["amounts"]["win"], r["cur"]),
                r["cur"]))
    else:
        out = ["id,time,type,amount,cur,game"]
        for r in rows:
            out.append("%s,%s,%s,%s,%s,%s" % (r["id"], local_text(r["utc"], SETTLE_ZONE),
                                              r["type"], money(r["amount"], r["cur"]),
                                              r["cur"], r["game"]))
    return ("\n".join(out) + "\n").encode()


def _wallet_file(rows):
    out = ["prov,tx,rnd,ts,game,kind,amt,cur"]
    kinds = {"bet": "DEBIT", "win": "CREDIT", "refund": "CANCEL"}
    for r in rows:
        amt = r["amount_text"] or money(r["amount"], r["cur"])
        out.append(",".join([r["code"], r["id"], r["round"],
                             dt.datetime.fromtimestamp(r["utc"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             r["game"], kinds[r["type"]], amt, r["cur"]]))
    return ("\n".join(out) + "\n").encode()


def _bank_file(rows):
    out = []
    for r in rows:
        amt = r["amount_text"] or money(r["amount"], r["cur"])
        out.append(json.dumps({"who": r["pid"] if r["reject"] != "unknown_partner" else "nobody",
                               "tx": {"id": r["id"], "r": r["round"], "at": r["utc"],
                                      "k": r["type"], "a": amt, "c": r["cur"], "g": r["game"]}},
                              sort_keys=True))
    return ("\n".join(out) + "\n").encode()


def config_text(partners, ledgers, grace=60):
    """settle.yaml for the scenario (business days: Malta, 06:00; EUR; USD->EUR rates)."""
    out = ["settle:", "  timezone: %s" % SETTLE_ZONE, '  day_starts_at: "06:00"',
           "  currency: EUR",
           "  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,",
           "           quarantine: var/quarantine, metrics: var/metrics }",
           "fx: { rates: rates.csv }", "partners:"]
    for p in partners:
        out.append("  %s:" % p["id"])
        out.append('    files: "*.csv"')
        out.append("    currency: EUR")
        out.append("    grace: %d" % grace)
        if p["layout"] == "rounds":
            out.append("    timezone: UTC")
            out.append("    fields: { id: round, time: { from: time, format: iso8601 }, game: game,"
                       " currency: cur, amounts: { bet: bet, win: win } }")
        else:
            out.append("    timezone: %s" % SETTLE_ZONE)
            out.append('    fields: { id: id, time: { from: time, format: "%Y-%m-%d %H:%M:%S" },'
                       " type: type, amount: amount, currency: cur, game: game }")
        out.append("    rules: plain.lua")
        out.append("    reconcile:")
        for e in p["reconcile"]:
            out.append('      - { ledger: %s, match: %s, day_window: %d, wait_days: %d, '
                       'tolerance: { breaks: %d, amount: "%s" } }'
                       % (e["ledger"], e["match"], e["day_window"], e["wait_days"],
                          e["breaks"], e["amount"]))
    out.append("ledgers:")
    codes = ", ".join("%s: %s" % (p["code"], p["id"]) for p in partners)
    if "wallet" in ledgers:
        out += ["  wallet:", '    files: "*.csv"', "    timezone: UTC",
                "    fields:",
                "      partner: { from: prov, values: { %s } }" % codes,
                "      id: tx", "      round: rnd",
                "      time: { from: ts, format: iso8601 }", "      game: game",
                "      type: { from: kind, values: { DEBIT: bet, CREDIT: win, CANCEL: refund } }",
                "      amount: amt", "      currency: cur"]
    if "bank" in ledgers:
        out += ["  bank:", "    format: json", '    files: "*.json"',
                "    fields: { partner: who, id: tx.id, round: tx.r, "
                "time: { from: tx.at, format: epoch_s }, type: tx.k, amount: tx.a, "
                "currency: tx.c, game: tx.g }"]
    return "\n".join(out) + "\n"


PLAIN_RULE = ("return { settle = function(p) return { lines = {}, payable = p.ggr, "
              "carry_out = 0 } end }\n")


def rates_text():
    """USD->EUR on weekdays from 1 October to 30 November 2025 (weekends take Friday's)."""
    out = ["date,base,quote,rate"]
    d = dt.date(2025, 10, 1)
    while d <= dt.date(2025, 11, 30):
        if d.weekday() < 5:
            out.append("%s,USD,EUR,0.%d" % (d.isoformat(), 9100 + 37 * d.day))
        d += dt.timedelta(days=1)
    return "\n".join(out) + "\n"


def generate(seed=1, partners=None, split="one", todays=None):
    """Builds a scenario. partners: specs like DEFAULT_PARTNERS (id, layout 'tx'|'rounds',
    code, n, reconcile [{ledger, match, day_window, wait_days, breaks, amount}], clean: no
    injected breaks); split: one of SPLITS; todays: the business day of each run (default:
    every run on LAST_DAY)."""
    assert split in SPLITS
    partners = partners or DEFAULT_PARTNERS
    g = _Gen(seed, partners, split)
    for p in partners:
        g.normal(p)
        if p.get("clean"):
            continue
        for e in p["reconcile"]:
            (g.breaks_daily if e["match"] == "daily" else g.breaks_tx)(p, e)
    g.ledger_noise()
    sc = Scenario()
    runs = g.n_runs()
    sc.todays = list(todays or [LAST_DAY] * runs)
    assert len(sc.todays) == runs
    sc.files = {k: [] for k in range(runs)}
    pmap = {p["id"]: p for p in partners}

    def place(src, rows, extra, writer, ext, side):
        per_run = {k: [] for k in range(runs)}
        for r in rows:
            per_run[g.run_of(r, side)].append(r)
        last = max([k for k in per_run if per_run[k]] or [runs - 1])
        for k in range(runs):
            chunk = sorted(per_run[k], key=lambda r: r["utc"])
            if k == last:
                chunk += extra
            if not chunk:
                continue
            name = "%s/%s_r%d.%s" % (src, src, k, ext)
            for i, r in enumerate(chunk):
                r["file"], r["run"] = name, k
                r["line"] = i + (2 if ext == "csv" else 1)
                r["side"] = side
                sc.rows.append(r)
            sc.files[k].append((name, writer(chunk)))

    for p in partners:
        place(p["id"], g.prows[p["id"]], [], lambda rows, p=p: _partner_file(p, rows), "csv",
              "partner")
    for L in g.ledgers:
        if L == "wallet":
            place(L, g.lrows[L], g.lextra[L], _wallet_file, "csv", "ledger")
        else:
            place(L, g.lrows[L], g.lextra[L], _bank_file, "json", "ledger")
    sc.config = config_text(partners, g.ledgers)
    sc.rates = rates_text()
    sc.spec = {"zone": SETTLE_ZONE, "day_start": DAY_START, "currency": "EUR",
               "statement": "monthly", "exp": dict(EXP), "rates": rates_text(),
               "partners": {p["id"]: {"reconcile": p["reconcile"],
                                      "amounts": p["layout"] == "rounds"} for p in pmap.values()},
               "ledgers": g.ledgers}
    return sc


def write(sc, out):
    """Writes a scenario: out/run<N>/inbox/<src>/<file>, settle.yaml, rates.csv, plain.lua,
    rows.json (rows, todays, spec)."""
    os.makedirs(out, exist_ok=True)
    for k, files in sc.files.items():
        for rel, data in files:
            p = os.path.join(out, "run%d" % k, "inbox", rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
    for name, text in (("settle.yaml", sc.config), ("rates.csv", sc.rates),
                       ("plain.lua", PLAIN_RULE)):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    with open(os.path.join(out, "rows.json"), "w") as f:
        json.dump({"rows": sc.rows, "todays": [d.isoformat() for d in sc.todays],
                   "spec": sc.spec}, f, indent=1, default=str)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", choices=SPLITS, default="one")
    a = ap.parse_args()
    write(generate(a.seed, split=a.split), a.out)


if __name__ == "__main__":
    main()
