#!/usr/bin/env python3
"""test_reconcile.py - reconciliation's outputs against an independent oracle
(SPEC section 10, docs/reconciliation.md sections 2-4). Scenarios from recon_gen.py (every
break kind, duplicates and rejects on the ledger side, a partner with `amounts:`, a partner
matched daily, a partner with two ledgers) are run through the real binary - in one run,
ledger first, partner first, split over three runs, and split over three runs with every
run killed (SIGKILL) at several points before it is run to the end - and every
reconciliation.csv row (kind, id, day, currency, amounts, difference, files; nothing extra)
and every statement.json `reconciliation` entry (matched, breaks per kind, waiting, status,
reason) must equal what recon_oracle.py computes from the generated rows.

"""
import csv
import datetime as dt
import io
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal

import recon_gen
import recon_oracle as ro
from harness import GENDROPS, ROOT, SETTLE, TEST_THREADS, Workspace, check, check_eq, \
    check_rows_accounted, done, test

KIND_ORDERS = (list(ro.KINDS), sorted(ro.KINDS))   # the order of section 3, or alphabetical


def workspace(sc):
    ws = Workspace()
    ws.write("settle.yaml", sc.config)
    ws.write("rates.csv", sc.rates)
    ws.write("plain.lua", recon_gen.PLAIN_RULE)
    return ws


def put_run_files(ws, sc, k):
    for rel, data in sc.files[k]:
        ws.write(os.path.join("inbox", rel), data)


def env_of(sc, k):
    return {"SETTLE_TODAY": sc.todays[k].isoformat()}


def run_all(sc, kill=False):
    """Runs every run of the scenario (its files put in the inbox first); with kill, each
    run is first started and SIGKILLed at a few points. Returns (workspace, results)."""
    ws = workspace(sc)
    results = []
    for k in sorted(sc.files):
        put_run_files(ws, sc, k)
        if kill:
            kill_points(ws, sc, k)
        r = ws.settle("run", env=env_of(sc, k))
        check(r.returncode in (0, 1), "run %d (stderr: %s)" % (k, r.stderr[-800:]))
        results.append(r)
    return ws, results


def kill_points(ws, sc, k):
    """Starts run k and kills it with SIGKILL at growing delays (until one finishes)."""
    env = dict(os.environ, **env_of(sc, k))
    t0 = time.time()
    r = ws.settle("run", "--dry-run", env=env_of(sc, k))
    full = max(time.time() - t0, 0.02)
    check(r.returncode in (0, 1), "dry run %d (stderr: %s)" % (k, r.stderr[-300:]))
    for i in range(1, 7):
        cmd = [SETTLE, "run", "-c", ws.path("settle.yaml")]
        if TEST_THREADS:
            cmd += ["--threads", TEST_THREADS]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(full * i / 5.0)
        if p.poll() is not None:
            return
        p.send_signal(signal.SIGKILL)
        p.wait()


def dec(x):
    """A money value of statement.json (string or number) as a Decimal."""
    return Decimal(str(x))


def minor_text(minor):
    return Decimal(ro.money(minor, 2))


def read_csv(ws, label, pid):
    path = ws.path("var", "reports", label, pid, "reconciliation.csv")
    if not os.path.exists(path):
        return None, []
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0] if rows else None, [dict(zip(rows[0], r)) for r in rows[1:]]


