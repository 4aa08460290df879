"""test_status.py - `settle status` and `settle status --json` on the real
binary: before anything has run (says so, exit 0, creates nothing), then
after runs with a quarantined file, a control-total mismatch that holds a
statement, a rejected row, final statements and an approval: every fact is
in the text and under its documented key in the JSON (docs/runbook.md).
Status only reads: the state file is unchanged and a held lock does not
stop it.
"""
import fcntl
import gzip
import hashlib
import json
import os
import pwd

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
    control: { trailer: true, marker: TRL }
    rules: ggr.lua
  beta:
    files: "*.csv*"
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: ggr.lua
  gamma:
    files: "*.csv"
    statement: daily
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: ggr.lua
"""

RULE = """\
return { settle = function(p, params)
  return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr, carry_out = 0 }
end }
"""

# alpha: bets 100.50 - 0.25, win 40.25 -> GGR 60.00; the trailer claims 4 rows: held
ALPHA = ("id;time;type;amount\n"
         "a1;2025-09-01T10:00:00Z;bet;100,50\n"
         "a2;2025-09-01T10:01:00Z;win;40,25\n"
         "a3;2025-09-02T10:00:00Z;bet;-0,25\n"
         "TRL;4;150,50\n")
# beta: August (final by 2025-09-20) GGR 12.34; September 7.00 and one row rejected
BETA = ("id,time,type,amount\n"
        "b0,2025-08-10T10:00:00Z,bet,12.34\n"
        "b1,2025-09-03T10:00:00Z,bet,7.00\n"
        "b2,2025-09-03T11:00:00Z,bet,x\n")
_GZ = gzip.compress(b"id,time,type,amount\nq1,2025-09-04T10:00:00Z,bet,1.00\n" * 50)
TRUNCATED_GZ = _GZ[:len(_GZ) // 2]
TODAY = {"SETTLE_TODAY": "2025-09-20", "USER": "tester"}
ME = pwd.getpwuid(os.geteuid()).pw_name   # the approver: the OS account, never $USER
HOLD = "trailer at line 5: 4 rows declared, 3 read"


def workspace():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("ggr.lua", RULE)
    return ws


def status_json(ws):
    r = ws.settle("status", "--json")
    check_eq(r.returncode, 0, "status --json exit (stderr: %s)" % r.stderr)
    return json.loads(r.stdout)


def partner(doc, pid):
    found = [p for p in doc["partners"] if p["partner"] == pid]
    check_eq(len(found), 1, "partner %s listed once" % pid)
    return found[0] if found else {}


def files_below(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


@test
def fresh_workspace_says_nothing_ran_and_creates_nothing():
    ws = workspace()
    before = files_below(ws.dir)
    r = ws.settle("status")
    check_eq(r.returncode, 0, "no state is not an error (stderr: %s)" % r.stderr)
    check("no state yet" in r.stdout, "says there is no state yet: %r" % r.stdout)
    check("settle run" in r.stdout, "says how to start: %r" % r.stdout)
    r = ws.settle("status", "--json")
    check_eq(r.returncode, 0, "--json exit")
    doc = json.loads(r.stdout)
    check_eq(doc["state_exists"], False, "state_exists false")
    check_eq((doc["runs"], doc["partners"], doc["runs_total"]), ([], [], 0), "empty lists")
    check_eq(doc["statement_counts"], {"held": 0, "provisional": 0, "final": 0}, "no statements")
    check_eq(files_below(ws.dir), before, "status created no file or folder")
    check(not os.path.exists(ws.path("var")), "no var/ folder")
    ws.cleanup()


def scenario():
    """One run with a control mismatch, a quarantined drop and a rejected row; an approval."""
    ws = workspace()
    ws.write("inbox/alpha/a.csv", ALPHA)
    ws.write("inbox/beta/b.csv", BETA)
    ws.write("inbox/beta/broken.csv.gz", TRUNCATED_GZ)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "the run needs a look (stderr: %s)" % r.stderr)
    return ws


@test
def text_shows_every_fact():
    ws = scenario()
    r = ws.settle("status")
    check_eq(r.returncode, 0, "status exit (stderr: %s)" % r.stderr)
    out = r.stdout
    check("run 1" in out and "exit 1, needs a look" in out, "last run and outcome: %s" % out)
    check("1 quarantined" in out and "1 rejected;" in out, "the run's summary line: %s" % out)
    check("Partner alpha" in out and "Partner beta" in out, "a section per partner")
    check("beta/broken.csv.gz: gzip archive is truncated" in out, "quarantined path and reason")
    check("alpha/a.csv: " + HOLD in out, "control mismatch path and figures")
    check("held statements 1" in out, "held statements called out")
    check("2025-09     2025-09-01..2025-09-30  control totals do not match" in out,
          "held period with its hold_reason")
    check("rejected rows 1" in out, "beta's rejected row counted")
    check("2025-08     payable 12.34 EUR" in out, "final period with its payable")
    check("2025-09     payable 7.00 EUR" in out, "provisional period with its payable")
    r = ws.settle("approve", "--partner", "alpha", "--period", "2025-09", "--reason",
                  "trailer checked with the partner", env=TODAY)
    check_eq(r.returncode, 0, "approved (stderr: %s)" % r.stderr)
    out = ws.settle("status").stdout
    check("approved" in out and "by %s; statement now held (the next run issues it)" % ME in out,
          "approval pending the next run: %s" % out)
    ws.settle("run", env=TODAY)
    out = ws.settle("status").stdout
    check("by %s; statement now provisional" % ME in out, "approval applied: %s" % out)
    check("run 2" in out and out.index("run 2") < out.index("run 1"), "newest run first")
    ws.cleanup()


@test
def json_has_every_fact_under_documented_keys():
    ws = scenario()
    doc = status_json(ws)
    check_eq(doc["state_exists"], True, "state_exists")
    check(isinstance(doc["schema_version"], int), "schema_version")
    check_eq(doc["runs_total"], 1, "runs_total")
    run = doc["runs"][0]
    check_eq((run["id"], run["exit_code"], run["outcome"], run["audited"]),
             (1, 1, "attention", True), "run id, exit code, outcome, audited")
    check(run["started"].endswith("Z") and run["finished"].endswith("Z"), "UTC times")
    check("1 quarantined" in run["summary"], "summary line: %s" % run["summary"])
    check_eq((doc["files_processed"], doc["files_quarantined"], doc["control_mismatches"],
              doc["rejected_rows"]), (2, 1, 1, 1), "totals")
    check_eq(doc["statement_counts"], {"held": 1, "provisional": 1, "final": 1},
             "statement counts")
    check_eq([p["partner"] for p in doc["partners"]], ["alpha", "beta"], "partners, by id")

    alpha = partner(doc, "alpha")
    check_eq(alpha["files"]["processed"], 1, "alpha files processed")
    check_eq(alpha["last_file"]["path"], "alpha/a.csv", "alpha last file")
    check_eq([(c["path"], c["mismatch"], c["run"]) for c in alpha["control_mismatches"]],
             [("alpha/a.csv", HOLD, 1)], "control mismatch")
    check_eq(alpha["periods"], {"total": 1, "held": 1, "provisional": 0, "final": 0},
             "alpha periods")
    held = alpha["held"][0]
    check_eq((held["period"], held["status"], held["first_day"], held["last_day"]),
             ("2025-09", "held", "2025-09-01", "2025-09-30"), "held statement")
    check(held["hold_reason"].startswith("control totals do not match") and
          HOLD in held["hold_reason"], "hold_reason: %s" % held["hold_reason"])
    check_eq(alpha["approvals"], [], "no approval yet")

    beta = partner(doc, "beta")
    check_eq((beta["files"]["processed"], beta["files"]["quarantined"], beta["rejected_rows"]),
             (1, 1, 1), "beta files and rejected rows")
    q = beta["quarantined"][0]
    check_eq((q["path"], q["run"], q["processed_later_by_run"]),
             ("beta/broken.csv.gz", 1, None), "quarantined file")
    check("gzip archive is truncated" in q["reason"], "quarantine reason: %s" % q["reason"])
    check_eq(len(q["sha256"]), 64, "quarantined file's sha256")
    check_eq([(s["period"], s["payable"], s["currency"]) for s in beta["final"]],
             [("2025-08", "12.34", "EUR")], "final statement, amount a decimal string")
    check_eq([(s["period"], s["payable"], s["ggr"], s["transactions"], s["rejected"])
              for s in beta["provisional"]], [("2025-09", "7.00", "7.00", 1, 1)],
             "provisional statement")
    check_eq(beta["provisional"][0]["hold_reason"], None, "no hold_reason when not held")

    ws.settle("approve", "--partner", "alpha", "--period", "2025-09", "--reason",
                  "trailer checked with the partner", env=TODAY)
    doc = status_json(ws)
    a = partner(doc, "alpha")["approvals"]
    check_eq([(x["period"], x["user"], x["statement_status"]) for x in a],
             [("2025-09", ME, "held")], "approval recorded, not issued yet")
    check_eq([x["reason"] for x in a], ["trailer checked with the partner"], "with its reason")
    check(a and HOLD in a[0]["hold_reason"] and a[0]["approved"].endswith("Z"), "approval fields")
    ws.settle("run", env=TODAY)
    doc = status_json(ws)
    alpha = partner(doc, "alpha")
    check_eq(alpha["approvals"][0]["statement_status"], "provisional", "issued after approval")
    check_eq([s["payable"] for s in alpha["provisional"]], ["60.00"], "alpha payable")
    check_eq([r["id"] for r in doc["runs"]], [2, 1], "runs newest first")
    ws.cleanup()


@test
def status_only_reads():
    ws = scenario()
    db = ws.path("var", "state", "settle.db")
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    outside = [f for f in files_below(ws.path("var")) if not f.startswith("state")]
    # a run in progress holds the lock: status does not need it
    with open(ws.path("var", "state", "settle.lock"), "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = ws.settle("status")
        check_eq(r.returncode, 0, "status while the lock is held (stderr: %s)" % r.stderr)
        check_eq(ws.settle("status", "--json").returncode, 0, "--json while the lock is held")
    after = hashlib.sha256(open(db, "rb").read()).hexdigest()
    check_eq(after, before, "settle.db unchanged")
    check_eq([f for f in files_below(ws.path("var")) if not f.startswith("state")], outside,
             "no report, audit or other file written")
    ws.cleanup()


@test
def resent_quarantined_file_is_marked_processed_later():
    ws = workspace()
    ws.write("inbox/alpha/x.csv", "id;time;type;amount\nx1;2025-09-01T00:00:00Z;bet;1\n")
    ws.write("settle.yaml", CONFIG.replace('decimal: ","', 'decimal: ",", encoding: utf-16'))
    ws.settle("run", env=TODAY)
    check(os.path.exists(ws.path("var/quarantine/alpha/x.csv")), "quarantined (wrong encoding)")
    ws.write("settle.yaml", CONFIG)
    os.rename(ws.path("var/quarantine/alpha/x.csv"), ws.path("inbox/alpha/x.csv"))
    ws.settle("run", env=TODAY)
    q = partner(status_json(ws), "alpha")["quarantined"]
    check_eq([(x["path"], x["run"], x["processed_later_by_run"]) for x in q],
             [("alpha/x.csv", 1, 2)], "the retry is shown")
    check("[sent again and processed by run 2]" in ws.settle("status").stdout, "text says so")
    ws.cleanup()


@test
def long_lists_are_capped_newest_first():
    ws = workspace()
    rows = "".join("g%d,2025-09-%02dT12:00:00Z,bet,%d.00\n" % (d, d, d) for d in range(1, 21))
    ws.write("inbox/gamma/g.csv", "id,time,type,amount\n" + rows)
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-20"})
    check_eq(r.returncode, 0, "clean run (stderr: %s)" % r.stderr)
    gamma = partner(status_json(ws), "gamma")
    check_eq(gamma["periods"]["final"], 20, "every final period counted")
    check_eq([s["period"] for s in gamma["final"]],
             ["2025-09-%02d" % d for d in range(20, 8, -1)], "the newest 12, newest first")
    check_eq(gamma["final"][0]["payable"], "20.00", "payable of 2025-09-20")
    check("final (newest 12 of 20):" in ws.settle("status").stdout, "text says it is cut")
    ws.cleanup()


@test
def unusable_state_file_is_an_error():
    ws = workspace()
    ws.write("var/state/settle.db", "this is not a database, just text" * 100)
    r = ws.settle("status")
    check_eq(r.returncode, 3, "state error exit code")
    check("cannot open state" in r.stderr, "says so: %s" % r.stderr)
    check_eq(ws.settle("status", "--help").returncode, 0, "--help")
    ws.cleanup()


done()
