#!/bin/sh
# --select end to end: eval and fit choose hyperparameters by CV and report them.
. tests/cli/lib.sh
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --seed 1 --select --max-depth 2 \
    --b-grid 0,0.1 --folds 3 --format json --quiet
for k in '"selection": ' '"cv_score": ' '"candidates": ' '"candidates_per_second": ' '"time_scale": "mean"' '"reg_scale": "relative"'; do
    expect_out_match "$k"
done
# The chosen model is used: one result row, at the chosen time.
n=$(grep -o '"t": ' "$OUT" | wc -l)
[ "$n" -eq 1 ] || fail "expected one result row, got $n"
acc=$(sed 's/.*"test": {"accuracy": \([0-9.]*\).*/\1/' "$OUT")
awk -v a="$acc" 'BEGIN { exit !(a > 0.85) }' || fail "iris accuracy after selection $acc"
# fit --select writes a model that predict can use.
expect_exit 0 $NTK fit --train data/servo.csv --select --max-depth 2 --acts relu,erf --folds 3 -o $TMPD/s.ntk --quiet
expect_out_match 'selection: 3-fold CV chose'
expect_exit 0 $NTK predict --model $TMPD/s.ntk --data data/servo.csv
# No model option: the default selects (leave-one-out, halving) and says so;
# any model option fixes the model.
expect_exit 0 $NTK eval --train data/servo.csv --test-frac 0.25 --seed 1 --format json --quiet
for k in '"method": "leave-one-out"' '"automatic": true' '"ranking": \[{"kind"' '"rows": '; do
    expect_out_match "$k"
done
expect_exit 0 $NTK eval --train data/servo.csv --test-frac 0.25 --seed 1 --depth 1 --format json --quiet
grep -q '"selection"' "$OUT" && fail "a model option must switch the default selection off"
expect_exit 0 $NTK eval --train data/iris.csv --test-frac 0.3 --seed 1 --quiet
expect_out_match 'selection \(default: no model option given\): leave-one-out chose'
expect_out_match '  rank  loss   kind depth'
# ntk select: only the search, the winner saved; the same model as fit --select.
expect_exit 0 $NTK select --train data/servo.csv --max-depth 2 -o $TMPD/sel.ntk --quiet
expect_out_match '  rank  loss   kind depth'
expect_exit 0 $NTK predict --model $TMPD/sel.ntk --data data/servo.csv -o $TMPD/sel.csv
expect_exit 0 $NTK fit --train data/servo.csv --select --max-depth 2 -o $TMPD/fs.ntk --quiet
expect_exit 0 $NTK predict --model $TMPD/fs.ntk --data data/servo.csv -o $TMPD/fs.csv
cmp -s $TMPD/sel.csv $TMPD/fs.csv || fail "ntk select and ntk fit --select predict differently"
expect_exit 2 $NTK select --train data/servo.csv && expect_err_match '-o MODEL' && expect_no_stdout
# Bad selection options.
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.3 --select --folds 1 && expect_err_match 'folds'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.3 --select --acts relu,bogus && expect_err_match 'bogus'
expect_exit 2 $NTK eval --train data/iris.csv --test-frac 0.3 --select --time-grid 0,1 && expect_err_match 'time-grid'
finish
