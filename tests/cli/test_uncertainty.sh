#!/bin/sh
# ntk eval --uncertainty: std@t=<t> prediction columns, calibration keys in the
# JSON/CSV/table reports, coverage in [0,1], the limits the CLI can see, and
# the error paths.
. tests/cli/lib.sh
B="--train data/bostonhousing.csv --target medv --test-frac 0.25 --seed 0 --depth 2"

# Predictions: t=<t> and std@t=<t> side by side, every std finite and >= 0.
expect_exit 0 $NTK eval $B --times 0,1,10,inf --time-scale mean --reg 1e-3 --reg-scale relative \
    --uncertainty --predictions $TMPD/p.csv --quiet
head -1 $TMPD/p.csv | grep -qx 't=0,std@t=0,t=1,std@t=1,t=10,std@t=10,t=inf,std@t=inf' ||
    fail "predictions header: $(head -1 $TMPD/p.csv)"
awk -F, 'NR > 1 { for (c = 2; c <= NF; c += 2) if (!($c + 0 >= 0) || $c == "nan" || $c == "inf") { print "bad std " $c; exit 1 } rows++ }
         END { exit !(rows == 127) }' $TMPD/p.csv || fail "std columns not finite/non-negative or wrong row count"
# Without --uncertainty the file is unchanged (no std columns).
expect_exit 0 $NTK eval $B --times 1,inf --predictions $TMPD/q.csv --quiet
head -1 $TMPD/q.csv | grep -qx 't=1,t=inf' || fail "plain predictions header changed"

# t = 0: the ensemble is still the prior (std = y_scale·√K(x,x) > 0).
awk -F, 'NR > 1 && !($2 > 0) { exit 1 }' $TMPD/p.csv || fail "std at t=0 not positive"

# JSON: every existing key, plus nlpd and coverage_50/90/95 in each test block.
expect_exit 0 $NTK eval $B --times 1,inf --uncertainty --format json --quiet
for k in '"task": "regression"' '"n_train": ' '"results": ' '"rmse": ' '"mae": ' '"r2": ' \
         '"nlpd": ' '"coverage_50": ' '"coverage_90": ' '"coverage_95": ' '"seconds": ' '"uncertainty": '; do
    expect_out_match "$k"
done
n=$(grep -o '"nlpd": ' "$OUT" | wc -l)
[ "$n" -eq 2 ] || fail "expected nlpd in 2 test blocks, got $n"
grep -o '"coverage_[0-9]*": [^,}]*' "$OUT" | awk '{ v = $2 + 0; if (!(v >= 0 && v <= 1)) { print "coverage " $0; bad = 1 } n++ }
    END { exit bad || n != 6 }' || fail "coverage outside [0,1] or missing"
# Coverage grows with the interval.
grep -o '"coverage_50": [^,]*, "coverage_90": [^,]*, "coverage_95": [^,}]*' "$OUT" |
    awk -F'[:,]' '{ if (!($2 <= $4 && $4 <= $6)) exit 1 }' || fail "coverage not monotone"

# --noise widens the intervals (std grows), NNGP kind and a separate test file work.
expect_exit 0 $NTK eval $B --times inf --uncertainty --noise 0.1 --predictions $TMPD/n.csv --quiet
expect_exit 0 $NTK eval $B --times inf --uncertainty --predictions $TMPD/z.csv --quiet
paste -d, $TMPD/n.csv $TMPD/z.csv | awk -F, 'NR > 1 && !($2 > $4) { exit 1 }' || fail "--noise did not widen"
# --noise reg: the ridge as the observation noise (NNGP: the Bayesian predictive of y).
expect_exit 0 $NTK eval $B --kind nngp --times inf --reg 0.1 --uncertainty --noise reg --format json --quiet
expect_out_match '"noise_var": [1-9]'
expect_exit 0 $NTK eval $B --kind nngp --times 1,inf --reg 1e-2 --reg-scale relative --uncertainty --format csv --quiet
expect_out_match '^t,train_rmse,train_mae,train_r2,test_rmse,test_mae,test_r2,test_nlpd,test_coverage_50,test_coverage_90,test_coverage_95$'
expect_exit 0 $NTK eval --train tests/data/ref_train.csv --test tests/data/ref_test.csv --target y \
    --times 0.5,inf --uncertainty --quiet
expect_out_match 'test NLPD'

# GP posterior at the training inputs (NNGP, t = inf, no ridge): std ~ 0.
expect_exit 0 $NTK eval --train data/servo.csv --test data/servo.csv --kind nngp --depth 2 --times inf \
    --uncertainty --predictions $TMPD/s.csv --quiet
awk -F, 'NR > 1 && $2 > 1e-3 { exit 1 }' $TMPD/s.csv || fail "NNGP posterior std at training points not ~0"

# --select chooses first, then the uncertainty of the chosen model.
expect_exit 0 $NTK eval --train data/servo.csv --test-frac 0.25 --seed 0 --select --max-depth 2 --folds 3 \
    --uncertainty --format json --quiet && expect_out_match '"coverage_95": '

# Error paths: exit 2, message, nothing on stdout.
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.25 --uncertainty && expect_err_match 'regression only' && expect_no_stdout
expect_exit 2 $NTK eval --train data/bostonhousing.csv --uncertainty && expect_err_match 'test data' && expect_no_stdout
expect_exit 2 $NTK eval $B --noise 0.1 && expect_err_match 'noise' && expect_no_stdout
expect_exit 2 $NTK eval $B --uncertainty --noise -1 && expect_err_match 'noise' && expect_no_stdout
expect_exit 2 $NTK eval $B --uncertainty --noise abc && expect_err_match 'noise' && expect_no_stdout
finish
