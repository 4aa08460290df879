"""test_preview.py - `settle preview`: one period settled with a candidate
rule file and compared, line by line, with the issued statement, through the
real binary. The figures are worked out by hand below. Every preview must
leave the state, the reports, the audit log and the inbox byte-identical.
"""
import os
import re

from harness import Workspace, check, check_eq, done, test, tree_bytes

CONFIG = """\
settle:
  timezone: Europe/Malta
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  acme:
    kind: game_provider
    files: "*.csv"
    csv: { delimiter: "," }
    statement: monthly
    currency: EUR
    fields: { id: id, time: time, type: type, amount: amount }
    rules: share.lua
    params: { share: "10%" }
"""

# September: bets 1000.00 + 200.50, win 250.00 -> GGR 950.50.
# October: one bet of 40.00 -> GGR 40.00.
DROP = """\
id,time,type,amount
s1,2025-09-03T10:00:00Z,bet,1000.00
s2,2025-09-03T10:05:00Z,win,250.00
s3,2025-09-17T12:00:00Z,bet,200.50
o1,2025-10-01T12:00:00Z,bet,40.00
"""
TODAY = {"SETTLE_TODAY": "2025-10-02"}  # September is still provisional (grace 2)


def rule(share="params.share", extra_lines="", extra_pay="0", carry="0", skip_ggr=False):
    """A share rule: GGR line, Share line, optional extra lines added to payable."""
    ggr = "" if skip_ggr else '{ label = "GGR", amount = p.ggr },\n                       '
    return """\
return {
  settle = function(p, params)
    local share = money.mul(p.ggr, %s)
    return { lines = { %s{ label = "Share", amount = share },%s },
             payable = money.add(share, %s), carry_out = %s }
  end,
}
""" % (share, ggr, extra_lines, extra_pay, carry)


SHARE_RULE = rule()
# 12.5%% of 950.50 = 118.8125 -> half-even -> 118.81; difference 118.81 - 95.05 = +23.76
RATE_RULE = rule(share='"12.5%"')
# a platform fee of 150.00 (15000 cents): payable 95.05 + 150.00 = 245.05
FEE_RULE = rule(extra_lines=' { label = "Platform fee", amount = 15000 }', extra_pay="15000")
# no GGR line; the same payable
NO_GGR_RULE = rule(skip_ggr=True)
# carries 10.00 to the next period
CARRY_RULE = rule(carry="1000")
SYNTAX_RULE = """\
return {
  settle = function(p, params)
    return { lines = {}, payable = 0 carry_out = 0 }
  end,
}
"""
RUNTIME_RULE = """\
return {
  settle = function(p, params)
    local x = nil
    return x.boom
  end,
}
"""


def make_workspace(run=True, run_args=()):
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("share.lua", SHARE_RULE)
    for name, text in [("rate.lua", RATE_RULE), ("fee.lua", FEE_RULE),
                       ("noggr.lua", NO_GGR_RULE), ("carry.lua", CARRY_RULE),
                       ("syntax.lua", SYNTAX_RULE), ("boom.lua", RUNTIME_RULE)]:
        ws.write("candidates/" + name, text)
    ws.write("inbox/acme/acme_2025.csv", DROP)
    if run:
        r = ws.settle("run", *run_args, env=TODAY)
        check_eq(r.returncode, 0, "the run settles cleanly (stderr: %s)" % r.stderr)
    return ws


def snapshot(ws):
    """Bytes of every file settle could touch: state, reports, audit log, inbox.

    SQLite's own -wal/-shm companions of settle.db are left out: a read-only
    connection to a WAL database creates them and cannot remove them.
    """
    files = {}
    for top in ("var", "inbox"):
        if os.path.isdir(ws.path(top)):
            files.update({top + "/" + k: v for k, v in tree_bytes(ws.path(top)).items()
                          if not k.endswith(("settle.db-wal", "settle.db-shm"))})
    return files


def preview(ws, *args, period="2025-09", partner="acme", rules=None, config="settle.yaml"):
    """Runs settle preview and checks it changed nothing; returns CompletedProcess."""
    before = snapshot(ws)
    cmd = ["preview"]
    if partner is not None:
        cmd += ["--partner", partner]
    if period is not None:
        cmd += ["--period", period]
    if rules is not None:
        cmd += ["--rules", ws.path(rules)]
    r = ws.settle(*(cmd + list(args)), config=config)
    after = snapshot(ws)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    check(not changed, "preview %s changed files: %s" % (" ".join(cmd[1:]), changed))
    return r


ROW = re.compile(r"^(.*?)\s{2,}(\S+)\s+(\S+)\s+(\S+)(?:\s+(added|removed|changed))?$")


