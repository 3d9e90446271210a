#!/bin/sh
# The hinge loss (C-SVM, #20) on the command line: eval/fit/predict round trip,
# decision values consistent with the labels, invariance to the order of the
# training rows, regression refused (exit 2), bad options, class weights,
# version-1 model files, and `ntk kernel --format libsvm`.
. tests/cli/lib.sh
IRIS=data/iris.csv

# Train/test halves of iris, rows interleaved so both have every class.
awk 'NR == 1 || NR % 2 == 0' $IRIS > $TMPD/train.csv
awk 'NR == 1 || NR % 2 == 1' $IRIS > $TMPD/test.csv
opts="--depth 2 --loss hinge --C 3 --svm-eps 1e-10"

# eval: one result row (t = inf), loss and C in the model, accuracy sane.
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv $opts --format json \
    --predictions $TMPD/eval_pred.csv --decision-values
expect_out_match '"loss": "hinge"'
expect_out_match '"C": 3'
expect_out_match '"multiclass": "one-vs-one"'
[ "$(grep -o '"t": ' $OUT | wc -l)" -eq 1 ] || fail "hinge JSON must have exactly one result"
expect_out_match '"results": \[\{"t": "inf"'
acc=$(sed 's/.*"test": {"accuracy": \([0-9.e-]*\).*/\1/' $OUT)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "hinge test accuracy $acc"
head -1 $TMPD/eval_pred.csv | grep -q '^t=inf,dec:setosa|versicolor,dec:setosa|virginica,dec:versicolor|virginica$' ||
    fail "decision-value header: $(head -1 $TMPD/eval_pred.csv)"

# The label column is the one-vs-one vote of the decision values.
awk -F, 'NR > 1 { v["setosa"] = 0; v["versicolor"] = 0; v["virginica"] = 0
        v[$2 > 0 ? "setosa" : "versicolor"]++; v[$3 > 0 ? "setosa" : "virginica"]++
        v[$4 > 0 ? "versicolor" : "virginica"]++
        best = "setosa"; if (v["versicolor"] > v[best]) best = "versicolor"
        if (v["virginica"] > v[best]) best = "virginica"
        if (best != $1) bad++ } END { exit bad > 0 }' $TMPD/eval_pred.csv ||
    fail "labels disagree with the votes of the decision values"

# fit + predict give what eval gave (same model, saved and loaded).
expect_exit 0 $NTK fit --train $TMPD/train.csv $opts -o $TMPD/m.ntk --format json
expect_out_match '"loss": "hinge"'
expect_exit 0 $NTK predict --model $TMPD/m.ntk --data $TMPD/test.csv --decision-values \
    -o $TMPD/pred.csv
cmp -s $TMPD/pred.csv $TMPD/eval_pred.csv || fail "predict after fit differs from eval"
expect_exit 0 $NTK predict --model $TMPD/m.ntk --data $TMPD/test.csv
[ "$(head -1 $OUT)" = "t=inf" ] || fail "predict without --decision-values: one label column"
cut -d, -f1 $TMPD/pred.csv | cmp -s - $OUT || fail "labels differ with and without decision values"

# The training rows in another order: the same decision values (the solution is unique).
{ head -1 $TMPD/train.csv; tail -n +2 $TMPD/train.csv | awk '{ print (NR * 37) % 101 "\t" $0 }' |
    sort -n | cut -f2-; } > $TMPD/shuffled.csv
expect_exit 0 $NTK eval --train $TMPD/shuffled.csv --test $TMPD/test.csv $opts \
    --predictions $TMPD/shuf_pred.csv --decision-values
paste -d, $TMPD/pred.csv $TMPD/shuf_pred.csv | awk -F, 'NR > 1 {
        for (i = 2; i <= 4; i++) { d = $i - $(i + 4); if (d < 0) d = -d; if (d > w) w = d }
        if ($1 != $5) bad++ } END { if (w > 1e-6 || bad) { print w, bad; exit 1 } }' ||
    fail "row order changed the SVM"

