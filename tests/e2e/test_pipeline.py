"""test_pipeline.py - the whole pipeline on small hand-made drops whose
figures are worked out by hand below (not by the engine), run through the
real binary: dialect parsing, DST and business-day cut-off, dedup, every
reject reason, half-even rounding in a rule, reruns, rule failure isolation,
config errors, the lock, atomic and private outputs.
"""
import csv
import fcntl
import hashlib
import io
import json
import os
import pty
import signal
import stat
import subprocess
import time

from harness import SETTLE, Workspace, check, check_eq, done, test, tree_bytes

CONFIG = """\
settle:
  timezone: Asia/Seoul
  day_starts_at: "06:00"
  currency: KRW
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  acme:
    kind: game_provider
    files: "*.csv"
    csv: { delimiter: ";", decimal: ",", thousands: ".", header: true }
    timezone: Europe/Malta
    statement: monthly
    currency: EUR
    fields:
      id: TransactionID
      round: RoundID
      time: { from: Date, format: "%d/%m/%Y %H:%M:%S" }
      player: PlayerID
      game: GameID
      category: GameType
      type: { from: Type, values: { BET: bet, WIN: win, REFUND: refund } }
      amount: Amount
      currency: Currency
    rules: share.lua
    params: { share: "10%" }
"""

BROKEN_PARTNER = """\
  broken:
    files: "*.csv"
    csv: { delimiter: "," }
    statement: daily
    fields: { id: id, time: time, type: type, amount: amount }
    rules: broken.lua
"""

SHARE_RULE = """\
return {
  settle = function(p, params)
    local share = money.mul(p.ggr, params.share)   -- half-even by default
    return { lines = { { label = "GGR", amount = p.ggr },
                       { label = "Share", amount = share } },
             payable = share, carry_out = 0 }
  end,
}
"""

BROKEN_RULE = """\
return {
  settle = function(p, params)
    local x = nil
    return x.boom
  end,
}
"""

HEADER = "TransactionID;RoundID;Date;PlayerID;GameID;GameType;Type;Amount;Currency\n"
# Malta is CEST (+02:00) in September; Seoul is +09:00; the day starts 06:00.
ROWS = [
    "t1;r1;01/09/2025 10:00:00;p1;g1;slots;BET;1.000,50;EUR",   # bet 1000.50
    "t2;r1;01/09/2025 10:00:05;p1;g1;slots;WIN;250,25;EUR",     # win 250.25
    "t3;r2;02/09/2025 11:00:00;p2;g2;table;BET;100,00;EUR",     # bet 100.00
    "t4;r2;02/09/2025 11:00:01;p2;g2;table;REFUND;100,00;EUR",  # refund 100.00
    "t1;r1;01/09/2025 10:00:00;p1;g1;slots;BET;1.000,50;EUR",   # duplicate of t1
    "t2;r1;01/09/2025 10:00:05;p1;g1;slots;WIN;999,00;EUR",     # duplicate_conflict
    "t5;r3;03/09/2025 12:00:00;p3;g1;slots;BET;12,345;EUR",     # precision
    "t6;r3;03/09/2025 12:00:00;p3;g1;slots;BET;abc;EUR",        # bad_amount
    "t7;r3;31/02/2025 12:00:00;p3;g1;slots;BET;1,00;EUR",       # bad_time
    "t8;r3;03/09/2025 12:00:00;p3;g1;slots;SPIN;1,00;EUR",      # unknown_type
    ";r3;03/09/2025 12:00:00;p3;g1;slots;BET;1,00;EUR",         # missing_field
    "=2+3;r4;03/09/2025 12:00:00;p3;g1;slots;BET;x;EUR",        # bad_amount, formula id
    "t12;r6;03/09/2025 12:00:00;p3;g1;slots;BET;1,00;XYZ",      # unknown_currency
    "t10;r5;30/09/2025 23:30:00;p4;g3;live;BET;50,00;EUR",      # 21:30Z = 06:30 Seoul 1 Oct
    "t11;r5;30/09/2025 22:30:00;p4;g3;live;BET;20,00;EUR",      # 20:30Z = 05:30 Seoul -> 30 Sep
]
TODAY = {"SETTLE_TODAY": "2025-10-02"}