def check_statement(ws, pid, label, want, ledger_order, what):
    """One statement's reconciliation section and reconciliation.csv against the oracle."""
    st = ws.statement(label, pid)
    rec = st.get("reconciliation")
    check(isinstance(rec, list), "%s: statement.json has a reconciliation list (%r)"
          % (what, rec))
    if not isinstance(rec, list):
        return
    check_eq(sorted(e.get("ledger") for e in rec), sorted(ledger_order),
             "%s: one entry per ledger" % what)
    held = []
    for e in rec:
        L = e.get("ledger")
        w = want.get(L)
        if w is None:
            continue
        tag = "%s %s" % (what, L)
        check_eq(e.get("match"), w["match"], tag + ": match")
        check_eq((e["matched"]["count"], dec(e["matched"]["amount"])),
                 (w["matched"][0], minor_text(w["matched"][1])), tag + ": matched count, amount")
        check_eq(sorted(e["breaks"]), sorted(ro.KINDS), tag + ": breaks lists all six kinds")
        for k in ro.KINDS:
            got = e["breaks"].get(k, {})
            check_eq((got.get("count"), dec(got.get("amount", "nan"))),
                     (w["breaks"][k][0], minor_text(w["breaks"][k][1])), "%s: %s" % (tag, k))
        check_eq(e.get("waiting"), w["waiting"], tag + ": waiting")
        check_eq(e.get("status"), w["status"], tag + ": status")
        if w["status"] == "held":
            held.append(L)
            reason = e.get("reason", "")
            check(reason.startswith("reconciliation with %s" % L), tag + ": reason %r" % reason)
            if w["break_count"] > int(w.get("tol_breaks", -1)) >= 0:
                check("%d breaks" % w["break_count"] in reason, tag + ": reason %r" % reason)
        else:
            check("reason" not in e, tag + ": no reason unless held (%r)" % e.get("reason"))
    if held:
        check_eq(st["status"], "held", what + ": a held reconciliation holds the statement")
        for L in held:
            check("reconciliation with %s" % L in st.get("hold_reason", ""),
                  "%s: hold_reason names %s: %r" % (what, L, st.get("hold_reason")))
    else:
        check(st["status"] != "held", "%s: not held (%r)" % (what, st.get("hold_reason")))
    header, rows = read_csv(ws, label, pid)
    want_rows = [r for L in want for r in want[L]["rows"]]
    if want_rows or header is not None:
        check_eq(tuple(header or ()), ro.CSV_COLUMNS, what + ": reconciliation.csv columns")
    got = Counter(tuple(r.get(c, "") for c in ro.CSV_COLUMNS) for r in rows)
    exp = Counter(tuple(r[c] for c in ro.CSV_COLUMNS) for r in want_rows)
    check_eq(sorted(got - exp), [], what + ": reconciliation.csv rows the oracle has not")
    check_eq(sorted(exp - got), [], what + ": oracle rows missing from reconciliation.csv")
    # per ledger in config order, then by day, kind and id (docs/reconciliation.md section 4)
    keys = [(r["ledger"], r["day"], r["kind"], r["id"].encode()) for r in rows]
    lorder = list(ledger_order)
    check(any(keys == sorted(keys, key=lambda x: (lorder.index(x[0]) if x[0] in lorder else -1,
                                                   x[1], order.index(x[2]) if x[2] in order
                                                   else -1, x[3]))
              for order in KIND_ORDERS), what + ": rows per ledger, sorted by day, kind, id")


def check_outputs(ws, sc, what):
    """Every statement the oracle knows, and no reconciliation beyond it."""
    want = ro.expected(sc.spec, sc.rows, sc.todays)
    for (pid, label), ledgers in sorted(want.items()):
        entries = sc.spec["partners"][pid]["reconcile"]
        for e in entries:
            if e["ledger"] in ledgers:
                ledgers[e["ledger"]]["tol_breaks"] = e["breaks"]
        path = ws.path("var", "reports", label, pid, "statement.json")
        check(os.path.exists(path), "%s: %s %s has a statement" % (what, pid, label))
        if os.path.exists(path):
            check_statement(ws, pid, label, ledgers, [e["ledger"] for e in entries],
                            "%s: %s %s" % (what, pid, label))
    for pid in sc.spec["partners"]:
        root = ws.path("var", "reports")
        for label in sorted(os.listdir(root)):
            if (pid, label) in want or not os.path.isdir(os.path.join(root, label, pid)):
                continue
            _, rows = read_csv(ws, label, pid)
            check_eq(rows, [], "%s: %s %s: no breaks the oracle has not" % (what, pid, label))
    # rejected ledger rows without an owner: in the exceptions of their day's period
    unknown = Counter()
    for r in sc.rows:
        if r["reject"] == "unknown_partner":
            day = ro.business_day(r["utc"], ro.ZoneInfo(sc.spec["zone"]), sc.spec["day_start"])
            unknown[(ro.period_label("monthly", day), r["src"])] += 1
    got = Counter()
    for label in sorted(os.listdir(ws.path("var", "reports"))):
        p = ws.path("var", "reports", label, "exceptions.csv")
        if os.path.exists(p):
            with open(p, encoding="utf-8", newline="") as f:
                for x in csv.DictReader(f):
                    if x.get("reason") == "unknown_partner":
                        got[(label, x["partner"])] += 1
    check_eq(got, unknown, what + ": unknown_partner rejects in the exceptions, by ledger")


