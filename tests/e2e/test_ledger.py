"""test_ledger.py - ledgers as sources (SPEC section 10, docs/reconciliation.md section 1):
config errors with file:line:col; a ledger's files read from <inbox>/<ledger>/ like a
partner's (rows validated, rejected, deduplicated per ledger, row accounting, files rows
and audit records under the ledger's id, quarantine of an unreadable file); rejects filed
in the owner's exceptions or, without an owner (unknown_partner), in the exceptions of the
day's label under the ledger's id and not counted in any partner's statement; ledger_cells
against a sum computed here from the rows; a partner's and a ledger's items handed to
reconciliation with matching keys (ids, and <round>:<type> for a partner that sends
rounds); `--partner` leaving out a partner reconciled with a ledger leaves its files
waiting; a dry run lists a ledger's rejects by reason.
"""
import csv
import gzip
import io
import json
import os
import sqlite3
from collections import defaultdict
from datetime import date
from decimal import Decimal

from harness import SETTLE_UTC_EUR, Workspace, check, check_eq, check_rows_accounted, done, test

PARTNERS = SETTLE_UTC_EUR + """\
  rs:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount, currency: cur, game: game }
    rules: plain.lua
    reconcile:
      - ledger: wallet
  rl:
    files: "*.csv"
    fields:
      id: round
      time: time
      game: game
      amounts: { bet: bet, win: win }
    rules: plain.lua
    reconcile:
      - { ledger: wallet, match: transaction, day_window: 0 }
  other:
    files: "*.csv"
    fields: { id: id, time: time, type: type, amount: amount }
    rules: plain.lua
"""
LEDGERS = """\
ledgers:
  wallet:
    files: "*.csv"
    fields:
      partner: { from: prov, values: { RS: rs, RL: rl, OT: other } }
      id: tx
      round: rnd
      time: ts
      game: game
      type: { from: kind, values: { DEBIT: bet, CREDIT: win } }
      amount: amt
      currency: cur
"""
PLAIN = ("return { settle = function(p) return { lines = {}, payable = p.ggr, carry_out = 0 } "
         "end }\n")
W_HEAD = "prov,tx,rnd,ts,game,kind,amt,cur\n"
SEP30 = "2025-09-30"
TODAY = {"SETTLE_TODAY": "2025-10-01"}


def workspace(config=PARTNERS + LEDGERS):
    ws = Workspace()
    ws.write("settle.yaml", config)
    ws.write("plain.lua", PLAIN)
    return ws


def db(ws):
    return sqlite3.connect(ws.path("var", "state", "settle.db"))


def ledger_cells(ws):
    with db(ws) as con:
        rows = con.execute("SELECT partner, ledger, day, currency, game, type, total, count "
                           "FROM ledger_cells").fetchall()
    return {r[:6]: (r[6], r[7]) for r in rows}


TYPES = {"DEBIT": 0, "CREDIT": 1}  # bet, win as stored (tx_type)
OWNERS = {"RS": "rs", "RL": "rl", "OT": "other"}


def expected_cells(rows):
    """Sums the good, first-seen ledger rows here, independently of the engine: amounts in
    minor units of EUR/KWD by (partner, ledger, day, currency, game, type)."""
    exps = {"EUR": 2, "USD": 2, "KWD": 3}
    out = defaultdict(lambda: [0, 0])
    for prov, _tx, _rnd, ts, game, kind, amt, cur in rows:
        day = (date.fromisoformat(ts[:10]) - date(1970, 1, 1)).days
        minor = int(Decimal(amt).scaleb(exps[cur]))
        k = (OWNERS[prov], "wallet", day, cur, game or "unknown", TYPES[kind])
        out[k][0] += minor
        out[k][1] += 1
    return {k: tuple(v) for k, v in out.items()}


def exceptions(ws, label):
    path = ws.path("var", "reports", label, "exceptions.csv")
    if not os.path.exists(path):
        return []
    return list(csv.DictReader(io.StringIO(ws.read("var", "reports", label, "exceptions.csv"))))


def line(*cells):
    return ",".join(cells) + "\n"


