#!/bin/sh
# Malformed input (tests/data/bad/ and files generated here): `ntk describe`
# must exit 2, print nothing on stdout, and print one line on stderr naming
# the problem, the file and (where it applies) the line and column.
: "${NTK:=bin/ntk}"
. tests/cli/lib.sh
B=tests/data/bad

# bad FILE REGEX [OPTIONS...]
bad() {
    file=$1; re=$2; shift 2
    expect_exit 2 "$NTK" describe "$file" "$@" || return 0
    expect_err_match "$re"
    expect_no_stdout
    [ "$(wc -l < "$ERR")" -eq 1 ] || fail "stderr is not one line for $file: $(cat "$ERR")"
}

bad $B/empty.csv                  "^ntk describe: $B/empty.csv: empty file"
bad $B/header_only.csv            "$B/header_only.csv: no data rows.*line 1"
bad $B/ragged.csv                 "$B/ragged.csv: line 7: expected 5 fields, found 4"
bad $B/ragged_after_multiline.csv "line 5: expected 3 fields, found 2"
bad $B/unterminated_quote.csv     "$B/unterminated_quote.csv: line 3, column 2: unterminated quoted field"
bad $B/stray_quote.csv            "line 3, column 2: quote inside an unquoted field"
bad $B/nul_byte.csv               "$B/nul_byte.csv: line 3, column 2: NUL byte"
bad $B/duplicate_names.csv        "line 1: duplicate column name 'x' \(columns 1 and 3\)"
bad $B/unknown_target.csv         "unknown target: no column 'Species' in $B/unknown_target.csv" --target Species
bad $B/unknown_target.csv         "unknown target: column '7' is out of range" --target 7
bad $B/all_missing_column.csv     "column 2 \('empty'\) has no values"
bad $B/single_class.csv           "target 'Class' has a single class 'benign'"
bad $B/nonnumeric_target.csv      "target 'Class' is not numeric \(line 2: 'benign'\)" --task regression
bad $B/inf_value.csv              "$B/inf_value.csv: line 3, column 2 \('b'\): numbers must be finite: 'Inf'"
bad $B/nan_target.csv             "line 3, column 3 \('y'\): the target is NaN"
bad $B/does-not-exist.csv         "cannot open $B/does-not-exist.csv: No such file or directory"
bad tests/data                    "cannot open tests/data: Is a directory"
bad $B/unknown_target.csv         "--drop: no column 'nope'" --drop nope
bad $B/unknown_target.csv         "--drop: column 3 \('species'\) is the target" --drop species

# The all-missing column is fine once dropped.
expect_exit 0 "$NTK" describe $B/all_missing_column.csv --drop empty

# A field longer than 1 MiB (generated, not committed) and one just under it.
big=$TMPD/bigfield.csv
{ printf 'a,b,y\n1,'; head -c 1048577 /dev/zero | tr '\0' x; printf ',0\n2,x,1\n'; } > "$big"
bad "$big" "line 2, column 2: field too long"
{ printf 'a,b,y\n1,'; head -c 1000000 /dev/zero | tr '\0' x; printf ',0\n2,x,1\n'; } > "$big"
expect_exit 0 "$NTK" describe "$big" && expect_out_match "categorical"

# Unterminated quote swallowing the rest of a large file.
{ printf 'a,b,y\n1,2,0\n3,"'; i=0; while [ $i -lt 30000 ]; do echo "4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33"; i=$((i+1)); done; } > "$TMPD/unterm.csv"
bad "$TMPD/unterm.csv" "line 3, column 2: field too long .*unterminated quote"

# Missing values under --missing error.
bad data/breastcancer.csv "data/breastcancer.csv: line 25, column 7 \('Bare.nuclei'\): missing value" --drop Id --missing error

# Usage errors also exit 2.
expect_exit 2 "$NTK" describe && expect_err_match "missing input file"
expect_exit 2 "$NTK" describe data/iris.csv --format xml && expect_err_match "--format"
expect_exit 2 "$NTK" describe data/iris.csv --delimiter ab && expect_err_match "--delimiter"
expect_exit 2 "$NTK" describe data/iris.csv --bogus && expect_err_match "unknown option '--bogus'"
expect_exit 2 "$NTK" describe data/iris.csv --target species --no-target
expect_exit 2 "$NTK" describe data/iris.csv data/glass.csv
finish
