"""test_rows.py - every rejected row reaches a report an operator reads, and every row is
accounted for: a reject with a readable time is filed under its own business day whatever
else is bad; a reject for a period that is already final is listed in the exceptions of the
next open period, naming its own day; per file and per statement, rows read = settled +
duplicate + rejected + skipped by rule (+ header, control and title lines), one row per
round with `amounts:` included; times outside 1900..2199 are bad times; a dry run prints
the rejects by reason per partner.
"""
import csv
import io
import os

from harness import SETTLE_UTC_EUR, Workspace, check, check_eq, check_rows_accounted, done, test

CONFIG = SETTLE_UTC_EUR + """\
  acme:
    files: "*.csv"
    statement: monthly
    grace: 2
    currency: EUR
    csv: { skip_lines: 1 }
    fields: { id: id, time: time, type: type, amount: amount, player: player }
    control: { trailer: true, marker: TRL }
    rules: hook.lua
  rounds:
    files: "*.csv"
    statement: monthly
    currency: EUR
    fields:
      id: id
      time: { from: time, format: epoch_s }
      amounts: { bet: bet, win: win }
    rules: plain.lua
"""

HOOK = """\
return {
  transaction = function(tx, params)
    if tx.player == "qa" then return false, "test account" end
  end,
  settle = function(p) return { lines = {}, payable = p.ggr, carry_out = 0 } end,
}
"""
PLAIN = ("return { settle = function(p) return { lines = {}, payable = p.ggr, carry_out = 0 } "
         "end }\n")

TITLE = "ACME daily export\n"
HEAD = "id,time,type,amount,player\n"


def workspace():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("hook.lua", HOOK)
    ws.write("plain.lua", PLAIN)
    return ws


def exceptions(ws, label):
    path = ws.path("var", "reports", label, "exceptions.csv")
    if not os.path.exists(path):
        return []
    return list(csv.DictReader(io.StringIO(ws.read("var", "reports", label, "exceptions.csv"))))


@test
def reject_with_a_readable_time_keeps_its_own_day():
    ws = workspace()
    # the empty amount is checked before the time, yet the row is filed under 30 Sep, not
    # under the file's last good day (1 Oct)
    ws.write("inbox/acme/a.csv", TITLE + HEAD +
             "a1,2025-09-30T10:00:00Z,bet,10.00,p1\n"
             "a2,2025-09-30T11:00:00Z,bet,,p1\n"
             "a3,,bet,5.00,p1\n"
             "a4,2025-10-01T10:00:00Z,bet,20.00,p1\n"
             "TRL,4,35.00\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-01"})
    check_eq(r.returncode, 1, "rejects need a look (stderr: %s)" % r.stderr)
    sep = exceptions(ws, "2025-09")
    check_eq([(x["id"], x["reason"], x["day"]) for x in sep],
             [("a2", "missing_field", "2025-09-30")],
             "empty amount, readable time: September, its own day")
    octo = exceptions(ws, "2025-10")
    check_eq([(x["id"], x["reason"], x["day"]) for x in octo],
             [("a3", "missing_field", "2025-10-01")], "no time at all: the file's last day")
    check_eq(ws.statement("2025-09", "acme")["aggregates"]["rejected"], 1, "September counts it")
    check_eq(ws.statement("2025-10", "acme")["aggregates"]["rejected"], 1, "October its own")
    check_rows_accounted(ws, r)
    ws.cleanup()


@test
def every_row_of_a_file_is_accounted_for():
    ws = workspace()
    ws.write("inbox/acme/a.csv", TITLE + HEAD +
             "a1,2025-09-01T10:00:00Z,bet,10.00,p1\n"     # settled
             "a2,2025-09-01T10:00:00Z,bet,3.00,qa\n"      # skipped by the rule
             "a3,2025-09-02T10:00:00Z,bet,x,p1\n"         # rejected: bad_amount
             "a1,2025-09-01T10:00:00Z,bet,10.00,p1\n"     # duplicate
             "a1,2025-09-01T10:00:00Z,bet,11.00,p1\n"     # rejected: duplicate_conflict
             "a4,2025-10-02T10:00:00Z,win,1.00,p1\n"      # settled, in October
             "TRL,6,35.00\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-02"})
    check("9 rows read (2 settled, 1 duplicate, 2 rejected, 1 skipped by rule, "
          "3 header/control/title)" in r.stdout, "summary line: %s" % r.stdout)
    sep = ws.statement("2025-09", "acme")
    check_eq(sep["status"], "provisional", "the trailer matches: not held")
    check_eq(sep["rows"], {"read": 5, "settled": 1, "duplicate": 1, "rejected": 2,
                           "skipped_by_rule": 1}, "September's rows")
    (inp,) = sep["inputs"]
    check_eq(inp["rows"], {"read": 9, "header": 1, "control": 1, "title": 1, "settled": 2,
                           "duplicate": 1, "rejected": 2, "skipped_by_rule": 1},
             "the whole file: title, header and trailer lines included")
    check_eq(inp["rows_in_period"], sep["rows"], "the file's rows in September")
    octo = ws.statement("2025-10", "acme")
    check_eq(octo["rows"]["settled"], 1, "October's row")
    check_eq(octo["inputs"][0]["rows"], inp["rows"], "the same file, the same whole")
    text = ws.read("var", "reports", "2025-09", "acme", "statement.csv")
    check("rows_read,5" in text and "rows_skipped_by_rule,1" in text, "statement.csv rows")
    check_rows_accounted(ws, r)
    ws.cleanup()