GOOD = [
    ("RS", "t1", "r1", SEP30 + "T10:00:00Z", "g1", "DEBIT", "10.00", "EUR"),
    ("RS", "t2", "r1", SEP30 + "T10:00:05Z", "g1", "CREDIT", "4.50", "EUR"),
    ("RS", "t3", "r2", SEP30 + "T23:59:59Z", "g2", "DEBIT", "1.25", "USD"),
    ("RL", "t4", "R9", SEP30 + "T08:00:00Z", "g1", "DEBIT", "2.00", "EUR"),
    ("RL", "t5", "R9", SEP30 + "T08:00:01Z", "g1", "CREDIT", "7.00", "EUR"),
    ("OT", "t6", "", "2025-09-29T12:00:00Z", "", "DEBIT", "3.00", "EUR"),
]


@test
def config_errors_name_file_line_and_column():
    cases = [
        (PARTNERS + LEDGERS.replace("  wallet:", "  rs:"), "ledgers: the ledger is a partner id",
         "settle.yaml:%d:3: ledger id 'rs' is also a partner id" % (PARTNERS.count("\n") + 2)),
        (PARTNERS.replace("ledger: wallet\n", "ledger: bank\n") + LEDGERS, "unknown ledger",
         "'bank' is not under ledgers:"),
        (PARTNERS + LEDGERS.replace("OT: other", "OT: nobody"), "owner not a partner",
         "values.OT: 'nobody' is not a partner"),
        (PARTNERS + LEDGERS + "    rules: plain.lua\n", "ledger with rules",
         "ledgers.wallet.rules: a ledger is read and matched, never settled"),
        (PARTNERS.replace("      - ledger: wallet\n",
                          "      - { ledger: wallet, tolerance: { amount: \"0.001\" } }\n")
         + LEDGERS, "tolerance finer than EUR", "has more decimals than EUR allows (2)"),
        (PARTNERS + LEDGERS.replace("      round: rnd\n", ""), "round needed for rl",
         "ledger 'wallet' must map fields.round"),
    ]
    for config, what, want in cases:
        ws = workspace(config)
        r = ws.settle("run", env=TODAY)
        check_eq(r.returncode, 2, "%s: a config error is a usage error (%s)" % (what, r.stderr))
        check(want in r.stderr and ws.path("settle.yaml") + ":" in r.stderr,
              "%s: says %r with the file's place: %r" % (what, want, r.stderr))
        check(not os.path.exists(ws.path("var", "state")), "%s: nothing ran" % what)
        ws.cleanup()


