#!/usr/bin/env python3
"""oracle_formats.py - reads JSON (array, NDJSON, document), gzip and CSV drops
with control totals, independently of the engine, and feeds the rows to
oracle.py's normalise + aggregate code (oracle.Partner), so that the expected
statements of JSON partners come from the same independent calculation.

    oracle_formats.py --config settle.yaml [--inbox DIR]

Prints oracle.py's JSON plus "_quarantined" {partner: [[file, reason]]},
"_waiting" {partner: [file]} (manifest not there yet) and "_control"
{partner: [[file, declared count, declared sum, read count, read sum, ok]]}.

Decisions where the contract leaves room (the tests rely on them):
- A drop is gzip when it starts with 1f 8b; the glob also matches "<glob>.gz".
  Files whose bytes were already taken for the partner are skipped.
- JSON layout from the first non-blank byte: '[' array, '{' with json.records
  a document, '{' without it NDJSON. Numbers keep their exact text; a wanted
  path holding an object or array, an element that is not an object, or an
  NDJSON line that is not a JSON object is a bad_row (no amount, no time read).
  null or absent is empty; true/false are the text "true"/"false".
- Unreadable (quarantined, nothing counted): corrupt or truncated gzip, text not
  valid UTF-8 (or the CSV encoding), JSON syntax errors in the array/document
  layouts, the last NDJSON line ending mid-record without a line end, no '['/'{'
  at the start, a mapped CSV header column missing, a quote open at the end.
- Control count = data rows (not header, trailer, blank lines; rejected rows
  included). Control sum = exact decimal sum of every amount cell that reads as
  a number in the partner's dialect (JSON: any number, or a string of digits with
  '.'), whatever its currency or reject reason, except rows that are bad_row or
  field_too_long. A mismatch holds every period a row of the file (with a
  readable day) falls in. A manifest sha256, when given, must match the drop.
"""
import argparse
import csv
import fnmatch
import gzip
import hashlib
import json
import os
import re
import sys
import zlib
from decimal import Decimal, localcontext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle as O  # noqa: E402

WS = " \t\r\n"


class Unreadable(Exception):
    """The whole file cannot be used; the message is the quarantine reason."""


class Num(str):
    """A JSON number, as its exact source text."""


class Bad:
    """A record that is not usable (bad_row)."""
    def __init__(self, why):
        self.why = why


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


DEC = json.JSONDecoder(parse_float=Num, parse_int=Num, parse_constant=_no_constant)


# ------------------------------------------------------------------ bytes ---

