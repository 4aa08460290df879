"""harness.py - shared helpers for the end-to-end tests.

Every test runs the real `settle` binary (path in $SETTLE_BIN) on real files
in a fresh temporary folder and checks what it wrote. A test file calls
`check(...)` for each assertion and `done()` at the end, which prints the
"N passed, N failed" line scripts/test adds up.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTLE = os.environ.get("SETTLE_BIN", os.path.join(ROOT, "build", "engine", "settle"))
GENDROPS = os.environ.get("GENDROPS_BIN", os.path.join(ROOT, "build", "tools", "gendrops"))

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
        return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=600)

    def statement(self, period, partner):
        with open(self.path("var", "reports", period, partner, "statement.json")) as f:
            return json.load(f)

    def read(self, *parts):
        with open(self.path(*parts), encoding="utf-8") as f:
            return f.read()

    def cleanup(self):
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
