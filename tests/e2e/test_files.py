"""test_files.py - files, state and audit, on the real binary.

1. Nothing outside the inbox is read or moved: a symbolic link (a drop, or
   the partner's folder itself) is refused with a message naming it and the
   run exits 1; a quarantine folder that is a link is not followed; a FIFO or
   folder matching `files:` is skipped with a warning (the run does not hang);
   a partner without an inbox folder is a warning in the run and in
   `settle status` (text and --json).
2. File names that are not UTF-8 are written with their bad bytes as `\\xNN`
   in every output, so every JSON output parses and `settle audit verify`
   passes.
3. The state is private (0640) and never silently new: an empty, truncated or
   foreign file where the state should be is exit 3, for run and status.
"""
import json
import os
import sqlite3
import stat
import subprocess

from harness import SETTLE, SETTLE_UTC_EUR, Workspace, check, check_eq, done, test

SETTINGS = SETTLE_UTC_EUR


def partner_yaml(pid, files):
    return ("  %s:\n    files: \"%s\"\n    statement: monthly\n    currency: EUR\n"
            "    fields: { id: id, time: time, type: type, amount: amount }\n"
            "    rules: ggr.lua\n" % (pid, files))


CONFIG = SETTINGS + partner_yaml("alpha", "*.csv*")
GAMMA = partner_yaml("gamma", "*.csv")

RULE = """\
return { settle = function(p, params)
  return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr, carry_out = 0 }
end }
"""

TODAY = {"SETTLE_TODAY": "2025-09-20"}


def drop(tag, amount="10.00"):
    return "id,time,type,amount\n%s,2025-09-03T10:00:00Z,bet,%s\n" % (tag, amount)


def workspace(extra=""):
    ws = Workspace()
    ws.write("settle.yaml", CONFIG + extra)
    ws.write("ggr.lua", RULE)
    return ws


