#!/usr/bin/env python3
"""recon_oracle.py - an independent re-implementation of reconciliation's results
(docs/reconciliation.md sections 2 and 3), computed from the rows a test wrote (recon_gen.py)
and never from settle's outputs. Python 3 standard library only; shares no code with the
engine (it uses oracle.py's money, period and FX-rate helpers).

    expected(spec, rows, todays) -> {(partner, period): {ledger: Result}}

spec: {"zone", "day_start" (seconds), "currency" (settle's, the default settlement currency),
"statement" (period kind), "exp" {currency: digits}, "rates" (fx CSV text), "partners" {id:
{"reconcile": [{ledger, match, day_window, wait_days, breaks, amount}], "amounts": bool,
["currency"]}}}. rows: dicts with src, side ('partner'/'ledger'), file, line, run, reject
(reason or None), owner (ledger rows), utc, game, cur, id / round, txns [[type, amount]].
todays: the business day (date) of each run.

Rows are taken run by run, in the order settle reads them (partners before ledgers, files by
name, lines in order); a row is a duplicate (no item) when its source saw the id before with
the same type, amount and currency, a duplicate_conflict reject when the values differ.

A Result is a dict: match, matched (count, amount), breaks {kind: (count, amount)} for the
six kinds, waiting, status, and rows: the reconciliation.csv rows of the ledger (dicts with
the columns of docs/reconciliation.md section 4, amounts as decimal text), in no particular
order. Amounts of the summary are minor units of the partner's settlement currency.
"""
import datetime as dt
import os
import sys
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import find_rate, parse_money, parse_rates, period_label  # noqa: E402
from oracle import fmt_money as money  # noqa: E402

KINDS = ("missing_in_ledger", "missing_in_partner", "amount_mismatch", "type_mismatch",
         "currency_mismatch", "day_shift")
