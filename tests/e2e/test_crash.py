"""test_crash.py - crash safety of the real binary: a run killed with SIGKILL
at many points, or failing on a full disk (RLIMIT_FSIZE: writes fail with
EFBIG like ENOSPC), then run again, must end with exactly the reports and
statements of one uninterrupted run: nothing counted twice, nothing lost,
no half-written report visible. Also: the audit entry of a run that died
between its commit and its audit append is written by the next run, and the
chain verifies.
"""
import os
import resource
import shutil
import signal
import subprocess
import time

from harness import GENDROPS, ROOT, SETTLE, Workspace, check, check_eq, done, test

TODAY = {"SETTLE_TODAY": "2025-10-29"}


def sample_workspace(rows=60000):
    ws = Workspace()
    shutil.copytree(os.path.join(ROOT, "data"), ws.path("data"),
                    ignore=shutil.ignore_patterns("inbox"))
    ws.copy_rules()
    subprocess.run([GENDROPS, "--out", ws.path("data", "inbox"), "--rows", str(rows),
                    "--start", "2025-10-25", "--days", "3", "--seed", "5",
                    "--wallet", ws.path("data", "inbox", "wallet")],
                   check=True, capture_output=True)
    return ws


def run(ws, *args, preexec=None):
    env = dict(os.environ, **TODAY)
    return subprocess.run([SETTLE, args[0], "-c", ws.path("data", "settle.yaml")] + list(args[1:]),
                          capture_output=True, text=True, env=env, preexec_fn=preexec, timeout=300)


def reports(ws):
    """Every visible report file (relative path -> bytes); hidden temp files listed apart."""
    out, hidden = {}, []
    root = ws.path("var", "reports")
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            if name.startswith("."):
                hidden.append(os.path.relpath(p, root))
                continue
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out, hidden


def verify(ws):
    return subprocess.run([SETTLE, "audit", "verify", "-c", ws.path("data", "settle.yaml")],
                          capture_output=True, text=True, timeout=300)


def audit_runs(ws):
    import json
    with open(ws.path("var", "audit", "audit.jsonl")) as f:
        return [json.loads(l).get("run_id") for l in f if '"event":"run"' in l]


def reference(rows=60000):
    ws = sample_workspace(rows)
    r = run(ws, "run")
    check(r.returncode in (0, 1), "reference run (stderr: %s)" % r.stderr[-500:])
    want, _ = reports(ws)
    ws.cleanup()
    return want, r


