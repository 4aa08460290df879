"""test_audit.py - `settle audit verify` and the HMAC-signed audit log, on the
real binary: a clean chain, an edited report, an edited / re-hashed / deleted
/ torn audit line, reports legitimately rewritten by a later run, missing
files, the lock, and $SETTLE_AUDIT_KEY_FILE (signing, checking, a wrong key,
a forger without the key). The line format is re-computed here in Python
from the description in engine/audit.h, not taken from the engine.
"""
import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import SETTLE, Workspace, check, check_eq, done, test

CONFIG = """\
settle:
  timezone: Europe/Malta
  currency: EUR
  paths: { inbox: inbox, state: var/state, reports: var/reports, audit: var/audit,
           quarantine: var/quarantine, metrics: var/metrics }
partners:
  acme:
    files: "*.csv"
    statement: monthly
    fields: { id: id, time: time, type: type, amount: amount }
    rules: ggr.lua
"""

RULE = """\
return {
  settle = function(p, params)
    return { lines = { { label = "GGR", amount = p.ggr } }, payable = p.ggr, carry_out = 0 }
  end,
}
"""

HEADER = "id,time,type,amount\n"
TODAY = {"SETTLE_TODAY": "2025-09-20"}
NO_KEY = {"SETTLE_AUDIT_KEY_FILE": ""}
STATEMENT = os.path.join("var", "reports", "2025-09", "acme", "statement.json")
LOG = os.path.join("var", "audit", "audit.jsonl")


def drop(ws, n):
    """Writes the n-th daily drop of September for acme (a bet and a win)."""
    ws.write("inbox/acme/d%02d.csv" % n, HEADER +
             "b%d,2025-09-%02dT10:00:00Z,bet,%d.00\n" % (n, n, 100 * n) +
             "w%d,2025-09-%02dT10:00:05Z,win,%d.50\n" % (n, n, 10 * n))


def workspace(runs=1, env=None):
    """A workspace after `runs` runs, each taking one new drop."""
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("ggr.lua", RULE)
    for i in range(1, runs + 1):
        drop(ws, i)
        r = ws.settle("run", env=dict(TODAY, **(env or NO_KEY)))
        check_eq(r.returncode, 0, "run %d exit (stderr: %s)" % (i, r.stderr))
    return ws


def verify(ws, env=None):
    """Runs `settle audit verify`; returns (exit code, stdout + stderr)."""
    e = dict(NO_KEY)
    e.update(env or {})
    cmd = [SETTLE, "audit", "verify", "-c", ws.path("settle.yaml")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **e),
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


def lines(ws):
    with open(ws.path(LOG), "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(ws, ls, end=b"\n"):
    with open(ws.path(LOG), "wb") as f:
        f.write(b"\n".join(ls) + end)


def rehash(line, key=None):
    """Re-seals an edited line as audit.h describes: hmac (if key) and hash."""
    body = re.sub(rb',"hash":"[0-9a-f]{64}"\}$', b"", line)
    if key is not None:
        body = re.sub(rb',"hmac":"[0-9a-f]{64}"$', b"", body)
        body += b',"hmac":"' + hmac.new(key, body, hashlib.sha256).hexdigest().encode() + b'"'
    return body + b',"hash":"' + hashlib.sha256(body).hexdigest().encode() + b'"}'


def key_file(folder, name, data):
    """Writes a key file (mode 0400) in `folder`, away from the data folder."""
    p = os.path.join(folder, name)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, 0o400)
    return p


@test
def clean_chain_verifies():
    ws = workspace(runs=3)
    code, out = verify(ws)
    check_eq(code, 0, "exit code (%s)" % out)
    m = re.search(r"audit chain OK: (\d+) entries, (\d+) outputs verified", out)
    check(m is not None, "OK line: %r" % out)
    if m:
        check_eq(int(m.group(1)), 3, "entries")
        check(int(m.group(2)) >= 4, "outputs counted once per distinct file: %s" % m.group(2))
    # The documented format, recomputed independently.
    prev = "0" * 64
    for i, line in enumerate(lines(ws), 1):
        entry = json.loads(line)
        body = line[:line.rindex(b',"hash":"')]
        check_eq(entry["hash"], hashlib.sha256(body).hexdigest(), "hash of line %d" % i)
        check_eq(entry["seq"], i, "seq of line %d" % i)
        check_eq(entry["prev"], prev, "prev of line %d" % i)
        check("hmac" not in entry, "no hmac without a key")
        prev = entry["hash"]
    ws.cleanup()


