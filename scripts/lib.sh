# scripts/lib.sh - shared by scripts/demo, scripts/test and scripts/bench:
# installs missing Debian packages (as root) and builds settle with meson.
# Sourced, not run.

SETTLE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SETTLE_BUILD="$SETTLE_ROOT/build"
SETTLE_PACKAGES="gcc libc6-dev pkg-config meson ninja-build liblua5.4-dev libcsv-dev
  libyaml-dev libsqlite3-dev libyajl-dev libssl-dev zlib1g-dev python3 tzdata"
# Only for `scripts/test --fuzz`: clang and its libFuzzer/sanitizer runtimes.
# (`--sanitize` builds with gcc, whose ASan/UBSan runtimes come with gcc.)
SETTLE_FUZZ_PACKAGES="clang libclang-rt-dev"
# Only for the tests (scripts/test): promtool, from Debian's prometheus package,
# checks settle.prom and deploy/prometheus/settle.rules.yml.
SETTLE_TEST_PACKAGES="prometheus"

# Installs whatever of the given packages (default SETTLE_PACKAGES) is
# missing; without root, prints the exact apt-get line and stops.
settle_install_deps() {
    local missing=() p
    for p in ${*:-$SETTLE_PACKAGES}; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "settle needs these packages; run as root:" >&2
        echo "  apt-get install -y ${missing[*]}" >&2
        exit 2
    fi
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
}

# settle_build [DIR [MESON_OPTION...]]: configures DIR (default build/) once
# with the given meson options, then builds it. Exits 2 on a build error.
settle_build() {
    local dir=${1:-$SETTLE_BUILD}
    [ $# -gt 0 ] && shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$SETTLE_ROOT" "$@" >/dev/null || exit 2
    fi
    ninja -C "$dir" >/dev/null 2>"$dir/ninja.err" || {
        cat "$dir/ninja.err" >&2
        ninja -C "$dir" >&2
        exit 2
    }
}
