#!/bin/sh
# Numerical edge cases (docs/hardening.md): each has a defined outcome, a
# finite result or a clear error with the contract's exit code.
. tests/cli/lib.sh
T=$TMPD

# finite_csv FILE: no NaN/Inf after the header (the first column of a metrics
# table is the time, which may be 'inf'; predictions have no such column).
finite_csv() { awk -F, 'NR > 1 { for (i = ($1 == "inf" ? 2 : 1); i <= NF; i++) if (tolower($i) ~ /nan|inf/) bad = 1 } END { exit bad }' "$1"; }

awk 'BEGIN { print "x1,x2,y"; for (i = 1; i <= 8; i++) printf "%g,%g,%g\n", i, (i * 7) % 5 + 1, i * 0.5 }' > $T/norm.csv

# Duplicate training rows: Θ is singular; the minimum-norm interpolant is reported,
# predictions are finite.
printf 'x1,x2,y\n1,2,3\n1,2,3\n1,2,3\n4,5,6\n2,2,2\n' > $T/dup.csv
expect_exit 0 $NTK eval --train $T/dup.csv --test $T/dup.csv --times 1,inf --predictions $T/p.csv --format csv &&
    expect_err_match "singular .*null directions.*minimum-norm interpolant" &&
    { finite_csv $T/p.csv && finite_csv $OUT || fail "duplicate rows: non-finite output"; }

# A single training row: every feature is constant -> clear error, exit 2.
printf 'x1,x2,y\n1,2,3\n' > $T/one.csv
expect_exit 2 $NTK eval --train $T/one.csv --test $T/norm.csv && expect_no_stdout &&
    expect_err_match "one.csv: no feature columns left .*constant over the 1 training row\)"

# One feature.
printf 'x,y\n1,2\n2,3\n3,5\n4,4\n' > $T/onef.csv
expect_exit 0 $NTK eval --train $T/onef.csv --test $T/onef.csv --times 0.5,inf --format csv && finite_csv $OUT ||
    fail "one feature"

# All features constant: all dropped -> clear error.
printf 'x1,x2,y\n1,2,3\n1,2,4\n1,2,5\n' > $T/const.csv
expect_exit 2 $NTK eval --train $T/const.csv --test $T/norm.csv && expect_no_stdout &&
    expect_err_match "no feature columns left .*constant over the 3 training rows"

# Feature scales 1e150 and 1e-150, with and without standardization: exact fits.
for e in 150 -150; do
    awk -v e=$e 'BEGIN { print "x1,x2,y"; for (i = 1; i <= 8; i++) printf "%ge%d,%ge%d,%g\n", i, e, (i * 7) % 5 + 1, e, i * 0.5 }' > $T/s.csv
    for st in none zscore; do
        expect_exit 0 $NTK eval --train $T/s.csv --test $T/s.csv --standardize $st --times 1,inf --format csv --quiet || continue
        finite_csv $OUT || fail "scale 1e$e --standardize $st: non-finite metrics"
        awk -F, '$1 == "inf" && $7 < 0.999 { exit 1 }' $OUT || fail "scale 1e$e --standardize $st: test R2 < 0.999"
    done
done
# Beyond the double range (squared norm 1e400): a clear error naming the input scale.
awk 'BEGIN { print "x1,x2,y"; for (i = 1; i <= 8; i++) printf "%ge200,%ge200,%g\n", i, (i * 7) % 5 + 1, i * 0.5 }' > $T/huge.csv
expect_exit 2 $NTK eval --train $T/huge.csv --test $T/huge.csv --standardize none && expect_no_stdout &&
    expect_err_match "inputs are too large.*rescale the features"
expect_exit 0 $NTK eval --train $T/huge.csv --test $T/huge.csv --format csv && finite_csv $OUT || fail "1e200 with zscore"

# Targets near the double range (1e200, ±1e307): finite metrics and predictions,
# not NaN from overflowing sums of squares.
for e in 200 307; do
    awk -v e=$e 'BEGIN { print "x1,x2,y"; for (i = 1; i <= 8; i++) printf "%g,%g,%ge%d\n", i, (i * 7) % 5 + 1, (i % 2 ? -1 : 1) * i * 0.2, e }' > $T/y.csv
    expect_exit 0 $NTK eval --train $T/y.csv --test $T/y.csv --times 1,inf --predictions $T/p.csv --format csv --quiet &&
        finite_csv $OUT && finite_csv $T/p.csv && awk -F, '$1 == "inf" && $7 < 0.999 { exit 1 }' $OUT ||
        fail "targets of scale 1e$e"
done

# Depth 100 (ReLU with He scaling keeps the scale).
expect_exit 0 $NTK eval --train $T/norm.csv --test $T/norm.csv --depth 100 --times 1,inf --format csv &&
    finite_csv $OUT || fail "depth 100"
# Depth 1000 with w_std 3: the kernel overflows -> numerical failure, exit 1.
expect_exit 1 $NTK eval --train $T/norm.csv --test $T/norm.csv --depth 1000 --w-std 3 && expect_no_stdout &&
    expect_err_match "kernel overflows at depth"

# sigma_w = 0: the kernel is constant (zero); jitter, predictions are the target mean (R2 = 0).
expect_exit 0 $NTK eval --train $T/norm.csv --test $T/norm.csv --w-std 0 --times 1,inf --format csv &&
    finite_csv $OUT && awk -F, 'NR > 1 && $7 != 0 { exit 1 }' $OUT || fail "w_std 0"