def content(data):
    """The drop's content bytes: inflated when it is gzip (by magic), else as is."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        out = gzip.decompress(data)
    except EOFError:
        raise Unreadable("gzip archive is truncated")
    except (OSError, zlib.error) as e:
        raise Unreadable("corrupt gzip data: %s" % e)
    return out


def decode(data, encoding):
    """Strict text of the content (UTF-8 BOM dropped); Unreadable when invalid."""
    enc = encoding.lower().replace("-", "").replace("_", "")
    if enc in ("utf8", "utf8sig") and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8" if enc in ("utf8", "utf8sig") else encoding)
    except UnicodeDecodeError as e:
        raise Unreadable("text is not valid %s at byte %d" % (encoding, e.start))


# ------------------------------------------------------------------- JSON ---

def _skip(text, i):
    while i < len(text) and text[i] in WS:
        i += 1
    return i


def _line(text, i):
    return text.count("\n", 0, i) + 1


def _array(text, i):
    """Elements of the array starting at text[i] == '[': [(line, value)], index after."""
    out, i = [], _skip(text, i + 1)
    if text[i:i + 1] == "]":
        return out, i + 1
    while True:
        i = _skip(text, i)
        try:
            v, end = DEC.raw_decode(text, i)
        except ValueError as e:
            raise Unreadable("JSON syntax error at line %d: %s" % (_line(text, i), e))
        out.append((_line(text, i), v))
        i = _skip(text, end)
        if text[i:i + 1] == ",":
            i += 1
        elif text[i:i + 1] == "]":
            return out, i + 1
        else:
            raise Unreadable("JSON array not closed (line %d)" % _line(text, i))


def _find(text, i, segs):
    """Index of the value at path `segs` inside the object at text[i] == '{', or None."""
    i = _skip(text, i + 1)
    while text[i:i + 1] != "}":
        key, i = DEC.raw_decode(text, _skip(text, i))
        i = _skip(text, i)
        assert text[i] == ":"
        i = _skip(text, i + 1)
        if key == segs[0]:
            if len(segs) == 1:
                return i
            return _find(text, i, segs[1:]) if text[i] == "{" else None
        _, i = DEC.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
    return None


def at(value, path):
    """The value at a dotted path ("legs.0.amount"), None when absent."""
    for seg in path.split("."):
        if isinstance(value, dict):
            value = value.get(seg)
        elif isinstance(value, list) and seg.isdigit():
            value = value[int(seg)] if int(seg) < len(value) else None
        else:
            return None
    return value


def json_records(text, records_path):
    """(layout, [(line, record)], root) of a JSON drop; records may be Bad."""
    i = _skip(text, 0)
    first = text[i:i + 1]
    if first == "[":
        recs, end = _array(text, i)
        if _skip(text, end) != len(text):
            raise Unreadable("text after the JSON array")
        return "array", recs, None
    if first == "{" and records_path:
        try:
            root, end = DEC.raw_decode(text, i)
        except ValueError as e:
            raise Unreadable("JSON syntax error: %s" % e)
        if _skip(text, end) != len(text):
            raise Unreadable("text after the JSON document")
        j = _find(text, i, records_path.split("."))
        if j is None or text[j] != "[":
            raise Unreadable("no records array at %s" % records_path)
        return "document", _array(text, j)[0], root
    if first == "{":
        recs, lines = [], text.split("\n")
        for no, ln in enumerate(lines, 1):
            if not ln.strip(WS):
                continue
            s = ln.strip(WS)
            try:
                v, end = DEC.raw_decode(s, 0)
                if end != len(s):
                    raise ValueError("text after the record")
            except ValueError as e:
                last = no == len(lines)          # no line end after it
                pos, msg = getattr(e, "pos", 0), getattr(e, "msg", "")
                if last and (pos >= len(s) or msg.startswith("Unterminated string")):
                    raise Unreadable("file ends inside a record (line %d)" % no)
                recs.append((no, Bad("line %d is not JSON: %s" % (no, e))))
                continue
            recs.append((no, v if isinstance(v, dict) else Bad("not a JSON object")))
        return "ndjson", recs, None
    raise Unreadable("not JSON (starts with %r)" % text[i:i + 8])


def json_text(v, amount):
    """A wanted value as the engine sees it: text, '' when absent, Bad for containers."""
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return Bad("a wanted path holds an object or array")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Num) and amount:
        return format(Decimal(v), "f")         # the exact value, written out
    return str(v)


def json_number(v):
    """Exact value of an amount for the control sum, or None."""
    if isinstance(v, Num):
        return Decimal(v)
    if isinstance(v, str) and re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)\s*", v):
        return Decimal(v.strip())
    return None


# -------------------------------------------------------------------- CSV ---

def csv_records(text, p):
    """(header, [(line, fields)]) of a CSV drop; blank rows dropped."""
    lines = text.splitlines(keepends=True)[p["skip_lines"]:]
    consumed = p["skip_lines"]

    def counted():
        nonlocal consumed
        for t in lines:
            consumed += 1
            yield t
    kw = {"quoting": csv.QUOTE_NONE} if not p["quote"] else {"quotechar": p["quote"]}
    rows, header = [], None
    reader = csv.reader(counted(), delimiter=p["delimiter"], strict=False, **kw)
    while True:
        start = consumed + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None and p["header"]:
            header = [h.strip() for h in row]
        else:
            rows.append((start, row))
    if p["quote"] and text.count(p["quote"]) % 2:
        raise Unreadable("unterminated quoted field")
    return header, rows


def csv_number(text, p):
    """Exact value of a CSV amount cell in the partner's number format, or None."""
    s = text.strip()
    neg = s.startswith("-") or (s.startswith("(") and s.endswith(")"))
    s = s.strip("()").lstrip("+-")
    ip, _, fp = s.partition(p["decimal"])
    if p["thousands"] and p["thousands"] in ip:
        g = ip.split(p["thousands"])
        if not (1 <= len(g[0]) <= 3 and all(len(x) == 3 for x in g[1:])):
            return None
        ip = "".join(g)
    if not (ip + fp) or not re.fullmatch(r"\d*", ip) or not re.fullmatch(r"\d*", fp):
        return None
    v = Decimal((ip or "0") + "." + (fp or "0"))
    return -v if neg else v