# Class weights: reported, and a large weight on one class changes the duals.
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv $opts \
    --class-weight virginica:50 --predictions $TMPD/w_pred.csv --decision-values --format json
expect_out_match '"class_weight": \[1, 1, 50\]'
cmp -s $TMPD/w_pred.csv $TMPD/eval_pred.csv && fail "class weight had no effect"
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv $opts --class-weight balanced \
    --format json
expect_out_match '"class_weight": \[1, 1, 1\]'

# Regression with the hinge loss: exit 2, one message, nothing on stdout.
expect_exit 2 $NTK eval --train data/servo.csv --test-frac 0.3 --loss hinge
expect_err_match 'hinge needs a classification target'
expect_no_stdout
expect_exit 2 $NTK fit --train data/servo.csv --loss hinge -o $TMPD/never.ntk
[ ! -e $TMPD/never.ntk ] || fail "a model file was left after a refused fit"

# Bad values.
for bad in "--C 0" "--C -1" "--C abc" "--loss absolute" "--svm-eps 0" \
           "--class-weight setosa" "--class-weight daisy:2" "--class-weight setosa:-1"; do
    expect_exit 2 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --loss hinge $bad &&
        expect_no_stdout
done
expect_exit 2 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --predictions $TMPD/p.csv \
    --decision-values
expect_err_match 'decision-values needs --loss hinge'

# --select with the losses (#20). --loss hinge: kernel x C for the SVM, end to end; the
# saved model is the winner refitted: the same predictions as an explicit fit with the
# reported kernel and C.
expect_exit 0 $NTK select --train $TMPD/train.csv --loss hinge --max-depth 2 --b-grid 0 \
    -o $TMPD/hsel.ntk --format json --quiet
expect_out_match '"loss": "hinge", "C": '
expect_out_match '"ranking": \[\{"kind": "[a-z]*", "depth": [0-9], "fixed_layers": [0-9], "act": "relu", "b_std": 0, "reg": null, "tau": "inf", "loss": "hinge"'
grep -q '"loss": "square"' $OUT && fail "--loss hinge --select ranked a square-loss candidate"
kind=$(sed 's/.*"selection".*"ranking": \[{"kind": "\([a-z]*\)", "depth": \([0-9]*\), "fixed_layers": \([0-9]*\).*/\1 \2 \3/' $OUT)
Cabs=$(sed 's/.*"loss": "hinge", "C": \([0-9.e+-]*\), "svm".*/\1/' $OUT)
set -- $kind
expect_exit 0 $NTK predict --model $TMPD/hsel.ntk --data $TMPD/test.csv -o $TMPD/hsel.csv \
    --decision-values
expect_exit 0 $NTK fit --train $TMPD/train.csv --loss hinge --kind $1 --depth $2 --fixed-layers $3 \
    --b-std 0 --C "$Cabs" -o $TMPD/hfix.ntk --quiet
expect_exit 0 $NTK predict --model $TMPD/hfix.ntk --data $TMPD/test.csv -o $TMPD/hfix.csv \
    --decision-values
paste -d, $TMPD/hsel.csv $TMPD/hfix.csv | awk -F, 'NR > 1 { if ($1 != $5) bad++
        for (i = 2; i <= 4; i++) { d = $i - $(i + 4); if (d < 0) d = -d; if (d > 1e-9) bad++ } }
        END { exit bad > 0 }' || fail "the selected hinge model differs from its explicit refit"
# --loss hinge --C: C is fixed, the kernel is selected.
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --loss hinge --C 3 \
    --max-depth 2 --select --format json --quiet
expect_out_match '"loss": "hinge", "C": 3,'
# --loss square --select: no hinge candidate; no --loss: both losses on the same rows.
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --loss square --select \
    --max-depth 2 --format json --quiet
grep -q '"loss": "hinge"' $OUT && fail "--loss square --select ranked a hinge candidate"
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --select --max-depth 2 \
    --format json --quiet
