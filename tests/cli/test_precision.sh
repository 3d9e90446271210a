#!/bin/sh
# --precision float end to end: predictions against --precision double (t = inf
# refined to double accuracy, finite times within the float bound), the report
# fields, fit/predict through a model file, the ill-conditioned warning, and bad
# values.
. tests/cli/lib.sh
B="--train data/bostonhousing.csv --target medv --test-frac 0.25 --seed 0 --depth 3 --reg 1e-3 --reg-scale relative"

# t = inf: float refined agrees with double to 1e-9 (measured ~4e-14).
expect_exit 0 $NTK eval $B --precision double --predictions $TMPD/d.csv --quiet
expect_exit 0 $NTK eval $B --precision float --predictions $TMPD/f.csv --format json --quiet
expect_out_match '"precision": "float"'
expect_out_match '"refinement": \{"steps": [1-9][0-9]*, "residual_initial": [0-9.e-]+, "residual": [0-9.e-]+, "converged": true, "seconds": '
res=$(grep -o '"residual": [^,]*' "$OUT" | head -1 | sed 's/.*: //')
le "$res" 1e-12 || fail "refined residual $res above 1e-12"
d=$(maxrel $TMPD/f.csv $TMPD/d.csv)
le "$d" 1e-9 || fail "float t=inf predictions differ from double by $d"
# The default is double, and says so.
expect_exit 0 $NTK eval $B --format json --quiet
expect_out_match '"precision": "double"'
grep -q '"refinement"' "$OUT" && fail "double report has a refinement record"

# Table: the model line and the solve line name it.
expect_exit 0 $NTK eval $B --precision float --quiet
expect_out_match '^model: .*, precision float$'
expect_out_match 'solve [0-9.]+s \(Cholesky in float; t = inf refined in [1-9][0-9]* steps, residual'

# Finite times (float eigendecomposition at this size) and inf in one list.
T="--times 1,10,100,inf --time-scale mean"
expect_exit 0 $NTK eval $B $T --predictions $TMPD/d2.csv --quiet
expect_exit 0 $NTK eval $B $T --precision float --predictions $TMPD/f2.csv --quiet
cut -d, -f1-3 $TMPD/d2.csv > $TMPD/d2f.csv; cut -d, -f1-3 $TMPD/f2.csv > $TMPD/f2f.csv
cut -d, -f4 $TMPD/d2.csv > $TMPD/d2i.csv; cut -d, -f4 $TMPD/f2.csv > $TMPD/f2i.csv
d=$(maxrel $TMPD/f2f.csv $TMPD/d2f.csv)
le "$d" 1e-4 || fail "float finite-time predictions differ from double by $d"
awk -v x="$d" 'BEGIN { exit !(x > 1e-12) }' || fail "finite times identical to double ($d): float path not taken?"
d=$(maxrel $TMPD/f2i.csv $TMPD/d2i.csv)
le "$d" 1e-9 || fail "float t=inf (with finite times) differs from double by $d"

# fit --precision float writes an ordinary model file; predict reproduces eval.
expect_exit 0 $NTK fit --train data/bostonhousing.csv --target medv --depth 3 --reg 1e-3 \
    --reg-scale relative --precision float -o $TMPD/m.ntk --format json --quiet
expect_out_match '"precision": "float"'
expect_exit 0 $NTK predict --model $TMPD/m.ntk --data data/bostonhousing.csv -o $TMPD/pp.csv
expect_exit 0 $NTK eval --train data/bostonhousing.csv --test data/bostonhousing.csv --target medv \
    --depth 3 --reg 1e-3 --reg-scale relative --precision float --predictions $TMPD/pe.csv --quiet
cmp -s $TMPD/pp.csv $TMPD/pe.csv || fail "predict from a float model differs from eval --precision float"

# Classification, JSON accuracy equal to double's.
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --reg 1e-3 --reg-scale relative --precision float --format csv --quiet
cp "$OUT" $TMPD/cf.csv
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --reg 1e-3 --reg-scale relative --format csv --quiet
cmp -s "$OUT" $TMPD/cf.csv || fail "iris accuracies differ between float and double"

# Ill-conditioned: no ridge, 40 duplicated rows with other targets. The float
# refinement only converges with jitter; the warning says so (and the result
# is finite).
{ head -201 data/bostonhousing.csv
  sed -n 2,41p data/bostonhousing.csv | awk -F, 'BEGIN { OFS = "," } { $NF = $NF + 1; print }'; } > $TMPD/dup.csv
expect_exit 0 $NTK eval --train $TMPD/dup.csv --test data/bostonhousing.csv --target medv --depth 2 \
    --precision float --predictions $TMPD/dp.csv
expect_err_match 'too ill-conditioned for single precision.*added jitter'
awk -F, 'NR > 1 && ($1 == "nan" || $1 == "inf" || $1 == "-inf") { exit 1 }' $TMPD/dp.csv || fail "non-finite predictions"

# Help and bad values: exit 2 naming the option, nothing on stdout.
expect_exit 0 $NTK eval --help && expect_out_match '--precision double\|float'
expect_exit 2 $NTK eval $B --precision half && expect_err_match '--precision expects double\|float' && expect_no_stdout
expect_exit 2 $NTK fit --train data/iris.csv -o $TMPD/x.ntk --precision FLOAT && expect_err_match '--precision' && expect_no_stdout
expect_exit 2 $NTK eval $B --precision && expect_no_stdout
finish