# ---------------------------------------------------------------- partner ---

def glob_match(name, pattern):
    """The partner's files: pattern, which also takes the name with .gz added."""
    return fnmatch.fnmatchcase(name, pattern) or (
        name.endswith(".gz") and fnmatch.fnmatchcase(name[:-3], pattern))


def manifest_name(tmpl, name):
    """{name} = the drop's name, {stem} = without .gz and its last extension."""
    base = name[:-3] if name.endswith(".gz") else name
    stem = base.rsplit(".", 1)[0] if "." in base[1:] else base
    return tmpl.replace("{name}", name).replace("{stem}", stem)


def load_manifest(text):
    """A manifest: JSON, or YAML as oracle.py's subset reader reads it."""
    try:
        return json.loads(text, parse_float=Num, parse_int=Num)
    except ValueError:
        return O.load_yaml(text)


class FormatPartner(O.Partner):
    """oracle.Partner with the JSON/gzip/control readers in front of it."""

    def __init__(self, cfg, p, rates):
        super().__init__(cfg, p, rates)
        self.taken_sha, self.holds, self.waiting, self.control = set(), {}, [], []

    def rows_of(self, data):
        """(header, [(line, fields or Bad)], declared (count, sum) or None) of a file."""
        p, ctl = self.p, self.p["control"]
        text = decode(content(data), "utf-8" if p["format"] == "json" else p["encoding"])
        if p["format"] == "csv":
            header, rows = csv_records(text, p)
            refs = [r for r in list(p["refs"].values()) + [p["time_ref"], p["type_ref"]] +
                    list((p["amounts"] or {}).values()) if isinstance(r, str)]
            for r in refs:
                if header is None or r not in header:
                    raise Unreadable("column %r not in the header row" % r)
            declared = None
            if ctl.get("trailer"):
                marked = [r for r in rows if ctl.get("marker") and r[1][0].strip() == ctl["marker"]]
                trailer = marked[-1] if marked else (rows[-1] if rows and not ctl.get("marker")
                                                     else None)
                if trailer and trailer is not rows[-1]:
                    declared = ("data rows after the trailer", None)
                    rows.remove(trailer)
                elif trailer:
                    rows.remove(trailer)
                    f = trailer[1]
                    c, s = int(ctl.get("count", 2)) - 1, int(ctl.get("sum", 3)) - 1
                    declared = (f[c].strip() if c < len(f) else "",
                                csv_number(f[s], dict(p, thousands=None)) if s < len(f) else None)
                else:
                    declared = ("", None)
            return header, rows, declared
        paths = [v for v in list(p["refs"].values()) + [p["time_ref"], p["type_ref"]] +
                 list((p["amounts"] or {}).values()) if v is not None]
        paths = list(dict.fromkeys(str(v) for v in paths))
        amount_paths = {str(p["refs"]["amount"])} | {str(v) for v in (p["amounts"] or {}).values()}
        layout, recs, root = json_records(text, p["json_records"])
        declared, cpath, spath = None, ctl.get("count", "count"), ctl.get("sum", "sum")
        rows = []
        for line, rec in recs:
            if ctl.get("trailer") and layout != "document" and isinstance(rec, dict) \
                    and at(rec, cpath) is not None:
                declared = (str(at(rec, cpath)), json_number(at(rec, spath)))
                continue
            if not isinstance(rec, dict):
                rows.append((line, rec if isinstance(rec, Bad) else Bad("not a JSON object")))
                continue
            fields = [json_text(at(rec, q), q in amount_paths) for q in paths]
            bad = [f for f in fields if isinstance(f, Bad)]
            rows.append((line, bad[0] if bad else fields))
            if not bad:
                rows[-1] = (line, fields, [json_number(at(rec, q)) for q in paths
                                           if q in amount_paths])
        if ctl.get("trailer") and layout == "document":
            declared = (str(at(root, cpath) if at(root, cpath) is not None else ""),
                        json_number(at(root, spath)))
        elif ctl.get("trailer") and declared is None:
            declared = ("", None)
        return paths, rows, declared

    def process_file(self, inbox, name):
        p, rel = self.p, self.p["id"] + "/" + name
        folder = os.path.join(inbox, p["id"])
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        sha = hashlib.sha256(data).hexdigest()
        if sha in self.taken_sha:
            return
        declared, man = None, p["control"].get("manifest")
        if man:
            mpath = os.path.join(folder, manifest_name(man, name))
            if not os.path.exists(mpath):
                self.waiting.append(rel)
                return
            with open(mpath, encoding="utf-8") as f:
                m = load_manifest(f.read())
            c, s = at(m, p["control"].get("count", "count")), at(m, p["control"].get("sum", "sum"))
            declared = ("" if c is None else str(c), json_number(s))
            if at(m, "sha256") and str(at(m, "sha256")).lower() != sha:
                declared = ("sha256", None)
        try:
            header, rows, trailer = self.rows_of(data)
        except Unreadable as e:
            self.quarantined.append([rel, str(e)])
            return
        self.taken_sha.add(sha)
        declared = declared or trailer
        self.last_day, self.new_ids, pending, days = None, [], [], set()
        cols = self._columns(header)
        width = len(header) if (p["format"] == "csv" and header) else None
        total, n = Decimal(0), 0
        for item in rows:
            line, fields = item[0], item[1]
            n += 1
            if isinstance(fields, Bad):
                day, reasons = None, ["bad_row"]
            else:
                day, reasons = self._row(fields, cols, width, False)
                if reasons != ["field_too_long"] and reasons != ["bad_row"]:
                    nums = item[2] if len(item) > 2 else [
                        csv_number(fields[i], p) for i in
                        ([cols["amount"]] if not p["amounts"] else [i for _, i in cols["amounts"]])
                        if i is not None and i < len(fields) and fields[i].strip()]
                    with localcontext() as ctx:
                        ctx.prec = 1000               # exact, however many digits
                        total += sum((x for x in nums if x is not None), Decimal(0))
            if day is not None:
                days.add(day)
            for r in reasons or []:
                self.rejects.append([rel, line, r])
                if day is None:
                    pending.append(r)
                else:
                    self._bump(self.rej, day)
        for _ in pending:
            label = O.period_label(p["statement"], self.last_day) if self.last_day \
                else "unattributed"
            self.rej[label] = self.rej.get(label, 0) + 1
        if declared is not None:
            ok = declared[0] == str(n) and declared[1] is not None and declared[1] == total
            self.control.append([rel, declared[0], None if declared[1] is None else
                                 format(declared[1], "f"), n, format(total, "f"), ok])
            if not ok:
                for d in days:
                    label = O.period_label(p["statement"], d)
                    self.holds.setdefault(label, []).append(
                        "control totals of %s: %s rows / %s declared, %d rows / %s read" % (
                            rel, declared[0], declared[1], n, total))

    def result(self):
        out = super().result()
        for label, why in self.holds.items():
            if label in out:
                out[label]["hold"] = "; ".join(filter(None, [out[label].get("hold")] + why))
        return out


