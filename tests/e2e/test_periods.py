"""test_periods.py - periods over several nights through the real binary:
provisional then final after the grace time, a rerun with nothing new
changing nothing, runs with nothing to settle at all, late data for a final
period settled as an adjustment line in the next open period (the final
statement untouched, byte for byte), and negative GGR carried from one period
into the next. Figures are by hand.
"""
import json
import os

from harness import CARRY_RULE, SETTLE_UTC_EUR, Workspace, check, check_eq, done, test

CONFIG = SETTLE_UTC_EUR + """\
  acme:
    files: "*.csv"
    statement: monthly
    currency: EUR
    grace: 2
    fields: { id: id, time: time, type: type, amount: amount }
    rules: carry.lua
"""

RULE = CARRY_RULE

HEAD = "id,time,type,amount\n"


def workspace():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("carry.lua", RULE)
    return ws


def run(ws, today):
    r = ws.settle("run", env={"SETTLE_TODAY": today})
    check(r.returncode in (0, 1), "run on %s (stderr: %s)" % (today, r.stderr))
    return r


def raw(ws, label):
    return open(ws.path("var/reports", label, "acme", "statement.json"), "rb").read()


@test
def late_data_becomes_an_adjustment_in_the_next_open_period():
    ws = workspace()
    ws.write("inbox/acme/sep.csv", HEAD + "s1,2025-09-10T10:00:00Z,bet,300.00\n"
                                          "s2,2025-09-10T10:05:00Z,win,100.00\n")   # GGR 200.00
    ws.write("inbox/acme/oct.csv", HEAD + "o1,2025-10-02T10:00:00Z,bet,40.00\n")    # GGR 40.00
    run(ws, "2025-10-02")
    check_eq(ws.statement("2025-09", "acme")["status"], "provisional", "inside grace")
    run(ws, "2025-10-03")
    sep = ws.statement("2025-09", "acme")
    check_eq((sep["status"], sep["payable"]), ("final", "200.00"), "final after grace")
    sep_bytes = raw(ws, "2025-09")
    r = run(ws, "2025-10-03")
    check_eq(raw(ws, "2025-09"), sep_bytes, "a rerun with nothing new changes nothing")
    ws.write("inbox/acme/sep-late.csv", HEAD + "s3,2025-09-20T10:00:00Z,bet,50.00\n"
                                               "s4,2025-09-21T10:00:00Z,win,5.25\n")  # +44.75
    r = run(ws, "2025-10-05")
    check("settled as an adjustment in 2025-10" in r.stderr, "said so: %s" % r.stderr)
    check_eq(raw(ws, "2025-09"), sep_bytes, "the final statement is never rewritten")
    octo = ws.statement("2025-10", "acme")
    labels = [(l["label"], l["amount"]) for l in octo["lines"]]
    check_eq(labels[-1], ("Late data adjustment for 2025-09 (acme/sep-late.csv)", "44.75"),
             "the adjustment line names its origin and files")
    check_eq(octo["payable"], "84.75", "October: 40.00 + 44.75")
    r = run(ws, "2025-10-05")
    check_eq(ws.statement("2025-10", "acme")["payable"], "84.75", "not added twice on a rerun")
    ws.write("inbox/acme/sep-later.csv", HEAD + "s5,2025-09-22T10:00:00Z,bet,1.00\n")
    run(ws, "2025-10-06")
    octo = ws.statement("2025-10", "acme")
    check_eq([l["amount"] for l in octo["lines"] if l["label"].startswith("Late")],
             ["44.75", "1.00"], "a second late file adds only its own difference")
    check_eq(octo["payable"], "85.75", "40.00 + 44.75 + 1.00")
    ws.write("inbox/acme/sep-dup.csv", HEAD + "s5,2025-09-22T10:00:00Z,bet,1.00\n")
    run(ws, "2025-10-06")
    check_eq(ws.statement("2025-10", "acme")["payable"], "85.75", "a re-sent row adds nothing")
    ws.cleanup()


@test
def negative_ggr_is_carried_into_the_next_period():
    ws = workspace()
    ws.write("inbox/acme/a.csv", HEAD + "a1,2025-08-05T10:00:00Z,bet,100.00\n"
                                        "a2,2025-08-05T10:01:00Z,win,350.00\n"      # Aug GGR -250
                                        "b1,2025-09-05T10:00:00Z,bet,400.00\n"      # Sep GGR +400
                                        "c1,2025-10-05T10:00:00Z,bet,10.00\n")      # Oct GGR +10
    run(ws, "2025-10-01")
    aug, sep, octo = (ws.statement(p, "acme") for p in ("2025-08", "2025-09", "2025-10"))
    check_eq((aug["payable"], aug["carry_out"]), ("0.00", "-250.00"), "August carries -250")
    check_eq((sep["carry_in"], sep["payable"], sep["carry_out"]), ("-250.00", "150.00", "0.00"),
             "September: 400 - 250")
    check_eq((octo["carry_in"], octo["payable"]), ("0.00", "10.00"), "October starts clean")
    ws.write("inbox/acme/b.csv", HEAD + "a3,2025-09-06T10:00:00Z,win,500.00\n")    # Sep GGR -100
    run(ws, "2025-10-01")
    sep, octo = ws.statement("2025-09", "acme"), ws.statement("2025-10", "acme")
    check_eq((sep["payable"], sep["carry_out"]), ("0.00", "-350.00"),
             "September re-settled while provisional: -100 - 250 carried")
    check_eq((octo["carry_in"], octo["payable"], octo["carry_out"]), ("-350.00", "0.00", "-340.00"),
             "October picks up the new carry: 10 - 350")
    ws.cleanup()


def reports(ws):
    """Every file written below var/reports."""
    root = ws.path("var", "reports")
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def run_empty(ws, what):
    """A run with nothing to settle: exit 0, no statement (under --sanitize: no report)."""
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-01"})
    check_eq(r.returncode, 0, "%s: exit 0 (stderr: %s)" % (what, r.stderr))
    check("runtime error" not in r.stderr, "%s: no sanitizer report" % what)
    check_eq([f for f in reports(ws) if "statement" in f], [], "%s: no statement" % what)


@test
def runs_with_nothing_to_settle():
    # Once passed NULL to qsort for their empty lists (caught by scripts/test --sanitize).
    ws = workspace()
    os.makedirs(ws.path("inbox", "acme"))
    run_empty(ws, "empty partner folder")
    ws.write("inbox/acme/empty.csv", HEAD)
    run_empty(ws, "header-only drop")
    run_empty(ws, "second run, nothing new")
    check_eq(ws.settle("status").returncode, 0, "status after empty runs")
    ws.cleanup()


done()
