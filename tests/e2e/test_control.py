"""test_control.py - drops that do not simply go through, on CSV partners,
run through the real binary: gzip drops, control totals in a trailer row
(marked, or simply the last row) and in manifest files, the hold they cause
and `settle approve`, drops waiting for their manifest, and every cause of
quarantine (bad gzip, wrong encoding, binary data, missing columns) with the
.reason file, the audit record and the other partner still settling.
Figures are worked out by hand in the comments.
"""
import gzip
import json
import os
import pwd
import sqlite3

from harness import Workspace, check, check_eq, done, test

CONFIG = """\
settle:
  timezone: UTC
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  alpha:
    files: "*.csv"
    csv: { delimiter: ";", decimal: "," }
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
%(control)s
    rules: ggr.lua
  beta:
    files: "*.csv"
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: ggr.lua
"""

RULE = """\
return { settle = function(p, params)
  return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr, carry_out = 0 }
end }
"""

ALPHA = ("id;time;type;amount\n"
         "a1;2025-09-01T10:00:00Z;bet;100,50\n"     # bet 100.50
         "a2;2025-09-01T10:01:00Z;win;40,25\n"      # win 40.25
         "a3;2025-09-02T10:00:00Z;bet;-0,25\n")     # bet -0.25 -> sum 140.50, GGR 60.00
BETA = "id,time,type,amount\nb1,2025-09-03T10:00:00Z,bet,7.00\n"
TODAY = {"SETTLE_TODAY": "2025-09-20"}


def workspace(control=""):
    ws = Workspace()
    ws.write("settle.yaml", CONFIG % {"control": control})
    ws.write("ggr.lua", RULE)
    ws.write("inbox/beta/b.csv", BETA)
    return ws


def audit_files(ws):
    """Every file record of every run entry in the audit log."""
    out = []
    for line in ws.read("var", "audit", "audit.jsonl").splitlines():
        out += json.loads(line).get("files", [])
    return out


@test
def gzip_drop_is_read_like_plain():
    ws = workspace()
    ws.write("inbox/alpha/a.csv.gz", gzip.compress(ALPHA.encode()))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean run (stderr: %s)" % r.stderr)
    st = ws.statement("2025-09", "alpha")
    check_eq(st["aggregates"]["ggr"], "60.00", "GGR from the gzip drop")
    check_eq(st["inputs"][0]["file"], "alpha/a.csv.gz", "input named as sent")
    ws.cleanup()


