#!/bin/sh
# ntk eval / fit / predict end to end: against the independent reference
# predictions, round trip through a model file, and the error paths.
. tests/cli/lib.sh
D=tests/data
REF="--train $D/ref_train.csv --test $D/ref_test.csv --target y --standardize none --target-scaling off"

# compare_ref ACT DEPTH WSTD BSTD KIND REG VARIANT PREDFILE: every test prediction
# at every time equals the reference within 1e-9 absolute.
compare_ref() {
    awk -v act="$1" -v depth="$2" -v w="$3" -v b="$4" -v kind="$5" -v reg="$6" -v var="$7" '
        FNR == NR {
            if ($1 == "case") on = ($2 == act && $3 == depth && $4 == w && $5 == b && $6 == kind && $7 + 0 == reg + 0 && $8 == var)
            if (on && $1 == "pred" && $3 == "test") { nt++; tname[nt] = $2; for (i = 1; i <= $4; i++) ref[nt, i] = $(4 + i); rows = $4 }
            next
        }
        FNR == 1 { split($0, hdr, ","); next }
        {
            split($0, v, ",")
            for (j = 1; j <= nt; j++) {
                want = "t=" tname[j]; col = 0
                for (c = 1; c <= length(hdr); c++) { h = substr(hdr[c], 3); if (h == tname[j] || (h != "inf" && tname[j] != "inf" && h + 0 == tname[j] + 0)) col = c }
                if (!col) { print "missing column " want; bad = 1; continue }
                d = v[col] - ref[j, FNR - 1]; if (d < 0) d = -d
                if (d > 1e-9) { printf "row %d %s: %s vs %s\n", FNR - 1, want, v[col], ref[j, FNR - 1]; bad = 1 }
                checked++
            }
        }
        END { if (nt == 0) { print "no reference case"; exit 1 } if (checked != nt * rows) { print "checked " checked " of " nt * rows; exit 1 } exit bad }
    ' $D/ref_predict.txt "$8"
}

for act in relu erf; do
  for depth in 1 2 3; do
    for kind in ntk nngp; do
      for ts in sum mean; do
        var=plain; [ $ts = mean ] && var=perN
        expect_exit 0 $NTK eval $REF --act $act --depth $depth --w-std 1.4142135623730951 --b-std 0.1 \
            --kind $kind --times 0.1,1,10,inf --time-scale $ts --predictions $TMPD/p.csv --quiet || continue
        compare_ref $act $depth 1.4142135623730951 0.10000000000000001 $kind 0 $var $TMPD/p.csv ||
            fail "reference mismatch: $act depth $depth $kind $ts"
      done
    done
  done
done
# A case with an absolute ridge.
expect_exit 0 $NTK eval $REF --act erf --depth 3 --w-std 1 --b-std 0 --reg 0.01 --times 0.1,1,10,inf \
    --predictions $TMPD/p.csv --quiet && compare_ref erf 3 1 0 ntk 0.01 plain $TMPD/p.csv || fail "reference mismatch with reg"

# Round trip: fit -> save -> predict is bit-identical to eval's predictions.
for set in "iris.csv --target species" "bostonhousing.csv --target medv" "servo.csv --target Class"; do
    f=${set%% *}; opts=${set#* }
    expect_exit 0 $NTK eval --train data/$f --test data/$f $opts --depth 2 --times 1,100,inf --time-scale mean \
        --reg 1e-3 --reg-scale relative --predictions $TMPD/eval.csv --quiet || continue
    expect_exit 0 $NTK fit --train data/$f $opts --depth 2 --times 1,100,inf --time-scale mean \
        --reg 1e-3 --reg-scale relative -o $TMPD/m.ntk --quiet || continue
    expect_exit 0 $NTK predict --model $TMPD/m.ntk --data data/$f -o $TMPD/pred.csv || continue
    cmp -s $TMPD/eval.csv $TMPD/pred.csv || fail "fit+predict differs from eval on $f"
done

# JSON report has the contract's keys; iris accuracy is sensible.
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.25 --seed 0 --depth 2 --times 10,inf --reg 0.1 --reg-scale relative --format json --quiet
for k in '"task": "classification"' '"n_train": ' '"n_test": ' '"n_features": 4' '"model": ' '"results": ' '"t": "inf"' '"accuracy": ' '"seconds": '; do
    expect_out_match "$k"
done
acc=$(sed 's/.*"t": "inf", "train": {[^}]*}, "test": {"accuracy": \([0-9.]*\).*/\1/' "$OUT")
awk -v a="$acc" 'BEGIN { exit !(a > 0.85) }' || fail "iris test accuracy $acc too low"

# Table and CSV formats.
expect_exit 0 $NTK eval --train data/bostonhousing.csv --test-frac 0.25 --depth 2 --times 1,inf --format csv --quiet
expect_out_match '^t,train_rmse,train_mae,train_r2,test_rmse,test_mae,test_r2$'
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --times inf --quiet
expect_out_match 'per-class test counts'

# Error paths: exit 2, a message naming the problem, nothing on stdout.
expect_exit 2 $NTK eval --train $D/nonexistent.csv --test-frac 0.2 && expect_err_match 'nonexistent.csv' && expect_no_stdout
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --times 1,-2 && expect_err_match 'times' && expect_no_stdout
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --times 1,,2 && expect_no_stdout
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --act nosuch && expect_err_match 'nosuch'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --depth -1 && expect_err_match 'depth'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 1.5 && expect_err_match 'test-frac'
expect_exit 2 $NTK eval --train data/iris.csv --bogus && expect_err_match 'bogus'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --reg-scale sideways && expect_err_match 'reg-scale'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.2 --target nosuchcolumn && expect_err_match 'nosuchcolumn'
# Output that cannot be written: exit 1, nothing on stdout, no partial file.
expect_exit 1 $NTK eval --train data/iris.csv --test-frac 0.2 --predictions /dev/full --quiet && expect_no_stdout
expect_exit 1 $NTK eval --train data/iris.csv --test-frac 0.2 --predictions $TMPD/no/such/dir/p.csv --quiet && expect_no_stdout
# Model files: truncated or foreign -> exit 2 with the file named.
expect_exit 0 $NTK fit --train data/iris.csv -o $TMPD/iris.ntk --quiet
head -c 100 $TMPD/iris.ntk > $TMPD/trunc.ntk
expect_exit 2 $NTK predict --model $TMPD/trunc.ntk --data data/iris.csv && expect_err_match 'trunc.ntk' && expect_no_stdout
expect_exit 2 $NTK predict --model data/iris.csv --data data/iris.csv && expect_err_match 'not an ntk model'
expect_exit 2 $NTK predict --model $TMPD/iris.ntk --data data/bostonhousing.csv && expect_no_stdout
expect_exit 2 $NTK fit --train data/iris.csv && expect_err_match 'required'
finish
