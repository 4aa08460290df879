"""test_empty.py - runs with nothing to settle, through the real binary: a
partner folder holding no drops, a drop with a header and no rows, and a
second run with nothing new. Each must exit 0 with nothing settled and
nothing written for a period. (Under scripts/test --sanitize these are the
runs that once passed NULL to qsort for their empty lists.)
"""
import os

from harness import Workspace, check, check_eq, done, test

CONFIG = """\
settle:
  timezone: UTC
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  acme:
    files: "*.csv"
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: pay.lua
"""

RULE = """\
return { settle = function(p, params)
  return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr }
end }
"""


def workspace():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("pay.lua", RULE)
    return ws


def reports(ws):
    """Every file written below var/reports."""
    root = ws.path("var", "reports")
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def run_clean(ws, what):
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-01"})
    check_eq(r.returncode, 0, "%s: exit 0 (stderr: %s)" % (what, r.stderr))
    check("runtime error" not in r.stderr, "%s: no sanitizer report" % what)
    return r


@test
def empty_partner_folder():
    ws = workspace()
    os.makedirs(ws.path("inbox", "acme"))
    run_clean(ws, "empty folder")
    check_eq([f for f in reports(ws) if "acme" in f], [], "no statement for an empty folder")
    ws.cleanup()


@test
def header_only_drop_then_nothing_new():
    ws = workspace()
    ws.write("inbox/acme/empty.csv", "id,time,type,amount\n")
    run_clean(ws, "header-only drop")
    check_eq([f for f in reports(ws) if "statement" in f], [], "no statement without rows")
    run_clean(ws, "second run, nothing new")
    r = ws.settle("status")
    check_eq(r.returncode, 0, "status after empty runs (stderr: %s)" % r.stderr)
    ws.cleanup()


done()
