#!/bin/sh
# The README's table: `ntk eval --test-frac 0.25 --seed 0` on every bundled
# data set, with hyperparameters chosen by 5-fold CV (--select) for the small
# sets and a fixed model for the two large ones. Prints Markdown.
# usage: tools/datasets-table.sh [NTK_BINARY]
NTK=${1:-bin/ntk}
echo "| data set | task | train+test | model (CV choice or fixed) | test metric | options | wall s |"
echo "|---|---|---|---|---|---|---|"
for f in data/*.csv; do
    b=$(basename "$f" .csv)
    t=""
    sel="--select"
    case $b in
        housevotes84) t="--target Class" ;;
        breastcancer) t="--drop Id" ;;
        glass) t="--task classification" ;;
        letterrecognition) t="--target lettr"; sel="--depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --times inf" ;;
        satellite) sel="--depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --times inf" ;;
    esac
    start=$(date +%s.%N)
    json=$($NTK eval --train "$f" $t --test-frac 0.25 --seed 0 $sel --format json --quiet) || { echo "| $b | failed |"; continue; }
    end=$(date +%s.%N)
    printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
name, wall, desc = sys.argv[1], float(sys.argv[2]), sys.argv[3]
m = j["model"]
last = j["results"][-1]
if "selection" in j:
    s = j["selection"]
    tau = s["tau"]
    chosen = "%s depth %d F%d b%g reg %g t %s/diag (CV %.3f)" % (m["kind"], m["depth"], m["fixed_layers"], m["b_std"], m["reg"], tau, s["cv_score"])
else:
    chosen = "fixed: %s depth %d b%g reg %g t=%s" % (m["kind"], m["depth"], m["b_std"], m["reg"], last["t"])
if j["task"] == "classification":
    metric = "accuracy %.2f%%" % (100 * last["test"]["accuracy"])
else:
    metric = "R² %.3f, RMSE %.3g" % (last["test"]["r2"], last["test"]["rmse"])
print("| %s | %s | %d+%d | %s | %s | %s | %.1f |" % (name, j["task"], j["n_train"], j["n_test"], chosen, metric, desc, wall))
' "$b" "$(echo "$end - $start" | bc)" "$( [ -n "$t" ] && echo "$t" || echo "-")"
done