def audit_entries(ws):
    with open(ws.path("var", "audit", "audit.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def last_files(ws):
    return {f["file"]: f for f in audit_entries(ws)[-1]["files"]}


def verify_ok(ws, what):
    r = subprocess.run([SETTLE, "audit", "verify", "-c", ws.path("settle.yaml")],
                       capture_output=True, text=True, timeout=600)
    check_eq(r.returncode, 0, "%s: audit verify (stdout %s stderr %s)" % (what, r.stdout, r.stderr))


# ------------------------------------------------------------ 1. the inbox

@test
def symlinked_drop_is_refused_not_followed():
    ws = workspace()
    outside = ws.write("outside/secret.csv", drop("s1", "999.00"))
    ws.write("inbox/alpha/a.csv", drop("a1"))
    os.symlink(outside, ws.path("inbox/alpha/link.csv"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "a refused link needs a look (stderr: %s)" % r.stderr)
    check("alpha/link.csv" in r.stderr and "symbolic link" in r.stderr,
          "the message names the link: %s" % r.stderr)
    st = ws.statement("2025-09", "alpha")
    check_eq(st["payable"], "10.00", "only the real drop counted")
    check_eq([i["file"] for i in st["inputs"]], ["alpha/a.csv"], "inputs")
    f = last_files(ws)
    check_eq(f.get("alpha/link.csv", {}).get("outcome"), "refused", "audited as refused")
    check("1 refused links" in r.stdout, "in the summary line: %s" % r.stdout)
    check(os.path.exists(outside) and os.path.islink(ws.path("inbox/alpha/link.csv")),
          "neither the link nor its target moved")
    verify_ok(ws, "after a refused link")
    ws.cleanup()


@test
def symlinked_partner_folder_is_refused():
    ws = workspace()
    ws.write("outside/alpha/a.csv", drop("a1"))
    os.makedirs(ws.path("inbox"))
    os.symlink(ws.path("outside/alpha"), ws.path("inbox/alpha"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "a refused folder needs a look (stderr: %s)" % r.stderr)
    check(ws.path("inbox/alpha") in r.stderr and "symbolic link" in r.stderr,
          "the message names the folder: %s" % r.stderr)
    check(not os.path.exists(ws.path("var/reports/2025-09/alpha/statement.json")),
          "nothing read through the link")
    check_eq(last_files(ws).get("alpha", {}).get("outcome"), "refused", "audited as refused")
    doc = json.loads(ws.settle("status", "--json").stdout)
    check(any("inbox/alpha" in w and "symbolic link" in w for w in doc.get("warnings", [])),
          "status warns about it: %s" % doc.get("warnings"))
    ws.cleanup()


@test
def quarantine_never_follows_a_linked_folder():
    ws = workspace()
    ws.write("inbox/alpha/bad.csv.gz", b"\x1f\x8b\x08\x00broken")
    os.makedirs(ws.path("outside/q"))
    os.makedirs(ws.path("var/quarantine"))
    os.symlink(ws.path("outside/q"), ws.path("var/quarantine/alpha"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "quarantine needs a look (stderr: %s)" % r.stderr)
    check_eq(os.listdir(ws.path("outside/q")), [], "nothing moved through the link")
    check(os.path.exists(ws.path("inbox/alpha/bad.csv.gz")), "the file stays in the inbox")
    check("cannot move to quarantine" in r.stderr and "symbolic link" in r.stderr,
          "says why: %s" % r.stderr)
    ws.cleanup()


@test
def quarantine_still_moves_a_regular_file():
    ws = workspace()
    ws.write("inbox/alpha/bad.csv.gz", b"\x1f\x8b\x08\x00broken")
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 1, "quarantine exit (stderr: %s)" % r.stderr)
    q = ws.path("var/quarantine/alpha")
    check_eq(sorted(os.listdir(q)), ["bad.csv.gz", "bad.csv.gz.reason"], "moved with its reason")
    check(not os.path.exists(ws.path("inbox/alpha/bad.csv.gz")), "gone from the inbox")
    ws.cleanup()


@test
def fifo_and_folder_are_skipped_with_a_warning():
    ws = workspace()
    ws.write("inbox/alpha/a.csv", drop("a1"))
    os.mkfifo(ws.path("inbox/alpha/pipe.csv"))
    os.makedirs(ws.path("inbox/alpha/old.csv"))
    try:
        r = ws.settle("run", env=TODAY)
    except subprocess.TimeoutExpired:
        check(False, "the run hung on the FIFO")
        return
    check_eq(r.returncode, 0, "skipped non-files are warnings only (stderr: %s)" % r.stderr)
    check("alpha/pipe.csv" in r.stderr and "FIFO" in r.stderr, "FIFO warned: %s" % r.stderr)
    check("alpha/old.csv" in r.stderr and "folder" in r.stderr, "folder warned: %s" % r.stderr)
    f = last_files(ws)
    check_eq((f.get("alpha/pipe.csv", {}).get("outcome"), f.get("alpha/old.csv", {}).get("outcome")),
             ("not_a_file", "not_a_file"), "audited")
    check_eq(ws.statement("2025-09", "alpha")["payable"], "10.00", "the real drop counted")
    ws.cleanup()


@test
def missing_inbox_folder_is_a_warning_in_run_and_status():
    ws = workspace(GAMMA)
    r = ws.settle("status")
    check("gamma" in r.stdout and "does not exist" in r.stdout,
          "status before any run warns: %s" % r.stdout)
    doc = json.loads(ws.settle("status", "--json").stdout)
    check(any("gamma" in w for w in doc.get("warnings", [])), "--json before any run")
    ws.write("inbox/alpha/a.csv", drop("a1"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "a missing folder is a warning (stderr: %s)" % r.stderr)
    check("gamma" in r.stderr and "does not exist" in r.stderr, "run warns: %s" % r.stderr)
    r = ws.settle("status")
    check("Warnings:" in r.stdout and "gamma" in r.stdout, "status text: %s" % r.stdout)
    doc = json.loads(ws.settle("status", "--json").stdout)
    warn = doc.get("warnings", [])
    check_eq(len(warn), 1, "one warning: %s" % warn)
    check(warn and "inbox/gamma" in warn[0] and "does not exist" in warn[0], "names it")
    check_eq(doc["state_exists"], True, "state exists")
    ws.cleanup()


# ------------------------------------------------------- 2. non-UTF-8 names

def run_bytes(ws, *args):
    """Runs settle keeping stdout/stderr as bytes (a log may carry a raw name)."""
    cmd = [SETTLE, args[0], "-c", ws.path("settle.yaml")] + list(args[1:])
    return subprocess.run(cmd, capture_output=True, env=dict(os.environ, **TODAY), timeout=600)


def utf8_text(path, what):
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s is not UTF-8: %s" % (what, e))
        return data.decode("utf-8", "replace")


@test
def latin1_names_are_escaped_in_every_output():
    ws = workspace()
    inbox = os.fsencode(ws.path("inbox/alpha"))
    os.makedirs(inbox)
    with open(inbox + b"/caf\xe9.csv", "wb") as f:
        f.write(b"id,time,type,amount\nc1,2025-09-03T10:00:00Z,bet,5.00\n"
                b"c2,2025-09-03T11:00:00Z,bet,x\n")
    with open(inbox + b"/bad\xff.csv.gz", "wb") as f:
        f.write(b"\x1f\x8b\x08\x00broken")
    r = run_bytes(ws, "run")
    check_eq(r.returncode, 1, "a rejected row and a quarantined file (stderr: %r)" % r.stderr)
    name, bad = "alpha/caf\\xe9.csv", "alpha/bad\\xff.csv.gz"
    rep = ws.path("var/reports/2025-09")
    st = json.loads(utf8_text(os.path.join(rep, "alpha/statement.json"), "statement.json"))
    check_eq([i["file"] for i in st["inputs"]], [name], "statement.json inputs")
    for out in ("alpha/statement.csv", "alpha/statement.html", "exceptions.csv"):
        check(name in utf8_text(os.path.join(rep, out), out), "%s names %s" % (out, name))
    for out in ("summary.txt", "summary.json", "summary.html"):
        if os.path.exists(os.path.join(rep, out)):
            utf8_text(os.path.join(rep, out), out)
    lines = utf8_text(ws.path("var/audit/audit.jsonl"), "audit.jsonl").splitlines()
    files = {f["file"]: f["outcome"] for f in json.loads(lines[-1])["files"]}
    check_eq(files, {name: "processed", bad: "quarantined"}, "audit files")
    verify_ok(ws, "after a Latin-1 name")
    q = os.fsencode(ws.path("var/quarantine/alpha"))
    check(os.path.exists(q + b"/bad\xff.csv.gz"), "the file itself keeps its real name")
    reason = utf8_text(q + b"/bad\xff.csv.gz.reason", ".reason")
    check("file: " + bad + "\n" in reason, ".reason names it escaped: %s" % reason)
    r = run_bytes(ws, "status", "--json")
    doc = json.loads(r.stdout.decode("utf-8"))
    alpha = [p for p in doc["partners"] if p["partner"] == "alpha"][0]
    check_eq([x["path"] for x in alpha["quarantined"]], [bad], "status --json quarantined path")
    check_eq(alpha["last_file"]["path"], name, "status --json last file")
    text = run_bytes(ws, "status").stdout
    try:
        check(bad in text.decode("utf-8"), "status text names it escaped")
    except UnicodeDecodeError as e:
        check(False, "status text is not UTF-8: %s" % e)
    with open(inbox + b"/caf\xe9-2.csv", "wb") as f:
        f.write(b"id,time,type,amount\nc3,2025-09-04T10:00:00Z,bet,1.00\n")
    check_eq(run_bytes(ws, "run").returncode, 0, "second run")
    verify_ok(ws, "after the second run")
    ws.cleanup()


# ------------------------------------------------------------- 3. the state

STATE = os.path.join("var", "state", "settle.db")
SETTLE_APP_ID = 0x53544C45


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run_with_umask(ws, mask):
    cmd = [SETTLE, "run", "-c", ws.path("settle.yaml")]
    env = dict(os.environ, **TODAY)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600,
                          preexec_fn=lambda: os.umask(mask))


@test
def state_files_are_private():
    for mask in (0o000, 0o022):
        ws = workspace()
        ws.write("inbox/alpha/a.csv", drop("a1"))
        r = run_with_umask(ws, mask)
        check_eq(r.returncode, 0, "run (stderr: %s)" % r.stderr)
        check_eq(oct(mode(ws.path(STATE))), oct(0o640), "settle.db mode, umask %o" % mask)
        ws.cleanup()
    ws = workspace()
    ws.write("inbox/alpha/a.csv", drop("a1"))
    check_eq(ws.settle("run", env=TODAY).returncode, 0, "first run")
    os.chmod(ws.path(STATE), 0o644)  # as an older settle left it
    held = sqlite3.connect(ws.path(STATE))  # keeps -wal and -shm after settle closes
    held.execute("SELECT count(*) FROM runs").fetchall()
    ws.write("inbox/alpha/b.csv", drop("b1"))
    r = run_with_umask(ws, 0o000)
    check_eq(r.returncode, 0, "second run (stderr: %s)" % r.stderr)
    for suffix in ("", "-wal", "-shm"):
        p = ws.path(STATE + suffix)
        check(os.path.exists(p) and mode(p) == 0o640,
              "settle.db%s is 0640: %s" % (suffix, oct(mode(p)) if os.path.exists(p) else "absent"))
    held.close()
    ws.cleanup()


def refused(ws, what, words):
    """Run, dry run, status and status --json all exit 3 naming the file; it is left as is."""
    with open(ws.path(STATE), "rb") as f:
        before = f.read()
    ws.write("inbox/alpha/a.csv", drop("a1"))
    for args in (("run",), ("run", "--dry-run"), ("status",), ("status", "--json")):
        r = ws.settle(*args, env=TODAY)
        check_eq(r.returncode, 3, "%s: %s exit (stdout %s stderr %s)" % (what, args, r.stdout,
                                                                          r.stderr))
        check("settle.db" in r.stderr and words in r.stderr,
              "%s: %s says %r: %s" % (what, args, words, r.stderr))
    with open(ws.path(STATE), "rb") as f:
        check(f.read() == before, "%s: the file is left as it was" % what)
    check(not os.path.exists(ws.path("var/reports")), "%s: nothing written" % what)


@test
def empty_state_file_is_refused():
    ws = workspace()
    ws.write(STATE, b"")
    refused(ws, "empty", "empty (0 bytes)")
    ws.cleanup()


@test
def foreign_file_is_refused():
    ws = workspace()
    ws.write(STATE, b"not a database at all, just some text that is long enough " * 4)
    refused(ws, "text file", "not an SQLite database")
    ws.cleanup()


@test
def foreign_sqlite_database_is_refused():
    ws = workspace()
    os.makedirs(ws.path("var/state"))
    db = sqlite3.connect(ws.path(STATE))
    db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers(name) VALUES('x')")
    db.commit()
    db.close()
    refused(ws, "foreign sqlite", "not a settle state")
    db = sqlite3.connect(ws.path(STATE))
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    db.close()
    check_eq(tables, ["customers"], "no settle table was added to it")
    ws.cleanup()


@test
def truncated_state_is_refused():
    ws = workspace()
    for i in range(30):
        ws.write("inbox/alpha/a%02d.csv" % i, drop("a%d" % i))
    check_eq(ws.settle("run", env=TODAY).returncode, 0, "first run")
    check(not os.path.exists(ws.path(STATE + "-wal")), "no WAL left after the run")
    size = os.path.getsize(ws.path(STATE))
    with open(ws.path(STATE), "r+b") as f:
        f.truncate(size // 2)
    import shutil
    shutil.rmtree(ws.path("var/reports"))
    refused(ws, "truncated", "truncated")
    ws.cleanup()


@test
def new_state_is_stamped_and_older_states_are_accepted():
    ws = workspace()
    ws.write("inbox/alpha/a.csv", drop("a1"))
    check_eq(ws.settle("run", env=TODAY).returncode, 0, "first run")
    db = sqlite3.connect(ws.path(STATE))
    check_eq(db.execute("PRAGMA application_id").fetchone()[0], SETTLE_APP_ID, "stamped")
    db.execute("PRAGMA application_id = 0")  # as a settle before the stamp made it
    db.commit()
    db.close()
    r = ws.settle("status", "--json")
    check_eq(r.returncode, 0, "status reads an older state (stderr: %s)" % r.stderr)
    ws.write("inbox/alpha/b.csv", drop("b1"))
    r = ws.settle("run", env=TODAY)
    check_eq(r.returncode, 0, "run on an older state (stderr: %s)" % r.stderr)
    db = sqlite3.connect(ws.path(STATE))
    check_eq(db.execute("PRAGMA application_id").fetchone()[0], SETTLE_APP_ID, "stamped now")
    db.close()
    check_eq(ws.statement("2025-09", "alpha")["payable"], "20.00", "both drops counted")
    check(not os.path.exists(ws.path("var/state/.settle.db.new")), "no leftover temp state")
    ws.cleanup()


done()