def make_workspace(broken=False):
    """A workspace with the acme partner (and optionally a broken one)."""
    ws = Workspace()
    ws.write("settle.yaml", CONFIG + (BROKEN_PARTNER if broken else ""))
    ws.write("share.lua", SHARE_RULE)
    ws.write("broken.lua", BROKEN_RULE)
    ws.write("inbox/acme/acme_20250901.csv", HEADER + "\n".join(ROWS) + "\n")
    if broken:
        ws.write("inbox/broken/b.csv", "id,time,type,amount\nx1,2025-09-01T10:00:00Z,bet,500\n")
    return ws


def exceptions(ws, period):
    """Rows of a period's exceptions.csv as dicts."""
    return list(csv.DictReader(io.StringIO(ws.read("var", "reports", period, "exceptions.csv"))))


@test
def september_statement_matches_hand_figures():
    ws = make_workspace()
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "exit code with rejected rows (stderr: %s)" % r.stderr)
    st = ws.statement("2025-09", "acme")
    agg = st["aggregates"]
    check_eq(st["currency"], "EUR", "settlement currency")
    check_eq(agg["total"]["bet"], "1120.50", "bets: 1000.50 + 100.00 + 20.00")
    check_eq(agg["total"]["win"], "250.25", "wins")
    check_eq(agg["total"]["refund"], "100.00", "refunds")
    check_eq(agg["ggr"], "770.25", "GGR = (1120.50 - 100.00) - 250.25")
    check_eq(agg["count"]["bet"], 3, "bet count")
    check_eq(agg["transactions"], 5, "transactions")
    check_eq(agg["duplicates"], 1, "the re-sent t1")
    check_eq(agg["rejected"], 7, "rejected rows whose own day is in September (missing id too)")
    # 10% of 770.25 = 77.025 -> half-even -> 77.02
    check_eq(st["payable"], "77.02", "share rounded half-even")
    check_eq([l["label"] for l in st["lines"]], ["GGR", "Share"], "rule lines")
    check_eq(st["status"], "provisional", "September is inside its grace time on 2 Oct")
    check_eq(agg["by_category"]["table"]["total"]["refund"], "100.00", "by_category")
    check_eq(agg["by_game"]["g3"]["total"]["bet"], "20.00", "by_game: 30 Sep 22:30 Malta")
    check_eq(agg["by_day"]["2025-09-30"]["count"]["bet"], 1, "by_day cut-off")
    check(len(st["rules"]["sha256"]) == 64 and len(st["config_sha256"]) == 64, "hashes recorded")
    check_eq([i["file"] for i in st["inputs"]], ["acme/acme_20250901.csv"], "inputs")
    ws.cleanup()


@test
def october_gets_the_row_after_the_cutoff():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    st = ws.statement("2025-10", "acme")
    check_eq(st["aggregates"]["total"]["bet"], "50.00", "30 Sep 23:30 Malta is 1 Oct 06:30 Seoul")
    check_eq(st["payable"], "5.00", "10% of 50.00")
    ws.cleanup()


@test
def every_reject_has_its_reason_and_is_spreadsheet_safe():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    rows = exceptions(ws, "2025-09")
    reasons = sorted(r["reason"] for r in rows)
    check_eq(reasons, sorted(["duplicate_conflict", "precision", "bad_amount", "unknown_type",
                              "bad_amount", "unknown_currency", "missing_field"]), "reasons")
    # a row with a readable time is filed under its own day whatever else is bad
    check_eq({r["reason"]: r["day"] for r in rows}["missing_field"], "2025-09-03",
             "the id-less row keeps its own day")
    # rows without a readable time go to the file's latest counted day: 1 Oct (t10)
    october = exceptions(ws, "2025-10")
    check_eq(sorted(r["reason"] for r in october), ["bad_time"], "time-less rejects")
    check_eq([r["day"] for r in october], ["2025-10-01"], "given the file's last day")
    check_eq(ws.statement("2025-10", "acme")["aggregates"]["rejected"], 1, "October counts it")
    by_line = {int(r["line"]): r for r in rows}
    check_eq(by_line[7]["reason"], "duplicate_conflict", "line numbers count the header")
    check_eq(by_line[7]["id"], "t2", "id kept")
    check(by_line[8]["raw"].startswith("t5;r3;03/09/2025"), "raw row kept")
    formula = by_line[13]
    check_eq(formula["id"], "'=2+3", "formula id defused")
    check(formula["raw"].startswith("'=2+3;"), "formula raw defused")
    check_eq(formula["file"], "acme/acme_20250901.csv", "file named")
    ws.cleanup()


