"""test_rule_tests.py - `settle check` runs the data-driven rule tests in
rules/tests/*.yaml (docs/operators-guide.md, "Testing a rule"): they pass on
the repository's sample config, a wrong expectation makes check exit 2 with
"file:line: case 'name': ..." at the line of the case, problems in a test
file are reported like config errors, and only the tests/ folders beside the
configured rule files are run, each once.
"""
import glob
import os
import re
import shutil
import subprocess
import time

from harness import ROOT, SETTLE, TIME_FACTOR, Workspace, check, check_eq, done, test


def count_cases(folder):
    """Cases in the test files of `folder`: every "  - name:" line."""
    n = 0
    for path in glob.glob(os.path.join(folder, "*.yaml")):
        with open(path, encoding="utf-8") as f:
            n += sum(1 for line in f if re.match(r"^  - name:", line))
    return n


def line_of(path, text):
    """1-based number of the first line of `path` containing `text`."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError("%s not in %s" % (text, path))


def sample_workspace():
    """The sample config (data/, without drops) and every rule file and test."""
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    return ws


def edit(ws, rel, old, new):
    """Replaces the one occurrence of `old` in workspace file `rel`."""
    text = ws.read(rel)
    check_eq(text.count(old), 1, "%r occurs once in %s" % (old, rel))
    ws.write(rel, text.replace(old, new))


@test
def sample_config_passes_every_rule_test():
    cases = count_cases(os.path.join(ROOT, "rules", "tests"))
    check(cases >= 60, "the sample rules have their cases (%d)" % cases)
    start = time.monotonic()
    r = subprocess.run([SETTLE, "check", "-c", os.path.join(ROOT, "data", "settle.yaml")],
                       capture_output=True, text=True, timeout=60)
    took = time.monotonic() - start
    check_eq(r.returncode, 0, "check passes (stderr: %s)" % r.stderr)
    check("%d rule tests passed\n" % cases in r.stdout, "every case ran: %s" % r.stdout)
    check("is valid" in r.stdout, "and the config is valid")
    check(took < 1.0 * TIME_FACTOR, "check with every rule test is fast (%.3fs)" % took)


@test
def every_example_rule_has_tests():
    for rule in glob.glob(os.path.join(ROOT, "rules", "*.lua")):
        name = os.path.splitext(os.path.basename(rule))[0]
        if name == "settle.d":
            continue
        tests = os.path.join(ROOT, "rules", "tests", name + ".yaml")
        check(os.path.exists(tests), "rules/tests/%s.yaml exists" % name)


@test
def wrong_expected_payable_fails_check_with_file_and_line():
    ws = sample_workspace()
    rel = os.path.join("rules", "tests", "game_provider.yaml")
    line = line_of(ws.path(rel), "- name: five cents over the first tier")
    edit(ws, rel, 'payable: "5000.01"', 'payable: "5000.02"')
    r = ws.settle("check", config="data/settle.yaml")
    check_eq(r.returncode, 2, "a failing rule test is a rule error")
    want = ("%s/data/../rules/tests/game_provider.yaml:%d: case 'five cents over the first "
            "tier': payable 5000.02 expected, rule gave 5000.01" % (ws.dir, line))
    check(want in r.stderr.splitlines(), "names file, line and case:\n%s" % r.stderr)
    check("rule tests: 1 failed, " in r.stderr, "a closing count: %s" % r.stderr)
    check("rule tests passed" not in r.stdout and "is valid" not in r.stdout,
          "no success line: %s" % r.stdout)
    check(not os.path.exists(ws.path("var")), "check writes nothing")
    ws.cleanup()


@test
def wrong_line_and_carry_out_are_each_reported():
    ws = sample_workspace()
    rel = os.path.join("rules", "tests", "live_casino.yaml")
    line = line_of(ws.path(rel), "- name: minimum guarantee hit")
    edit(ws, rel, '{ label: "Minimum guarantee top-up to 2000000", amount: "1702500" }',
         '{ label: "Minimum guarantee top-up", amount: "1702501" }')
    r = ws.settle("check", config="data/settle.yaml")
    check_eq(r.returncode, 2, "exit 2")
    want = ("live_casino.yaml:%d: case 'minimum guarantee hit': lines[2] \"Minimum guarantee "
            "top-up\" 1702501 expected, rule gave \"Minimum guarantee top-up to 2000000\" 1702500"
            % line)
    check(want in r.stderr, "the line that differs, both sides:\n%s" % r.stderr)
    ws.cleanup()


@test
def a_changed_rule_fails_its_tests():
    ws = sample_workspace()
    edit(ws, os.path.join("rules", "slot_licence.lua"),
         'local share = money.mul(money.max(p.ggr, 0), rate)',
         'local share = money.mul(money.max(p.ggr, 0), rate, "half_up")')
    r = ws.settle("check", config="data/settle.yaml")
    check_eq(r.returncode, 2, "exit 2")
    check("case 'rounding at .5 goes to even (down)': payable 1560004 expected, rule gave 1560005"
          in r.stderr, "the rounding case catches it:\n%s" % r.stderr)
    check("rule tests: 1 failed, " in r.stderr, "only that case: %s" % r.stderr)
    ws.cleanup()


RULE = """\
return { settle = function(p, params)
  local fee = money.of(params.fee)
  return { lines = { { label = "GGR " .. p.period, amount = p.ggr }, { label = "Fee", amount = fee } },
           payable = money.add(p.ggr, fee), carry_out = money.min(p.ggr, 0) }
end }
"""

CONFIG = """\
settle:
  timezone: UTC
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  alpha:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount }
    rules: %s
    params: { fee: "1.00" }