def load_config(path):
    """oracle.load_config plus json.records and control for every partner."""
    cfg = O.load_config(path)
    with open(path, encoding="utf-8") as f:
        doc = O.load_yaml(f.read())
    for pid, p in cfg["partners"].items():
        raw = doc["partners"][pid]
        p["json_records"] = (raw.get("json") or {}).get("records")
        p["control"] = dict(raw.get("control") or {})
    return cfg


def settle(config_path, inbox=None):
    """Like oracle.settle, for every format; adds _waiting and _control."""
    cfg = load_config(config_path)
    inbox = inbox or cfg["inbox"]
    rates = O.load_rates(cfg["fx"])
    out = {"_rejects": {}, "_quarantined": {}, "_waiting": {}, "_control": {}}
    for pid, p in cfg["partners"].items():
        acc = FormatPartner(cfg, p, rates)
        folder = os.path.join(inbox, pid)
        names = sorted((n for n in (os.listdir(folder) if os.path.isdir(folder) else [])
                        if not n.startswith(".") and glob_match(n, p["files"])
                        and os.path.isfile(os.path.join(folder, n))), key=os.fsencode)
        for name in names:
            acc.process_file(inbox, name)
        out[pid] = acc.result()
        out["_rejects"][pid] = acc.rejects
        for key, val in (("_quarantined", acc.quarantined), ("_waiting", acc.waiting),
                         ("_control", acc.control)):
            if val:
                out[key][pid] = val
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--inbox")
    a = ap.parse_args(argv)
    json.dump(settle(a.config, a.inbox), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