def scenario_test(what, seed, split, todays=None, kill=False):
    sc = recon_gen.generate(seed, split=split, todays=todays)
    ws, results = run_all(sc, kill=kill)
    check_outputs(ws, sc, what)
    check_rows_accounted(ws, *results)
    again = ws.settle("run", env=env_of(sc, len(sc.files) - 1))
    check(again.returncode in (0, 1), "%s: a run with nothing new (%s)" % (what, again.stderr))
    check_outputs(ws, sc, what + " (again)")
    return ws, sc


@test
def one_run():
    scenario_test("one run", 1, "one")[0].cleanup()


@test
def ledger_first():
    scenario_test("ledger first", 2, "ledger_first")[0].cleanup()


@test
def partner_first_then_days_later():
    """The drops on 4 November, the ledgers on 6 November: what waited on the 4th is matched
    or missing by the 6th."""
    scenario_test("partner first", 3, "partner_first",
                  todays=[dt.date(2025, 11, 4), recon_gen.LAST_DAY])[0].cleanup()


@test
def three_runs():
    scenario_test("three runs", 4, "three",
                  todays=[dt.date(2025, 11, 2), dt.date(2025, 11, 5), recon_gen.LAST_DAY]
                  )[0].cleanup()


@test
def three_runs_killed_between_and_within():
    """Every run killed at several points first, then run to the end: the same outputs as
    runs never killed (reconciliation.csv byte for byte), and the oracle's."""
    ws, sc = scenario_test("killed", 5, "three", kill=True)
    ref, _ = run_all(sc)
    for d, _, files in os.walk(ref.path("var", "reports")):
        for name in files:
            if name == "reconciliation.csv":
                rel = os.path.relpath(os.path.join(d, name), ref.dir)
                check_eq(ws.read(rel), ref.read(rel), "killed: %s as in runs never killed" % rel)
    ref.cleanup()
    ws.cleanup()


@test
def daily_and_transaction_alone():
    """One partner matched daily against the bank (JSON), one by transaction: each with
    only one ledger, split over three runs."""
    partners = [
        {"id": "solo", "layout": "tx", "code": "SO", "n": 30,
         "reconcile": [{"ledger": "bank", "match": "daily", "day_window": 1, "wait_days": 2,
                        "breaks": 10, "amount": "100000"}]},
        {"id": "duo", "layout": "rounds", "code": "DU", "n": 20,
         "reconcile": [{"ledger": "bank", "match": "transaction", "day_window": 2,
                        "wait_days": 0, "breaks": 0, "amount": "0"}]},
    ]
    sc = recon_gen.generate(6, partners=partners, split="three")
    ws, results = run_all(sc)
    check_outputs(ws, sc, "bank only")
    ws.cleanup()