@test
def marked_trailer_that_matches_settles():
    ws = workspace("    control: { trailer: true, marker: TRL }")
    ws.write("inbox/alpha/a.csv", ALPHA + "TRL;3;140,50\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    st = ws.statement("2025-09", "alpha")
    check_eq(st["status"], "provisional", "not held")
    check_eq(st["aggregates"]["transactions"], 3, "the trailer is not a transaction")
    check_eq(st["aggregates"]["rejected"], 0, "nor a rejected row")
    ws.cleanup()


@test
def unmarked_trailer_is_the_last_row():
    ws = workspace("    control: { trailer: true, count: 2, sum: 3 }")
    ws.write("inbox/alpha/a.csv", ALPHA + "END;3;140,5\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    check_eq(ws.statement("2025-09", "alpha")["aggregates"]["ggr"], "60.00", "GGR")
    ws.cleanup()


@test
def trailer_mismatch_holds_until_approved():
    ws = workspace("    control: { trailer: true, marker: TRL }")
    # a row lost in transit: the trailer says 4 rows
    ws.write("inbox/alpha/a.csv", ALPHA + "TRL;4;150,50\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    check("control totals do not match" in r.stderr, "warned: %s" % r.stderr)
    st = ws.statement("2025-09", "alpha")
    check_eq(st["status"], "held", "held instead of wrong money")
    check("trailer at line 5: 4 rows declared, 3 read" in (st.get("hold_reason") or ""),
          "reason names the trailer and the figures: %s" % st.get("hold_reason"))
    check_eq(ws.statement("2025-09", "beta")["status"], "provisional", "beta still settles")
    r = ws.settle("run", env=TODAY)
    check_eq(ws.statement("2025-09", "alpha")["status"], "held", "still held on the next run")
    r = ws.settle("approve", "--partner", "alpha", "--period", "2025-09", "--reason", "checked")
    check_eq(r.returncode, 0, "approved (stderr: %s)" % r.stderr)
    r = ws.settle("approve", "--partner", "beta", "--period", "2025-09", "--reason", "checked")
    check_eq(r.returncode, 2, "beta is not held: nothing to approve")
    r = ws.settle("run", env=TODAY)
    check_eq(ws.statement("2025-09", "alpha")["status"], "provisional", "issued after approval")
    events = [json.loads(l)["event"] for l in ws.read("var", "audit", "audit.jsonl").splitlines()]
    check("approve" in events, "approval audited: %s" % events)
    ws.cleanup()


@test
def approval_names_the_os_account_and_needs_a_reason():
    me = pwd.getpwuid(os.geteuid()).pw_name
    ws = workspace("    control: { trailer: true, marker: TRL }")
    ws.write("inbox/alpha/a.csv", ALPHA + "TRL;4;150,50\n")
    ws.settle("run", env=TODAY)
    r = ws.settle("approve", "--partner", "alpha", "--period", "2025-09")
    check_eq(r.returncode, 2, "no --reason: usage error")
    check("approve needs --reason TEXT" in r.stderr, "says what is missing: %s" % r.stderr)
    r = ws.settle("approve", "--partner", "alpha", "--period", "2025-09", "--reason", "  ")
    check_eq(r.returncode, 2, "a blank --reason is no reason")
    db = sqlite3.connect(ws.path("var", "state", "settle.db"))
    check_eq(db.execute("SELECT count(*) FROM approvals").fetchone()[0], 0, "nothing stored")
    db.close()
    why = "row 4 lost in transit; partner confirmed 150,50 by phone (ticket 881)"
    r = ws.settle("approve", "--partner", "alpha", "--period", "2025-09", "--reason", why,
                  env={"USER": "mallory", "LOGNAME": "mallory"})
    check_eq(r.returncode, 0, "approved (stderr: %s)" % r.stderr)
    check(("as %s " % me) in r.stdout, "names the approver: %s" % r.stdout)
    db = sqlite3.connect(ws.path("var", "state", "settle.db"))
    row = db.execute("SELECT user, reason, hold_reason FROM approvals").fetchone()
    db.close()
    check_eq(row[:2], (me, why), "state: the OS account, not $USER, and the reason")
    check("trailer at line 5" in row[2], "state: the hold it released")
    entry = [json.loads(l) for l in ws.read("var", "audit", "audit.jsonl").splitlines()][-1]
    check_eq((entry["event"], entry["user"], entry["approved_by"], entry["reason"]),
             ("approve", me, me, why), "audit: who and why")
    ws.settle("run", env=dict(TODAY, USER="mallory"))
    st = ws.statement("2025-09", "alpha")
    check_eq(st["status"], "provisional", "issued")
    a = st.get("approval") or {}
    check_eq((a.get("approved_by"), a.get("reason")), (me, why), "statement.json: who and why")
    check(a.get("approved_at", "").endswith("Z") and "trailer at line 5" in a.get("hold_reason", ""),
          "statement.json: when, and the hold released: %r" % a)
    csv = ws.read("var", "reports", "2025-09", "alpha", "statement.csv")
    check("approved_by,%s\n" % me in csv and "approval_reason," in csv and "ticket 881" in csv,
          "statement.csv carries the approval")
    html = ws.read("var", "reports", "2025-09", "alpha", "statement.html")
    check("Released by approval:" in html and "ticket 881" in html, "statement.html too")
    check("mallory" not in json.dumps(st) + csv + html, "$USER appears nowhere")
    beta = ws.statement("2025-09", "beta")
    check("approval" not in beta, "an unapproved statement has no approval")
    ws.cleanup()


@test
def sum_mismatch_and_rows_after_trailer():
    ws = workspace("    control: { trailer: true, marker: TRL }")
    ws.write("inbox/alpha/a.csv", ALPHA + "TRL;3;140,51\n")
    ws.write("inbox/alpha/b.csv", "id;time;type;amount\nTRL;0;0\nz1;2025-09-05T00:00:00Z;bet;1\n")
    ws.settle("run", env=TODAY)
    reason = ws.statement("2025-09", "alpha").get("hold_reason") or ""
    check("sum 140,51 declared, 140.50 read" in reason, "sum named: %s" % reason)
    check("trailer at line 2 is not the last row" in reason, "late rows named: %s" % reason)
    ws.cleanup()


@test
def manifest_matches_or_holds_or_waits():
    ws = workspace('    control: { manifest: "{stem}.ctl", count: rows, sum: totals.amount }')
    ws.write("inbox/alpha/a.csv", ALPHA)
    ws.write("inbox/alpha/a.ctl", '{"rows": 3, "totals": {"amount": "140.50"}}')
    ws.write("inbox/alpha/b.csv", "id;time;type;amount\nc1;2025-10-01T00:00:00Z;bet;5\n")
    ws.write("inbox/alpha/b.ctl", "rows: 1\ntotals: { amount: 6 }\n")
    ws.write("inbox/alpha/c.csv", "id;time;type;amount\nd1;2025-11-01T00:00:00Z;bet;5\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-11-02"})
    check_eq(r.returncode, 1, "mismatch and a waiting drop need a look")
    check_eq(ws.statement("2025-09", "alpha")["status"], "final", "a.csv matches")
    check_eq(ws.statement("2025-10", "alpha")["status"], "held", "b.csv sum differs")
    check("manifest b.ctl: sum 6 declared, 5.00 read"
          in ws.statement("2025-10", "alpha")["hold_reason"], "reason")
    check("waiting for its manifest c.ctl" in r.stderr, "c.csv waits: %s" % r.stderr)
    check(not os.path.exists(ws.path("var/reports/2025-11/alpha")), "nothing from c.csv yet")
    check("1 waiting" in r.stdout, "summary counts it: %s" % r.stdout)
    ws.write("inbox/alpha/c.ctl", "rows: 1\ntotals: { amount: 5 }\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-11-02"})
    check_eq(ws.statement("2025-11", "alpha")["status"], "provisional", "c.csv read once it came")
    ws.cleanup()


def quarantine_case(name, data, cause):
    ws = workspace()
    ws.write("inbox/alpha/good.csv", ALPHA)
    ws.write("inbox/alpha/" + name, data)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "%s: exit 1" % name)
    check("quarantine" in r.stderr, "%s: said so: %s" % (name, r.stderr))
    moved = ws.path("var/quarantine/alpha", name)
    check(os.path.exists(moved), "%s moved to quarantine/alpha/" % name)
    check(not os.path.exists(ws.path("inbox/alpha", name)), "%s gone from the inbox" % name)
    reason = open(moved + ".reason").read() if os.path.exists(moved + ".reason") else ""
    check(cause in reason, "%s: reason file says %r: %s" % (name, cause, reason))
    st = ws.statement("2025-09", "alpha")
    check_eq(st["aggregates"]["ggr"], "60.00", "%s: the good file still counts" % name)
    check_eq([i["file"] for i in st["inputs"]], ["alpha/good.csv"], "%s: not an input" % name)
    check_eq(ws.statement("2025-09", "beta")["aggregates"]["ggr"], "7.00", "beta settles")
    rec = [f for f in audit_files(ws) if f["file"] == "alpha/" + name]
    check(rec and rec[0]["outcome"] == "quarantined" and cause in rec[0]["reason"],
          "%s: audit records it: %s" % (name, rec))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "%s: the next run is clean (stderr: %s)" % (name, r.stderr))
    ws.cleanup()


