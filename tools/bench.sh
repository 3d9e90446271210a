#!/bin/sh
# `make bench`: end-to-end `ntk eval` against the same pipeline in numpy/scipy
# (tools/numpy_pipeline.py), same data, same model, same thread count, then the
# kernel benchmark (tools/bench_kernel.sh). Ratios, not absolute times, are the
# point: both run in this one invocation on this machine.
# env: THREADS (2), N_TRAIN (5000), N_TEST (2000), KERNEL_SIZES ("2000 5000")
THREADS=${THREADS:-2}
N_TRAIN=${N_TRAIN:-5000}
N_TEST=${N_TEST:-2000}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -n $((N_TRAIN + 1)) data/letterrecognition.csv > "$tmp/train.csv"
{ head -n 1 data/letterrecognition.csv; tail -n +$((N_TRAIN + 2)) data/letterrecognition.csv | head -n "$N_TEST"; } > "$tmp/test.csv"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; threads: $THREADS; $(bin/ntk info | grep 'blas core'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "end to end: letterrecognition, $N_TRAIN train / $N_TEST test rows, ReLU NTK depth 3, b_std 0.1, reg 1e-3 x mean diag"
echo
echo "| times | ntk s | numpy s | numpy/ntk | ntk accuracy | numpy accuracy | ntk peak RSS MB |"
echo "|---|---:|---:|---:|---|---|---:|"
for times in inf 10,100,1000,10000,inf; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" bin/ntk eval --train "$tmp/train.csv" --test "$tmp/test.csv" \
        --target lettr --depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --times $times \
        --time-scale mean --threads "$THREADS" --format csv --quiet > "$tmp/ntk.csv" || exit 1
    ns=$(cut -d' ' -f1 "$tmp/time"); rss=$(( $(cut -d' ' -f2 "$tmp/time") / 1024 ))
    nacc=$(tail -n +2 "$tmp/ntk.csv" | cut -d, -f3 | xargs printf '%.4f ')
    p=$(/usr/bin/python3 tools/numpy_pipeline.py "$tmp/train.csv" "$tmp/test.csv" lettr 3 0.1 1e-3 $times) || exit 1
    ps=$(echo "$p" | cut -d' ' -f1); pacc=$(echo "$p" | cut -d' ' -f2-)
    echo "| $times | $ns | $ps | $(echo "scale=1; $ps / $ns" | bc) | $nacc | $pacc | $rss |"
done
echo
SIZES=${KERNEL_SIZES:-"2000 5000"} DEPTHS="1 3" THREADS=$THREADS sh tools/bench_kernel.sh build/tools/bench_kernel
