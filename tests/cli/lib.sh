# Shared helpers for command-line tests; source it: `. tests/cli/lib.sh`.
# expect_exit CODE CMD...: run CMD, require exit CODE, keep stdout/stderr in $OUT/$ERR.
TMPD=$(mktemp -d); trap 'rm -rf "$TMPD"' EXIT
OUT=$TMPD/out; ERR=$TMPD/err
failures=0
fail() { echo "  FAIL [$0]: $*" >&2; failures=$((failures + 1)); }
expect_exit() {
    want=$1; shift
    "$@" >"$OUT" 2>"$ERR"; got=$?
    if [ "$got" != "$want" ]; then
        fail "exit $got (want $want): $*"; sed 's/^/    stderr: /' "$ERR" | head -5 >&2
        return 1
    fi
    return 0
}
# expect_err_match REGEX: stderr matches the extended regex.
expect_err_match() { grep -Eq -- "$1" "$ERR" || { fail "stderr does not match /$1/:"; sed 's/^/    /' "$ERR" | head -3 >&2; }; }
expect_out_match() { grep -Eq -- "$1" "$OUT" || { fail "stdout does not match /$1/"; }; }
expect_no_stdout() { [ ! -s "$OUT" ] || fail "stdout not empty on failure"; }
finish() { [ "$failures" -eq 0 ]; exit $?; }
# maxrel A B: largest |a - b| / max|b| over every value column of two prediction files.
maxrel() {
    paste -d, "$1" "$2" | awk -F, 'NR > 1 { h = NF / 2; for (c = 1; c <= h; c++) {
            d = $c - $(c + h); if (d < 0) d = -d; if (d > m) m = d
            a = $(c + h); if (a < 0) a = -a; if (a > s) s = a } }
        END { printf "%.3g\n", (s > 0 ? m / s : 0) }'
}
# le X LIMIT: X <= LIMIT as numbers.
le() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x + 0 <= l + 0) }'; }
