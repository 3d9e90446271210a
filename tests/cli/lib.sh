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