TYPES = ["bet", "win", "refund", "win_reversal", "bonus", "jackpot_contribution",
         "jackpot_win", "purchase", "adjustment"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
CSV_COLUMNS = ("kind", "id", "day", "currency", "partner_amount", "ledger_amount",
               "difference", "partner_file", "ledger_file", "ledger")


def business_day(utc, zone, day_start):
    """Business day of an instant: its wall time in `zone`, minus day_start, as a date (the
    cut-off is a local time: on a DST change the business day is 23 or 25 hours long)."""
    wall = (EPOCH + dt.timedelta(seconds=utc)).astimezone(zone).replace(tzinfo=None)
    return (wall - dt.timedelta(seconds=day_start)).date()


def convert(sums, cur_to, exp, rates):
    """Sums {(day, currency): minor} converted to cur_to: each converted once, half-even, at
    the latest rate on or before its day; returns the total (minor units of cur_to)."""
    total = 0
    for (day, cur), v in sorted(sums.items()):
        if cur == cur_to:
            total += v
            continue
        rate = find_rate(rates, cur, cur_to, day)
        if rate is None:
            raise ValueError("no rate %s->%s on or before %s" % (cur, cur_to, day))
        with localcontext() as ctx:
            ctx.prec = 80
            x = Decimal(v) * rate * Decimal(10) ** (exp[cur_to] - exp[cur])
            total += int(x.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return total


# ------------------------------------------------------------------ items ---

class Item:
    """One item: a side's transaction (or several of one key summed)."""
    __slots__ = ("side", "key", "day", "type", "cur", "amount", "file", "line", "seq")

    def __init__(self, side, key, day, ttype, cur, amount, file, line, seq):
        self.side, self.key, self.day, self.type, self.cur = side, key, day, ttype, cur
        self.amount, self.file, self.line, self.seq = amount, file, line, seq

    def where(self):
        return "%s:%d" % (self.file, self.line)


def read_order(row):
    """The order settle takes rows in: run, partners before ledgers, file name, line."""
    return (row["run"], 0 if row["side"] == "partner" else 1, row["file"].encode(), row["line"])


def items_by_run(spec, rows):
    """Every item, deduplicated per source: {run: [(owner partner, source, Item)]}."""
    zone = ZoneInfo(spec["zone"])
    seen = {}
    out = {}
    for row in sorted(rows, key=read_order):
        if row.get("reject"):
            continue
        side = row["side"]
        owner = row["src"] if side == "partner" else row.get("owner")
        if owner not in spec["partners"]:
            continue
        amounts = spec["partners"][owner]["amounts"]
        day = business_day(row["utc"], zone, spec["day_start"])
        for ttype, amount in row["txns"]:
            if side == "partner":
                dedup = key = row["round"] + ":" + ttype if amounts else row["id"]
            else:
                dedup = row["id"]
                key = row["round"] + ":" + ttype if amounts else row["id"]
            values = (ttype, amount, row["cur"])
            prev = seen.setdefault((row["src"], dedup), values)
            if prev is not values:          # a repeat (duplicate) or a conflict (rejected)
                continue
            item = Item(side, key, day, ttype, row["cur"], amount, row["file"], row["line"],
                        read_order(row))
            out.setdefault(row["run"], []).append((owner, row["src"], item, row["game"]))
    return out


# -------------------------------------------------------- match: transaction ---

def _merge(items):
    """Sums items of one side, currency and type into the earliest of them (by day, then
    read order); returns the merged items sorted by currency and type."""
    groups = {}
    for it in sorted(items, key=lambda i: (i.day, i.seq)):
        k = (it.cur, TYPES.index(it.type))
        if k in groups:
            g = groups[k]
            groups[k] = Item(g.side, g.key, g.day, g.type, g.cur, g.amount + it.amount, g.file,
                             g.line, g.seq)
        else:
            groups[k] = it
    return [groups[k] for k in sorted(groups)]


class TxState:
    """One (partner, ledger) pair matched by transaction: open items and final results."""

    def __init__(self, entry):
        self.e = entry
        self.open = {}          # key -> [Item]
        self.matched = []       # partner Items matched
        self.breaks = []        # (kind, partner Item or None, ledger Item or None)

    def run(self, new):
        """Matches one run's new items (a list of Items) against the open ones."""
        by_key = {}
        for it in new:
            by_key.setdefault(it.key, []).append(it)
        for key, fresh in by_key.items():
            group = self.open.pop(key, []) + fresh
            ps = _merge([i for i in group if i.side == "partner"])
            ls = _merge([i for i in group if i.side == "ledger"])
            used = set()
            pairs = []
            for loose in (False, True):
                for p in ps:
                    if any(p is a for a, _ in pairs):
                        continue
                    for j, l in enumerate(ls):
                        if j in used:
                            continue
                        if loose or (p.type == l.type and p.cur == l.cur):
                            used.add(j)
                            pairs.append((p, l))
                            break
            for p, l in pairs:
                self._compare(p, l)
            left = [p for p in ps if not any(p is a for a, _ in pairs)]
            left += [l for j, l in enumerate(ls) if j not in used]
            if left:
                self.open[key] = left

    def _compare(self, p, l):
        w = self.e["day_window"]
        if p.cur != l.cur:
            self.breaks.append(("currency_mismatch", p, l))
        elif p.type != l.type:
            self.breaks.append(("type_mismatch", p, l))
        elif p.amount != l.amount:
            self.breaks.append(("amount_mismatch", p, l))
        elif abs((p.day - l.day).days) > w:
            self.breaks.append(("missing_in_ledger", p, None))
            self.breaks.append(("missing_in_partner", None, l))
        elif p.day != l.day:
            self.breaks.append(("day_shift", p, l))
        else:
            self.matched.append(p)

    def results(self, today):
        """(matched Items, [(kind, p, l)] including open items past wait_days, waiting Items)."""
        brk = list(self.breaks)
        waiting = []
        for items in self.open.values():
            for it in items:
                if (it.day - today).days + self.e["wait_days"] >= 0:
                    waiting.append(it)
                elif it.side == "partner":
                    brk.append(("missing_in_ledger", it, None))
                else:
                    brk.append(("missing_in_partner", None, it))
        return self.matched, brk, waiting


def _tx_row(ledger, kind, p, l, exp):
    """A reconciliation.csv row of a transaction break."""
    own = p or l
    row = {"ledger": ledger, "kind": kind, "id": own.key, "day": own.day.isoformat(),
           "currency": own.cur, "partner_amount": "", "ledger_amount": "", "difference": "",
           "partner_file": p.where() if p else "", "ledger_file": l.where() if l else ""}
    if p:
        row["partner_amount"] = money(p.amount, exp[p.cur])
    if l:
        row["ledger_amount"] = money(l.amount, exp[l.cur])
    if p and l:
        if p.cur != l.cur:
            row["currency"] = "%s/%s" % (p.cur, l.cur)
        else:
            row["difference"] = money(p.amount - l.amount, exp[p.cur])
    return row


def _break_amount(kind, pcur, lcur, pamt, lamt):
    """(currency, minor) of a break's amount (docs/reconciliation.md section 3)."""
    if kind in ("amount_mismatch", "day_shift"):
        return pcur, abs(pamt - lamt)
    if kind == "missing_in_partner":
        return lcur, lamt
    return pcur, pamt


# -------------------------------------------------------------- match: daily ---

def daily_breaks(entry, pcells, lcells, today):
    """Daily matching of all days: cells {(day, game, cur, type): [sum, count]} of each side.
    Returns (matched [(day, cur, sum, partner's count)], breaks [(kind, day, game, cur, type, p or None,
    l or None)], waiting [(day, cur)]); p and l are (sum, count)."""
    w = entry["day_window"]
    matched, breaks, waiting = [], [], []
    ponly, lonly = {}, {}
    for k in sorted(set(pcells) | set(lcells)):
        p, l = pcells.get(k), lcells.get(k)
        day, game, cur, ttype = k
        if p and l:
            if tuple(p) == tuple(l):
                matched.append((day, cur, p[0], p[1]))
            else:
                breaks.append(("amount_mismatch", day, game, cur, ttype, p, l))
        elif p:
            ponly.setdefault((game, cur, ttype), []).append(day)
        else:
            lonly.setdefault((game, cur, ttype), []).append(day)
    for g, pdays in ponly.items():
        ldays = list(lonly.get(g, []))
        for day in sorted(pdays):
            p = pcells[(day,) + g]
            best = None
            for ld in ldays:
                gap = abs((ld - day).days)
                if gap <= w and tuple(lcells[(ld,) + g]) == tuple(p):
                    if best is None or (gap, ld) < (abs((best - day).days), best):
                        best = ld
            if best is not None:
                ldays.remove(best)
                breaks.append(("day_shift", day, g[0], g[1], g[2], p, lcells[(best,) + g]))
            else:
                _open(breaks, waiting, entry, today, day, g, p, None)
        lonly[g] = ldays
    for g, ldays in lonly.items():
        for day in ldays:
            _open(breaks, waiting, entry, today, day, g, None, lcells[(day,) + g])
    return matched, breaks, waiting


def _open(breaks, waiting, entry, today, day, g, p, l):
    """A one-sided cell: waiting while day + wait_days >= today, then missing."""
    if (day - today).days + entry["wait_days"] >= 0:
        waiting.append((day, g[1]))
    else:
        kind = "missing_in_ledger" if p else "missing_in_partner"
        breaks.append((kind, day, g[0], g[1], g[2], p, l))


# ---------------------------------------------------------------- results ---

def _summary(entry, label, matched, breaks, waiting, cur, exp, rates):
    """The statement's entry for one ledger: matched [(day, cur, amount, transactions)]
    (daily matching counts the partner's transactions of a matched cell), breaks [(kind,
    day, pcur, lcur, pamt, lamt)], waiting count."""
    ms, count = {}, 0
    for day, c, a, n in matched:
        ms[(day, c)] = ms.get((day, c), 0) + a
        count += n
    per = {k: {} for k in KINDS}
    counts = {k: 0 for k in KINDS}
    for kind, day, pcur, lcur, pamt, lamt in breaks:
        c, a = _break_amount(kind, pcur, lcur, pamt, lamt)
        per[kind][(day, c)] = per[kind].get((day, c), 0) + a
        counts[kind] += 1
    bsum = {k: (counts[k], convert(per[k], cur, exp, rates)) for k in KINDS}
    n = sum(counts.values())
    amount = sum(a for _, a in bsum.values())
    tol, err = parse_money(str(entry.get("amount", "0")), ".", None, exp[cur])
    if err:
        raise ValueError("tolerance %r: %s" % (entry.get("amount"), err))
    if n > entry.get("breaks", 0) or amount > tol:
        status = "held"
    elif waiting:
        status = "waiting"
    elif n:
        status = "within_tolerance"
    else:
        status = "clean"
    return {"ledger": entry["ledger"], "match": entry.get("match", "transaction"),
            "matched": (count, convert(ms, cur, exp, rates)), "breaks": bsum,
            "waiting": waiting, "status": status, "break_count": n, "break_amount": amount}


def expected(spec, rows, todays):
    """Every statement's reconciliation: {(partner, period): {ledger: Result}}."""
    exp, rates = spec["exp"], parse_rates(spec.get("rates", ""))
    runs = items_by_run(spec, rows)
    today = todays[-1]
    kind = spec.get("statement", "monthly")
    out = {}
    for pid, ps in spec["partners"].items():
        cur = ps.get("currency", spec["currency"])
        for e in ps["reconcile"]:
            L = e["ledger"]
            per = {}          # label -> [matched, breaks, waiting, csv rows]

            def bucket(day):
                return per.setdefault(period_label(kind, day), [[], [], 0, []])
            if e.get("match", "transaction") == "transaction":
                st = TxState(e)
                for r in sorted(runs):
                    st.run([it for owner, src, it, _ in runs[r]
                            if owner == pid and src in (pid, L)])
                matched, brk, waiting = st.results(today)
                for p in matched:
                    bucket(p.day)[0].append((p.day, p.cur, p.amount, 1))
                for k, p, l in brk:
                    own = p or l
                    b = bucket(own.day)
                    b[1].append((k, own.day, p.cur if p else None, l.cur if l else None,
                                 p.amount if p else 0, l.amount if l else 0))
                    b[3].append(_tx_row(L, k, p, l, exp))
                for it in waiting:
                    bucket(it.day)[2] += 1
                for owner, src, it, _ in [x for r in runs.values() for x in r]:
                    if owner == pid and src in (pid, L):
                        bucket(it.day)
            else:
                pc, lc = {}, {}
                for owner, src, it, game in [x for r in runs.values() for x in r]:
                    if owner != pid or src not in (pid, L):
                        continue
                    cells = pc if src == pid else lc
                    c = cells.setdefault((it.day, game or "unknown", it.cur, it.type), [0, 0])
                    c[0] += it.amount
                    c[1] += 1
                    bucket(it.day)
                matched, brk, waiting = daily_breaks(e, pc, lc, today)
                for day, c, a, n in matched:
                    bucket(day)[0].append((day, c, a, n))
                for k, day, game, c, ttype, p, l in brk:
                    b = bucket(day)
                    b[1].append((k, day, c, c, p[0] if p else 0, l[0] if l else 0))
                    b[3].append({"ledger": L, "kind": k, "id": "%s/%s" % (game, ttype),
                                 "day": day.isoformat(), "currency": c,
                                 "partner_amount": money(p[0], exp[c]) if p else "",
                                 "ledger_amount": money(l[0], exp[c]) if l else "",
                                 "difference": money(p[0] - l[0], exp[c]) if p and l else "",
                                 "partner_file": "", "ledger_file": ""})
                for day, c in waiting:
                    bucket(day)[2] += 1
            for label, (m, b, wt, csv_rows) in per.items():
                res = _summary(e, label, m, b, wt, cur, exp, rates)
                res["rows"] = csv_rows
                out.setdefault((pid, label), {})[L] = res
    return out


def csv_sort_key(row):
    """reconciliation.csv's order: day, kind, id (kind in the order of KINDS)."""
    return (row["day"], KINDS.index(row["kind"]), row["id"])
