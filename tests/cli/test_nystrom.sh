#!/bin/sh
# The Nystrom path from the command line (#21): with every training row a
# center it predicts as the dense fit; fit + predict reproduce eval; the
# report names the solver; bad options exit 2 with nothing on stdout.
. tests/cli/lib.sh
B="--train data/bostonhousing.csv --test-frac 0.25 --seed 3 --quiet"

# max relative difference between two prediction files (same header)
maxrel() {
    awk -F, 'NR == FNR { if (FNR > 1) for (i = 1; i <= NF; i++) a[FNR, i] = $i; next }
             FNR > 1 { for (i = 1; i <= NF; i++) { d = $i - a[FNR, i]; if (d < 0) d = -d
                       s = a[FNR, i] < 0 ? -a[FNR, i] : a[FNR, i]; if (s > m) m = s; if (d > e) e = d } }
             END { printf "%.3g\n", e / (m > 0 ? m : 1) }' "$1" "$2"
}

for model in "--depth 2 --b-std 0.1 --reg 1e-3 --reg-scale relative" \
             "--act erf --depth 3 --fixed-layers 1 --time-scale mean --reg 1e-3 --reg-scale relative" \
             "--kind nngp --reg 0.01"; do
    expect_exit 0 $NTK eval $B $model --times 0.5,10,inf --solver dense --predictions $TMPD/d.csv &&
    expect_exit 0 $NTK eval $B $model --times 0.5,10,inf --centers 1000 --predictions $TMPD/n.csv &&
    expect_out_match "solver: Nystrom, 379 centers" || continue
    r=$(maxrel $TMPD/d.csv $TMPD/n.csv)
    awk -v r="$r" 'BEGIN { exit !(r <= 1e-8) }' || fail "M = n differs from dense by $r ($model)"
done

# fewer centers: still a good fit, reported; fit + predict = eval's predictions
expect_exit 0 $NTK eval $B --centers 120 --center-selection rpcholesky --times 10,inf \
    --format json --predictions $TMPD/e.csv &&
grep -q '"solver": "nystrom", "nystrom": {"centers": 120, "n_train": 379, "selection": "rpcholesky"' "$OUT" ||
    fail "json does not report the Nystrom fit"
grep -q '"residual_rel": 0\.' "$OUT" || fail "json has no residual estimate"
awk 'BEGIN { RS = "\"t\": \"inf\"" } NR == 2 { if (match($0, /"test": \{"rmse": [0-9.e+-]+/)) { v = substr($0, RSTART + 17, RLENGTH - 17); exit !(v + 0 < 5) } exit 1 }' "$OUT" ||
    fail "Nystrom test RMSE at t = inf is not below 5"
expect_exit 0 $NTK fit --train data/bostonhousing.csv --seed 3 --centers 120 \
    --center-selection rpcholesky --times 10,inf -o $TMPD/m.ntk --quiet
# eval's test rows are a split; predict on the whole file must be finite and load
expect_exit 0 $NTK predict --model $TMPD/m.ntk --data data/bostonhousing.csv -o $TMPD/p.csv &&
[ "$(wc -l < $TMPD/p.csv)" -eq 507 ] || fail "predict with a Nystrom model"
# same model through eval on the same rows: identical predictions
expect_exit 0 $NTK eval --train data/bostonhousing.csv --test data/bostonhousing.csv --seed 3 \
    --centers 120 --center-selection rpcholesky --times 10,inf --predictions $TMPD/q.csv --quiet &&
cmp -s $TMPD/p.csv $TMPD/q.csv || fail "fit + predict differs from eval with the same centers"

# classification, and the default on small data stays dense
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --seed 1 --centers 40 --format json &&
grep -q '"solver": "nystrom"' "$OUT" || fail "iris nystrom"
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --seed 1 --format json &&
grep -q '"solver": "dense"' "$OUT" || fail "small data should use the dense solver by default"

# --select chooses the hyperparameters, the winner is a Nystrom fit
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --seed 1 --select --max-depth 2 \
    --reg-grid 0,1e-3 --time-grid 10,inf --folds 3 --centers 40 --format json &&
grep -q '"selection": {' "$OUT" && grep -q '"solver": "nystrom"' "$OUT" || fail "select + nystrom"

# k-means centers: a model file that predicts as eval does
expect_exit 0 $NTK eval $B --centers 80 --center-selection kmeans --times inf --format json &&
grep -q '"selection": "kmeans"' "$OUT" || fail "kmeans centers not reported"
expect_exit 0 $NTK fit --train data/bostonhousing.csv --centers 80 --center-selection kmeans \
    -o $TMPD/k.ntk --quiet --depth 2 &&
expect_exit 0 $NTK predict --model $TMPD/k.ntk --data data/bostonhousing.csv -o $TMPD/k.csv ||
    fail "kmeans model"

# bad input: exit 2, one message, nothing on stdout
for bad in "--centers 0" "--centers -3" "--centers abc" "--solver foo" "--centers 10 --solver dense" \
           "--center-selection kmedoids" "--nystrom-block 0"; do
    expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.3 $bad && expect_no_stdout
done
expect_exit 2 $NTK eval $B --centers 50 --uncertainty && expect_no_stdout
expect_err_match "not available on the Nystrom path"
finish
