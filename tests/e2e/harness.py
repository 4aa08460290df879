"""harness.py - shared helpers for the end-to-end tests.

Every test runs the real `settle` binary (path in $SETTLE_BIN) on real files
in a fresh temporary folder and checks what it wrote. A test file calls
`check(...)` for each assertion and `done()` at the end, which prints the
"N passed, N failed" line scripts/test adds up.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTLE = os.environ.get("SETTLE_BIN", os.path.join(ROOT, "build", "engine", "settle"))
GENDROPS = os.environ.get("GENDROPS_BIN", os.path.join(ROOT, "build", "tools", "gendrops"))
# `settle run` gets --threads $SETTLE_TEST_THREADS unless a test gives its own (scripts/test: 2,
# so the whole suite runs the two-stage ingest whatever the machine's cores).
TEST_THREADS = os.environ.get("SETTLE_TEST_THREADS", "")
# How much slower than a release build the binary under test may be (scripts/test
# --sanitize sets it): time limits in the tests are multiplied by it.
TIME_FACTOR = float(os.environ.get("SETTLE_TIME_FACTOR", "1"))

# The settle: section most end-to-end configs share (UTC business days, EUR
# summaries, every path under the workspace); partners follow it.
SETTLE_UTC_EUR = """\
settle:
  timezone: UTC
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
"""

_passed = 0
_failed = 0


def check(cond, what):
    """Counts one assertion; prints a FAIL line naming it when false."""
    global _passed, _failed
    if cond:
        _passed += 1
    else:
        _failed += 1
        caller = [f for f in traceback.extract_stack() if not f.filename.endswith("harness.py")][-1]
        print("FAIL %s:%d: %s" % (os.path.basename(caller.filename), caller.lineno, what))


def check_eq(got, want, what):
    """check() for equality, showing both values on failure."""
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def done():
    """Prints the result line and exits non-zero when anything failed."""
    print("%d passed, %d failed" % (_passed, _failed))
    sys.exit(1 if _failed else 0)


def run_unittests(module):
    """Runs a unittest module's tests; prints "N passed, N failed, N skipped" (the line
    scripts/test adds up) and returns the exit status."""
    import unittest
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed, skipped = len(result.failures) + len(result.errors), len(result.skipped)
    print("%d passed, %d failed, %d skipped" % (result.testsRun - failed - skipped, failed, skipped))
    return 1 if failed else 0


def test(fn):
    """Decorator: runs a test function, turning an exception into a failure."""
    global _failed
    try:
        fn()
    except Exception:  # a crash in a test is a failure, not an abort
        _failed += 1
        print("FAIL %s raised:\n%s" % (fn.__name__, traceback.format_exc()))
    return fn


class Workspace:
    """A temporary settle installation: config, rules, inbox, outputs."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="settle-e2e-")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, rel, text, encoding="utf-8", newline=None):
        """Writes a file (creating folders); bytes are written as they are."""
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(text, bytes):
            with open(p, "wb") as f:
                f.write(text)
        else:
            with open(p, "w", encoding=encoding, newline=newline) as f:
                f.write(text)
        return p

    def copy_rules(self):
        """Copies the repository's rules/ folder in."""
        shutil.copytree(os.path.join(ROOT, "rules"), self.path("rules"), dirs_exist_ok=True)

    def settle(self, *args, env=None, config="settle.yaml"):
        """Runs settle with -c <workspace>/<config>; returns CompletedProcess."""
        e = dict(os.environ)
        e.update(env or {})
        cmd = [SETTLE, args[0], "-c", self.path(config)] + list(args[1:])
        if TEST_THREADS and args[0] == "run" and "--threads" not in args:
            cmd += ["--threads", TEST_THREADS]
        return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=600)

    def statement(self, period, partner):
        with open(self.path("var", "reports", period, partner, "statement.json")) as f:
            return json.load(f)

    def read(self, *parts):
        with open(self.path(*parts), encoding="utf-8") as f:
            return f.read()

    def cleanup(self, rows=True):
        """Checks the row accounting of everything the workspace produced
        (check_rows_accounted; rows=False skips it), then removes the folder."""
        if rows:
            check_rows_accounted(self)
        shutil.rmtree(self.dir, ignore_errors=True)