expect_out_match '"loss_scores": \{"square": [0-9.]+, "hinge": [0-9.]+, "rows": 75, "folds": 3\}'
expect_exit 0 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --select --max-depth 2
expect_out_match 'losses on the same 75 rows, 3 folds: square'
# Bad --C-grid values: exit 2, the option named, nothing on stdout.
for bad in "0" "-1" "abc" "1,,2" "" "inf" "1,nan"; do
    expect_exit 2 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --select --loss hinge \
        --C-grid "$bad" && expect_no_stdout
    expect_err_match "C-grid expects comma-separated finite numbers > 0"
done
expect_exit 2 $NTK eval --train $TMPD/train.csv --test $TMPD/test.csv --select --hinge-kernels -1
expect_err_match 'hinge-kernels'

# A square-loss model has no decision values.
expect_exit 0 $NTK fit --train $TMPD/train.csv --loss square -o $TMPD/sq.ntk
expect_exit 2 $NTK predict --model $TMPD/sq.ntk --data $TMPD/test.csv --decision-values
expect_err_match 'hinge'

# Version 1 model files (written by ntk before the hinge loss: tests/data/model_v1_servo.ntk,
# `ntk fit --train data/servo.csv --depth 2 --times 1,inf --reg 1e-3` at commit 195b311)
# still load and predict what a fresh fit with the same options predicts (that
# commit's default scaling was zscore, now named).
expect_exit 0 $NTK predict --model tests/data/model_v1_servo.ntk --data data/servo.csv \
    -o $TMPD/v1.csv
expect_exit 0 $NTK fit --train data/servo.csv --depth 2 --times 1,inf --reg 1e-3 \
    --standardize zscore -o $TMPD/v2.ntk
expect_exit 0 $NTK predict --model $TMPD/v2.ntk --data data/servo.csv -o $TMPD/v2.csv
paste -d, $TMPD/v1.csv $TMPD/v2.csv | awk -F, 'NR > 1 { for (i = 1; i <= 2; i++) {
        d = $i - $(i + 2); if (d < 0) d = -d; s = $(i + 2) < 0 ? -$(i + 2) : $(i + 2)
        if (d > 1e-9 * (s > 1 ? s : 1)) bad++ } } END { exit bad > 0 }' ||
    fail "version 1 model predicts differently"
# The version is in the file: 1 for the old one, 2 for new ones.
[ "$(od -A n -t u1 -j 8 -N 1 tests/data/model_v1_servo.ntk | tr -d ' ')" = 1 ] || fail "v1 file"
[ "$(od -A n -t u1 -j 8 -N 1 $TMPD/v2.ntk | tr -d ' ')" = 2 ] || fail "new files are version 2"
# A hinge model file cut short is refused.
head -c 2000 $TMPD/m.ntk > $TMPD/cut.ntk
expect_exit 2 $NTK predict --model $TMPD/cut.ntk --data $TMPD/test.csv
expect_err_match 'truncated|corrupt'

# kernel --format libsvm: 'label 0:i 1:K(i,1) ...' with the CSV kernel's values.
expect_exit 0 $NTK kernel --data $TMPD/train.csv --depth 2 --format csv
mv $OUT $TMPD/k.csv
expect_exit 0 $NTK kernel --data $TMPD/train.csv --depth 2 --format libsvm
awk -v n=75 'NR == FNR { for (i = 1; i <= NF; i++) split($0, row, ","); rows[NR] = $0; next }
    { split(rows[FNR], k, ","); if (NF != n + 2 || $2 != "0:" FNR) { bad++; next }
      if ($1 !~ /^[0-2]$/) bad++
      for (j = 1; j <= n; j++) { split($(j + 2), kv, ":"); if (kv[1] != j || kv[2] != k[j]) bad++ } }
    END { exit bad > 0 }' $TMPD/k.csv $OUT || fail "libsvm format differs from the CSV kernel"
[ "$(wc -l < $OUT)" -eq 75 ] || fail "libsvm: one line per row"
finish
