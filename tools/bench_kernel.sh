#!/bin/sh
# Kernel benchmark: bench_kernel (C) against tools/numpy_kernel.py, same data,
# same recursion, same thread count. Prints a markdown table.
# usage: sh tools/bench_kernel.sh [BENCH_BINARY]
# env: THREADS (2), SIZES ("2000 5000 10000"), DIMS ("20 100"), DEPTHS ("1 3 5"),
#      ACTS ("relu erf"), NUMPY_MAX (5000: largest n given to numpy), REPEAT (2)
BIN=${1:-build/tools/bench_kernel}
THREADS=${THREADS:-2}
SIZES=${SIZES:-"2000 5000 10000"}
DIMS=${DIMS:-"20 100"}
DEPTHS=${DEPTHS:-"1 3 5"}
ACTS=${ACTS:-"relu erf"}
NUMPY_MAX=${NUMPY_MAX:-5000}
REPEAT=${REPEAT:-2}
PY=/usr/bin/python3
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
# Threads that wait at the end of a parallel region sleep instead of spinning:
# on a shared, oversubscribed machine spinning costs whole time slices.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; threads: $THREADS; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; OMP_WAIT_POLICY=$OMP_WAIT_POLICY; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| n | d | L | act | C s | C entries·layers/s | numpy s | numpy entries·layers/s | C/numpy | values agree |"
echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"
for n in $SIZES; do for d in $DIMS; do for L in $DEPTHS; do for act in $ACTS; do
    c=$("$BIN" "$n" "$d" "$L" "$act" "$THREADS" "$REPEAT") || exit 1
    cs=$(echo "$c" | cut -d' ' -f6); cr=$(echo "$c" | cut -d' ' -f7); isa=$(echo "$c" | cut -d' ' -f8)
    csum=$(echo "$c" | cut -d' ' -f9)
    if [ "$n" -le "$NUMPY_MAX" ]; then
        p=$($PY tools/numpy_kernel.py "$n" "$d" "$L" "$act" "$REPEAT") || exit 1
        ps=$(echo "$p" | cut -d' ' -f5); pr=$(echo "$p" | cut -d' ' -f6); psum=$(echo "$p" | cut -d' ' -f7)
        ratio=$(awk -v a="$cr" -v b="$pr" 'BEGIN{printf "%.1f", a/b}')
        agree=$(awk -v a="$csum" -v b="$psum" 'BEGIN{e=a-b; if(e<0)e=-e; s=b<0?-b:b; printf "%s (%.0e)", (e<=1e-10*s)?"yes":"NO", e/s}')
    else
        ps="—"; pr="—"; ratio="—"; agree="—"
    fi
    echo "| $n | $d | $L | $act | $cs | $cr | $ps | $pr | $ratio | $agree |"
done; done; done; done
echo
echo "(C: $BIN and numpy: best of $REPEAT runs each, vector ISA $isa; entries = n² written, times L)"