@test
def ledger_rows_are_read_rejected_deduplicated_and_summed():
    ws = workspace()
    rows = [line(*g) for g in GOOD]
    bad = [
        line("XX", "t7", "r3", SEP30 + "T11:00:00Z", "g1", "DEBIT", "1.00", "EUR"),  # unknown
        line("RS", "t8", "r4", SEP30 + "T12:00:00Z", "g1", "DEBIT", "1.2x", "EUR"),  # amount
        line("", "t9", "r5", SEP30 + "T13:00:00Z", "g1", "DEBIT", "1.00", "EUR"),    # no owner
        line("RS", "t1", "r1", SEP30 + "T10:00:00Z", "g1", "DEBIT", "10.00", "EUR"),  # repeat
        line("RS", "t2", "r1", SEP30 + "T10:00:05Z", "g1", "CREDIT", "9.99", "EUR"),  # conflict
    ]
    ws.write("inbox/wallet/w1.csv", W_HEAD + "".join(rows + bad))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "rejects need a look (stderr: %s)" % r.stderr)
    check_eq(ledger_cells(ws), expected_cells(GOOD), "ledger_cells = the rows summed here")
    with db(ws) as con:
        f = con.execute("SELECT partner, outcome, rows, transactions, duplicates, rejected "
                        "FROM files WHERE path = 'wallet/w1.csv'").fetchall()
        rej = con.execute("SELECT partner, file, tx_id, reason, day FROM rejects "
                          "ORDER BY line").fetchall()
    check_eq(f, [("wallet", "processed", 11, 6, 1, 4)], "the file, counted under the ledger")
    day = (date(2025, 9, 30) - date(1970, 1, 1)).days
    check_eq(rej, [("wallet", "wallet/w1.csv", "t7", "unknown_partner", day),
                   ("rs", "wallet/w1.csv", "t8", "bad_amount", day),
                   ("wallet", "wallet/w1.csv", "t9", "missing_field", day),
                   ("rs", "wallet/w1.csv", "t2", "duplicate_conflict", day)],
             "rejects: under the owner, or the ledger without one")
    exc = [(x["partner"], x["file"], x["id"], x["reason"]) for x in exceptions(ws, "2025-09")]
    check_eq(sorted(exc), sorted([("wallet", "wallet/w1.csv", "t7", "unknown_partner"),
                                  ("rs", "wallet/w1.csv", "t8", "bad_amount"),
                                  ("wallet", "wallet/w1.csv", "t9", "missing_field"),
                                  ("rs", "wallet/w1.csv", "t2", "duplicate_conflict")]),
             "every ledger reject in the exceptions of its day's period")
    st = ws.statement("2025-09", "rs")
    check_eq(st["aggregates"]["rejected"], 0, "a ledger's rejects are not the partner's")
    check_eq(st["inputs"], [], "a ledger file is no input of the partner's statement")
    # a second file: t1..t6 again are duplicates of this ledger (per ledger), t10 is new
    t10 = ("RS", "t10", "r6", "2025-09-30T15:00:00Z", "g1", "DEBIT", "0.05", "EUR")
    ws.write("inbox/wallet/w2.csv", W_HEAD + "".join(rows) + line(*t10))
    r2 = ws.settle("run", env=TODAY)
    # only duplicates and a new row; rs stays held: its ledger's USD row has no rate to EUR
    # (a reconciliation is in the settlement currency, docs/reconciliation.md section 3)
    check_eq(r2.returncode, 1, "only duplicates and a new row (stderr: %s)" % r2.stderr)
    st = ws.statement("2025-09", "rs")
    check_eq((st["status"], st.get("hold_reason")),
             ("held", "no FX rate USD->EUR on or before 2025-09-30"), "rs held for the rate")
    check_eq(ledger_cells(ws), expected_cells(GOOD + [t10]), "repeats are not summed twice")
    with db(ws) as con:
        f2 = con.execute("SELECT rows, transactions, duplicates, rejected FROM files "
                         "WHERE path = 'wallet/w2.csv'").fetchall()
    check_eq(f2, [(7, 1, 6, 0)], "the second file: six duplicates")
    check_rows_accounted(ws, r, r2)
    with open(ws.path("var", "audit", "audit.jsonl")) as fh:
        files = [x for e in map(json.loads, fh) for x in e.get("files", [])]
    check_eq([(x["file"], x["outcome"], x.get("rows")) for x in files],
             [("wallet/w1.csv", "processed", 11), ("wallet/w1.csv", "skipped", None),
              ("wallet/w2.csv", "processed", 7)],
             "audit records of the ledger's files")
    ws.cleanup()


@test
def a_ledgers_seen_ids_are_its_own():
    """The same transaction id in a partner's drop and a ledger is not a duplicate: the seen
    ids are per source."""
    ws = workspace()
    ws.write("inbox/rs/d.csv", "id,time,type,amount,cur,game\n"
             "t1,%sT10:00:00Z,bet,10.00,EUR,g1\n" % SEP30)
    ws.write("inbox/wallet/w.csv", W_HEAD + line(*GOOD[0]))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    with db(ws) as con:
        n = con.execute("SELECT partner, transactions, duplicates FROM files "
                        "ORDER BY partner").fetchall()
    check_eq(n, [("rs", 1, 0), ("wallet", 1, 0)], "one transaction each side")
    ws.cleanup()


@test
def items_reach_reconciliation_with_matching_keys():
    """Partner and ledger items meet: by id for rs, by <round>:<type> for rl (one row per
    round); a matched item leaves nothing open."""
    ws = workspace()
    ws.write("inbox/rs/d.csv", "id,time,type,amount,cur,game\n"
             "t1,%sT10:00:00Z,bet,10.00,EUR,g1\n"
             "t2,%sT10:00:05Z,win,4.50,EUR,g1\n" % (SEP30, SEP30))
    ws.write("inbox/rl/d.csv", "round,time,game,bet,win\n"
             "R9,%sT08:00:00Z,g1,2.00,7.00\n" % SEP30)
    ws.write("inbox/wallet/w.csv", W_HEAD + "".join(line(*g) for g in GOOD[:2] + GOOD[3:5]))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    with db(ws) as con:
        matched = con.execute("SELECT partner, ledger, currency, sum(count), sum(amount) "
                              "FROM recon_matched GROUP BY partner, ledger, currency "
                              "ORDER BY partner").fetchall()
        open_days = con.execute("SELECT count(*) FROM recon_open_days WHERE count > 0"
                                ).fetchone()[0]
    check_eq(matched, [("rl", "wallet", "EUR", 2, 900), ("rs", "wallet", "EUR", 2, 1450)],
             "every item matched")
    check_eq(open_days, 0, "nothing left open")
    ws.cleanup()


