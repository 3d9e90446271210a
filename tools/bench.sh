#!/bin/sh
# `make bench`: in one run on this machine, with the same thread count for every
# program:
#   1. the linked BLAS's practical peak (dgemm) and the solver's dense steps
#      (the Chebyshev step, dpotrf, dsyevd) as fractions of it (tools/bench_blas.c);
#   2. kernel evaluation rate against numpy (tools/bench_kernel.sh);
#   3. the solver alone at SOLVE_N rows: Cholesky (t = inf) vs the Chebyshev path
#      (5 finite times), plus the eigendecomposition if SOLVE_N <= EIGEN_MAX;
#   4. the Krylov path at KRYLOV_N rows, times 1,10,100,1e4 on the sum scale:
#      against a Cholesky of the same matrix (26 targets and 1), against the
#      eigendecomposition (1 target, if KRYLOV_N <= EIGEN_MAX), and peak RSS of the
#      Krylov and Cholesky solves alone;
#   5. end-to-end `ntk eval` on letterrecognition (first N_TRAIN rows train, the
#      next N_TEST test) at t = inf and at 5 finite times (mean scale) and 4 (sum
#      scale), against the same pipeline in numpy/scipy (tools/numpy_pipeline.py),
#      with peak resident memory.
# The machine may be shared: the 1-minute load average is printed next to every
# measurement. Ratios, not absolute times, are the point.
# env: THREADS (2), N_TRAIN (15000), N_TEST (5000), NTK (bin/ntk), TOOLS (build/tools),
#      BLAS_N (3000), SOLVE_N (5000), EIGEN_MAX (5000), KERNEL_N (4000), SKIP_NUMPY (0),
#      KRYLOV_N (6000)
THREADS=${THREADS:-2}
N_TRAIN=${N_TRAIN:-15000}
N_TEST=${N_TEST:-5000}
NTK=${NTK:-bin/ntk}
TOOLS=${TOOLS:-build/tools}
BLAS_N=${BLAS_N:-3000}
SOLVE_N=${SOLVE_N:-5000}
EIGEN_MAX=${EIGEN_MAX:-5000}
KERNEL_N=${KERNEL_N:-4000}
KRYLOV_N=${KRYLOV_N:-6000}
FINITE=1,10,100,1000,10000
FINITE_SUM=1,10,100,10000
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; threads: $THREADS; $($NTK info | grep 'blas core'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "## BLAS/LAPACK (GFLOP/s; fraction of the dgemm peak)"
echo
echo "| operation | n | seconds | GFLOP/s | of peak | load |"
echo "|---|---:|---:|---:|---:|---:|"
l=$(load)
"$TOOLS/bench_blas" blas "$BLAS_N" "$BLAS_N" 26 > "$tmp/blas" || exit 1
while read -r name n s g f rest; do
    echo "| $name ${rest} | $n | $s | $g | $f | $l |"
done < "$tmp/blas"
echo "(dgemm: n³ multiply-adds, best of 3; dgemm_block_k26: n×n by n×26, the Chebyshev step; dpotrf: n³/3; dsyevd: nominal 10n³/3)"
echo

echo "## Kernel evaluation (ReLU NTK, depth 3, d = 16), load $(load)"
echo
SIZES=$KERNEL_N DIMS=16 DEPTHS=3 ACTS=relu REPEAT=3 NUMPY_MAX=$KERNEL_N THREADS=$THREADS \
    sh tools/bench_kernel.sh "$TOOLS/bench_kernel" | tail -n +3
echo

echo "## Solver alone: ReLU NTK of $SOLVE_N random rows, 26 centered one-hot targets, 5 finite times ($FINITE, mean scale)"
echo
echo "| path | n | seconds | notes | load |"
echo "|---|---:|---:|---|---:|"
eig=0; [ "$SOLVE_N" -le "$EIGEN_MAX" ] && eig=1
l=$(load)
"$TOOLS/bench_blas" solve "$SOLVE_N" 26 $eig > "$tmp/solve" || exit 1
while read -r name n s rest; do
    echo "| $name | $n | $s | $rest | $l |"
done < "$tmp/solve"
echo
echo "## Krylov path: ReLU NTK of $KRYLOV_N random rows, times 1,10,100,1e4 (sum scale), ridge 1e-3 x mean diag"
echo
echo "| run | n | seconds | notes | load |"
echo "|---|---:|---:|---|---:|"
keig=noeigen; [ "$KRYLOV_N" -le "$EIGEN_MAX" ] && keig=all
for k in 26 1; do
    mode=noeigen; [ $k = 1 ] && mode=$keig
    l=$(load)
    "$TOOLS/bench_blas" krylov "$KRYLOV_N" $k 1e-3 $mode > "$tmp/krylov" || exit 1
    while read -r name n s rest; do
        echo "| $name, $k targets | $n | $s | $rest | $l |"
    done < "$tmp/krylov"
done
for k in 26 1; do
    for m in cholesky krylov; do
        l=$(load)
        /usr/bin/time -f "%M" -o "$tmp/ktime" "$TOOLS/bench_blas" krylov "$KRYLOV_N" $k 1e-3 $m > /dev/null || exit 1
        echo "| peak RSS, $m alone, $k targets | $KRYLOV_N | | $(( $(cat "$tmp/ktime") / 1024 )) MB ($(echo "scale=3; $(cat "$tmp/ktime") * 1024 / (8 * $KRYLOV_N * $KRYLOV_N)" | bc) x 8n^2) | $l |"
    done
done
echo
head -n $((N_TRAIN + 1)) data/letterrecognition.csv > "$tmp/train.csv"
{ head -n 1 data/letterrecognition.csv; tail -n +$((N_TRAIN + 2)) data/letterrecognition.csv | head -n "$N_TEST"; } > "$tmp/test.csv"
echo "## End to end: letterrecognition, $N_TRAIN train / $N_TEST test rows, ReLU NTK depth 3, b_std 0.1, reg 1e-3 x mean diag"
echo
echo "| times | ntk s (kernel / solve / predict) | ntk peak RSS MB | load | numpy s | numpy peak RSS MB | load | numpy/ntk | ntk accuracy | numpy accuracy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
for spec in mean:inf mean:$FINITE sum:$FINITE_SUM; do
    scale=${spec%%:*}; times=${spec#*:}
    l1=$(load)
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$NTK" eval --train "$tmp/train.csv" --test "$tmp/test.csv" \
        --target lettr --depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --times $times \
        --time-scale $scale --threads "$THREADS" --format json --quiet > "$tmp/ntk.json" || exit 1
    ns=$(cut -d' ' -f1 "$tmp/time"); rss=$(( $(cut -d' ' -f2 "$tmp/time") / 1024 ))
    split=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["seconds"]; print("%.1f / %.1f / %.1f" % (s["kernel"], s["solve"], s["predict"]))' "$tmp/ntk.json")
    nacc=$(/usr/bin/python3 -c 'import json,sys; print(" ".join("%.4f" % r["test"]["accuracy"] for r in json.load(open(sys.argv[1]))["results"]))' "$tmp/ntk.json")
    if [ "${SKIP_NUMPY:-0}" = 1 ]; then
        echo "| $times ($scale) | $ns ($split) | $rss | $l1 | — | — | — | — | $nacc | — |"
        continue
    fi
    l2=$(load)
    p=$(/usr/bin/time -f "%M" -o "$tmp/ptime" /usr/bin/python3 tools/numpy_pipeline.py "$tmp/train.csv" "$tmp/test.csv" lettr 3 0.1 1e-3 $times $scale) || exit 1
    ps=$(echo "$p" | cut -d' ' -f1); pacc=$(echo "$p" | cut -d' ' -f2-); prss=$(( $(cat "$tmp/ptime") / 1024 ))
    echo "| $times ($scale) | $ns ($split) | $rss | $l1 | $ps | $prss | $l2 | $(echo "scale=1; $ps / $ns" | bc) | $nacc | $pacc |"
done
echo

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
