#!/usr/bin/env python3
"""oracle.py - an independent re-implementation of settle's normalise + aggregate
stages (SPEC sections 3 and 4), used by the end-to-end tests to check the
engine's numbers. Python 3 standard library only; shares no code with the engine.

    oracle.py --config data/settle.yaml [--inbox DIR] [--partner ID]... [--out FILE]

Prints JSON:
    { "<partner>": { "<period>": { "total": {type: "decimal"}, "count": {type: int},
                                   "ggr": "...", "transactions": n, "duplicates": n,
                                   "rejected": n, "by_currency": {cur: {type: "decimal"}},
                                   ["hold": "missing FX rate ..."] } },
      "_rejects": { "<partner>": [[file, line, reason], ...] },
      "_quarantined": { "<partner>": [[file, reason], ...] } }
Amounts are decimal strings with exactly the currency's minor digits.
"""
import argparse
import csv
import datetime as dt
import fnmatch
import gzip
import json
import os
import re
import sys
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

TYPES = ["bet", "win", "refund", "win_reversal", "bonus", "jackpot_contribution",
         "jackpot_win", "purchase", "adjustment"]
INT64_MAX = 2**63 - 1
MAX_FIELD = 64 * 1024
UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
csv.field_size_limit(sys.maxsize)   # over-long fields are rejected per row, not per file

# ISO 4217 active codes and their minor-unit digits (funds/metals without a minor unit are absent).
_EXP0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXP3 = "BHD IQD JOD KWD LYD OMR TND"
_EXP4 = "CLF UYW"
_EXP2 = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK
LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
ZMW ZWG ZWL"""
CURRENCY_EXP = {c: e for e, codes in ((0, _EXP0), (2, _EXP2), (3, _EXP3), (4, _EXP4))
                for c in codes.split()}


# --------------------------------------------------------------- YAML subset ---

class YamlError(Exception):
    pass


def _strip_comment(line):
    """Removes a '#' comment (outside quotes, at line start or after a blank)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " \t[{,:"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _plain(s):
    """Resolves a plain scalar: booleans, null, integers; anything else stays text."""
    s = s.strip()
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if re.fullmatch(r"[-+]?\d+", s):
        return int(s)
    return s


_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "/": "/", " ": " "}