@test
def help_and_usage():
    ws = workspace(runs=0)
    r = subprocess.run([SETTLE, "audit", "--help"], capture_output=True, text=True)
    check_eq(r.returncode, 0, "audit --help")
    check("settle audit verify" in r.stdout, "usage names the sub-verb")
    r = subprocess.run([SETTLE, "audit", "verify", "--help"], capture_output=True, text=True)
    check_eq(r.returncode, 0, "audit verify --help")
    r = subprocess.run([SETTLE, "audit"], capture_output=True, text=True)
    check_eq(r.returncode, 2, "audit without a sub-verb")
    r = subprocess.run([SETTLE, "audit", "prove"], capture_output=True, text=True)
    check_eq(r.returncode, 2, "unknown sub-verb")
    r = subprocess.run([SETTLE, "audit", "verify", "-c", ws.path("nope.yaml")],
                       capture_output=True, text=True)
    check_eq(r.returncode, 2, "missing config is exit 2")
    r = subprocess.run([SETTLE, "audit", "verify", "-c", ws.path("settle.yaml"),
                        "--date", "2025-09-01"], capture_output=True, text=True)
    check_eq(r.returncode, 2, "verify takes no --date")
    r = subprocess.run([SETTLE, "--help"], capture_output=True, text=True)
    check("audit verify" in r.stdout, "main usage lists audit verify")
    ws.cleanup()


@test
def missing_or_empty_log():
    ws = workspace(runs=0)
    code, out = verify(ws)
    check_eq(code, 1, "no log is exit 1")
    check("no audit log" in out, "says there is no log: %r" % out)
    ws.write(LOG, "")
    code, out = verify(ws)
    check_eq(code, 1, "empty log is exit 1")
    check("is empty" in out, "says it is empty: %r" % out)
    ws.cleanup()


@test
def edited_report_is_named():
    ws = workspace(runs=2)
    with open(ws.path(STATEMENT), "rb") as f:
        data = bytearray(f.read())
    i = data.index(b'"payable"') + 1
    data[i] = ord("P")                                   # one byte
    with open(ws.path(STATEMENT), "wb") as f:
        f.write(bytes(data))
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check(re.search(r"2025-09/acme/statement\.json: changed since run 2 \(audit line 2; "
                    r"sha256 now [0-9a-f]{64}, recorded [0-9a-f]{64}\)", out),
          "names the file and run: %r" % out)
    check_eq(out.count("changed since"), 1, "only that file is reported")
    check("FAILED" in out, "failure summary")
    ws.cleanup()


@test
def missing_report_is_named():
    ws = workspace(runs=1)
    os.remove(ws.path("var", "reports", "2025-09", "summary.txt"))
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check("2025-09/summary.txt: missing (written by run 1, audit line 1)" in out,
          "names the missing file: %r" % out)
    ws.cleanup()


@test
def rewritten_report_still_verifies():
    ws = workspace(runs=1)
    first = ws.read(STATEMENT)
    drop(ws, 2)                                          # same period: statement rewritten
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(r.returncode, 0, "second run")
    check(ws.read(STATEMENT) != first, "the second run rewrote statement.json")
    code, out = verify(ws)
    check_eq(code, 0, "latest entry counts (%s)" % out)
    ws.cleanup()


@test
def edited_middle_line_is_named():
    ws = workspace(runs=3)
    ls = lines(ws)
    check(b'"payable":"' in ls[1], "line 2 records a payable")
    ls[1] = re.sub(rb'"payable":"(\d)', lambda m: b'"payable":"' +
                   str((int(m.group(1)) + 1) % 10).encode(), ls[1], count=1)
    write_lines(ws, ls)
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check("audit.jsonl line 2 (seq 2): hash does not match its content" in out,
          "names line 2: %r" % out)
    check("line 3" not in out, "one edit is one problem: %r" % out)
    ws.cleanup()


@test
def rehashed_line_breaks_the_next_prev():
    ws = workspace(runs=3)
    ls = lines(ws)
    ls[1] = rehash(ls[1].replace(b'"exit_code":0', b'"exit_code":1'))
    write_lines(ws, ls)
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check("audit.jsonl line 3 (seq 3): prev does not match line 2" in out,
          "names line 3: %r" % out)
    ws.cleanup()