def rows(out):
    """Table rows of a comparison: label -> (issued, candidate, difference, mark)."""
    found = {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m and m.group(1) != "line":
            found[m.group(1)] = (m.group(2), m.group(3), m.group(4), m.group(5) or "")
    return found


def last_line(out):
    return out.strip().splitlines()[-1] if out.strip() else ""


@test
def same_rule_shows_no_difference():
    ws = make_workspace()
    check(os.path.getsize(ws.path("var", "audit", "audit.jsonl")) > 0, "the run was audited")
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 0, "exit 0 when identical (stderr: %s)" % r.stderr)
    check_eq(last_line(r.stdout), "no difference", "final line")
    t = rows(r.stdout)
    check_eq(t.get("GGR"), ("950.50", "950.50", "0.00", ""), "GGR: 1200.50 - 250.00")
    check_eq(t.get("Share"), ("95.05", "95.05", "0.00", ""), "Share: 10% of 950.50")
    check_eq(t.get("payable"), ("95.05", "95.05", "0.00", ""), "payable")
    check_eq(t.get("carry_out"), ("0.00", "0.00", "0.00", ""), "carry_out")
    check("issued provisional statement" in r.stdout, "says what it compares with")
    check("the rule file this statement was issued with" in r.stdout, "recognises the same file")
    r = preview(ws, period="2025-10", rules="share.lua")
    check_eq((r.returncode, last_line(r.stdout)), (0, "no difference"), "October too")
    check_eq(rows(r.stdout).get("Share"), ("4.00", "4.00", "0.00", ""), "10% of 40.00")
    ws.cleanup()


@test
def changed_share_shows_the_line_and_payable_difference():
    ws = make_workspace()
    r = preview(ws, rules="candidates/rate.lua")
    check_eq(r.returncode, 1, "exit 1 when different (stderr: %s)" % r.stderr)
    t = rows(r.stdout)
    check_eq(t.get("GGR"), ("950.50", "950.50", "0.00", ""), "GGR unchanged")
    check_eq(t.get("Share"), ("95.05", "118.81", "+23.76", "changed"),
             "12.5% of 950.50 = 118.8125 -> 118.81")
    check_eq(t.get("payable"), ("95.05", "118.81", "+23.76", "changed"), "payable row")
    check_eq(last_line(r.stdout), "1 line differs; payable +23.76", "final line")
    check_eq(ws.statement("2025-09", "acme")["payable"], "95.05", "issued statement untouched")
    ws.cleanup()


@test
def added_removed_lines_and_carry_out():
    ws = make_workspace()
    r = preview(ws, rules="candidates/fee.lua")
    check_eq(r.returncode, 1, "exit 1 (stderr: %s)" % r.stderr)
    t = rows(r.stdout)
    check_eq(t.get("Platform fee"), ("-", "150.00", "+150.00", "added"), "added line")
    check_eq(t.get("Share"), ("95.05", "95.05", "0.00", ""), "Share unchanged")
    check_eq(t.get("payable"), ("95.05", "245.05", "+150.00", "changed"), "95.05 + 150.00")
    check_eq(last_line(r.stdout), "1 line differs; payable +150.00", "final line")
    labels = [l.split("  ")[0] for l in r.stdout.splitlines() if ROW.match(l)]
    check_eq(labels[1:4], ["GGR", "Share", "Platform fee"], "lines in candidate order")

    r = preview(ws, rules="candidates/noggr.lua")
    check_eq(r.returncode, 1, "exit 1 for a removed line")
    check_eq(rows(r.stdout).get("GGR"), ("950.50", "-", "-950.50", "removed"), "removed line")
    check_eq(last_line(r.stdout), "1 line differs; payable unchanged", "payable unchanged")

    r = preview(ws, rules="candidates/carry.lua")
    check_eq(r.returncode, 1, "exit 1 when only carry_out differs")
    check_eq(rows(r.stdout).get("carry_out"), ("0.00", "10.00", "+10.00", "changed"), "carry")
    check_eq(last_line(r.stdout), "0 lines differ; payable unchanged; carry_out +10.00",
             "final line names carry_out")
    ws.cleanup()


@test
def params_change_through_a_candidate_config():
    ws = make_workspace()
    ws.write("settle-candidate.yaml", CONFIG.replace('share: "10%"', 'share: "12.5%"'))
    r = preview(ws, rules="share.lua", config="settle-candidate.yaml")
    check_eq(r.returncode, 1, "exit 1 (stderr: %s)" % r.stderr)
    check_eq(rows(r.stdout).get("Share"), ("95.05", "118.81", "+23.76", "changed"), "new params")
    ws.cleanup()


@test
def broken_candidates_exit_2_with_file_and_line():
    ws = make_workspace()
    r = preview(ws, rules="candidates/syntax.lua")
    check_eq(r.returncode, 2, "syntax error: exit 2")
    check("candidates/syntax.lua:3:" in r.stderr, "names file:line: %s" % r.stderr)
    check_eq(r.stdout, "", "no table for a broken candidate")
    r = preview(ws, rules="candidates/boom.lua")
    check_eq(r.returncode, 2, "runtime error: exit 2")
    check("candidates/boom.lua:4:" in r.stderr and "traceback" in r.stderr,
          "names file:line with a traceback: %s" % r.stderr)
    r = preview(ws, rules="candidates/missing.lua")
    check_eq(r.returncode, 2, "missing candidate file: exit 2")
    check("missing.lua" in r.stderr, "names the file")
    ws.cleanup()


