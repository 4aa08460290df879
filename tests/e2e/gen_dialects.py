#!/usr/bin/env python3
"""gen_dialects.py - seeded drops for four partner dialects settle was not tuned
for, with each partner's settle.yaml block, FX rates and injectable faults.

    gen_dialects.py --out DIR [--seed N] [--start YYYY-MM-DD] [--days N] [--rows N]

writes DIR/settle.yaml, DIR/fx/rates.csv and DIR/inbox/<partner>/...:
  funhouse  entertainment operator: gzip NDJSON (also: plain + CRLF, two gzip members,
            a whole file re-sent), nested tx/amount objects, exponent and string
            amounts, local London times over the 26 Oct DST change; EUR/GBP/JPY/KWD
            (+ SEK, no FX rate) settled in EUR, daily.
  gamehub   game aggregator: pretty {"meta": {count, sum}, "data": {"transactions"}}
            (meta first or last), numeric ids, epoch ms; USD/KRW/JPY/EUR in USD, weekly.
  reelmax   slot vendor: gzip CSV, ';', decimal commas, one row per round (amounts:),
            quoted fields, "TRL;count;sum" trailer, Berlin times; EUR/CHF/HUF in EUR.
  chipco    chip supplier: JSON arrays with a {stem}.ctl manifest (JSON or YAML, some
            with sha256), amounts in lines[0] (1E-2 KWD); KRW/KWD/USD (+ BHD) in KRW.
Same arguments, same bytes (one random stream per partner, gzip mtime 0).
"""
import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import re
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
REASONS = ["missing_field", "bad_amount", "precision", "overflow", "bad_time", "unknown_type",
           "unknown_currency", "duplicate_conflict", "field_too_long", "bad_row"]
ALL = REASONS + ["no_fx"]  # no_fx: a row in a currency the FX table cannot convert
EXP = {"EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "USD": 2, "KRW": 0, "CHF": 2, "HUF": 2,
       "SEK": 2, "BHD": 3}
ABSENT = object()          # an `over` value: leave the key out (JSON) / empty cell (CSV)
LONG = "x" * 70000         # longer than the 64 KiB field limit


class Num(str):
    """A JSON number, written exactly as this text."""


def jtext(v, indent=None, sep=(",", ":"), ascii_=False):
    """json.dumps that writes every Num exactly as its text; key order kept."""
    def mark(x):
        if isinstance(x, dict):
            return {k: mark(y) for k, y in x.items()}
        if isinstance(x, list):
            return [mark(y) for y in x]
        return "@@N:%s@@" % x if isinstance(x, Num) else x
    text = json.dumps(mark(v), indent=indent, separators=sep, ensure_ascii=ascii_)
    return re.sub(r'"@@N:([^"@]*)@@"', r"\1", text)


def fixed(d, exp):
    """Decimal -> text with exactly exp fraction digits ('.' decimal)."""
    return "%.*f" % (exp, d) if exp else str(int(d))


def plain(d):
    """Decimal -> shortest plain text (trailing fraction zeros dropped)."""
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def exp_form(d, exp, rng):
    """Decimal -> an exponent-notation JSON number of the same value (1.5e3, 1234E-2)."""
    n = int(d.scaleb(exp))
    sign, digits = ("-" if n < 0 else ""), str(abs(n))
    e = rng.choice("eE")
    if rng.random() < 0.5 or len(digits) == 1:
        return "%s%s%s%d" % (sign, digits, e, -exp)
    return "%s%s.%s%s%d" % (sign, digits[0], digits[1:], e, len(digits) - 1 - exp)


def euro_text(d, exp, group):
    """Decimal -> '1.234,50' (grouped) or '1234,50' style text."""
    s = fixed(abs(d), exp)
    ip, _, fp = s.partition(".")
    if group and len(ip) > 3:
        ip = ".".join([ip[:len(ip) % 3 or 3]] + [ip[i:i + 3] for i in
                                                  range(len(ip) % 3 or 3, len(ip), 3)])
    return ("-" if d < 0 else "") + ip + ("," + fp if fp else "")


def gz(data, rng, members=1):
    """Deterministic gzip (mtime 0); `members` concatenated members of one stream."""
    cut = [0] + sorted(rng.sample(range(1, len(data)), members - 1)) + [len(data)]
    return b"".join(gzip.compress(data[a:b], mtime=0) for a, b in zip(cut, cut[1:]))


