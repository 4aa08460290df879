"""test_restate.py - late data for final periods restates them (SPEC §7, issue 9),
through the real binary on daily statements with grace 0: the final period is
re-derived from all its data (aggregates, rule with its tiers, payable,
carry_out); its carry_out becomes the next period's carry_in (a provisional
one is re-settled, a final one restated in turn), the payable difference lands
as an adjustment line in the first open period, whose statement.json lists the
restatements; final statements are never rewritten; a held restatement is
retried every run. Expected figures come from
an independent model of the rules below (model()), never from the engine.
"""
import os
import resource
import signal

from harness import CARRY_RULE, SETTLE_UTC_EUR, Workspace, check, check_eq, done, test, tree_bytes

CONFIG = SETTLE_UTC_EUR + """\
  acme:
    files: "*.csv"
    statement: daily
    currency: EUR
    grace: 0
    fields: { id: id, time: time, type: type, amount: amount }
    rules: %s
"""

CARRY = CARRY_RULE

# A share of GGR whose tier depends on the period's total bets (50% from 1000.00 on, else 30%).
TIERED = """\
return { settle = function(p, params)
  local rate = p.total.bet >= 100000 and 50 or 30
  local share = p.ggr * rate // 100
  local net = share + p.carry_in
  local lines = { { label = "Share " .. rate .. "%", amount = share },
                  { label = "Carried in", amount = p.carry_in } }
  if net < 0 then return { lines = lines, payable = 0, carry_out = net } end
  return { lines = lines, payable = net, carry_out = 0 }
end }
"""

HEAD = "id,time,type,amount\n"


def carry_rule(bets, wins, carry_in):
    """The CARRY rule in Python: (payable, carry_out) in cents."""
    net = bets - wins + carry_in
    return (0, net) if net < 0 else (net, 0)


def tiered_rule(bets, wins, carry_in):
    """The TIERED rule in Python: (payable, carry_out) in cents."""
    rate = 50 if bets >= 100000 else 30
    net = (bets - wins) * rate // 100 + carry_in
    return (0, net) if net < 0 else (net, 0)


def model(rows, rule):
    """{day: (payable, carry_out)} for every day with rows, chained in day order, from
    rows [(id, day, type, cents)]: what each period comes to with everything known."""
    days = sorted({r[1] for r in rows})
    out, carry = {}, 0
    for d in days:
        bets = sum(r[3] for r in rows if r[1] == d and r[2] == "bet")
        wins = sum(r[3] for r in rows if r[1] == d and r[2] == "win")
        out[d] = rule(bets, wins, carry)
        carry = out[d][1]
    return out


def cents(text):
    """"-12.34" -> -1234 (exact, from the decimal text)."""
    neg = text.startswith("-")
    whole, frac = text.lstrip("-").split(".")
    v = int(whole) * 100 + int(frac)
    return -v if neg else v