@test
def usage_partner_and_period_errors_exit_2():
    ws = make_workspace()
    cases = [
        (dict(partner="nobody"), "unknown partner 'nobody'"),
        (dict(period="2025-W39"), "weekly period, but acme is settled monthly"),
        (dict(period="2025-09-22"), "daily period, but acme is settled monthly"),
        (dict(period="2025-13"), "is not a period"),
        (dict(period="2024-09"), "no statement and no data for acme 2024-09"),
        (dict(period=None), "preview needs --partner ID, --period P and --rules FILE"),
        (dict(partner=None), "preview needs"),
    ]
    for kw, want in cases:
        r = preview(ws, rules="share.lua", **kw)
        check_eq(r.returncode, 2, "exit 2 for %s" % kw)
        check(want in r.stderr, "%s: stderr says %r: %s" % (kw, want, r.stderr))
    r = preview(ws)
    check_eq(r.returncode, 2, "no --rules: exit 2")
    ws.write("settle.yaml", CONFIG + "  bad: [\n")
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 2, "config error: exit 2")
    check("settle.yaml:" in r.stderr, "config error names the file")
    ws.cleanup()


@test
def no_state_yet_creates_nothing():
    ws = make_workspace(run=False)
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 2, "exit 2 without a state")
    check("no state yet" in r.stderr and "settle run" in r.stderr, "says what to do: " + r.stderr)
    check(not os.path.exists(ws.path("var")), "no state folder or file created")
    ws.cleanup()


@test
def period_with_data_but_no_statement_shows_the_candidate_alone():
    ws = make_workspace(run_args=("--date", "2025-09-03"))  # October is stored, not settled
    check(not os.path.exists(ws.path("var", "reports", "2025-10")), "no October statement")
    r = preview(ws, period="2025-10", rules="candidates/fee.lua")
    check_eq(r.returncode, 1, "exit 1: nothing issued to compare with (stderr: %s)" % r.stderr)
    check("no statement issued for this period yet" in r.stdout, "says so")
    check_eq(last_line(r.stdout), "nothing issued to compare with; candidate payable 154.00",
             "4.00 share + 150.00 fee")
    ws.cleanup()


@test
def changed_issued_statement_is_refused():
    ws = make_workspace()
    p = ws.path("var", "reports", "2025-09", "acme", "statement.json")
    with open(p, "a") as f:
        f.write(" ")
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 3, "exit 3 when statement.json is not what the state recorded")
    check("not the statement the state recorded" in r.stderr, r.stderr)
    os.remove(p)
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 3, "exit 3 when statement.json is missing")
    ws.cleanup()


@test
def held_statement_compared_with_a_fixed_rule():
    ws = make_workspace(run=False)
    ws.write("share.lua", RUNTIME_RULE)
    check_eq(ws.settle("run", env=TODAY).returncode, 1, "the failing rule holds September")
    ws.write("fixed.lua", SHARE_RULE)
    r = preview(ws, rules="fixed.lua")
    check_eq(r.returncode, 1, "exit 1 (stderr: %s)" % r.stderr)
    check("against the issued statement, held (no lines, payable 0): rule error" in r.stdout,
          "says the issued statement is held: " + r.stdout)
    t = rows(r.stdout)
    check_eq(t.get("Share"), ("-", "95.05", "+95.05", "added"), "the fixed rule's lines")
    check_eq(last_line(r.stdout), "2 lines differ; payable +95.05", "final line")
    ws.cleanup()


@test
def late_data_adjustments_are_part_of_the_candidate():
    ws = make_workspace(run=False)
    final = {"SETTLE_TODAY": "2025-10-10"}  # September is issued final
    check_eq(ws.settle("run", env=final).returncode, 0, "first run")
    ws.write("inbox/acme/late.csv", "id,time,type,amount\nl1,2025-09-20T10:00:00Z,bet,100.00\n")
    check_eq(ws.settle("run", env=final).returncode, 0, "late data for final September")
    # October holds September's adjustment as a line; the same rule gives it again
    r = preview(ws, period="2025-10", rules="share.lua")
    check_eq((r.returncode, last_line(r.stdout)), (0, "no difference"),
             "adjustment lines are rebuilt as a run does (stdout: %s)" % r.stdout)
    # September: final, never rewritten; its data now has the late bet (GGR 1050.50)
    r = preview(ws, rules="share.lua")
    check_eq(r.returncode, 1, "final September differs by the late data")
    check("data changed since it was issued (GGR 950.50 then, 1050.50 now" in r.stdout,
          "says the difference is late data: " + r.stdout)
    check_eq(rows(r.stdout).get("Share"), ("95.05", "105.05", "+10.00", "changed"),
             "10% of 1050.50 = 105.05")
    ws.cleanup()


done()