# sigma_b = 0 with a zero input row (Σ⁰ = 0 on that row).
printf 'x1,x2,y\n0,0,1\n1,2,3\n2,1,4\n3,3,2\n' > $T/zero.csv
expect_exit 0 $NTK eval --train $T/zero.csv --test $T/zero.csv --b-std 0 --standardize none --times 1,inf \
    --predictions $T/p.csv --format csv && finite_csv $T/p.csv && finite_csv $OUT || fail "b_std 0 with a zero row"
printf 'x1,x2\n0,0\n1,2\n2,1\n' > $T/z2.csv
for act in relu erf tanh; do
    expect_exit 0 $NTK kernel --data $T/z2.csv --no-target --standardize none --b-std 0 --act $act --depth 2 &&
        { ! grep -Eqi 'nan|inf' $OUT && [ "$(head -1 $OUT)" = "0,0,0" ] || fail "kernel of a zero row ($act): $(head -1 $OUT)"; }
done

# t = 1e300 equals t = inf (to rounding); lr 1e300 (eta*lambda_max huge) likewise.
expect_exit 0 $NTK eval --train $T/norm.csv --test $T/norm.csv --times 1e300,inf --predictions $T/p.csv --quiet &&
    awk -F, 'NR > 1 { d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9 || $1 != $1 + 0) exit 1 }' $T/p.csv || fail "t = 1e300"
expect_exit 0 $NTK eval --train $T/norm.csv --test $T/norm.csv --lr 1e300 --times 1,inf --predictions $T/p.csv --quiet &&
    awk -F, 'NR > 1 { d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9) exit 1 }' $T/p.csv || fail "lr 1e300"
expect_exit 2 $NTK eval --train $T/norm.csv --test $T/norm.csv --lr 1e999 && expect_err_match "option --lr expects a finite number"
expect_exit 2 $NTK eval --train $T/norm.csv --test $T/norm.csv --times 1e999 && expect_err_match "\-\-times: '1e999'"

# n_test = 0 (a header only): an input error, exit 2, for every command that reads data.
printf 'x1,x2,y\n' > $T/hdr.csv
expect_exit 2 $NTK eval --train $T/norm.csv --test $T/hdr.csv && expect_no_stdout &&
    expect_err_match "hdr.csv: no data rows \(only a header, line 1\)"
expect_exit 0 $NTK fit --train $T/norm.csv -o $T/m.ntk --quiet
expect_exit 2 $NTK predict --model $T/m.ntk --data $T/hdr.csv -o $T/pred.csv && expect_no_stdout &&
    expect_err_match "no data rows"
[ ! -e $T/pred.csv ] || fail "predict on an empty file wrote output"
expect_exit 2 $NTK kernel --data $T/norm.csv --data2 $T/hdr.csv --no-target && expect_no_stdout
# ... and a test file whose every row lacks the target: the same decision.
printf 'x1,x2,y\n1,2,\n3,4,\n' > $T/notarget.csv
expect_exit 2 $NTK eval --train $T/norm.csv --test $T/notarget.csv --predictions $T/pred.csv && expect_no_stdout &&
    expect_err_match "notarget.csv: no usable rows \(2 with a missing target"
[ ! -e $T/pred.csv ] || fail "eval without usable test rows wrote predictions"

# A class with two rows under --select: some folds miss it; selection still runs.
awk 'BEGIN { print "x1,x2,c"; for (i = 1; i <= 20; i++) printf "%g,%g,%s\n", i, (i * 7) % 5 + 1, (i <= 2 ? "rare" : (i % 2 ? "a" : "b")) }' > $T/rare.csv
expect_exit 0 $NTK eval --train $T/rare.csv --test $T/rare.csv --select --max-depth 1 --folds 5 --format json --quiet &&
    expect_out_match '"accuracy": '
# ... and a class with a single row: the training part of one fold lacks it.
awk 'BEGIN { print "x1,x2,c"; for (i = 1; i <= 20; i++) printf "%g,%g,%s\n", i, (i * 7) % 5 + 1, (i == 1 ? "rare" : (i % 2 ? "a" : "b")) }' > $T/rare1.csv
expect_exit 0 $NTK eval --train $T/rare1.csv --test $T/rare1.csv --select --max-depth 1 --format json --quiet &&
    expect_out_match '"classes": \["a", "b", "rare"\]'

# NaN text in a feature is a missing value (imputed; refused with --missing error);
# Inf/overflowing text is refused with file, line and column.
printf 'x1,x2,y\nNaN,1,2\n1,2,3\n2,2,3\n' > $T/nan.csv
expect_exit 0 $NTK eval --train $T/nan.csv --test $T/norm.csv --format csv && finite_csv $OUT || fail "NaN imputed"
expect_exit 2 $NTK eval --train $T/nan.csv --test $T/norm.csv --missing error && expect_no_stdout &&
    expect_err_match "nan.csv: line 2, column 1"
for v in inf -Infinity 1e999; do
    printf 'x1,x2,y\n%s,1,2\n1,2,3\n2,2,3\n' "$v" > $T/inf.csv
    expect_exit 2 $NTK eval --train $T/norm.csv --test $T/inf.csv && expect_no_stdout &&
        expect_err_match "inf.csv: line 2, column 1 \('x1'\): numbers must be finite.*'$v'"
done
printf 'x1,x2,y\n1,1,2\n1,2,inf\n2,2,3\n' > $T/inft.csv
expect_exit 2 $NTK eval --train $T/inft.csv --test $T/norm.csv && expect_no_stdout && expect_err_match "inft.csv: line 3, column 3"

finish