def _quoted(s, i):
    """Reads a quoted scalar starting at s[i]; returns (text, index after it)."""
    q, out, i = s[i], [], i + 1
    while i < len(s):
        ch = s[i]
        if q == "'" and ch == "'":
            if s[i + 1:i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        if q == '"' and ch == '"':
            return "".join(out), i + 1
        if q == '"' and ch == "\\":
            e = s[i + 1:i + 2]
            if e in ("x", "u"):
                n = 2 if e == "x" else 4
                out.append(chr(int(s[i + 2:i + 2 + n], 16)))
                i += 2 + n
                continue
            if e not in _ESC:
                raise YamlError("bad escape \\" + e)
            out.append(_ESC[e])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise YamlError("unterminated quoted scalar")


def _flow(s, i):
    """Parses a flow value ({...}, [...], quoted or plain) at s[i]; returns (value, index)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] in "[{":
        close, is_map = ("}", True) if s[i] == "{" else ("]", False)
        out = {} if is_map else []
        i += 1
        while True:
            while i < len(s) and s[i] in " ,":
                i += 1
            if i >= len(s):
                raise YamlError("unclosed flow collection")
            if s[i] == close:
                return out, i + 1
            if is_map:
                if s[i] in "\"'":
                    key, i = _quoted(s, i)
                else:
                    m = re.compile(r"[^:,}\]]+").match(s, i)
                    key, i = m.group(0).strip(), m.end()
                if s[i:i + 1] != ":":
                    raise YamlError("expected ':' after key %r" % key)
                out[key], i = _flow(s, i + 1)
            else:
                v, i = _flow(s, i)
                out.append(v)
    if i < len(s) and s[i] in "\"'":
        return _quoted(s, i)
    m = re.compile(r"[^,}\]]*").match(s, i)
    return _plain(m.group(0)), m.end()


def _key(s):
    """Splits 'key: rest' (plain or quoted key); returns (key, rest) or None."""
    if s.startswith(("\"", "'")):
        key, i = _quoted(s, 0)
        return (key, s[i + 1:].strip()) if s[i:i + 1] == ":" else None
    if s.startswith(("[", "{")):
        return None
    m = re.match(r"([^:]+?)\s*:(\s+|$)(.*)", s)
    return (m.group(1), m.group(3)) if m else None


def load_yaml(text):
    """Parses the YAML subset used by settle configs into dicts, lists and scalars."""
    lines = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = _strip_comment(raw.replace("\t", " ") if raw.lstrip(" ").startswith("\t") else raw)
        if s.strip() and s.strip() != "---":
            lines.append([no, len(s) - len(s.lstrip(" ")), s.strip()])

    def is_item(s):
        return s == "-" or s.startswith("- ")

    def inline(rest, i):
        """A value on the same line; flow collections may continue on later lines."""
        if rest.startswith(("[", "{")):
            while True:
                try:
                    v, end = _flow(rest, 0)
                    if rest[end:].strip():
                        raise YamlError("text after flow collection (line %d)" % lines[i][0])
                    return v, i + 1
                except YamlError as e:
                    if "unclosed" not in str(e) or i + 1 >= len(lines):
                        raise
                    i += 1
                    rest += " " + lines[i][2]
        if rest.startswith(("\"", "'")):
            v, end = _quoted(rest, 0)
            return v, i + 1
        return _plain(rest), i + 1

    def node(i, ind):
        return seq(i, ind) if is_item(lines[i][2]) else mapping(i, ind)

    def mapping(i, ind):
        out = {}
        while i < len(lines) and lines[i][1] == ind and not is_item(lines[i][2]):
            kv = _key(lines[i][2])
            if kv is None:
                raise YamlError("line %d: expected 'key: value'" % lines[i][0])
            key, rest = kv
            if rest:
                out[key], i = inline(rest, i)
            elif i + 1 < len(lines) and (lines[i + 1][1] > ind or
                                         (lines[i + 1][1] == ind and is_item(lines[i + 1][2]))):
                out[key], i = node(i + 1, lines[i + 1][1])
            else:
                out[key], i = None, i + 1
        if i < len(lines) and lines[i][1] > ind:
            raise YamlError("line %d: bad indentation" % lines[i][0])
        return out, i

    def seq(i, ind):
        out = []
        while i < len(lines) and lines[i][1] == ind and is_item(lines[i][2]):
            rest = lines[i][2][1:].lstrip(" ")
            if not rest:
                v, i = node(i + 1, lines[i + 1][1]) if i + 1 < len(lines) and lines[i + 1][1] > ind \
                    else (None, i + 1)
            elif _key(rest) is not None or is_item(rest):
                lines[i][1] = ind + len(lines[i][2]) - len(rest)   # "- k: v" opens a mapping
                lines[i][2] = rest
                v, i = node(i, lines[i][1])
            else:
                v, i = inline(rest, i)
            out.append(v)
        return out, i

    if not lines:
        return None
    value, i = node(0, lines[0][1])
    if i != len(lines):
        raise YamlError("line %d: unexpected content" % lines[i][0])
    return value


# ------------------------------------------------------------ money and time ---

def parse_money(text, dec, thou, exp):
    """Parses amount text into minor units. Returns (value, None) or (None, reason)."""
    s = text.strip()
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1]
    elif s.startswith(("+", "-")):
        neg, s = s[0] == "-", s[1:]
    parts = s.split(dec) if dec else [s]
    if len(parts) > 2:
        return None, "bad_amount"
    ip, fp = parts[0], parts[1] if len(parts) == 2 else ""
    if thou and thou in ip:
        groups = ip.split(thou)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None, "bad_amount"
        ip = "".join(groups)
    if not (ip + fp) or not re.fullmatch(r"\d*", ip) or not re.fullmatch(r"\d*", fp):
        return None, "bad_amount"
    if len(fp) > exp:
        if fp[exp:].strip("0"):
            return None, "precision"
        fp = fp[:exp]
    v = int((ip or "0") + fp.ljust(exp, "0"))
    if v > INT64_MAX:
        return None, "overflow"
    return (-v if neg else v), None


def fmt_money(v, exp):
    """Minor units -> major-unit decimal string with exactly `exp` digits."""
    sign, v = ("-" if v < 0 else ""), abs(v)
    if exp == 0:
        return sign + str(v)
    return "%s%d.%0*d" % (sign, v // 10**exp, exp, v % 10**exp)


_DIRECTIVES = {"Y": r"(?P<Y>\d{4})", "m": r"(?P<m>\d{1,2})", "d": r"(?P<d>\d{1,2})",
               "H": r"(?P<H>\d{1,2})", "M": r"(?P<M>\d{1,2})", "S": r"(?P<S>\d{1,2})",
               "y": r"(?P<y>\d{2})", "b": r"(?P<b>[A-Za-z]{3})", "j": r"(?P<j>\d{3})",
               "f": r"\d+", "z": r"(?P<z>Z|[+-]\d{2}:?\d{2})", "p": r"(?P<p>[AaPp][Mm])",
               "I": r"(?P<I>\d{1,2})", "%": "%"}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()


def pattern_regex(pattern):
    """Compiles a strftime-style pattern into a regex (directives as in timefmt.h)."""
    pattern = pattern.replace("%T", "%H:%M:%S").replace("%F", "%Y-%m-%d")
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append(_DIRECTIVES[pattern[i + 1]])
            i += 2
            continue
        out.append(r"\s+" if ch == " " else re.escape(ch))
        i += 1
    return re.compile("".join(out))


def _offset(z):
    """'+08:00' / '+0800' / 'Z' -> seconds east of UTC."""
    if z in ("Z", "z"):
        return 0
    h, m = int(z[1:3]), int(z[-2:])
    if h > 23 or m > 59:
        raise ValueError("offset")
    return (h * 3600 + m * 60) * (-1 if z[0] == "-" else 1)


def local_to_utc(naive, zone):
    """Wall time in `zone` -> epoch seconds; earlier instant in an overlap; None in a gap."""
    aware = naive.replace(tzinfo=zone, fold=0)
    t = aware.astimezone(UTC)
    if t.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return int((t - EPOCH).total_seconds())


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
                  r"\s*(Z|z|[+-]\d{2}:?\d{2})?")


def parse_time(text, fmt, zone):
    """Parses a timestamp into UTC epoch seconds, or None (bad or in a DST gap)."""
    s = text.strip()
    try:
        if fmt in ("epoch_s", "epoch_ms"):
            m = re.fullmatch(r"([+-]?\d+)(\.\d+)?", s)
            if not m or (fmt == "epoch_ms" and m.group(2)):
                return None
            v = int(m.group(1)) // (1000 if fmt == "epoch_ms" else 1)
            EPOCH + dt.timedelta(seconds=v)        # range check
            return v
        if fmt == "iso8601":
            m = _ISO.fullmatch(s)
            if not m:
                return None
            g = dict(zip("YmdHMSz", m.groups()))
        else:
            m = pattern_regex(fmt).fullmatch(s)
            if not m:
                return None
            g = m.groupdict()
        v = {k: int(g[k]) if g.get(k) is not None else dflt
             for k, dflt in (("Y", 1970), ("m", 1), ("d", 1), ("H", 0), ("M", 0), ("S", 0))}
        if g.get("y"):
            v["Y"] = int(g["y"]) + (2000 if int(g["y"]) < 69 else 1900)
        if g.get("b"):
            v["m"] = _MONTHS.index(g["b"].lower()) + 1
        if g.get("I"):
            if not 1 <= int(g["I"]) <= 12:
                return None
            v["H"] = int(g["I"]) % 12 + (12 if g["p"].lower() == "pm" else 0)
        if g.get("j"):
            first = dt.date(v["Y"], 1, 1) + dt.timedelta(days=int(g["j"]) - 1)
            if first.year != v["Y"] or int(g["j"]) == 0:
                return None
            v["m"], v["d"] = first.month, first.day
        naive = dt.datetime(v["Y"], v["m"], v["d"], v["H"], v["M"], v["S"])
        if g.get("z"):
            return int((naive.replace(tzinfo=UTC) - EPOCH).total_seconds()) - _offset(g["z"])
        return local_to_utc(naive, zone)
    except (ValueError, OverflowError, KeyError, AttributeError):
        return None


TIME_WINDOW = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))  # business days settle accepts


def period_label(kind, day):
    """Statement period of a business day: daily, ISO weekly or monthly label."""
    if kind == "daily":
        return day.isoformat()
    if kind == "weekly":
        y, w, _ = day.isocalendar()
        return "%d-W%02d" % (y, w)
    return "%04d-%02d" % (day.year, day.month)


# -------------------------------------------------------------------- config ---

def load_config(path):
    """Reads settle.yaml and fills every default the engine applies."""
    with open(path, encoding="utf-8") as f:
        doc = load_yaml(f.read())
    base = os.path.dirname(os.path.abspath(path))
    st = doc["settle"]
    hh, mm, *ss = (int(x) for x in str(st.get("day_starts_at", "00:00")).split(":"))
    cfg = {
        "dir": base,
        "zone": ZoneInfo(st["timezone"]),
        "day_start": hh * 3600 + mm * 60 + (ss[0] if ss else 0),
        "currency": st["currency"],
        "inbox": os.path.join(base, (st.get("paths") or {}).get("inbox", "data/inbox")),
        "fx": os.path.join(base, doc["fx"]["rates"]) if doc.get("fx") else None,
        "partners": {},
    }
    for pid, p in (doc.get("partners") or {}).items():
        c = dict(p.get("csv") or {})
        fields = p.get("fields") or {}
        tf = fields.get("time")
        time_ref, time_fmt = (tf.get("from"), tf.get("format", "iso8601")) if isinstance(tf, dict) \
            else (tf, "iso8601")
        ty = fields.get("type")
        type_ref, values = (ty.get("from"), ty.get("values")) if isinstance(ty, dict) else (ty, None)
        cur = p.get("currency", st["currency"])
        quote = c.get("quote", '"')
        cfg["partners"][str(pid)] = {
            "id": str(pid), "format": p.get("format", "csv"), "files": p.get("files", "*"),
            "delimiter": c.get("delimiter", ","), "quote": quote or None,
            "header": c.get("header", True), "decimal": c.get("decimal", "."),
            "thousands": c.get("thousands") or None, "encoding": c.get("encoding", "utf-8"),
            "skip_lines": int(c.get("skip_lines", 0)),
            "zone": ZoneInfo(p.get("timezone", st["timezone"])),
            "statement": p.get("statement", "monthly"), "currency": cur,
            "default_currency": p.get("default_currency", cur),
            "refs": {k: fields.get(k) for k in ("id", "round", "player", "game", "category",
                                                "amount", "currency")},
            "time_ref": time_ref, "time_fmt": time_fmt, "type_ref": type_ref,
            "values": {str(k): v for k, v in values.items()} if values else None,
            "amounts": fields.get("amounts"),
        }
    return cfg


def load_rates(path):
    """fx rates CSV file -> {(base, quote): [(date, Decimal rate), ...] sorted}."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        return parse_rates(f.read())


def parse_rates(text):
    """fx rates CSV text -> {(base, quote): [(date, Decimal rate), ...] sorted}."""
    rates = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("date,"):
            continue
        d, b, q, r = (x.strip() for x in line.split(","))
        rates.setdefault((b, q), []).append((dt.date.fromisoformat(d), Decimal(r)))
    for v in rates.values():
        v.sort()
    return rates


def find_rate(rates, base, quote, day):
    """Latest rate base->quote on or before `day` (never inverted), or None."""
    best = None
    for d, r in rates.get((base, quote), []):
        if d > day:
            break
        best = r
    return best


# ------------------------------------------------------------------- reading ---

def read_rows(path, p):
    """Yields (first_line, fields, bad_encoding) for every non-blank data row of a CSV drop,
    plus one (line, fields, None) header row first when the dialect has a header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if p["encoding"].lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    physical = data.splitlines(keepends=True)
    bad_lines, texts = set(), []
    for no, raw in enumerate(physical, 1):
        try:
            texts.append(raw.decode(p["encoding"]))
        except UnicodeDecodeError:
            bad_lines.add(no)
            texts.append(raw.decode(p["encoding"], errors="replace"))
    consumed = p["skip_lines"]
    it = iter(texts[consumed:])

    def counted():
        nonlocal consumed
        for t in it:
            consumed += 1
            yield t

    kw = {"quoting": csv.QUOTE_NONE} if not p["quote"] else {"quotechar": p["quote"]}
    reader = csv.reader(counted(), delimiter=p["delimiter"], strict=False, **kw)
    header_seen, last = not p["header"], None
    while True:
        start = consumed + 1
        try:
            row = next(reader)
        except StopIteration:
            _check_closed(texts, last, p, kw)
            return
        last = (start, consumed)
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        bad = any(n in bad_lines for n in range(start, consumed + 1))
        if not header_seen:
            header_seen = True
            yield start, row, None
            continue
        yield start, row, bad


def _check_closed(texts, last, p, kw):
    """Raises csv.Error when the file's last record ends inside an open quote (unreadable)."""
    if last and p["quote"]:
        try:
            list(csv.reader(texts[last[0] - 1:last[1]], delimiter=p["delimiter"], strict=True, **kw))
        except csv.Error as e:
            if "unexpected end of data" in str(e):
                raise csv.Error("unterminated quoted field starting at line %d" % last[0])


def list_files(inbox, p):
    """Drop files of a partner: glob match, no dot files, byte-wise sorted names."""
    folder = os.path.join(inbox, p["id"])
    if not os.path.isdir(folder):
        return []
    names = [n for n in os.listdir(folder) if not n.startswith(".")
             and fnmatch.fnmatchcase(n, p["files"]) and os.path.isfile(os.path.join(folder, n))]
    return sorted(names, key=os.fsencode)


class Partner:
    """Accumulates one partner's sums, counts, duplicates and rejects."""

    def __init__(self, cfg, p, rates):
        self.cfg, self.p, self.rates = cfg, p, rates
        self.seen = {}            # id -> (type, amount, currency)
        self.sums = {}            # (business day, currency, type) -> minor units
        self.counts = {}          # (business day, type) -> n
        self.dups = {}            # label -> n
        self.rej = {}             # label -> n
        self.rejects = []         # [file, line, reason]
        self.quarantined = []

    def bday(self, utc):
        """Business day: local date in settle.timezone of (instant - day_starts_at)."""
        t = EPOCH + dt.timedelta(seconds=utc - self.cfg["day_start"])
        return t.astimezone(self.cfg["zone"]).date()

    def col(self, ref, header):
        """Resolves a field reference to a 0-based column index (None when unset)."""
        if ref is None:
            return None
        if isinstance(ref, int):
            return ref - 1
        if header is None or ref not in header:
            raise KeyError("column %r not found in header" % ref)
        return header.index(ref)

    def process_file(self, inbox, name):
        """Reads one drop file, row by row, into the partner's accumulators."""
        p, rel = self.p, self.p["id"] + "/" + name
        path = os.path.join(inbox, p["id"], name)
        if p["format"] != "csv":
            raise SystemExit("oracle: format %r is not supported" % p["format"])
        cols, pending = None, []
        self.last_day = None      # latest business day of a transaction accepted from this file
        self.new_ids = []         # ids first seen in this file: forgotten again if it fails
        saved = [dict(t) for t in (self.sums, self.counts, self.dups, self.rej)]
        n_rejects = len(self.rejects)
        try:
            for line, row, bad_enc in read_rows(path, p):
                if bad_enc is None:
                    header = [h.strip() for h in row]
                    cols = self._columns(header)
                    width = len(header)
                    continue
                if cols is None:
                    cols, width = self._columns(None), None
                day, reason = self._row(row, cols, width, bad_enc)
                for r in reason or []:
                    self.rejects.append([rel, line, r])
                    if day is None:
                        pending.append(r)
                    else:
                        self._bump(self.rej, day)
        except (OSError, KeyError, csv.Error, LookupError) as e:   # all or nothing
            self.sums, self.counts, self.dups, self.rej = saved
            del self.rejects[n_rejects:]
            for tid in self.new_ids:
                del self.seen[tid]
            self.quarantined.append([rel, str(e)])
            return
        for _ in pending:
            last_day = self.last_day
            label = period_label(p["statement"], last_day) if last_day else "unattributed"
            self.rej[label] = self.rej.get(label, 0) + 1

    def _columns(self, header):
        """Column indexes of every mapped field for this file."""
        p, c = self.p, {}
        for k, ref in p["refs"].items():
            c[k] = self.col(ref, header)
        c["time"] = self.col(p["time_ref"], header)
        c["type"] = self.col(p["type_ref"], header)
        c["amounts"] = [(t, self.col(ref, header)) for t, ref in
                        sorted((p["amounts"] or {}).items(), key=lambda kv: TYPES.index(kv[0]))]
        return c

    def _bump(self, table, day):
        label = period_label(self.p["statement"], day)
        table[label] = table.get(label, 0) + 1

    def _row(self, row, cols, width, bad_enc):
        """Validates one row. Returns (business day or None, None when accepted, else [reasons])."""
        p = self.p

        def get(k):
            i = cols.get(k)
            return row[i].strip() if i is not None and i < len(row) else ""

        need = [cols[k] for k in ("id", "time", "amount", "type") if cols.get(k) is not None]
        need += [i for _, i in cols["amounts"]]
        if bad_enc:
            return None, ["bad_encoding"]
        if any(len(f) > MAX_FIELD for f in row):
            return None, ["field_too_long"]
        if (width is not None and len(row) != width) or max(need, default=-1) >= len(row):
            return None, ["bad_row"]
        utc = parse_time(get("time"), p["time_fmt"], p["zone"]) if get("time") else None
        day = self.bday(utc) if utc is not None else None
        if day is not None and not TIME_WINDOW[0] <= day <= TIME_WINDOW[1]:
            utc = day = None                        # outside the time window: a bad time
        rid = get("id")
        # the time is read before any check: a reject is filed under its own day when it reads
        if p["amounts"]:
            present = [(t, row[i].strip()) for t, i in cols["amounts"] if row[i].strip()]
            if not rid or not get("time") or not present:
                return day, ["missing_field"]
        elif not rid or not get("time") or not get("type") or not get("amount"):
            return day, ["missing_field"]
        if utc is None:
            return None, ["bad_time"]
        if not p["amounts"]:
            word = get("type")
            ttype = p["values"].get(word) if p["values"] is not None else \
                (word if word in TYPES else None)
            if ttype is None:
                return day, ["unknown_type"]
            present = [(ttype, get("amount"))]
        cur = get("currency") or p["default_currency"]
        if cur not in CURRENCY_EXP:
            return day, ["unknown_currency"]
        txns = []
        for ttype, text in present:
            v, err = parse_money(text, p["decimal"], p["thousands"], CURRENCY_EXP[cur])
            if err:
                return day, [err]
            txns.append((rid + ":" + ttype if p["amounts"] else rid, ttype, v))
        reasons = []
        for tid, ttype, v in txns:
            key = (ttype, v, cur)
            prev = self.seen.get(tid)
            if prev is None:
                self.seen[tid] = key
                self.new_ids.append(tid)
                k = (day, cur, ttype)
                self.sums[k] = self.sums.get(k, 0) + v
                self.counts[(day, ttype)] = self.counts.get((day, ttype), 0) + 1
                if self.last_day is None or day > self.last_day:
                    self.last_day = day
            elif prev == key:
                self._bump(self.dups, day)
            else:
                reasons.append("duplicate_conflict")
        return day, (reasons or None)

    def result(self):
        """Per-period aggregates in the settlement currency (FX per business day)."""
        p = self.p
        scur = p["currency"]
        sexp = CURRENCY_EXP[scur]
        periods = {}

        def period(label):
            return periods.setdefault(label, {"total": {t: 0 for t in TYPES},
                                              "count": {t: 0 for t in TYPES},
                                              "by_currency": {}, "holds": []})
        for (day, cur, ttype), v in sorted(self.sums.items()):
            per = period(period_label(p["statement"], day))
            bc = per["by_currency"].setdefault(cur, {t: 0 for t in TYPES})
            bc[ttype] += v
            if cur != scur:
                rate = find_rate(self.rates, cur, scur, day)
                if rate is None:
                    per["holds"].append("missing FX rate %s->%s on or before %s" % (cur, scur, day))
                    continue
                with localcontext() as ctx:
                    ctx.prec = 80
                    x = Decimal(v) * rate * Decimal(10) ** (sexp - CURRENCY_EXP[cur])
                    v = int(x.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            per["total"][ttype] += v
        for (day, ttype), n in self.counts.items():
            period(period_label(p["statement"], day))["count"][ttype] += n
        for label in set(self.dups) | set(self.rej):
            period(label)
        out = {}
        for label, per in sorted(periods.items()):
            t = per["total"]
            ggr = (t["bet"] - t["refund"]) - (t["win"] - t["win_reversal"])
            o = {"total": {k: fmt_money(v, sexp) for k, v in t.items()},
                 "count": per["count"], "ggr": fmt_money(ggr, sexp),
                 "transactions": sum(per["count"].values()),
                 "duplicates": self.dups.get(label, 0), "rejected": self.rej.get(label, 0),
                 "by_currency": {c: {k: fmt_money(v, CURRENCY_EXP[c]) for k, v in s.items()}
                                 for c, s in sorted(per["by_currency"].items())}}
            if per["holds"]:
                o["hold"] = "; ".join(sorted(set(per["holds"])))
            out[label] = o
        return out


def settle(config_path, inbox=None, only=None):
    """Runs the oracle over an inbox and returns the JSON-ready result."""
    cfg = load_config(config_path)
    inbox = inbox or cfg["inbox"]
    rates = load_rates(cfg["fx"])
    out, rejects, quarantined = {}, {}, {}
    for pid, p in cfg["partners"].items():
        if only and pid not in only:
            continue
        acc = Partner(cfg, p, rates)
        for name in list_files(inbox, p):
            acc.process_file(inbox, name)
        out[pid] = acc.result()
        rejects[pid] = acc.rejects
        if acc.quarantined:
            quarantined[pid] = acc.quarantined
    out["_rejects"] = rejects
    out["_quarantined"] = quarantined
    return out


def main(argv=None):
    """Command line: prints the oracle's JSON for a config and inbox."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="settle.yaml")
    ap.add_argument("--inbox", help="inbox folder (default: paths.inbox of the config)")
    ap.add_argument("--partner", action="append", help="only these partners")
    ap.add_argument("--out", help="write JSON here instead of stdout")
    a = ap.parse_args(argv)
    text = json.dumps(settle(a.config, a.inbox, a.partner), indent=1, sort_keys=True,
                      ensure_ascii=False) + "\n"
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