def money(c):
    return "%s%d.%02d" % ("-" if c < 0 else "", abs(c) // 100, abs(c) % 100)


class Book:
    """A workspace plus every row sent so far, for the model."""

    def __init__(self, rule_text=CARRY):
        self.ws = Workspace()
        self.ws.write("settle.yaml", CONFIG % "rules.lua")
        self.ws.write("rules.lua", rule_text)
        self.rows = []

    def drop(self, name, rows):
        """Writes a drop of rows [(id, day, type, cents)]."""
        text = HEAD + "".join("%s,%sT10:00:00Z,%s,%s\n" % (i, d, t, money(c)) for i, d, t, c in rows)
        self.ws.write("inbox/acme/" + name, text)
        self.rows += rows

    def run(self, today):
        r = self.ws.settle("run", env={"SETTLE_TODAY": today})
        check(r.returncode in (0, 1), "run on %s (stderr: %s)" % (today, r.stderr))
        return r

    def st(self, day):
        return self.ws.statement(day, "acme")

    def raw(self, day):
        return open(self.ws.path("var/reports", day, "acme", "statement.json"), "rb").read()

    def adjustments(self, day):
        return [(l["label"], l["amount"]) for l in self.st(day)["lines"]
                if l["label"].startswith("Late data adjustment")]


D1, D2, D3, D4 = "2025-09-01", "2025-09-02", "2025-09-03", "2025-09-04"


@test
def the_issue_example_next_provisional_day_gets_the_restated_carry():
    b = Book()
    b.drop("d1.csv", [("a1", D1, "bet", 10000), ("a2", D1, "win", 60000)])   # GGR -500
    b.drop("d2.csv", [("b1", D2, "bet", 100000)])                            # GGR 1000
    b.run(D2)
    d1, d2 = b.st(D1), b.st(D2)
    check_eq((d1["status"], d1["payable"], d1["carry_out"]), ("final", "0.00", "-500.00"),
             "day 1 final, carries -500")
    check_eq((d2["status"], d2["carry_in"], d2["payable"]), ("provisional", "-500.00", "500.00"),
             "day 2 provisional: 1000 - 500")
    d1_bytes = b.raw(D1)
    b.drop("late.csv", [("a3", D1, "bet", 40000)])                           # day 1 GGR -100
    r = b.run(D2)
    want = model(b.rows, carry_rule)
    check_eq(want[D2], (90000, 0), "the model: 1000 - 100")
    d2 = b.st(D2)
    check_eq((cents(d2["carry_in"]), cents(d2["payable"])), (-10000, want[D2][0]),
             "day 2 re-settled with the restated carry_in: pays 900, not 500")
    check_eq(b.raw(D1), d1_bytes, "the final statement is never rewritten")
    check_eq(b.adjustments(D2), [], "no payable moved on day 1: no adjustment line")
    check_eq(d2.get("restatements"),
             [{"period": D1, "cause": D1, "issued_payable": "0.00", "previous_payable": "0.00",
               "restated_payable": "0.00", "adjustment": "0.00",
               "issued_carry_out": "-500.00", "restated_carry_out": money(want[D1][1]),
               "files": ["acme/late.csv"]}],
             "day 2 lists the restatement of day 1 with the late file")
    check("carry_out -100.00 (was -500.00)" in r.stderr, "said so: %s" % r.stderr)
    b.ws.cleanup()


def issued_total(b, days):
    """Everything the statements of `days` pay: issued finals plus the open ones. Each
    adjustment is some final period's restated minus previous payable, so this equals the
    model's total of all payables when restatement is right."""
    return sum(cents(b.st(d)["payable"]) for d in days)


@test
def a_chain_of_two_final_periods_and_a_second_late_drop():
    b = Book()
    b.drop("d1.csv", [("a1", D1, "bet", 10000), ("a2", D1, "win", 60000)])   # -500
    b.drop("d2.csv", [("b1", D2, "bet", 30000)])                             # +300
    b.drop("d3.csv", [("c1", D3, "bet", 5000)])                              # +50
    b.run(D3)
    check_eq([b.st(d)["status"] for d in (D1, D2, D3)], ["final", "final", "provisional"],
             "two final days, one open")
    issued = model(b.rows, carry_rule)
    check_eq([cents(b.st(d)["payable"]) for d in (D1, D2, D3)],
             [issued[d][0] for d in (D1, D2, D3)], "issued as the model says")
    finals = {d: b.raw(d) for d in (D1, D2)}
    b.drop("late1.csv", [("a3", D1, "bet", 80000)])                          # day 1 -500 -> +300
    r = b.run(D3)
    now = model(b.rows, carry_rule)
    check_eq({d: b.raw(d) for d in (D1, D2)}, finals, "final statements untouched")
    d3 = b.st(D3)
    check_eq(cents(d3["carry_in"]), now[D2][1], "day 3 carry_in: day 2's restated carry_out")
    adj = b.adjustments(D3)
    check_eq([cents(a) for _, a in adj],
             [now[D1][0] - issued[D1][0], now[D2][0] - issued[D2][0]],
             "one adjustment per restated day: its restated minus its issued payable")
    check_eq([l for l, _ in adj],
             ["Late data adjustment for %s (acme/late1.csv)" % D1,
              "Late data adjustment for %s (carry_in restated after late data for %s: "
              "acme/late1.csv)" % (D2, D1)],
             "the lines name the origin period and the files")
    check_eq(issued_total(b, (D1, D2, D3)), sum(now[d][0] for d in (D1, D2, D3)),
             "everything paid (issued finals + open day) equals the model's total")
    check_eq([(x["period"], x["cause"]) for x in d3["restatements"]], [(D1, D1), (D2, D1)],
             "both restatements listed, day 2 caused by day 1's late data")
    check("carry_in of a final statement restated" in r.stderr, "said so: %s" % r.stderr)
    html = b.ws.read("var/reports", D3, "acme", "statement.html")
    check("Restated final periods" in html and "acme/late1.csv" in html,
          "statement.html shows the restatements")
    p = b.ws.settle("preview", "--partner", "acme", "--period", D3, "--rules",
                    b.ws.path("rules.lua"), env={"SETTLE_TODAY": D3})
    check_eq((p.returncode, p.stdout.strip().splitlines()[-1:]), (0, ["no difference"]),
             "preview of the open day (same rule) sees the restated carry and the adjustments")

    # A second late drop for day 1: only its own difference, nothing counted twice.
    before = now
    b.drop("late2.csv", [("a4", D1, "bet", 10000)])                          # day 1 +300 -> +400
    b.run(D3)
    now = model(b.rows, carry_rule)
    adj = b.adjustments(D3)
    check_eq([cents(a) for _, a in adj],
             [before[D1][0] - issued[D1][0], before[D2][0] - issued[D2][0],
              now[D1][0] - before[D1][0]],
             "the second drop adds restated minus previously restated, day 2 unchanged")
    check_eq(adj[-1][0], "Late data adjustment for %s (acme/late2.csv)" % D1, "names late2")
    check_eq(issued_total(b, (D1, D2, D3)), sum(now[d][0] for d in (D1, D2, D3)),
             "still equal to the model's total")
    last = b.st(D3)["restatements"][-1]
    check_eq((last["previous_payable"], last["restated_payable"], last["issued_payable"]),
             (money(before[D1][0]), money(now[D1][0]), money(issued[D1][0])),
             "issued, previous and restated payable")

    # Day 3 becomes final; late data for day 2 now flows into day 4 through day 3.
    b.drop("d4.csv", [("d1", D4, "bet", 1000)])
    b.run(D4)
    b.drop("late3.csv", [("b2", D2, "win", 100000)])                         # day 2 -> -700
    b.run(D4)
    now = model(b.rows, carry_rule)
    check_eq(issued_total(b, (D1, D2, D3, D4)), sum(now[d][0] for d in (D1, D2, D3, D4)),
             "a chain through day 3 (final) into day 4: everything paid equals the model's total")
    d4 = b.st(D4)
    check_eq(cents(d4["carry_in"]), now[D3][1], "day 4 carry_in: day 3's restated carry_out")
    check_eq([(x["period"], x["cause"], x["files"]) for x in d4["restatements"]],
             [(D2, D2, ["acme/late3.csv"]), (D3, D2, ["acme/late3.csv"])],
             "days 2 and 3 restated, both by late3")
    b.ws.cleanup()


@test
def an_open_period_without_a_statement_yet_gets_the_adjustment_in_order():
    b = Book()
    b.drop("d1.csv", [("a1", D1, "bet", 10000), ("a2", D1, "win", 60000)])   # -500, no day 2
    b.drop("d3.csv", [("c1", D3, "bet", 100000)])                            # +1000
    b.run(D2)
    check(not os.path.exists(b.ws.path("var/reports", D2)), "no statement for day 2 yet")
    b.drop("late.csv", [("a3", D1, "bet", 90000)])                           # day 1 -> +400
    b.run(D2)
    now = model(b.rows, carry_rule)
    d2, d3 = b.st(D2), b.st(D3)
    check_eq([cents(a) for _, a in b.adjustments(D2)], [now[D1][0]],
             "day 2 (first open) made, with day 1's adjustment")
    check_eq((cents(d3["carry_in"]), cents(d3["payable"])), (cents(d2["carry_out"]), now[D3][0]),
             "day 3 settled after day 2, with day 2's carry")
    check_eq(issued_total(b, (D1, D2, D3)), sum(now[d][0] for d in (D1, D3)), "totals agree")
    b.ws.cleanup()


@test
def a_held_restatement_is_kept_and_retried_every_run():
    b = Book(CARRY_RULE.replace("local net", 'if p.count.bet > 1 then error("one bet a day") end\n'
                                            "  local net"))
    b.drop("d1.csv", [("a1", D1, "bet", 10000)])
    b.drop("d2.csv", [("b1", D2, "bet", 5000)])
    b.run(D2)
    issued = model(b.rows, carry_rule)
    b.drop("late.csv", [("a2", D1, "bet", 3000)])                            # the rule fails
    r = b.run(D2)
    check("cannot be restated yet" in r.stderr, "said so: %s" % r.stderr)
    check_eq((b.adjustments(D2), b.st(D2).get("restatements")), ([], None), "nothing landed")
    r = b.run(D2)
    check("cannot be restated yet" in r.stderr, "retried with nothing new: %s" % r.stderr)
    b.ws.write("rules.lua", CARRY_RULE)                                       # the rule is fixed
    b.run(D2)
    now = model(b.rows, carry_rule)
    check_eq(b.adjustments(D2), [("Late data adjustment for %s (acme/late.csv)" % D1,
                                  money(now[D1][0] - issued[D1][0]))],
             "restated once the rule works, naming the late file of the earlier run")
    check_eq(issued_total(b, (D1, D2)), sum(now[d][0] for d in (D1, D2)), "totals agree")
    tree = tree_bytes(b.ws.path("var/reports"))
    r = b.run(D2)
    check("restate" not in r.stderr and tree_bytes(b.ws.path("var/reports")) == tree,
          "and no longer pending: %s" % r.stderr)
    b.ws.cleanup()


@test
def the_tier_basis_is_the_restated_total():
    b = Book(TIERED)
    b.drop("d1.csv", [("a1", D1, "bet", 90000)])                             # 900 bet: 30%
    b.drop("d2.csv", [("b1", D2, "bet", 1000)])
    b.run(D2)
    issued = model(b.rows, tiered_rule)
    check_eq(cents(b.st(D1)["payable"]), issued[D1][0], "30% of 900")
    b.drop("late.csv", [("a2", D1, "bet", 20000)])                           # 1100 bet: 50%
    b.run(D2)
    now = model(b.rows, tiered_rule)
    check_eq([cents(a) for _, a in b.adjustments(D2)], [now[D1][0] - issued[D1][0]],
             "the whole day re-tiered: 550 - 270, not a tier applied to the late rows alone")
    check_eq(cents(b.st(D2)["payable"]), now[D2][0] + now[D1][0] - issued[D1][0],
             "day 2: its own share plus the adjustment")
    b.ws.cleanup()


@test
def a_late_drop_with_no_effect_and_a_rerun_change_nothing():
    b = Book()
    b.drop("d1.csv", [("a1", D1, "bet", 10000), ("a2", D1, "win", 60000)])
    b.drop("d2.csv", [("b1", D2, "bet", 100000)])
    b.run(D2)
    b.drop("late.csv", [("a3", D1, "bet", 40000)])
    b.run(D2)
    tree = tree_bytes(b.ws.path("var/reports"))
    r = b.run(D2)
    check_eq(tree_bytes(b.ws.path("var/reports")), tree, "a rerun with nothing new: byte-identical")
    check("restated" not in r.stderr, "and restates nothing: %s" % r.stderr)
    b.drop("zero.csv", [("a4", D1, "bet", 5000), ("a5", D1, "win", 5000)])  # nets to 0
    r = b.run(D2)
    check("changes neither its payable nor its carry_out" in r.stderr, "said so: %s" % r.stderr)
    check_eq(tree_bytes(b.ws.path("var/reports")), tree, "a no-effect late drop changes no report")
    check_eq(len(b.st(D2)["restatements"]), 1, "and adds no restatement")
    b.ws.cleanup()


def limited(nbytes):
    """preexec: writes past nbytes fail with EFBIG (SIGXFSZ ignored), like a full disk."""
    def f():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return f


@test
def a_failed_run_then_a_rerun_ends_as_one_clean_run():
    import subprocess
    from harness import SETTLE

    def setup():
        b = Book()
        b.drop("d1.csv", [("a1", D1, "bet", 10000), ("a2", D1, "win", 60000)])
        b.drop("d2.csv", [("b1", D2, "bet", 30000)])
        b.drop("d3.csv", [("c1", D3, "bet", 5000)])
        b.run(D3)
        b.drop("late.csv", [("a3", D1, "bet", 80000)])
        return b

    clean = setup()
    clean.run(D3)
    want = tree_bytes(clean.ws.path("var/reports"))
    for limit in (2000, 6000, 12000):
        b = setup()
        env = dict(os.environ, SETTLE_TODAY=D3)
        r = subprocess.run([SETTLE, "run", "-c", b.ws.path("settle.yaml")], capture_output=True,
                           text=True, env=env, preexec_fn=limited(limit), timeout=60)
        check(r.returncode not in (0, 1), "limit %d: the run fails (%d)" % (limit, r.returncode))
        b.run(D3)
        check_eq(tree_bytes(b.ws.path("var/reports")), want,
                 "limit %d: failed run + rerun equals one clean run" % limit)
        b.ws.cleanup()
    clean.ws.cleanup()


done()