class Dialect:
    """One partner: config block, records per day, faults, files."""
    name = ""
    zone = "UTC"
    words = {}                 # canonical type -> the partner's word
    mix = []                   # (currency, weight)
    control = None             # None | "trailer" | "manifest"
    YAML = CTL = ""            # the config block ({ctl} = CTL when control totals are on)
    no_fx = None               # (currency without an FX rate, on which day's file)
    unsupported = ()           # fault kinds the dialect cannot have

    def __init__(self, seed, start, days, rows, faults, control=None, mismatch=False):
        self.rng = random.Random("%s:%d" % (self.name, seed))
        self.start, self.days, self.rows = start, days, rows
        self.faults = set(faults)
        if control is not None:
            self.control = control or None
        self.mismatch = mismatch
        self.seq = 0
        self.info = {"faults": {r: 0 for r in REASONS}, "resent": 0, "files": [], "rows": 0}

    # -- records --------------------------------------------------------
    def instants(self, day, n):
        """n sorted UTC instants in the partner's local day; a few near 06:00 Seoul."""
        z = ZoneInfo(self.zone)
        a = dt.datetime.combine(day, dt.time(), z).astimezone(UTC)
        b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), z).astimezone(UTC)
        span = int((b - a).total_seconds())
        out = []
        for _ in range(n):
            if self.rng.random() < 0.04:           # around the 06:00 Seoul cut-off (21:00Z)
                cut = dt.datetime.combine(day, dt.time(21), UTC) + dt.timedelta(
                    seconds=self.rng.randint(-90, 90))
                if a <= cut < b:
                    out.append(cut)
                    continue
            out.append(a + dt.timedelta(seconds=self.rng.randrange(span),
                                        milliseconds=self.rng.randrange(1000)))
        return sorted(out)

    def currency(self):
        return self.rng.choices([c for c, _ in self.mix], [w for _, w in self.mix])[0]

    def money(self, cur, lo=1, hi=500):
        """A random positive amount in cur's minor unit (JPY/KRW/HUF scaled up)."""
        e = EXP[cur]
        scale = {"JPY": 150, "KRW": 1400, "HUF": 380, "KWD": Decimal("0.3")}.get(cur, 1)
        v = Decimal(self.rng.randint(lo * 100, hi * 100)) / 100 * Decimal(scale)
        return v.quantize(Decimal(1).scaleb(-e))

    def new_tx(self, utc):
        """A good transaction (canonical fields; rendering choices fixed now)."""
        self.seq += 1
        ctype = self.rng.choices(list(self.words), self.weights)[0]
        cur = self.currency()
        amt = self.money(cur)
        if ctype == "adjustment" and self.rng.random() < 0.6:
            amt = -amt
        return {"seq": self.seq, "utc": utc, "type": ctype, "word": self.words[ctype],
                "cur": cur, "amount": amt, "style": self.rng.random(),
                "player": "p%05d" % self.rng.randrange(3000),
                "game": self.rng.choice(self.games), "over": {}, "num": amt}

    # -- faults ---------------------------------------------------------
    def bad(self, tx, reason):
        """Turns a fresh good tx into a row with exactly this one defect."""
        o, pick = tx["over"], self.rng.choice
        if reason == "missing_field":
            o["id"] = pick([ABSENT, ""]) if self.json else ""
        elif reason == "bad_amount":
            o["amount"], tx["num"] = pick(self.bad_amounts), None
        elif reason == "precision":
            tx["cur"], o["amount"], tx["num"] = pick(self.precise)
        elif reason == "overflow":
            o["amount"], tx["num"] = pick(self.overflows)
        elif reason == "bad_time":
            o["time"] = pick(self.bad_times)
        elif reason == "unknown_type":
            o["type"] = pick(["CASHOUT", list(self.words.values())[0].lower(), "TIP"])
        elif reason == "unknown_currency":
            o["cur"] = pick(["XYZ", tx["cur"].lower(), "XAU"])
        elif reason == "field_too_long":
            o["player"], tx["num"] = LONG, None
        elif reason == "bad_row":
            tx["badrow"], tx["num"] = True, None
        return tx

    # -- files ----------------------------------------------------------
    def plan(self):
        """Entries (tx dicts) per local day: good rows, faults, re-sends, conflicts."""
        files, prev = [], []
        for k in range(self.days):
            day = self.start + dt.timedelta(days=k)
            txs = [self.new_tx(t) for t in self.instants(day, self.rows)]
            good = list(txs)
            if self.faults:
                for i, reason in enumerate(REASONS):
                    if reason not in self.faults or reason in self.unsupported or \
                            reason == "duplicate_conflict":
                        continue
                    for _ in range(1 + (i + k) % 2):
                        t = self.bad(self.new_tx(self.rng.choice(good)["utc"]), reason)
                        txs.insert(self.rng.randrange(len(txs) + 1), t)
                        self.info["faults"][reason] += 1
                if "no_fx" in self.faults and self.no_fx and k == self.no_fx[1]:
                    t = self.new_tx(self.rng.choice(good)["utc"])   # a currency with no FX rate
                    t["cur"], t["amount"] = self.no_fx[0], Decimal("12.500")
                    t["num"] = t["amount"]
                    txs.insert(self.rng.randrange(len(txs) + 1), t)
                # exact re-sends: a few from this file (placed later), some from the previous file
                for src in self.rng.sample(good, 3) + (self.rng.sample(prev, 2) if prev else []):
                    pos = txs.index(src) + 1 if src in txs else 0
                    txs.insert(self.rng.randrange(pos, len(txs) + 1), src)
                    self.info["resent"] += 1
                # conflicting repeats: same id, amount changed
                if "duplicate_conflict" in self.faults:
                    for src in self.rng.sample(good, 2):
                        t = self.conflict(src)
                        txs.insert(self.rng.randrange(txs.index(src) + 1, len(txs) + 1), t)
                        self.info["faults"]["duplicate_conflict"] += 1
            files.append((day, txs))
            prev = good
        return files

    def config(self):
        return self.YAML.replace("{ctl}", self.CTL if self.control else "")

    def conflict(self, src):
        t = dict(src, over=dict(src["over"]))
        t["amount"] = src["amount"] + Decimal(1).scaleb(-EXP[src["cur"]]) * 7
        t["num"] = t["amount"]
        return t

    def declared(self, txs, first):
        """(count, sum text) as the partner declares them: every row, the exact sum of every
        amount that is a number; one row too many when this is the mismatching file."""
        with localcontext() as ctx:
            ctx.prec = 1000                           # exact: 1e30 + 0.01 keeps its cent
            s = sum((t["num"] for t in txs if t["num"] is not None), Decimal(0))
        return len(txs) + (1 if self.mismatch and first else 0), format(s, "f")

    def write(self, inbox):
        folder = os.path.join(inbox, self.name)
        for k, (day, txs) in enumerate(self.plan()):
            self.info["rows"] += len(txs)
            for name, data in self.files(k, day, txs):
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
                self.info["files"].append(name)
        return self.info


