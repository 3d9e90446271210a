#!/bin/sh
# `ntk describe`: types, missing counts, dropped columns, target and task,
# class counts, encoded dimension; table and JSON output; delimiters.
: "${NTK:=bin/ntk}"
. tests/cli/lib.sh
PY=/usr/bin/python3

ok() { expect_exit 0 "$NTK" describe "$@"; }

ok --help && expect_out_match "usage: ntk describe FILE"

ok data/iris.csv
expect_out_match "^rows: +150$"
expect_out_match "^target: +species \(column 5\)"
expect_out_match "^task: +classification, 3 classes"
expect_out_match "^features: +d = 4 "
expect_out_match "^  setosa +50 "
expect_out_match "^  virginica +50 "
[ -s "$ERR" ] && fail "stderr not empty on success: $(cat "$ERR")"

ok data/breastcancer.csv --drop Id
expect_out_match "d = 9 "
expect_out_match "Id +dropped +0 .*dropped: --drop"
expect_out_match "Bare.nuclei +numeric +16 "
expect_out_match "benign +458 "

ok data/housevotes84.csv --target Class
expect_out_match "^target: +Class \(column 1\)"
expect_out_match "d = 16 "
expect_out_match "V16 +boolean +104 "
expect_out_match "democrat +267 "

ok data/glass.csv --task classification
expect_out_match "classification, 6 classes"
ok data/glass.csv
expect_out_match "^task: +regression"

ok data/servo.csv
expect_out_match "d = 12 "
expect_out_match "Motor +categorical +0 +5 +5 +levels: A, B, C, D, E"
expect_out_match "target summary: mean"

ok data/ionosphere.csv
expect_out_match "V2 +dropped .*dropped: constant"
expect_out_match "d = 33 "

ok data/iris.csv --no-target
expect_out_match "^target: +none"
expect_out_match "species +categorical .*levels: setosa, versicolor, virginica"
expect_out_match "d = 7 "

ok data/servo.csv --categorical Pgain,Vgain
expect_out_match "Pgain +categorical"

# UCI "_R.dat" style: tab-separated, unnamed row-number column first.
printf '\tf1\tf2\tclase\n1\t0.5\t-1\t0\n2\t0.25\t1\t1\n3\t-0.5\t1\t0\n4\t0.75\t-1\t1\n' > "$TMPD/uci.dat"
ok "$TMPD/uci.dat" --delimiter tab
expect_out_match "\(unnamed\) +dropped .*dropped: row names"
expect_out_match "d = 2 "
expect_out_match "classification|regression"
ok "$TMPD/uci.dat" --delimiter tab --task classification
expect_out_match "classification, 2 classes"

# BOM + CRLF + quoted fields with delimiters and newlines, semicolons.
printf '\357\273\277"name";"x";"label"\r\n"a;b";1;yes\r\n"multi\r\nline";2;no\r\n"c";3;yes\r\n' > "$TMPD/semi.csv"
ok "$TMPD/semi.csv" --delimiter ';'
expect_out_match "^rows: +3$"
expect_out_match "^target: +label"
expect_out_match "name +dropped|name +categorical"

# JSON: valid and complete.
ok data/breastcancer.csv --drop Id --format json
if [ -x "$PY" ]; then
    "$PY" - "$OUT" <<'PYEOF' || fail "JSON check failed"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] == 699 and d["n_features"] == 9, d
assert d["task"] == "classification" and d["target"] == {"name": "Class", "index": 11}
cols = {c["name"]: c for c in d["columns"]}
assert cols["Id"]["dropped"] and cols["Id"]["drop_reason"] == "--drop"
assert cols["Bare.nuclei"]["missing"] == 16 and cols["Bare.nuclei"]["type"] == "numeric"
assert {c["label"]: c["count"] for c in d["classes"]} == {"benign": 458, "malignant": 241}
PYEOF
    ok data/servo.csv --format json
    "$PY" - "$OUT" <<'PYEOF' || fail "JSON check failed (servo)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["task"] == "regression" and d["n_features"] == 12
assert d["columns"][0]["levels"] == ["A", "B", "C", "D", "E"]
assert d["target_summary"]["min"] == 1 and d["target_summary"]["max"] == 51
PYEOF
    printf 'name,x,y\n"q\001\351",1,0\n"w",2,1\n' > "$TMPD/odd.csv"
    ok "$TMPD/odd.csv" --format json --task classification
    "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" || fail "JSON with odd bytes is invalid"
fi
finish