@test
def unreadable_ledger_file_is_quarantined():
    ws = workspace()
    ws.write("inbox/wallet/bad.csv", "prov,tx,ts,kind,amt,cur\nRS,t1,%sT10:00:00Z,DEBIT,1,EUR\n"
             % SEP30)  # no rnd, no game column
    ws.write("inbox/wallet/good.csv", W_HEAD + line(*GOOD[0]))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "a quarantined file needs a look (stderr: %s)" % r.stderr)
    check("wallet/bad.csv: unreadable, moved to quarantine" in r.stderr, r.stderr)
    check(os.path.exists(ws.path("var", "quarantine", "wallet", "bad.csv")),
          "moved to <quarantine>/wallet/")
    check(not os.path.exists(ws.path("inbox", "wallet", "bad.csv")), "gone from the inbox")
    with db(ws) as con:
        out = con.execute("SELECT path, outcome FROM files ORDER BY path").fetchall()
    check_eq(out, [("wallet/bad.csv", "quarantined"), ("wallet/good.csv", "processed")],
             "files rows")
    check_eq(ledger_cells(ws), expected_cells(GOOD[:1]), "only the good file's row")
    ws.cleanup()


@test
def partner_selection_leaving_out_a_reconciled_partner_leaves_the_ledger_waiting():
    ws = workspace()
    ws.write("inbox/wallet/w.csv", W_HEAD + line(*GOOD[0]))
    r = ws.settle("run", "--partner", "rs", env=TODAY)
    check_eq(r.returncode, 0, "nothing to do for rs (stderr: %s)" % r.stderr)
    check_eq(ledger_cells(ws), {}, "the ledger is not read without rl")
    check("ledger wallet not read: rl, reconciled with it, is not selected" in r.stderr,
          r.stderr)
    check(os.path.exists(ws.path("inbox", "wallet", "w.csv")), "its file waits in the inbox")
    r = ws.settle("run", "--partner", "rs", "--partner", "rl", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    check_eq(ledger_cells(ws), expected_cells(GOOD[:1]), "read with every partner it feeds")
    ws.cleanup()


@test
def dry_run_lists_a_ledgers_rejects_by_reason():
    ws = workspace()
    ws.write("inbox/wallet/w.csv", W_HEAD + line(*GOOD[0]) +
             line("XX", "t7", "r3", SEP30 + "T11:00:00Z", "g1", "DEBIT", "1.00", "EUR"))
    r = ws.settle("run", "--dry-run", env=TODAY)
    check_eq(r.returncode, 1, "a reject (stderr: %s)" % r.stderr)
    check("wallet" in r.stdout and "unknown_partner 1" in r.stdout, r.stdout)
    ws.cleanup()


@test
def ledger_rejects_without_a_day_are_unattributed():
    """A file with no good row: its rejects have no day; the owner's under the owner, the
    rest under the ledger, both in the unattributed exceptions."""
    ws = workspace()
    ws.write("inbox/wallet/w.csv", W_HEAD +
             line("RS", "t1", "r1", "yesterday", "g1", "DEBIT", "1.00", "EUR") +
             line("ZZ", "t2", "r1", "yesterday", "g1", "DEBIT", "1.00", "EUR"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "rejects (stderr: %s)" % r.stderr)
    exc = [(x["partner"], x["id"], x["reason"]) for x in exceptions(ws, "unattributed")]
    check_eq(sorted(exc), [("rs", "t1", "bad_time"), ("wallet", "t2", "unknown_partner")],
             "unattributed exceptions")
    ws.cleanup()


@test
def ledger_control_mismatch_is_reported_and_holds_no_statement():
    config = PARTNERS + LEDGERS + "    control: { trailer: true, marker: TRL, count: 2, sum: 3 }\n"
    ws = workspace(config)
    ws.write("inbox/rs/d.csv", "id,time,type,amount,cur,game\n"
             "t1,%sT10:00:00Z,bet,10.00,EUR,g1\n" % SEP30)
    ws.write("inbox/wallet/w.csv", W_HEAD + line(*GOOD[0]) + "TRL,5,99.00\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "a control mismatch needs a look (stderr: %s)" % r.stderr)
    check("wallet/w.csv: control totals do not match" in r.stderr, r.stderr)
    check_eq(ws.statement("2025-09", "rs")["status"], "provisional", "rs is not held by it")
    check_eq(ledger_cells(ws), expected_cells(GOOD[:1]), "the file's rows are counted")
    ws.cleanup()


@test
def an_undone_ledger_file_hands_no_items():
    """A ledger file cut short mid-way is quarantined: the items of the rows read before the
    cut are void, so the partner's transaction stays open; the file sent again matches."""
    ws = workspace()
    ws.write("inbox/rs/d.csv", "id,time,type,amount,cur,game\n"
             "t1,%sT10:00:00Z,bet,10.00,EUR,g1\n" % SEP30)
    rows = [line(*GOOD[0])] + [line("RS", "x%06d" % i, "r", SEP30 + "T12:00:00Z", "g1", "DEBIT",
                                    "1.00", "EUR") for i in range(200000)]
    whole = gzip.compress((W_HEAD + "".join(rows)).encode(), mtime=0)
    ws.write("inbox/wallet/w.csv.gz", whole[:len(whole) * 3 // 4])
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "quarantined (stderr: %s)" % r.stderr)
    check("wallet/w.csv.gz: unreadable" in r.stderr, r.stderr)
    with db(ws) as con:
        matched = con.execute("SELECT count(*) FROM recon_matched").fetchone()[0]
        opened = con.execute("SELECT side, sum(count) FROM recon_open_days GROUP BY side"
                             ).fetchall()
    check_eq(matched, 0, "nothing matched with the undone file's rows")
    check_eq(opened, [(0, 1)], "the partner's item waits, no ledger item")
    check_eq(ledger_cells(ws), {}, "no ledger sums")
    ws.write("inbox/wallet/w2.csv", W_HEAD + line(*GOOD[0]))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean (stderr: %s)" % r.stderr)
    with db(ws) as con:
        matched = con.execute("SELECT sum(count), sum(amount) FROM recon_matched").fetchone()
    check_eq(matched, (1, 1000), "the file sent again matches")
    ws.cleanup()


@test
def json_ledger_with_partner_ids_as_written():
    """fields.partner as a JSON path, the value a partner id as written; a second ledger of
    the same partner has its own seen ids."""
    config = PARTNERS + LEDGERS + """\
  bank:
    format: json
    fields: { partner: p.who, id: tx.id, round: tx.r, time: tx.at, type: tx.k, amount: tx.a }
"""
    ws = workspace(config)
    recs = [{"p": {"who": "rs"}, "tx": {"id": "t1", "r": "r1", "at": SEP30 + "T10:00:00Z",
                                       "k": "bet", "a": "10.00"}},
            {"p": {"who": "RS"}, "tx": {"id": "t2", "r": "r1", "at": SEP30 + "T10:00:00Z",
                                       "k": "win", "a": "1.00"}}]
    ws.write("inbox/bank/b.json", "".join(json.dumps(x) + "\n" for x in recs))
    ws.write("inbox/wallet/w.csv", W_HEAD + line(*GOOD[0]))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "one reject (stderr: %s)" % r.stderr)
    day = (date(2025, 9, 30) - date(1970, 1, 1)).days
    cells = {k: v for k, v in ledger_cells(ws).items() if k[1] == "bank"}
    check_eq(cells, {("rs", "bank", day, "EUR", "unknown", 0): (1000, 1)},
             "the row of rs, in the default currency")
    with db(ws) as con:
        rej = con.execute("SELECT partner, tx_id, reason FROM rejects").fetchall()
        files = con.execute("SELECT partner, transactions, duplicates FROM files "
                            "ORDER BY partner").fetchall()
    check_eq(rej, [("bank", "t2", "unknown_partner")], "RS is no partner id as written")
    check_eq(files, [("bank", 1, 0), ("wallet", 1, 0)], "t1 in both ledgers, no duplicate")
    ws.cleanup()


done()
