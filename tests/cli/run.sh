#!/bin/sh
# Run every command-line test script tests/cli/test_*.sh with $NTK pointing at
# the binary under test. Each script exits nonzero on failure.
set -u
: "${NTK:=bin/ntk}"
export NTK
pass=0; fail=0
for t in tests/cli/test_*.sh; do
    [ -e "$t" ] || continue
    if sh "$t"; then pass=$((pass + 1)); else echo "FAILED: $t"; fail=$((fail + 1)); fi
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