@test
def deleted_line_breaks_seq():
    ws = workspace(runs=3)
    ls = lines(ws)
    del ls[1]
    write_lines(ws, ls)
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check("audit.jsonl line 2 (seq 3): seq does not follow seq 1 of line 1" in out,
          "names the gap: %r" % out)
    ws.cleanup()
    ws = workspace(runs=2)
    write_lines(ws, lines(ws)[1:])
    code, out = verify(ws)
    check_eq(code, 1, "first line removed")
    check("line 1 (seq 2): the first entry must be seq 1" in out, "names it: %r" % out)
    ws.cleanup()


@test
def torn_last_line():
    ws = workspace(runs=2)
    ls = lines(ws)
    # An append cut short (a crash mid-write): half of a third entry, no newline.
    torn = ls[-1].replace(b'{"seq":2,', b'{"seq":3,')
    write_lines(ws, ls + [torn[:len(torn) // 2]], end=b"")
    code, out = verify(ws)
    check_eq(code, 1, "exit code")
    check("audit.jsonl line 3 (seq 3): truncated" in out, "reports the torn line: %r" % out)
    check("Traceback" not in out and "Segmentation" not in out, "no crash")
    # The next run ends the torn line and chains to the last complete entry.
    drop(ws, 3)
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(r.returncode, 0, "run after a torn append")
    ls = lines(ws)
    check_eq(len(ls), 4, "torn line kept, new entry on its own line")
    check_eq(json.loads(ls[3])["seq"], 3, "new entry follows the last complete one")
    code, out = verify(ws)
    check_eq(code, 1, "torn line still reported")
    check("line 3 (seq 3): not a complete entry" in out, "as an incomplete entry: %r" % out)
    check("line 4" not in out, "the new entry chains correctly: %r" % out)
    del ls[2]                                            # the operator removes the torn line
    write_lines(ws, ls)
    code, out = verify(ws)
    check_eq(code, 0, "chain intact once the torn line is removed (%s)" % out)
    ws.cleanup()


def head(ws):
    """Runs `settle audit head`; returns the CompletedProcess."""
    return subprocess.run([SETTLE, "audit", "head", "-c", ws.path("settle.yaml")],
                          capture_output=True, text=True, timeout=60)


@test
def cut_off_last_entries_are_caught_by_the_anchor():
    ws = workspace(runs=3)
    ls = lines(ws)
    for keep in (2, 1):                                   # the chain that is left is valid
        write_lines(ws, ls[:keep])
        code, out = verify(ws)
        check_eq(code, 1, "last %d entries removed: exit 1 (%s)" % (3 - keep, out))
        check("the state recorded entry 3" in out and "the log ends at entry %d" % keep in out
              and "cut off the end" in out, "says what is missing: %r" % out)
    write_lines(ws, ls)
    code, out = verify(ws)
    check_eq(code, 0, "the whole log verifies again (%s)" % out)
    check("head matches the state" in out, "and says the head was checked: %r" % out)
    # A run after the cut chains on, but warns and records the gap in its own entry.
    write_lines(ws, ls[:2])
    drop(ws, 4)
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(r.returncode, 0, "the run still works (%s)" % r.stderr)
    check("the audit log lost entries" in r.stderr, "warns: %r" % r.stderr)
    entry = json.loads(lines(ws)[-1])
    check_eq((entry["seq"], entry.get("gap", {}).get("anchored_seq"),
              entry.get("gap", {}).get("log_seq")), (3, 3, 2), "the gap is in the chain")
    code, out = verify(ws)
    check_eq(code, 1, "and verify keeps reporting it")
    check("line 3 (seq 3): written after entries were removed" in out, "names it: %r" % out)
    ws.cleanup()


@test
def a_log_renamed_away_starts_a_new_one_that_names_the_old_head():
    ws = workspace(runs=2)
    old_head = json.loads(lines(ws)[-1])["hash"]
    os.rename(ws.path(LOG), ws.path(LOG + ".until-run-2"))
    drop(ws, 3)
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(r.returncode, 0, "run (%s)" % r.stderr)
    check("lost entries" not in r.stderr, "a renamed log is no loss: %r" % r.stderr)
    entry = json.loads(lines(ws)[0])
    check_eq((entry["seq"], entry.get("previous_log")), (1, {"seq": 2, "hash": old_head}),
             "the new log's first entry names where the old one ended")
    code, out = verify(ws)
    check_eq(code, 0, "the new log verifies (%s)" % out)
    check("starts a new log; the previous one ended at entry 2" in out, "with a note: %r" % out)
    ws.cleanup()


@test
def audit_head_prints_the_last_hash():
    ws = workspace(runs=0)
    r = head(ws)
    check_eq((r.returncode, r.stdout), (0, "0" * 64 + "\n"), "no log yet: the genesis value")
    check("no audit entry" in r.stderr, "with a note: %r" % r.stderr)
    ws.cleanup()
    ws = workspace(runs=2)
    r = head(ws)
    check_eq(r.returncode, 0, "exit 0 (%s)" % r.stderr)
    check_eq(r.stdout, json.loads(lines(ws)[-1])["hash"] + "\n", "the last entry's hash")
    with open(ws.path(LOG), "ab") as f:                  # a torn append is not the head
        f.write(b'{"seq":3,"time":')
    check_eq(head(ws).stdout, json.loads(lines(ws)[1])["hash"] + "\n", "torn line skipped")
    r = subprocess.run([SETTLE, "audit", "head", "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "settle audit head" in r.stdout, "head --help")
    r = subprocess.run([SETTLE, "--help"], capture_output=True, text=True)
    check("audit head" in r.stdout, "main usage lists audit head")
    r = subprocess.run([SETTLE, "audit", "head", "-c", ws.path("settle.yaml"), "--json"],
                       capture_output=True, text=True)
    check_eq(r.returncode, 2, "head takes only -c")
    ws.cleanup()


@test
def entry_not_yet_written_is_a_note_not_a_failure():
    ws = workspace(runs=1)
    os.rename(ws.path(LOG), ws.path(LOG + ".away"))
    os.makedirs(ws.path(LOG))                             # the log cannot be opened
    drop(ws, 2)
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(r.returncode, 1, "committed, entry missing: exit 1")
    os.rmdir(ws.path(LOG))
    os.rename(ws.path(LOG + ".away"), ws.path(LOG))
    code, out = verify(ws)
    check_eq(code, 0, "the log is intact up to its anchor (%s)" % out)
    check("run 2 is recorded in the state but its audit entry is not written yet" in out,
          "notes the pending entry: %r" % out)
    drop(ws, 3)
    r = ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq([json.loads(l).get("run_id") for l in lines(ws)], [1, 2, 3], "written by the next run")
    code, out = verify(ws)
    check_eq(code, 0, "verifies (%s)" % out)
    check("not written yet" not in out, "nothing pending: %r" % out)
    ws.cleanup()


@test
def verify_waits_for_a_run():
    ws = workspace(runs=1)
    with open(ws.path("var", "state", "settle.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, out = verify(ws)
        check_eq(code, 75, "a held lock is exit 75")
        check("run is in progress" in out, "says why: %r" % out)
    check_eq(verify(ws)[0], 0, "fine once the run ends")
    ws.cleanup()


@test
def relative_config_from_another_folder():
    ws = Workspace()
    ws.write("settle.yaml", CONFIG)
    ws.write("ggr.lua", RULE)
    drop(ws, 1)
    env = dict(os.environ, **TODAY, **NO_KEY)
    r = subprocess.run([SETTLE, "run", "-c", "settle.yaml"], cwd=ws.dir, env=env,
                       capture_output=True, text=True)
    check_eq(r.returncode, 0, "run from the data folder")
    check(b'"file":"./var/reports/' in lines(ws)[0], "outputs recorded relative")
    r = subprocess.run([SETTLE, "audit", "verify", "-c", ws.path("settle.yaml")], cwd="/",
                       env=env, capture_output=True, text=True)
    check_eq(r.returncode, 0, "verify from / with an absolute -c (%s)" % r.stderr)
    r = subprocess.run([SETTLE, "audit", "verify", "-c", "../settle.yaml"],
                       cwd=ws.path("var"), env=env, capture_output=True, text=True)
    check_eq(r.returncode, 0, "verify from var/ with ../settle.yaml (%s)" % r.stderr)
    ws.cleanup()


@test
def hmac_signed_chain():
    keys = tempfile.mkdtemp(prefix="settle-keys-")
    key = os.urandom(32)
    k1 = key_file(keys, "audit.key", key)
    k2 = key_file(keys, "other.key", os.urandom(32))
    ws = workspace(runs=3, env={"SETTLE_AUDIT_KEY_FILE": k1})
    for i, line in enumerate(lines(ws), 1):
        entry = json.loads(line)
        signed = line[:line.rindex(b',"hmac":"')]
        check_eq(entry.get("hmac"), hmac.new(key, signed, hashlib.sha256).hexdigest(),
                 "hmac of line %d covers everything before it" % i)
        check_eq(entry["hash"], hashlib.sha256(line[:line.rindex(b',"hash":"')]).hexdigest(),
                 "hash of line %d covers the hmac too" % i)
    code, out = verify(ws, {"SETTLE_AUDIT_KEY_FILE": k1})
    check_eq(code, 0, "verifies with the key (%s)" % out)
    check("hmac checked" in out, "says the hmac was checked: %r" % out)
    code, out = verify(ws)
    check_eq(code, 0, "the chain alone verifies without the key")
    check("not checked" in out, "notes the unchecked hmacs: %r" % out)
    code, out = verify(ws, {"SETTLE_AUDIT_KEY_FILE": k2})
    check_eq(code, 1, "a different key fails")
    check("line 1 (seq 1): hmac does not match" in out, "names line 1: %r" % out)
    code, out = verify(ws, {"SETTLE_AUDIT_KEY_FILE": ws.path("no-such-key")})
    check_eq(code, 2, "unreadable key file is exit 2")
    # A forger without the key rewrites line 2 and every hash after it.
    ls = lines(ws)
    forged = [ls[0]]
    for i, line in enumerate(ls[1:], 2):
        body = line.replace(b'"payable":"', b'"payable":"1') if i == 2 else line
        body = re.sub(rb'"prev":"[0-9a-f]{64}"', b'"prev":"' +
                      json.loads(forged[-1])["hash"].encode() + b'"', body)
        forged.append(rehash(body))                      # hash redone, old hmac kept
    write_lines(ws, forged)
    code, out = verify(ws)
    check_eq(code, 1, "without the key a full re-hash still fails, on the state's anchor")
    check("(seq" not in out and "that entry is not the one the state recorded" in out,
          "the chain itself looks fine; only the head differs: %r" % out)
    code, out = verify(ws, {"SETTLE_AUDIT_KEY_FILE": k1})
    check_eq(code, 1, "with the key the forgery fails")
    check("line 2 (seq 2): hmac does not match" in out, "names the forged line: %r" % out)
    # Stripping the hmac and re-hashing does not help either.
    write_lines(ws, ls[:1] + [rehash(re.sub(rb',"hmac":"[0-9a-f]{64}"', b"", ls[1]))] + ls[2:])
    code, out = verify(ws, {"SETTLE_AUDIT_KEY_FILE": k1})
    check_eq(code, 1, "an entry without hmac fails while a key is set")
    check("line 2 (seq 2): entry has no hmac" in out, "names it: %r" % out)
    ws.cleanup()
    shutil.rmtree(keys, ignore_errors=True)


@test
def config_and_rule_changes_are_recorded_by_hash():
    ws = workspace(runs=1)
    first = json.loads(lines(ws)[-1])
    check_eq([c["what"] for c in first["changes"]], ["config", "rules"], "the first run records both")
    check(first["changes"][0]["from"] is None, "nothing before the first run")
    drop(ws, 2)
    ws.settle("run", env=dict(TODAY, **NO_KEY))
    check_eq(json.loads(lines(ws)[-1])["changes"], [], "nothing changed: no change recorded")
    old = first["changes"][1]["to"]
    ws.write("ggr.lua", RULE + "-- contract amendment 2\n")
    drop(ws, 3)
    ws.settle("run", env=dict(TODAY, **NO_KEY))
    ch = json.loads(lines(ws)[-1])["changes"]
    check_eq([(c["what"], c.get("partner"), c["from"]) for c in ch], [("rules", "acme", old)],
             "the rule change, from the old hash")
    check_eq(ch[0]["to"], hashlib.sha256(open(ws.path("ggr.lua"), "rb").read()).hexdigest(),
             "to the new file's SHA-256")
    ws.cleanup()


@test
def unreadable_key_at_run_time():
    ws = workspace(runs=1, env={"SETTLE_AUDIT_KEY_FILE": "/nonexistent/settle.key"})
    check("hmac" not in json.loads(lines(ws)[0]), "entry written without hmac")
    code, out = verify(ws)
    check_eq(code, 0, "chain itself fine")
    drop(ws, 2)
    r = ws.settle("run", env=dict(TODAY, SETTLE_AUDIT_KEY_FILE="/nonexistent/settle.key"))
    check_eq(r.returncode, 0, "the run itself succeeds")
    check("written without an hmac" in r.stderr, "warns: %r" % r.stderr)
    ws.cleanup()


done()