def kill_after(ws, seconds):
    """Starts a run and SIGKILLs it after `seconds`; True when it was still running."""
    env = dict(os.environ, **TODAY)
    p = subprocess.Popen([SETTLE, "run", "-c", ws.path("data", "settle.yaml")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(seconds)
    alive = p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    return alive


@test
def killed_runs_then_rerun_equal_one_clean_run():
    want, ref = reference()
    check(len(want) > 10, "the reference wrote reports (%d files)" % len(want))
    ws = sample_workspace()
    t0 = time.time()
    run(ws, "run", "--dry-run")               # warms the page cache: timings below are stable
    full = max(time.time() - t0, 0.05)
    killed = 0
    for i in range(16):                       # spread over the whole run, then past its end
        if kill_after(ws, full * (i + 1) / 12.0):
            killed += 1
        got, hidden = reports(ws)
        for rel, data in got.items():          # whatever is visible is whole, never half
            if rel in want and rel.endswith(".json"):
                check(data.endswith(b"}\n") or data.endswith(b"}"), "%s is complete" % rel)
    check(killed >= 3, "several runs were killed mid-way (%d)" % killed)
    r = run(ws, "run")
    check(r.returncode in (0, 1), "recovery run (stderr: %s)" % r.stderr[-500:])
    got, hidden = reports(ws)
    check_eq(sorted(got), sorted(want), "the same report files")
    diff = [k for k in want if got.get(k) != want[k]]
    check_eq(diff, [], "byte-identical reports after kills")
    r = run(ws, "run")
    check("0 files (" in r.stdout or " skipped" in r.stdout, "nothing new: %s" % r.stdout)
    check_eq(reports(ws)[0], want, "another run changes nothing")
    v = verify(ws)
    check_eq(v.returncode, 0, "audit chain verifies after the kills: %s%s" % (v.stdout, v.stderr))
    ws.cleanup()


@test
def audit_entry_lost_after_commit_is_written_by_the_next_run():
    ws = sample_workspace(rows=2000)
    os.makedirs(ws.path("var", "audit", "audit.jsonl"))   # the log cannot be opened
    r = run(ws, "run")
    check_eq(r.returncode, 1, "committed, audit missing: exit 1 (%s)" % r.stderr)
    check("audit entry could not be written" in r.stderr, "says so: %s" % r.stderr)
    os.rmdir(ws.path("var", "audit", "audit.jsonl"))
    r = run(ws, "run")
    check(r.returncode in (0, 1), "next run (%s)" % r.stderr)
    check_eq(audit_runs(ws), [1, 2], "run 1's entry written first, then run 2's")
    r = run(ws, "run")
    check_eq(audit_runs(ws), [1, 2, 3], "no entry written twice")
    check_eq(verify(ws).returncode, 0, "the chain verifies")
    ws.cleanup()


def fsize_limit(limit):
    def set_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


@test
def full_disk_fails_cleanly_and_rerun_recovers():
    want, _ = reference()
    for limit in (2000, 60000, 400000):
        ws = sample_workspace()
        r = run(ws, "run", preexec=fsize_limit(limit))
        check_eq(r.returncode, 3, "limit %d: the run fails with exit 3 (stdout %s stderr %s)"
                 % (limit, r.stdout[-200:], r.stderr[-300:]))
        check("settle:" in r.stderr, "limit %d: says why: %s" % (limit, r.stderr[-300:]))
        got, hidden = reports(ws)
        check_eq(sorted(got), [], "limit %d: exit 3 leaves no report visible" % limit)
        check_eq(hidden, [], "limit %d: and no staged file behind" % limit)
        r = run(ws, "run")
        check(r.returncode in (0, 1), "limit %d: the next run works (%s)" % (limit, r.stderr[-300:]))
        got, hidden = reports(ws)
        check_eq([k for k in want if got.get(k) != want[k]], [],
                 "limit %d: byte-identical reports after recovery" % limit)
        check_eq(sorted(got), sorted(want), "limit %d: same files" % limit)
        ws.cleanup()


@test
def reports_stay_staged_until_the_commit_and_a_cut_off_publish_is_finished():
    want, _ = reference(rows=2000)
    ws = sample_workspace(rows=2000)
    target = sorted(k for k in want if k.endswith("statement.json"))[0]
    blocker = ws.path("var", "reports", target)
    os.makedirs(blocker)                          # rename onto a folder fails after the commit
    r = run(ws, "run")
    check_eq(r.returncode, 1, "committed, one report not in place: exit 1 (%s)" % r.stderr[-300:])
    check("the next run puts its reports in place" in r.stderr, "says so: %s" % r.stderr[-300:])
    got, hidden = reports(ws)
    check_eq(hidden, [os.path.join(os.path.dirname(target), "." + os.path.basename(target)
                                   + ".tmp")], "the blocked report is still staged")
    os.rmdir(blocker)
    r = run(ws, "run")
    check(r.returncode in (0, 1), "next run (%s)" % r.stderr[-300:])
    check("0 files (" in r.stdout, "it takes nothing new: %s" % r.stdout)
    got, hidden = reports(ws)
    check_eq(hidden, [], "nothing left staged")
    check_eq(sorted(got), sorted(want), "the same report files as one clean run")
    check_eq([k for k in want if got.get(k) != want[k]], [], "byte-identical")
    check_eq(audit_runs(ws), [1, 2], "both runs audited")
    v = verify(ws)
    check_eq(v.returncode, 0, "the audit chain and outputs verify: %s%s" % (v.stdout, v.stderr))
    ws.cleanup()


done()
