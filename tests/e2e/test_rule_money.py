"""test_rule_money.py - money functions that need the run's tables, through
the real binary: money.convert at a named date (latest rate on or before it,
one rounding with a named mode, a missing rate failing only that partner)
and money.pct. Figures are worked out by hand in the comments.
"""
from harness import Workspace, check, check_eq, done, test

CONFIG = """\
settle:
  timezone: UTC
  currency: KRW
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
fx: { rates: rates.csv }
partners:
  acme:
    files: "*.csv"
    statement: monthly
    currency: KRW
    fields: { id: id, time: time, type: type, amount: amount }
    rules: conv.lua
  late:
    files: "*.csv"
    statement: monthly
    currency: KRW
    fields: { id: id, time: time, type: type, amount: amount }
    rules: missing.lua
"""

RATES = """\
date,base,quote,rate
2025-09-01,EUR,KRW,1450.5
2025-09-15,EUR,KRW,1460
2025-09-01,USD,KRW,1350
"""

RULE = """\
return { settle = function(p, params)
  local l = {}
  local function n(label, v) l[#l + 1] = { label = label, amount = v } end
  n("10.00 EUR on 10 Sep", money.convert(1000, "EUR", "KRW", "2025-09-10"))   -- 14505
  n("10.00 EUR on 20 Sep", money.convert(1000, "EUR", "KRW", "2025-09-20"))   -- 14600
  n("0.01 USD half-even", money.convert(1, "USD", "KRW", "2025-09-10"))       -- 13.5 -> 14
  n("0.03 USD half-even", money.convert(3, "USD", "KRW", "2025-09-10"))       -- 40.5 -> 40
  n("0.03 USD half-up", money.convert(3, "USD", "KRW", "2025-09-10", "half_up")) -- 41
  n("0.03 USD down", money.convert(3, "USD", "KRW", "2025-09-10", "down"))    -- 40
  n("same currency", money.convert(777, "KRW", "KRW", "2025-09-10"))          -- 777
  n("pct", money.pct(10000, "12.5%"))                                          -- 1250
  return { lines = l, payable = 0, carry_out = 0 }
end }
"""

MISSING = """\
return { settle = function(p, params)
  local x = money.convert(1000, "EUR", "KRW", "2025-08-31")
  return { lines = {}, payable = x, carry_out = 0 }
end }
"""


@test
def convert_and_pct():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("rates.csv", RATES)
    ws.write("conv.lua", RULE)
    ws.write("missing.lua", MISSING)
    ws.write("inbox/acme/a.csv", "id,time,type,amount\na1,2025-09-02T00:00:00Z,bet,1000\n")
    ws.write("inbox/late/a.csv", "id,time,type,amount\nb1,2025-09-02T00:00:00Z,bet,1000\n")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-09-25"})
    check_eq(r.returncode, 1, "the partner with a missing rate needs a look")
    st = ws.statement("2025-09", "acme")
    check_eq([(l["label"], l["amount"]) for l in st["lines"]],
             [("10.00 EUR on 10 Sep", "14505"), ("10.00 EUR on 20 Sep", "14600"),
              ("0.01 USD half-even", "14"), ("0.03 USD half-even", "40"),
              ("0.03 USD half-up", "41"), ("0.03 USD down", "40"),
              ("same currency", "777"), ("pct", "1250")], "every conversion")
    late = ws.statement("2025-09", "late")
    check_eq(late["status"], "held", "no rate on or before 31 Aug: held")
    check("missing.lua:2:" in r.stderr and "no EUR->KRW rate on or before 2025-08-31" in r.stderr,
          "the message names the line and the pair: %s" % r.stderr)
    ws.cleanup()


done()