@test
def rerun_changes_nothing_and_is_byte_identical():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    before = tree_bytes(ws.path("var", "reports"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "second run has nothing new (stderr: %s)" % r.stderr)
    check("1 skipped" in r.stdout, "file skipped by hash: %s" % r.stdout)
    check_eq(tree_bytes(ws.path("var", "reports")), before, "outputs byte-identical")
    ws.cleanup()


@test
def new_drop_adds_to_the_period_without_losing_old_rejects():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    ws.write("inbox/acme/acme_20250915.csv",
             HEADER + "t20;r9;15/09/2025 10:00:00;p1;g1;slots;BET;10,00;EUR\n"
             "t1;r1;01/09/2025 10:00:00;p1;g1;slots;BET;1.000,50;EUR\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "clean second drop")
    st = ws.statement("2025-09", "acme")
    check_eq(st["aggregates"]["total"]["bet"], "1130.50", "new bet added once")
    check_eq(st["aggregates"]["duplicates"], 2, "t1 re-sent in a later drop is a duplicate")
    check_eq(len(exceptions(ws, "2025-09")), 7, "earlier rejects still reported")
    check_eq(len(st["inputs"]), 2, "both files listed as inputs")
    ws.cleanup()


@test
def a_failing_rule_holds_only_its_partner():
    ws = make_workspace(broken=True)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "exit 1 when a partner's rule fails")
    bad = ws.statement("2025-09-01", "broken")
    check_eq(bad["status"], "held", "broken partner held")
    check("broken.lua:4:" in bad.get("error", ""), "error names file:line: %r" % bad.get("error"))
    good = ws.statement("2025-09", "acme")
    check_eq(good["payable"], "77.02", "good partner still settled")
    ws.write("broken.lua", SHARE_RULE.replace("params.share", '"1%"'))  # the operator fixes it
    r = ws.settle("run", env=TODAY)
    fixed = ws.statement("2025-09-01", "broken")
    check_eq(fixed["status"], "final", "fixed rule settles the held period on the next run")
    check_eq(fixed["payable"], "5", "1% of 500 KRW")
    ws.cleanup()


@test
def bad_config_is_exit_2_with_position():
    ws = make_workspace()
    ws.write("settle.yaml", CONFIG.replace("  day_starts_at", "  day_start_at"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 2, "config error exit code")
    check("settle.yaml:3:" in r.stderr, "file:line in message: %s" % r.stderr)
    check(not os.path.exists(ws.path("var", "state")), "nothing written on a bad config")
    ws.cleanup()


@test
def missing_rule_file_is_exit_2():
    ws = make_workspace()
    os.remove(ws.path("share.lua"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 2, "missing rule file")
    check("share.lua" in r.stderr, "names the file: %s" % r.stderr)
    ws.cleanup()


@test
def second_run_is_refused_while_the_lock_is_held():
    ws = make_workspace()
    os.makedirs(ws.path("var", "state"))
    with open(ws.path("var", "state", "settle.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        # The file still names an earlier settle run; the holder is this program.
        f.write("pid 4242 started 2025-10-02T01:00:00Z\n")
        f.flush()
        r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 75, "locked")
    check("4242" not in r.stderr, "a stale pid from the file is not named: %s" % r.stderr)
    check("another program holds it: pid %d" % os.getpid() in r.stderr,
          "names the real holder: %s" % r.stderr)
    check(not os.path.exists(ws.path("var", "reports")), "nothing written while locked")
    ws.cleanup()


SLOW_RULE = """\
return {
  settle = function(p, params)
    local x = 0
    for i = 1, 15000000 do x = x + i end
    return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr, carry_out = 0 }
  end,
}
"""


@test
def a_settle_run_holding_the_lock_is_named_and_its_line_cleared_after():
    ws = make_workspace()
    ws.write("share.lua", SLOW_RULE)
    lock = ws.path("var", "state", "settle.lock")
    first = subprocess.Popen([SETTLE, "run", "-c", ws.path("settle.yaml")], env=dict(os.environ, **TODAY),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = None
    for _ in range(2000):   # until the first run has recorded itself, then freeze it
        if os.path.exists(lock) and ("pid %d " % first.pid) in open(lock).read():
            os.kill(first.pid, signal.SIGSTOP)
            seen = first.poll() is None
            break
        time.sleep(0.001)
    r = ws.settle("run", env=TODAY) if seen else None
    os.kill(first.pid, signal.SIGCONT)
    first.communicate()
    check(seen, "the first run was caught holding the lock")
    if r:
        check_eq(r.returncode, 75, "second run locked out")
        check("(pid %d started " % first.pid in r.stderr, "names the settle run: %s" % r.stderr)
    check_eq(first.returncode, 1, "the first run finished")
    check_eq(open(lock).read(), "", "holder line cleared when the run ends")
    ws.cleanup()


@test
def outputs_are_private_and_audited():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    p = ws.path("var", "reports", "2025-09", "acme", "statement.json")
    check_eq(stat.S_IMODE(os.stat(p).st_mode), 0o640, "statement mode 0640")
    lines = ws.read("var", "audit", "audit.jsonl").splitlines()
    check_eq(len(lines), 1, "one audit entry per run")
    entry = json.loads(lines[0])
    check_eq(entry["event"], "run", "run event")
    check_eq(entry["files"][0]["outcome"], "processed", "file outcome recorded")
    check(any(o["file"].endswith("2025-09/acme/statement.json") for o in entry["outputs"]),
          "outputs listed with hashes")
    ws.settle("run", env=TODAY)
    second = json.loads(ws.read("var", "audit", "audit.jsonl").splitlines()[1])
    check_eq(second["prev"], entry["hash"], "entries are hash-chained")
    ws.cleanup()


@test
def dry_run_writes_nothing():
    ws = make_workspace()
    r = ws.settle("run", "--dry-run", env=TODAY)
    check_eq(r.returncode, 1, "dry run reports the same outcome")
    check("acme" in r.stdout and "77.02" in r.stdout, "prints statements: %s" % r.stdout)
    check(not os.path.exists(ws.path("var", "reports")), "no reports")
    check(not os.path.exists(ws.path("var", "audit", "audit.jsonl")), "no audit entry")
    r = ws.settle("run", env=TODAY)
    check("0 skipped" in r.stdout, "dry run recorded no file: %s" % r.stdout)
    ws.cleanup()


@test
def provisional_becomes_final_after_grace():
    ws = make_workspace()
    ws.settle("run", env=TODAY)
    check_eq(ws.statement("2025-09", "acme")["status"], "provisional", "inside grace")
    r = ws.settle("run", env={"SETTLE_TODAY": "2025-10-03"})  # 30 Sep + 2 days grace passed
    check_eq(r.returncode, 0, "finalising run (stderr: %s)" % r.stderr)
    st = ws.statement("2025-09", "acme")
    check_eq(st["status"], "final", "issued final once grace has passed")
    check_eq(st["payable"], "77.02", "same money")
    check_eq(ws.statement("2025-10", "acme")["status"], "provisional", "October still open")
    ws.cleanup()


@test
def csv_drop_for_a_json_partner_is_quarantined_not_misread():
    ws = make_workspace()
    ws.write("settle.yaml", CONFIG.replace('    files: "*.csv"', '    format: json\n    files: "*.csv"'))
    r = ws.settle("check")
    check_eq(r.returncode, 0, "json is a valid format (stderr: %s)" % r.stderr)
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "needs a look")
    reason = ws.read("var", "quarantine", "acme", "acme_20250901.csv.reason")
    check("not JSON" in reason, "the reason says what is wrong: %s" % reason)
    ws.cleanup()


@test
def a_day_with_only_bad_rows_is_still_reported():
    ws = make_workspace()
    ws.write("inbox/acme/acme_20250901.csv",
             HEADER + "t1;r1;05/11/2025 10:00:00;p1;g1;slots;BET;oops;EUR\n")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "rejects need a look")
    rows = exceptions(ws, "2025-11")
    check_eq([x["reason"] for x in rows], ["bad_amount"], "reported in its period")
    check_eq(ws.statement("2025-11", "acme")["aggregates"]["rejected"], 1, "statement counts it")
    ws.cleanup()



@test
def progress_line_on_a_terminal_or_when_asked_and_never_under_cron():
    ws = make_workspace()
    quick = dict(TODAY, SETTLE_PROGRESS_MS="0")   # a line at every chance, not every 250 ms
    r = ws.settle("run", "--dry-run", env=quick)   # stderr is a pipe here, as under cron
    check("rows read" not in r.stderr, "no progress line without a terminal: %r" % r.stderr)
    r = subprocess.run([SETTLE, "run", "-c", ws.path("settle.yaml"), "--dry-run", "--progress"],
                       env=dict(os.environ, **quick), capture_output=True)   # bytes: \r kept
    check(b"\r\x1b[Ksettle: file 1 acme/acme_20250901.csv: 0 rows read, 0 rows/s\r" in r.stderr,
          "--progress shows the file being read: %r" % r.stderr)
    check(r.stderr.endswith(b"\r\x1b[K"), "the line is cleared at the end: %r" % r.stderr[-20:])
    check(b"settle: dry run" in r.stdout and b"rows/s" not in r.stdout, "stdout: the summary only")
    # On a terminal the line is shown without being asked for. (Not when settle is the
    # sanitized suite's wrapper script, which hands settle a pipe as its stderr.)
    with open(SETTLE, "rb") as exe:
        if exe.read(2) == b"#!":
            ws.cleanup()
            return
    master, slave = pty.openpty()
    p = subprocess.Popen([SETTLE, "run", "-c", ws.path("settle.yaml"), "--dry-run"],
                         env=dict(os.environ, **quick), stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, seen = p.communicate()[0], b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    check(b"acme/acme_20250901.csv: 0 rows read" in seen, "a terminal gets the line: %r" % seen)
    check(b"rows/s" not in out, "never on stdout")
    ws.cleanup()


def last_audit_files(ws):
    """The files list of the audit log's last entry."""
    return json.loads(ws.read("var", "audit", "audit.jsonl").splitlines()[-1])["files"]


@test
def a_processed_drop_is_recognised_by_its_identity_until_it_changes():
    ws = make_workspace()
    drop = ws.path("inbox", "acme", "acme_20250901.csv")
    ws.settle("run", env=TODAY)
    r = ws.settle("run", env=TODAY)   # the state learns the identity of the drop it hashed
    check_eq([f["outcome"] for f in last_audit_files(ws)], ["skipped"], "rerun skips it")
    r = ws.settle("run", env=TODAY)
    files = last_audit_files(ws)
    check_eq([(f["outcome"], f.get("recognised_by")) for f in files], [("skipped", "identity")],
             "the next rerun knows it without reading it")
    check_eq(files[0]["sha256"], hashlib.sha256(open(drop, "rb").read()).hexdigest(),
             "and names the SHA-256 it was processed with")
    # Same size, other bytes, modification time put back: the change time moved, so it is read.
    st = os.stat(drop)
    text = open(drop, "rb").read()
    with open(drop, "wb") as f:
        f.write(text.replace(b"t1;r1", b"t9;r1", 1))
    os.utime(drop, ns=(st.st_atime_ns, st.st_mtime_ns))
    check_eq(os.stat(drop).st_size, st.st_size, "same size")
    r = ws.settle("run", env=TODAY)
    files = last_audit_files(ws)
    check_eq([(f["outcome"], f.get("recognised_by")) for f in files], [("processed", None)],
             "a changed drop is read and processed: %s" % r.stdout)
    # A metadata change alone: read (hashed) once more, then known again.
    os.utime(drop, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    ws.settle("run", env=TODAY)
    check_eq([(f["outcome"], f.get("recognised_by")) for f in last_audit_files(ws)],
             [("skipped", None)], "touched: recognised by its SHA-256")
    ws.settle("run", env=TODAY)
    check_eq([f.get("recognised_by") for f in last_audit_files(ws)], ["identity"], "then known")
    ws.cleanup()

done()