@test
def one_row_per_round_counts_rows_not_transactions():
    ws = workspace()
    t = "1756720800"  # 2025-09-01T10:00:00Z
    ws.write("inbox/rounds/r1.csv", "id,time,bet,win\n"
             "R1,%s,10.00,4.00\n"     # two transactions, one row
             "R2,%s,5.00,\n" % (t, t))
    ws.write("inbox/rounds/r2.csv", "id,time,bet,win\n"
             "R1,%s,10.00,4.00\n"     # both repeats: a duplicate row
             "R2,%s,5.00,1.00\n"      # the bet repeats, the win is new: settled
             "R3,%s,,\n"              # rejected: every amount empty
             "R4,%s,7.00,x\n" % (t, t, t, t))  # rejected: bad amount
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-02"})
    st = ws.statement("2025-09", "rounds")
    check_eq(st["rows"], {"read": 6, "settled": 3, "duplicate": 1, "rejected": 2,
                          "skipped_by_rule": 0}, "rows by outcome")
    check_eq((st["aggregates"]["transactions"], st["aggregates"]["duplicates"]), (4, 3),
             "transactions counted apart from rows")
    files = {i["file"]: i["rows"] for i in st["inputs"]}
    check_eq(files["rounds/r2.csv"]["read"], 5, "header + 4 rows")
    check_eq(files["rounds/r2.csv"]["settled"], 1, "a row half repeated is settled")
    check_rows_accounted(ws, r)
    ws.cleanup()


@test
def reject_for_a_final_period_is_reported_in_the_open_one():
    ws = workspace()
    ws.write("inbox/acme/a.csv",
             TITLE + HEAD + "a1,2025-09-10T10:00:00Z,bet,10.00,p1\nTRL,1,10.00\n")
    ws.settle("run", env={"SETTLE_TODAY": "2025-10-05"})
    sep = ws.statement("2025-09", "acme")
    check_eq(sep["status"], "final", "September is final after its grace")
    before = ws.read("var", "reports", "2025-09", "acme", "statement.json")
    ws.write("inbox/acme/b.csv", TITLE + HEAD +
             "b1,2025-09-12T10:00:00Z,bet,oops,p1\n"
             "b2,2025-10-04T10:00:00Z,bet,2.00,p1\nTRL,2,2.00\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-05"})
    check_eq(r.returncode, 1, "a reject needs a look")
    check("reported in the exceptions of 2025-10" in r.stderr, "said where: %s" % r.stderr)
    octo = exceptions(ws, "2025-10")
    check_eq([(x["id"], x["reason"], x["day"]) for x in octo], [("b1", "bad_amount", "2025-09-12")],
             "listed in October's exceptions, naming its own day")
    check_eq(exceptions(ws, "2025-09"), [], "September's report was written before it came")
    check_eq(ws.read("var", "reports", "2025-09", "acme", "statement.json"), before,
             "the final statement is never rewritten")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-05"})
    check_eq(len(exceptions(ws, "2025-10")), 1, "still there after another run")
    check_rows_accounted(ws)
    ws.cleanup()


@test
def times_outside_the_window_are_bad_times():
    ws = workspace()
    ws.write("inbox/acme/a.csv", TITLE + HEAD +
             "a1,2025-09-01T10:00:00Z,bet,10.00,p1\n"
             "a2,0000-01-01T00:00:00Z,bet,1.00,p1\n"
             "a3,1899-12-31T23:59:59Z,bet,1.00,p1\n"
             "a4,2200-01-01T00:00:00Z,bet,1.00,p1\n"
             "TRL,4,13.00\n")
    ws.write("inbox/rounds/r.csv", "id,time,bet,win\n"
             "R1,1756720800,1.00,\n"
             "R2,-62167219200,1.00,\n"        # year 0 in epoch seconds
             "R3,7258118400,1.00,\n")         # 2200-01-01
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-02"})
    labels = sorted(os.listdir(ws.path("var", "reports")))
    check_eq([x for x in labels if not x.startswith("2025-")], [],
             "no period outside the window (0000-01, -001-12, 2200-01): %s" % labels)
    rows = exceptions(ws, "2025-09")
    check_eq(sorted((x["id"], x["reason"]) for x in rows),
             [("R2", "bad_time"), ("R3", "bad_time"), ("a2", "bad_time"), ("a3", "bad_time"),
              ("a4", "bad_time")], "each one a bad time, filed under the file's last day")
    check(all("outside the accepted years 1900..2199" in x["detail"] for x in rows),
          "the detail says why: %s" % [x["detail"] for x in rows])
    check_rows_accounted(ws, r)
    ws.cleanup()


@test
def dry_run_prints_rejects_by_reason_per_partner():
    ws = workspace()
    ws.write("inbox/acme/a.csv", TITLE + HEAD +
             "a1,2025-09-01T10:00:00Z,bet,x,p1\n"
             "a2,2025-09-01T10:00:00Z,bet,y,p1\n"
             "a3,2025-09-01T10:00:00Z,spin,1.00,p1\n"
             "a4,2025-09-01T10:00:00Z,bet,1.00,qa\n"
             "TRL,4,2.00\n")
    ws.write("inbox/rounds/r.csv", "id,time,bet,win\nR1,nope,1.00,\n")
    r = ws.settle("run", "--dry-run", env={"SETTLE_TODAY": "2025-09-02"})
    lines = [x.split() for x in r.stdout.splitlines() if "rejected:" in x]
    check_eq(lines, [["acme", "rejected:", "bad_amount", "2,", "unknown_type", "1,",
                      "skipped_by_rule", "1"],
                     ["rounds", "rejected:", "bad_time", "1"]],
             "by reason per partner: %s" % r.stdout)
    check_rows_accounted(ws, r)
    check(not os.path.exists(ws.path("var", "reports")), "a dry run writes no report")
    ws.cleanup()


done()