# A rule for period tests: payable = GGR + carry_in when positive; a negative balance is
# carried forward (lines "GGR" and "Carried in").
CARRY_RULE = """\
return { settle = function(p, params)
  local net = p.ggr + p.carry_in
  local lines = { { label = "GGR", amount = p.ggr }, { label = "Carried in", amount = p.carry_in } }
  if net < 0 then return { lines = lines, payable = 0, carry_out = net } end
  return { lines = lines, payable = net, carry_out = 0 }
end }
"""


def tree_bytes(root):
    """Maps every file below root (relative path) to its bytes."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


ROW_OUTCOMES = ("settled", "duplicate", "rejected", "skipped_by_rule")
SUMMARY_ROWS = re.compile(r"(\d+) rows read \((\d+) settled, (\d+) duplicate, (\d+) rejected, "
                          r"(\d+) skipped by rule, (\d+) header/control/title\)")


def _rows_identity(rows, what, with_lines):
    """read = (header + control + title +) settled + duplicate + rejected + skipped_by_rule."""
    parts = ROW_OUTCOMES + (("header", "control", "title") if with_lines else ())
    check_eq(rows["read"], sum(rows[k] for k in parts),
             "%s: rows read = %s" % (what, " + ".join(parts)))


def _statement_rows(path):
    """Checks one statement.json: its rows, each input's, and that the inputs add up."""
    with open(path, encoding="utf-8") as f:
        st = json.load(f)
    what = "%s %s" % (st["partner"], st["period"])
    _rows_identity(st["rows"], what, False)
    agg, rows = st["aggregates"], st["rows"]
    if st["status"] != "held":  # a held statement's aggregates may stop short (overflow)
        check(agg["transactions"] >= rows["settled"] and agg["duplicates"] >= rows["duplicate"]
              and agg["rejected"] >= rows["rejected"] + rows["skipped_by_rule"],
              "%s: row outcomes %r within the aggregates (%d transactions, %d duplicates, "
              "%d rejected)"
              % (what, rows, agg["transactions"], agg["duplicates"], agg["rejected"]))
    for k in ROW_OUTCOMES + ("read",):
        check_eq(sum(i["rows_in_period"][k] for i in st["inputs"]), st["rows"][k],
                 "%s: inputs' %s rows in the period add up to the statement's" % (what, k))
    for i in st["inputs"]:
        _rows_identity(i["rows"], "%s input %s" % (what, i["file"]), True)
        _rows_identity(i["rows_in_period"], "%s input %s in the period" % (what, i["file"]), False)
        for k in ROW_OUTCOMES:
            check(i["rows_in_period"][k] <= i["rows"][k],
                  "%s input %s: %s rows in the period within the file's" % (what, i["file"], k))


def _state_rows(db):
    """Checks every processed file in a state store: rows read = lines + data row outcomes."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'file_rows'").fetchall():
            return  # not a store of this settle (a test's broken or old one)
        files = con.execute(
            "SELECT f.path, f.rows_read, f.header_rows + f.control_rows + f.title_rows, f.rows, "
            "(SELECT coalesce(sum(settled + duplicate + rejected + skipped), 0) FROM file_rows r "
            "WHERE r.file_id = f.id) FROM files f WHERE f.outcome = 'processed'").fetchall()
    except sqlite3.DatabaseError:
        return  # not a database: a test broke it on purpose
    finally:
        con.close()
    for path, read, lines, data, outcomes in files:
        check_eq(read, lines + outcomes,
                 "%s: rows read = non-data lines + data row outcomes" % path)
        check_eq(data, outcomes, "%s: every data row has one outcome" % path)


def check_rows_accounted(ws, *results):
    """Every row accounted for (SPEC section 8), on what `ws` produced: for every
    statement.json (rows, each input's rows, inputs adding up to the statement), every
    processed file in every state store, and the summary line of each CompletedProcess
    in `results` (a settle run's stdout). Workspace.cleanup() calls it."""
    for d, dirs, files in os.walk(ws.dir):
        dirs[:] = [x for x in dirs if x not in ("inbox", "quarantine")]
        if "statement.json" in files:
            _statement_rows(os.path.join(d, "statement.json"))
        if "settle.db" in files:
            _state_rows(os.path.join(d, "settle.db"))
    for r in results:
        m = SUMMARY_ROWS.search(r.stdout)
        check(m is not None, "summary line shows the row accounting: %r" % r.stdout)
        if m:
            n = [int(x) for x in m.groups()]
            check_eq(n[0], sum(n[1:]), "summary: rows read = settled + duplicate + rejected + "
                                       "skipped by rule + header/control/title")