"""

TESTS = """\
defaults:
  params: { fee: "1.00" }
  p: { period: 2025-09, currency: EUR }
cases:
  - name: plain
    p: { total: { bet: "10.00", win: "2.50" } }
    expect:
      lines: [ { label: "GGR 2025-09", amount: "7.50" }, { label: "Fee", amount: "1.00" } ]
      payable: "8.50"
      carry_out: "0.00"
  - name: loss
    params: { fee: "0.50" }
    p: { period: 2025-W40, total: { win: "3.00" } }
    expect: { payable: "-2.50", carry_out: "-3.00" }
  - name: no fee
    params: { fee: null }
    expect: { error: "money.of: the amount must be a string (got nil)" }
"""


def own_workspace(rules_path="myrules/ggr.lua"):
    """A one-partner config whose rule file and tests live in myrules/."""
    ws = Workspace()
    ws.write("settle.yaml", CONFIG % rules_path)
    ws.write("myrules/ggr.lua", RULE)
    ws.write("myrules/tests/ggr.yaml", TESTS)
    return ws


@test
def tests_beside_the_configured_rules_run_with_the_file_stem_as_rule():
    ws = own_workspace()
    ws.write("rules/tests/other.yaml", "cases: [ 1 ]\n")       # not beside a configured rule
    r = ws.settle("check")
    check_eq(r.returncode, 0, "passes (stderr: %s)" % r.stderr)
    check_eq(r.stdout.splitlines()[0], "3 rule tests passed", "the three cases of ggr.yaml")
    ws.cleanup()


@test
def a_folder_used_by_two_partners_runs_once():
    ws = own_workspace()
    ws.write("settle.yaml", CONFIG % "myrules/ggr.lua" + """\
  beta:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount }
    rules: myrules/../myrules/ggr.lua
""")
    r = ws.settle("check")
    check_eq(r.returncode, 0, "passes (stderr: %s)" % r.stderr)
    check_eq(r.stdout.splitlines()[0], "3 rule tests passed", "each folder once")
    ws.cleanup()


@test
def no_tests_folder_is_zero_tests():
    ws = own_workspace()
    shutil.rmtree(ws.path("myrules", "tests"))
    r = ws.settle("check")
    check_eq(r.returncode, 0, "passes (stderr: %s)" % r.stderr)
    check_eq(r.stdout.splitlines()[0], "0 rule tests passed", "nothing to run")
    ws.cleanup()


@test
def expected_error_that_does_not_come_fails():
    ws = own_workspace()
    ws.write("myrules/tests/ggr.yaml", TESTS.replace("params: { fee: null }",
                                                     'params: { fee: "2.00" }'))
    r = ws.settle("check")
    check_eq(r.returncode, 2, "exit 2")
    want = ("myrules/tests/ggr.yaml:15: case 'no fee': an error containing \"money.of: the "
            "amount must be a string (got nil)\" expected, rule gave payable 2.00")
    check(want in r.stderr, "says what came instead:\n%s" % r.stderr)
    ws.cleanup()


@test
def a_rule_error_fails_the_case_with_its_message():
    ws = own_workspace()
    ws.write("myrules/tests/ggr.yaml", TESTS.replace('params: { fee: "0.50" }',
                                                     'params: { fee: "0.505" }'))
    r = ws.settle("check")
    check_eq(r.returncode, 2, "exit 2")
    want = ("myrules/tests/ggr.yaml:11: case 'loss': the rule failed: %s/myrules/ggr.lua:2: "
            "money.of: \"0.505\" has more than 2 decimals for this currency" % ws.dir)
    check(want in r.stderr, "the rule's own file:line message:\n%s" % r.stderr)
    ws.cleanup()


@test
def problems_in_a_test_file_are_reported_with_line_and_column():
    ws = own_workspace()
    ws.write("myrules/tests/bad.yaml", """\
cases:
  - name: typo
    p: { period: 2025-09, currency: EUR, total: { bets: "1.00" }, ggr: "1.00" }
    expect: { payable: "1.001" }
""")
    r = ws.settle("check")
    check_eq(r.returncode, 2, "exit 2")
    err = r.stderr
    check("myrules/tests/bad.yaml:3:51: unknown transaction type 'bets' in p.total" in err,
          "unknown type: %s" % err)
    check("myrules/tests/bad.yaml:3:67: p.ggr is computed by settle from total and count" in err,
          "computed field: %s" % err)
    check("myrules/tests/bad.yaml:4:24: expect.payable: '1.001' has more than 2 decimals" in err,
          "bad amount: %s" % err)
    check("rule tests passed" not in r.stdout, "no success line")
    ws.cleanup()


@test
def rule_tests_wait_for_a_valid_config():
    ws = own_workspace()
    ws.write("myrules/ggr.lua", "return { settle = 5 }\n")
    r = ws.settle("check")
    check_eq(r.returncode, 2, "exit 2")
    check("no settle function" in r.stderr, "the rule file's problem: %s" % r.stderr)
    check("case '" not in r.stderr, "no cascade of failing cases: %s" % r.stderr)
    ws.cleanup()


done()