# ------------------------------------------------------------- a) funhouse ---

class Funhouse(Dialect):
    """Entertainment operator: gzip NDJSON with nested objects."""
    name, zone, json = "funhouse", "Europe/London", True
    words = {"bet": "STAKE", "win": "PAYOUT", "refund": "CANCEL", "win_reversal": "PAYOUT_REVERSAL",
             "bonus": "FREEROUND", "jackpot_contribution": "JP_IN", "jackpot_win": "JP_OUT",
             "adjustment": "ADJ"}
    weights = [50, 30, 4, 2, 5, 4, 1, 4]
    mix = [("EUR", 60), ("GBP", 20), ("JPY", 12), ("KWD", 8)]
    games = ["crash-x", "plinko-deluxe", "Süßes Glück", "mines", "カジノ dice"]
    bad_amounts = ["12.3x", True, "abc", "1,234.50", "0x1F"]
    precise = [("EUR", Num("12.345"), Decimal("12.345")), ("JPY", "150.5", Decimal("150.5")),
               ("KWD", Num("1.2345e0"), Decimal("1.2345")), ("GBP", Num("1E-3"), Decimal("0.001"))]
    overflows = [(Num("9.3e18"), Decimal("9.3e18")),
                 ("123456789012345678901234", Decimal("123456789012345678901234"))]
    bad_times = ["2025-02-30T10:00:00", "2025-03-30T01:30:00", "24/10/2025 10:00", "yesterday"]
    no_fx = ("SEK", 1)

    CTL = '    control: { trailer: true, count: summary.rows, sum: summary.total }\n'
    YAML = '''\
  funhouse:
    kind: entertainment_operator
    format: json
    files: "*.ndjson"
    timezone: Europe/London
    statement: daily
    currency: EUR
    fields:
      id: tx.id
      round: tx.round
      time: { from: ts, format: iso8601 }
      player: player.id
      game: game.code
      category: game.cat
      type: { from: tx.kind, values: { STAKE: bet, PAYOUT: win, CANCEL: refund,
              PAYOUT_REVERSAL: win_reversal, FREEROUND: bonus, JP_IN: jackpot_contribution,
              JP_OUT: jackpot_win, ADJ: adjustment } }
      amount: amount.value
      currency: amount.currency
{ctl}    rules: rules/game_provider.lua
    params: { tiers: [ { upto: "5000", rate: "10%" }, { rate: "12%" } ], min_fee: "100" }
'''

    def record(self, t):
        o, z = t["over"], ZoneInfo(self.zone)
        local = t["utc"].astimezone(z)
        st = t["style"]
        if st < 0.15:
            ts = t["utc"].strftime("%Y-%m-%dT%H:%M:%SZ")
        elif st < 0.3:
            ts = local.strftime("%Y-%m-%d %H:%M:%S")
        else:
            ts = local.strftime("%Y-%m-%dT%H:%M:%S") + (".%03d" % (t["utc"].microsecond // 1000)
                                                        if st > 0.6 else "")
        a, e = t["amount"], EXP[t["cur"]]
        if "amount" in o:
            val = o["amount"]
        elif st < 0.25:
            val = Num(exp_form(a, e, random.Random(t["seq"])))
        elif st < 0.4:
            val = fixed(a, e)                      # a string amount
        elif st < 0.7:
            val = Num(plain(a))
        else:
            val = Num(fixed(a, e))
        tid = o.get("id", "FH-%s-%06d" % (t["utc"].strftime("%Y%m%d"), t["seq"]))
        txo = {"id": tid, "round": "R%07d" % (t["seq"] // 3), "kind": o.get("type", t["word"])}
        if tid is ABSENT:
            del txo["id"]
        rec = {"tx": txo, "ts": o.get("time", ts),
               "player": {"id": o.get("player", t["player"]), "country": "GB"},
               "game": {"code": t["game"], "cat": "instant" if st < 0.5 else "table"},
               "amount": {"value": val, "currency": o.get("cur", t["cur"])}, "channel": "web"}
        if t["seq"] % 61 == 0:                     # a big blob nobody maps: not a field
            rec["debug"] = {"trace": "QUJD" * 17500, "depth": [[[{"x": None}]]]}
        if st > 0.8:                               # another system, another key order
            rec = {k: rec[k] for k in ("amount", "ts", "tx", "game", "player", "channel")}
        return rec

    def line(self, t):
        if t.get("badrow"):
            r = random.Random(t["seq"])
            full = jtext(self.record(dict(t, badrow=False)))
            return r.choice([full[:len(full) // 2], '["not", "an", "object"]', "garbage",
                             full.replace('"id":"FH', '"id":{"v":"FH', 1)
                                 .replace('","round"', '"},"round"', 1)])
        st = t["style"]
        sep = (", ", ": ") if st > 0.9 else (",", ":")
        return jtext(self.record(t), sep=sep, ascii_=st < 0.5)

    def files(self, k, day, txs):
        lines = [self.line(t) for t in txs]
        for _ in range(2):                          # blank lines are skipped
            lines.insert(self.rng.randrange(len(lines)), "")
        if self.control == "trailer":
            n, s = self.declared(txs, k == 0)
            lines.append(jtext({"summary": {"rows": n, "total": s, "currency": "mixed"}}))
        stem = "funhouse-%s.ndjson" % day.isoformat()
        if k == 2:                                  # a plain file, CRLF line ends
            return [(stem, ("\r\n".join(lines) + "\r\n").encode())]
        data = gz(("\n".join(lines) + "\n").encode(), self.rng, members=2 if k == 1 else 1)
        out = [(stem + ".gz", data)]
        if k == 0:                                  # the whole file sent again: skipped
            out.append(("funhouse-resend-%s.ndjson.gz" % day.isoformat(), data))
        return out


# -------------------------------------------------------------- b) gamehub ---

class Gamehub(Dialect):
    """Game aggregator: pretty JSON document, records at data.transactions, meta trailer."""
    name, zone, json, control = "gamehub", "UTC", True, "trailer"
    words = {"bet": "DEBIT", "win": "CREDIT", "refund": "ROLLBACK", "win_reversal": "CREDIT_REVERSAL",
             "bonus": "PROMO_DEBIT", "jackpot_contribution": "JP_CONTRIB", "jackpot_win": "JP_WIN"}
    weights = [52, 34, 4, 2, 4, 3, 1]
    mix = [("USD", 60), ("KRW", 20), ("JPY", 10), ("EUR", 10)]
    games = ["vs20olympgate", "evo-lightning", "hacksaw-wanted", "pg-mahjong"]
    bad_amounts = ["12.50 USD", "N/A", "1.2.3", False]
    precise = [("USD", "12.345", Decimal("12.345")), ("KRW", Num("1000.5"), Decimal("1000.5")),
               ("JPY", "150.5", Decimal("150.5"))]
    overflows = [("99999999999999999999999", Decimal("99999999999999999999999")),
                 (Num("1e30"), Decimal("1e30"))]
    bad_times = ["17613504OO123", "yesterday", "2025-10-24T10:00:00Z"]

    CTL = '    control: { trailer: true, count: meta.count, sum: meta.sum }\n'
    YAML = '''\
  gamehub:
    kind: game_aggregator
    format: json
    json: { records: "data.transactions" }
    files: "gh_*.json"
    statement: weekly
    currency: USD
    fields:
      id: id
      round: round.ref
      time: { from: event.at, format: epoch_ms }
      player: player
      game: game.id
      category: game.type
      type: { from: event.type, values: { DEBIT: bet, CREDIT: win, ROLLBACK: refund,
              CREDIT_REVERSAL: win_reversal, PROMO_DEBIT: bonus, JP_CONTRIB: jackpot_contribution,
              JP_WIN: jackpot_win } }
      amount: money.amount
      currency: money.ccy
{ctl}    rules: rules/live_casino.lua
    params: { share: "7.5%", minimum: "250" }
'''

    def record(self, t):
        o, st = t["over"], t["style"]
        if t.get("badrow"):
            return random.Random(t["seq"]).choice(
                ["### corrupted record ###", None, 42,
                 {"id": 9000000 + t["seq"], "money": {"amount": {"value": "1"}, "ccy": "USD"},
                  "event": {"type": "DEBIT", "at": Num("1761350400123")}}])
        a, e = t["amount"], EXP[t["cur"]]
        amt = o["amount"] if "amount" in o else (Num(fixed(a, e)) if st < 0.3 else fixed(a, e))
        ms = int(t["utc"].timestamp()) * 1000 + t["utc"].microsecond // 1000
        rec = {"id": o.get("id", 7000000 + t["seq"]),
               "round": {"ref": "GR-%06d" % (t["seq"] // 2), "seq": t["seq"] % 7},
               "provider": t["game"].split("-")[0],
               "game": {"id": t["game"], "type": "slots" if st < 0.7 else "live"},
               "event": {"type": o.get("type", t["word"]), "at": o.get("time", Num(str(ms)))},
               "money": {"amount": amt, "ccy": o.get("cur", t["cur"])},
               "player": o.get("player", t["player"]), "tags": ["w", "eu"] if st > 0.5 else []}
        if st > 0.6:
            rec["audit"] = {"history": [{"at": Num("1.7e12"), "by": ["ops", {"note": None}]}],
                            "flags": {"a": True, "b": [[], {}]}}
        if rec["id"] is ABSENT:
            del rec["id"]
        return rec

    def files(self, k, day, txs):
        n, s = self.declared(txs, k == 0)
        meta = {"aggregator": "GameHub", "batch": "B%04d" % (k + 1),
                "generated_at": "%sT03:00:00Z" % (day + dt.timedelta(days=1)).isoformat(),
                "count": n, "sum": s}
        if self.control != "trailer":
            del meta["count"], meta["sum"]
        data = {"transactions": [self.record(t) for t in txs], "page": 1}
        doc = {"meta": meta, "data": data} if k % 2 == 0 else {"data": data, "meta": meta}
        text = (jtext(doc, indent=2, sep=(",", ": ")) + "\n").encode()
        name = "gh_%s.json" % day.strftime("%Y%m%d")
        return [(name + ".gz", gz(text, self.rng))] if k == self.days - 1 else [(name, text)]


# -------------------------------------------------------------- c) reelmax ---

class Reelmax(Dialect):
    """Slot vendor: gzip CSV, decimal commas, one row per round, TRL trailer."""
    name, zone, json, control = "reelmax", "Europe/Berlin", False, "trailer"
    words = {"bet": "-"}
    weights = [1]
    mix = [("EUR", 80), ("CHF", 10), ("HUF", 10)]
    games = ["book-of-x", "gates-of-y", "fruit-z", "Hölle 7s"]
    bad_amounts = ["12,3x", "1.2345,00", "5O0", "1,2,3"]
    precise = [("EUR", "1,505", Decimal("1.505")), ("CHF", "0,125", Decimal("0.125"))]
    overflows = [("1234567890123456789012345", Decimal("1234567890123456789012345"))]
    bad_times = ["31.02.2025 10:00:00", "30.03.2025 02:30:00", "2025-10-24 10:00:00"]
    COLS = ["ROUND_ID", "PLAYED_AT", "PLAYER", "GAME", "KIND", "STAKE", "PAYOUT", "FREEBET", "CUR"]

    unsupported = ("unknown_type",)               # no type column: amounts: mode
    CTL = '    control: { trailer: true, marker: TRL, count: 2, sum: 3 }\n'
    YAML = '''\
  reelmax:
    kind: slot_solution
    format: csv
    files: "*.csv"
    csv: { delimiter: ";", decimal: ",", thousands: ".", header: true }
    timezone: Europe/Berlin
    statement: monthly
    currency: EUR
    fields:
      id: ROUND_ID
      time: { from: PLAYED_AT, format: "%d.%m.%Y %H:%M:%S" }
      player: PLAYER
      game: GAME
      category: KIND
      amounts: { bet: STAKE, win: PAYOUT, bonus: FREEBET }
      currency: CUR
{ctl}    rules: rules/slot_solution.lua
    params: { licence_fee: "150", share: "6%" }
'''

    def new_tx(self, utc):
        t = super().new_tx(utc)
        cur, st = t["cur"], t["style"]
        stake = self.money(cur, 1, 50)
        win = self.money(cur, 0, 200) if st < 0.45 else (Decimal(0) if st < 0.8 else None)
        free = None
        if st > 0.93:                               # a free round: no stake, the freebet value
            stake, free = None, self.money(cur, 1, 5)
        t["amounts"] = {"bet": stake, "win": win, "bonus": free}
        t["num"] = sum((v for v in t["amounts"].values() if v is not None), Decimal(0))
        return t

    def bad(self, t, reason):
        t = super().bad(t, reason)
        if reason in ("bad_amount", "precision", "overflow"):   # only the stake cell is set
            t["amounts"] = {"bet": None, "win": None, "bonus": None}
        if reason == "missing_field":
            t["over"]["id"] = ""
        return t

    def conflict(self, src):
        t = dict(src, over=dict(src["over"]), amounts=dict(src["amounts"]))
        col = "win" if src["amounts"]["win"] is not None else "bonus"
        if src["amounts"][col] is None:
            col = "bet"
        t["amounts"][col] = src["amounts"][col] + Decimal("0.07")
        t["num"] = sum((v for v in t["amounts"].values() if v is not None), Decimal(0))
        return t

    def row(self, t):
        o, st, cur = t["over"], t["style"], t["cur"]
        local = t["utc"].astimezone(ZoneInfo(self.zone))
        game = t["game"]
        if 0.2 < st < 0.26:                         # quoted: a ';', doubled quotes, a line break
            game = '"%s"' % random.Random(t["seq"]).choice(
                ['Book; of "X"', 'Gates ""Y""', "Fruit\nZ", 'Hölle 7s; Deluxe'])\
                .replace('"X"', '""X""')
        cells = [o.get("id", "RX%s%05d" % (local.strftime("%y%m%d"), t["seq"])),
                 o.get("time", local.strftime("%d.%m.%Y %H:%M:%S")),
                 o.get("player", t["player"]), game, "slot" if st < 0.9 else "crash"]
        amts = t["amounts"]
        for col in ("bet", "win", "bonus"):
            v = amts[col]
            cells.append("" if v is None else euro_text(v, EXP[cur], st > 0.5))
        if "amount" in o:
            cells[5] = o["amount"]
        cells.append(o.get("cur", cur))
        cells = ["" if c is ABSENT else c for c in cells]
        if t.get("badrow"):
            cells = cells[:5]                       # the row was cut after KIND
        return ";".join(cells)

    def files(self, k, day, txs):
        n, s = self.declared(txs, k == 0)
        lines = [";".join(self.COLS)] + [self.row(t) for t in txs]
        lines.insert(self.rng.randrange(2, len(lines)), "")
        if self.control == "trailer":
            lines.append("TRL;%d;%s" % (n, s.replace(".", ",")))
        name = "reelmax_%s.csv" % day.strftime("%Y%m%d")
        if k == 2:                                   # plain, BOM and CRLF
            return [(name, b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())]
        return [(name + ".gz", gz(("\n".join(lines) + "\n").encode(), self.rng))]


# --------------------------------------------------------------- d) chipco ---

class Chipco(Dialect):
    """Chip supplier: plain JSON array, one manifest per drop."""
    name, zone, json, control = "chipco", "Asia/Seoul", True, "manifest"
    words = {"purchase": "BUY", "refund": "RETURN", "adjustment": "ADJ"}
    weights = [85, 10, 5]
    mix = [("KRW", 70), ("KWD", 15), ("USD", 15)]
    games = ["gold-10k", "silver-5k", "chip-pack-100"]
    bad_amounts = ["10,000원", "ten", True, "1e"]
    precise = [("KRW", Num("1.5"), Decimal("1.5")), ("KWD", Num("1E-4"), Decimal("0.0001")),
               ("USD", "19.999", Decimal("19.999"))]
    overflows = [(Num("9.3e18"), Decimal("9.3e18"))]
    bad_times = ["2025-13-01 10:00:00 +0900", "2025/10/24 25:00:00 +0900", "1761350400"]
    no_fx = ("BHD", 2)

    CTL = '    control: { manifest: "{stem}.ctl", count: totals.rows, sum: totals.amount }\n'
    YAML = '''\
  chipco:
    kind: credit_supplier
    format: json
    files: "chipco_*.json"
    timezone: Asia/Seoul
    statement: daily
    currency: KRW
    fields:
      id: ref
      time: { from: when, format: "%Y/%m/%d %H:%M:%S %z" }
      player: member
      game: lines.0.sku
      category: cat
      type: { from: op, values: { BUY: purchase, RETURN: refund, ADJ: adjustment } }
      amount: lines.0.amount
      currency: lines.0.ccy
{ctl}    rules: rules/credit_supplier.lua
    params: { tiers: [ { upto: "10000000", rate: "3%" }, { rate: "5%" } ] }
'''

    def record(self, t):
        o, st = t["over"], t["style"]
        if t.get("badrow"):
            return random.Random(t["seq"]).choice([42, None, ["BUY", 1000], "CC-broken"])
        a, e = t["amount"], EXP[t["cur"]]
        if "amount" in o:
            amt = o["amount"]
        elif st < 0.3:
            amt = Num(exp_form(a, e, random.Random(t["seq"])))
        elif st < 0.4 and t["cur"] == "KWD" and a == a.quantize(Decimal("0.01")):
            amt = Num(plain(a))
        else:
            amt = Num(plain(a)) if st < 0.8 else fixed(a, e)
        offs = [("+09:00", 9), ("+0300", 3), ("Z", 0)][0 if st < 0.7 else (1 if st < 0.9 else 2)]
        when = (t["utc"] + dt.timedelta(hours=offs[1])).strftime("%Y/%m/%d %H:%M:%S ") + offs[0]
        lines = [{"sku": t["game"], "amount": amt, "ccy": o.get("cur", t["cur"]), "qty": 1}]
        if st > 0.85:
            lines.append({"sku": "bonus-chip", "amount": Num("0"), "ccy": "KRW", "qty": 1})
        rec = {"ref": o.get("id", "CC-%07d-%s" % (t["seq"], "ABCDEFGH"[t["seq"] % 8])),
               "when": o.get("time", when), "op": o.get("type", t["word"]),
               "member": o.get("player", t["player"]), "cat": "chips", "lines": lines}
        if rec["ref"] is ABSENT:
            del rec["ref"]
        return rec

    def files(self, k, day, txs):
        recs = [self.record(t) for t in txs]
        if k % 3 == 1:
            text = jtext(recs, indent=4, sep=(",", ": ")) + "\n"
            nl = "\n"
        else:
            nl = "\r\n" if k % 3 == 2 else "\n"
            text = "[" + nl + ("," + nl).join(jtext(r, sep=(", ", ": ")) for r in recs) + nl + "]" + nl
        data = text.encode()
        name = "chipco_%s.json" % day.strftime("%Y%m%d")
        out = [(name, data)]
        if self.control == "manifest":
            n, s = self.declared(txs, k == 0)
            sha = hashlib.sha256(data).hexdigest()
            if k % 3 == 1:
                man = 'file: %s\ntotals:\n  rows: %d\n  amount: "%s"\nsha256: %s\n' % (name, n, s, sha)
            else:
                m = {"file": name, "totals": {"rows": n, "amount": s}}
                if k % 3 == 0:
                    m["sha256"] = sha
                man = jtext(m, indent=2, sep=(",", ": ")) + "\n"
            out.append(("chipco_%s.ctl" % day.strftime("%Y%m%d"), man.encode()))
        return out


DIALECTS = [Funhouse, Gamehub, Reelmax, Chipco]
PAIRS = {("GBP", "EUR"): "1.1512", ("JPY", "EUR"): "0.005731", ("KWD", "EUR"): "2.8064",
         ("KRW", "USD"): "0.000702", ("JPY", "USD"): "0.006612", ("EUR", "USD"): "1.1627",
         ("CHF", "EUR"): "1.0731", ("HUF", "EUR"): "0.002558", ("KWD", "KRW"): "4675.13",
         ("USD", "KRW"): "1431.85"}


def rates_csv(start, days, seed):
    """date,base,quote,rate on weekdays from 10 days before start to 3 days after the end."""
    rng = random.Random("fx:%d" % seed)
    out = ["date,base,quote,rate"]
    for i in range(-10, days + 3):
        d = start + dt.timedelta(days=i)
        if d.weekday() >= 5:
            continue
        for (b, q), r in sorted(PAIRS.items()):
            r = Decimal(r)
            v = (r * (1 + Decimal(rng.randint(-300, 300)) / 10000)).quantize(
                Decimal(1).scaleb(r.as_tuple().exponent - 2))
            out.append("%s,%s,%s,%s" % (d.isoformat(), b, q, v))
    return "\n".join(out) + "\n"


HEAD = """\
# settle.yaml written by tests/e2e/gen_dialects.py: four partner dialects
settle:
  timezone: Asia/Seoul
  day_starts_at: "06:00"
  currency: KRW
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
fx: { rates: fx/rates.csv }
partners:
"""


def generate(root, seed=7, start="2025-10-24", days=4, rows=150, faults=ALL,
             partners=None, control=None, mismatch=(), write_drops=True):
    """Writes settle.yaml, fx/rates.csv and the drops under root; returns
    {partner: info} (faults injected by reason, re-sent rows, files written)."""
    start = dt.date.fromisoformat(start)
    control = control or {}
    objs = [D(seed, start, days, rows,
                (faults.get(D.name, ALL) if isinstance(faults, dict) else faults) or (),
                control.get(D.name), D.name in mismatch)
            for D in DIALECTS if partners is None or D.name in partners]
    os.makedirs(os.path.join(root, "fx"), exist_ok=True)
    with open(os.path.join(root, "settle.yaml"), "w", encoding="utf-8") as fh:
        fh.write(HEAD + "".join(d.config() for d in objs))
    with open(os.path.join(root, "fx", "rates.csv"), "w", encoding="utf-8") as fh:
        fh.write(rates_csv(start, days, seed))
    for d in objs:
        os.makedirs(os.path.join(root, "inbox", d.name), exist_ok=True)
    return {d.name: d.write(os.path.join(root, "inbox")) if write_drops else d.info for d in objs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start", default="2025-10-24")
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--rows", type=int, default=150, help="good rows per partner and day")
    ap.add_argument("--no-faults", action="store_true")
    a = ap.parse_args()
    info = generate(a.out, a.seed, a.start, a.days, a.rows, () if a.no_faults else ALL)
    print(json.dumps(info, indent=1, default=str))


if __name__ == "__main__":
    main()
