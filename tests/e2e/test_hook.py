"""test_hook.py - the rule's per-transaction hook `transaction(tx, params)`
through the real binary: skipping a transaction with a reason (a
skipped_by_rule row in exceptions.csv that does not by itself make the run
exit 1), reclassifying free-spin bets as bonus, putting transactions in a
bucket the settle function sees as a category, and a hook that loops or
errs failing only its own partner's file, which stays in the inbox; tx is
read-only and cannot be read after its call (a settle() that reads a tx it
kept fails with a message that says so).
"""
import csv
import io
import os

from harness import SETTLE_UTC_EUR, Workspace, check, check_eq, done, test

CONFIG = SETTLE_UTC_EUR + """\
  acme:
    files: "*.csv"
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount, player: player, game: game }
    rules: hook.lua
    params: { big: "100.00" }
  other:
    files: "*.csv"
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: plain.lua
"""

HOOK = """\
return {
  transaction = function(tx, params)
    if tx.player == "qa-1" then return false, "test account " .. tx.player end
    if tx.type == "bet" and tx.game == "freespin" then return "bonus" end
    if tx.amount >= 10000 then return true, "big wins" end   -- 100.00 EUR in cents
  end,
  settle = function(p, params)
    local big = p.by_category["big wins"]
    return { lines = { { label = "GGR", amount = p.ggr },
                       { label = "Bonus", amount = p.total.bonus },
                       { label = "Big", amount = big and big.total.win or 0 } },
             payable = p.ggr, carry_out = 0 }
  end,
}
"""

PLAIN = """\
return { settle = function(p) return { lines = {}, payable = p.ggr, carry_out = 0 } end }
"""

ACME = ("id,time,type,amount,player,game\n"
        "a1,2025-09-01T10:00:00Z,bet,50.00,p1,slots\n"      # bet 50
        "a2,2025-09-01T10:00:00Z,bet,20.00,qa-1,slots\n"    # skipped: test account
        "a3,2025-09-01T10:00:00Z,bet,5.00,p1,freespin\n"    # -> bonus 5
        "a4,2025-09-01T10:00:00Z,win,150.00,p2,slots\n")    # win 150, bucket "big wins"
TODAY = {"SETTLE_TODAY": "2025-09-10"}


def workspace(hook=HOOK):
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("hook.lua", hook)
    ws.write("plain.lua", PLAIN)
    ws.write("inbox/acme/a.csv", ACME)
    ws.write("inbox/other/o.csv", "id,time,type,amount\no1,2025-09-02T00:00:00Z,bet,9.00\n")
    return ws


@test
def skip_reclassify_and_bucket():
    ws = workspace()
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "a rule's own skips are not a data problem (stderr: %s)" % r.stderr)
    st = ws.statement("2025-09", "acme")
    agg = st["aggregates"]
    check_eq(agg["total"]["bet"], "50.00", "bets: the test account skipped, the free spin moved")
    check_eq(agg["total"]["bonus"], "5.00", "the free-spin bet is a bonus")
    check_eq(agg["ggr"], "-100.00", "GGR = 50 - 150")
    check_eq([l["amount"] for l in st["lines"]], ["-100.00", "5.00", "150.00"],
             "settle sees the bucket as a category")
    check_eq(agg["by_category"]["big wins"]["total"]["win"], "150.00", "the bucket in the statement")
    rows = list(csv.DictReader(io.StringIO(ws.read("var/reports/2025-09/exceptions.csv"))))
    check_eq([(x["id"], x["reason"], x["detail"]) for x in rows],
             [("a2", "skipped_by_rule", "test account qa-1")], "the skip and its reason")
    ws.cleanup()


@test
def a_hook_that_loops_fails_only_its_partner():
    ws = workspace(HOOK.replace('if tx.player == "qa-1"', 'while tx.player == "qa-1" do end\n    if false'))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    check("hook.lua:3:" in r.stderr and "instruction limit" in r.stderr,
          "names the rule line and the limit: %s" % r.stderr)
    check(os.path.exists(ws.path("inbox/acme/a.csv")), "the file stays in the inbox")
    check(not os.path.exists(ws.path("var/quarantine/acme")), "not quarantined: not its fault")
    check(not os.path.exists(ws.path("var/reports/2025-09/acme")), "acme: nothing counted")
    check_eq(ws.statement("2025-09", "other")["payable"], "9.00", "the other partner settles")
    ws.write("hook.lua", HOOK)                      # the rule is fixed: the next run takes it
    r = ws.settle("run", env=TODAY)
    check_eq(ws.statement("2025-09", "acme")["aggregates"]["total"]["bet"], "50.00", "then read")
    ws.cleanup()


@test
def a_hook_returning_nonsense_is_a_rule_error():
    ws = workspace(HOOK.replace('return "bonus"', 'return "freebie"'))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    check("'freebie', which is not a canonical type" in r.stderr, "says why: %s" % r.stderr)
    ws.cleanup()


@test
def tx_is_read_only_and_only_for_its_call():
    ws = workspace(HOOK.replace('if tx.player == "qa-1"', 'if tx.player == "qa-1" then tx.player = "x" end\n    if false'))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    check("hook.lua:3: tx is read-only" in r.stderr, "names the line: %s" % r.stderr)
    check(os.path.exists(ws.path("inbox/acme/a.csv")), "the file stays in the inbox")
    ws.cleanup()
    kept = HOOK.replace("return {\n  transaction = function(tx, params)\n",
                        "local last\nreturn {\n  transaction = function(tx, params)\n    last = tx\n")
    kept = kept.replace('local big = p.by_category["big wins"]',
                        'local big = p.by_category["big wins"]\n    local id = last.id')
    check(kept.count("last") == 3, "the kept-tx hook is as meant")
    ws = workspace(kept)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    check("hook.lua:11: tx was kept after its transaction() call: it can only be read during the call "
          "that received it" in r.stderr, "says why: %s" % r.stderr)
    check_eq(ws.statement("2025-09", "other")["payable"], "9.00", "the other partner settles")
    ws.cleanup()


done()
