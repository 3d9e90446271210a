#!/bin/sh
# The Python package against `ntk eval` and the numpy pipeline on the
# end-to-end job of tools/bench.sh (letterrecognition, first N_TRAIN rows
# train, next N_TEST test; ReLU NTK depth 3, b_std 0.1, ridge 1e-3 x mean
# diag, mean time scale), same run, same threads, with the load average.
# usage: sh tools/bench_python.sh [LETTER.csv]   (NTK=bin/ntk, PYTHONPATH=build/python)
set -eu
DATA=${1:-data/letterrecognition.csv}
NTK=${NTK:-bin/ntk}
N_TRAIN=${N_TRAIN:-15000}
N_TEST=${N_TEST:-5000}
TIMES=${TIMES:-"inf 1,10,100,1000,10000"}
NUMPY_TIMES=${NUMPY_TIMES:-"1,10,100,1000,10000"}
export PYTHONPATH=${PYTHONPATH:-build/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
head -n $((N_TRAIN + 1)) "$DATA" > "$tmp/train.csv"
{ head -n 1 "$DATA"; tail -n +$((N_TRAIN + 2)) "$DATA" | head -n "$N_TEST"; } > "$tmp/test.csv"
echo "| times | program | wall s (whole process) | fit+predict s | load before | test accuracy |"
echo "|---|---|---:|---:|---:|---|"
for times in $TIMES; do
    for prog in cli python cli python; do
        l=$(load)
        if [ $prog = cli ]; then
            /usr/bin/time -f "%e" -o "$tmp/time" "$NTK" eval --train "$tmp/train.csv" --test "$tmp/test.csv" \
                --target lettr --depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --times "$times" \
                --time-scale mean --format json --quiet > "$tmp/ntk.json"
            fp=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["seconds"]; print("%.2f" % (s["kernel"] + s["solve"] + s["predict"]))' "$tmp/ntk.json")
            acc=$(/usr/bin/python3 -c 'import json,sys; print(" ".join("%.4f" % r["test"]["accuracy"] for r in json.load(open(sys.argv[1]))["results"]))' "$tmp/ntk.json")
        else
            out=$(/usr/bin/time -f "%e" -o "$tmp/time" /usr/bin/python3 tools/bench_python.py "$tmp/train.csv" "$tmp/test.csv" lettr "$times")
            fp=$(echo "$out" | cut -d' ' -f2); acc=$(echo "$out" | cut -d' ' -f3-)
        fi
        echo "| $times | $prog | $(cat "$tmp/time") | $fp | $l | $acc |"
    done
done
for times in $NUMPY_TIMES; do
    l=$(load)
    p=$(/usr/bin/time -f "%e" -o "$tmp/time" /usr/bin/python3 tools/numpy_pipeline.py "$tmp/train.csv" "$tmp/test.csv" lettr 3 0.1 1e-3 "$times")
    echo "| $times | numpy (tools/numpy_pipeline.py) | $(cat "$tmp/time") | $(echo "$p" | cut -d' ' -f1) | $l | $(echo "$p" | cut -d' ' -f2-) |"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