def demo_breaks(inbox):
    """reelstorm's breaks read off the files (no bad or re-sent rows): ids only in the drops
    (missing_in_ledger), only in the wallet (missing_in_partner), and booked on another
    business day (the drop's Malta wall time against the wallet's UTC: day_shift). A wall
    time in the repeated hour of the DST end is read as the earlier instant, as settle does:
    an hour off the wallet, but on the same business day."""
    malta = ro.ZoneInfo("Europe/Malta")
    drop, wallet = {}, {}
    for name in sorted(os.listdir(os.path.join(inbox, "reelstorm"))):
        with open(os.path.join(inbox, "reelstorm", name), encoding="utf-8") as f:
            for x in csv.DictReader(f, delimiter=";"):
                local = dt.datetime.strptime(x["Date"], "%d/%m/%Y %H:%M:%S")
                drop[x["TransactionID"]] = int(local.replace(tzinfo=malta).timestamp())
    for name in sorted(os.listdir(os.path.join(inbox, "wallet"))):
        with open(os.path.join(inbox, "wallet", name), encoding="utf-8") as f:
            for x in csv.DictReader(f):
                if x["provider"] == "RS":
                    t = dt.datetime.strptime(x["ts"], "%Y-%m-%dT%H:%M:%SZ")
                    wallet[x["provider_tx_id"]] = int(t.replace(tzinfo=dt.timezone.utc)
                                                      .timestamp())
    seoul = ro.ZoneInfo("Asia/Seoul")    # data/settle.yaml: Seoul business days from 06:00

    def day(t):
        return ro.business_day(t, seoul, 6 * 3600)
    return ({"missing_in_ledger": sorted(set(drop) - set(wallet)),
             "missing_in_partner": sorted(set(wallet) - set(drop)),
             "day_shift": sorted(k for k in set(drop) & set(wallet)
                                 if day(drop[k]) != day(wallet[k]))})


@test
def demo_wallet_holds_reelstorm_only():
    """gendrops --wallet with data/settle.yaml (its `ledgers:` and `reconcile:` entries):
    reelstorm is held with its lost callback, rolled-back stake and late round; the others
    are clean."""
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    inbox = ws.path("data", "inbox")
    subprocess.run([GENDROPS, "--out", inbox, "--rows", "6000", "--start", "2025-10-25",
                    "--days", "3", "--seed", "9", "--bad-rate", "0", "--dup-rate", "0",
                    "--wallet", os.path.join(inbox, "wallet")], check=True, capture_output=True)
    want = demo_breaks(inbox)
    check_eq([len(v) for v in want.values()], [1, 1, 1], "one break of each kind: %r" % want)
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-31"}, config="data/settle.yaml")
    check(r.returncode in (0, 1), "demo run (stderr: %s)" % r.stderr[-500:])
    reports = ws.path("var", "reports")
    seen = 0
    for label in sorted(os.listdir(reports)):
        for pid in sorted(os.listdir(os.path.join(reports, label))):
            path = os.path.join(reports, label, pid, "statement.json")
            if not os.path.exists(path):
                continue
            seen += 1
            st = ws.statement(label, pid)
            rec = {e["ledger"]: e for e in st.get("reconciliation") or []}
            _, rows = read_csv(ws, label, pid)
            got = sorted((x["kind"], x["id"]) for x in rows)
            if pid == "reelstorm" and label == "2025-10":
                check_eq(got, sorted((k, v[0]) for k, v in want.items()),
                         "reelstorm's breaks")
                check_eq(rec.get("wallet", {}).get("status"), "held", "reelstorm held")
                check_eq(st["status"], "held", "reelstorm's statement held")
                check("reconciliation with wallet: 3 breaks (tolerance 0)"
                      in st.get("hold_reason", ""), "reason: %r" % st.get("hold_reason"))
            else:
                check_eq(got, [], "%s %s: no breaks" % (pid, label))
                check_eq(rec.get("wallet", {}).get("status"), "clean", "%s %s" % (pid, label))
    check(seen >= 4, "statements written (%d)" % seen)
    ws.cleanup()


done()
