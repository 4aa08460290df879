# tests/fuzz/run.sh - sourced by scripts/test --fuzz; adds to its counters
# `passed` and `failed` (one check per saved case, one per harness run).
#
# fuzz_all BUILD_DIR SECONDS: for every harness BUILD_DIR/tests/fuzz/fuzz_NAME,
#   1. re-runs each saved case in tests/fuzz/regress/NAME/ (a crash found is
#      a test case forever: it must keep passing);
#   2. fuzzes for SECONDS from the seeds in tests/fuzz/corpus/NAME/ plus what
#      earlier runs found (BUILD_DIR/fuzz-corpus/NAME/, not in git). A crash,
#      leak, timeout or broken invariant fails, and its input is saved into
#      tests/fuzz/regress/NAME/ to be fixed and committed with the fix.

fuzz_all() {
    local build=$1 seconds=$2 h name
    for h in "$build"/tests/fuzz/fuzz_*; do
        [ -f "$h" ] && [ -x "$h" ] || continue
        name=${h##*/fuzz_}
        fuzz_regressions "$h" "$name"
        fuzz_one "$h" "$name" "$seconds" "$build/fuzz-corpus/$name"
    done
}

# Runs each saved case of harness $1 (name $2) once.
fuzz_regressions() {
    local h=$1 name=$2 c out n=0
    for c in "$SETTLE_ROOT/tests/fuzz/regress/$name"/*; do
        [ -f "$c" ] || continue
        if out=$("$h" "$c" 2>&1); then
            passed=$((passed + 1))
            n=$((n + 1))
        else
            echo "FAIL fuzz/$name: saved case ${c#"$SETTLE_ROOT"/} fails:"
            echo "$out" | grep -E -A25 -m1 'ERROR: |runtime error:|invariant failed|deadly signal' |
                head -30 | sed 's/^/    /'
            failed=$((failed + 1))
        fi
    done
    [ $n -gt 0 ] && echo "ok   fuzz/$name: $n saved cases pass"
}

# Fuzzes harness $1 (name $2) for $3 seconds with working corpus $4.
fuzz_one() {
    local h=$1 name=$2 seconds=$3 work=$4 regress out status runs
    regress="$SETTLE_ROOT/tests/fuzz/regress/$name"
    mkdir -p "$work" "$regress"
    # Harnesses write each input to a file: in memory (/dev/shm) when possible.
    [ -w /dev/shm ] && [ -z "${TMPDIR:-}" ] && local TMPDIR=/dev/shm && export TMPDIR
    out=$("$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$regress/" "$work" "$SETTLE_ROOT/tests/fuzz/corpus/$name" 2>&1)
    status=$?
    runs=$(echo "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p' | tail -1)
    if [ $status -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   fuzz/$name: ${runs:-?} inputs in ${seconds}s, no finding"
    else
        failed=$((failed + 1))
        echo "FAIL fuzz/$name: finding (exit $status); input saved as:"
        echo "$out" | sed -n 's/.*Test unit written to \(.*\)$/    \1/p'
        echo "$out" | grep -E -A25 -m1 'ERROR: |runtime error:|invariant failed|deadly signal' |
            head -30 | sed 's/^/    /'
    fi
}