@test
def quarantine_causes():
    gz = gzip.compress(ALPHA.replace("a1", "q1").replace("a2", "q2").replace("a3", "q3").encode())
    quarantine_case("trunc.csv.gz", gz[:len(gz) // 2], "gzip archive is truncated")
    quarantine_case("corrupt.csv.gz", gz[:12] + b"\xff" * 20 + gz[32:], "corrupt gzip data")
    quarantine_case("latin1.csv", "id;time;type;amount\nx1;2025-09-01T00:00:00Z;bet;1\n"
                    "x2;2025-09-01T00:00:00Z;bet;1 caf\xe9\n".encode("latin-1"),
                    "line 3: text is not valid utf-8")
    quarantine_case("utf16.csv", "id;time;type;amount\n".encode("utf-16"),
                    "UTF-16 text, but csv.encoding is utf-8")
    quarantine_case("binary.csv", b"id;time\n\x00\x01\x02", "line 2: text is not valid utf-8")
    quarantine_case("other.csv", '[{"id": "x"}]\n', "column 'id' (fields.id) not in the header row")


@test
def resent_file_is_skipped_and_logged():
    ws = workspace()
    ws.write("inbox/alpha/a.csv", ALPHA)
    ws.settle("run", env=TODAY)
    ws.write("inbox/alpha/a-again.csv", ALPHA)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean")
    check("(3 skipped" in r.stdout, "a.csv, b.csv and the re-send skipped: %s" % r.stdout)
    rec = [f for f in audit_files(ws) if f["file"] == "alpha/a-again.csv"]
    check(rec and rec[0]["outcome"] == "skipped", "audit logs the skip: %s" % rec)
    check_eq(ws.statement("2025-09", "alpha")["aggregates"]["ggr"], "60.00", "counted once")
    ws.cleanup()


@test
def reject_reasons_not_covered_by_test_pipeline():
    import csv
    import io
    ws = workspace()
    long_id = "L" * (64 * 1024 + 1)
    ws.write("inbox/alpha/a.csv", ALPHA +
             "r1;2025-09-03T00:00:00Z;bet\n"                               # bad_row: 3 fields
             "r2;2025-09-03T00:00:00Z;bet;1;extra\n"                       # bad_row: extra field
             + long_id + ";2025-09-03T00:00:00Z;bet;1\n"                   # field_too_long
             "r3;2025-09-03T00:00:00Z;bet;99999999999999999999\n"           # overflow
             "r4;2025-09-03T00:00:00Z;bet;92233720368547758,07\n"           # int64 max: fits
             "r5;2025-09-03T00:00:00Z;bet;0,01\n")                          # its day's sum overflows
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "rejects need a look")
    rows = list(csv.DictReader(io.StringIO(ws.read("var", "reports", "2025-09", "exceptions.csv"))))
    got = [(x["line"], x["reason"]) for x in rows]
    check_eq(got, [("5", "bad_row"), ("6", "bad_row"), ("7", "field_too_long"), ("8", "overflow"),
                   ("10", "overflow")], "reason per line")
    st = ws.statement("2025-09", "alpha")
    check_eq((st["status"], st["hold_reason"]), ("held", "overflow summing bet"),
             "the month's bets (100.25 + int64 max) do not fit: held, never wrapped")
    check_eq(ws.statement("2025-09", "beta")["status"], "provisional", "beta unaffected")
    ws.cleanup()


@test
def dry_run_moves_nothing():
    ws = workspace()
    ws.write("inbox/alpha/bad.csv.gz", b"\x1f\x8b\x08\x00garbage")
    r = ws.settle("run", "--dry-run", env=TODAY)
    check_eq(r.returncode, 1, "reported")
    check(os.path.exists(ws.path("inbox/alpha/bad.csv.gz")), "left in the inbox")
    check(not os.path.exists(ws.path("var/quarantine")), "no quarantine folder")
    check(not os.path.exists(ws.path("var")), "a dry run before any run creates no state either")
    ws.cleanup()


done()
