#!/bin/sh
# Benchmarks of the finite-width network module (docs/network.md).
#   sh tools/bench_network.sh speed [WIDTH DEPTH ROWS STEPS]   (default 4096 3 500 1000)
#   sh tools/bench_network.sh mc [SEEDS]                        (default 16)
#   sh tools/bench_network.sh slopes [DATA.csv]                 (default data/servo.csv)
# Builds tools/bench_network.c against lib/libntk.a (run `make` first). The
# speed run reports the time of full-batch gradient descent and the fraction
# of the dgemm rate measured in the same run; `slopes` runs `ntk compare` over
# widths and fits log-log slopes of the network–NTK gap and the kernel
# distances against width.
set -eu
cd "$(dirname "$0")/.."
BIN=build/tools/bench_network
mkdir -p build/tools
if [ ! -x $BIN ] || [ tools/bench_network.c -nt $BIN ] || [ lib/libntk.a -nt $BIN ]; then
    cc -std=gnu11 -O2 -g -march=x86-64-v2 -Wall -Wextra -Werror -fopenmp -Iinclude \
        $(pkg-config --cflags openblas lapacke) -o $BIN tools/bench_network.c lib/libntk.a \
        $(pkg-config --libs openblas lapacke) -lcsv -lm -fopenmp
fi
# OpenBLAS 0.3.21 picks its slow generic kernels on CPUs it does not know
# (DESIGN.md §5); choose the core as bin/ntk does, unless the user did.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -q ' avx512f ' /proc/cpuinfo && grep -q ' avx512vl ' /proc/cpuinfo; then
        OPENBLAS_CORETYPE=SkylakeX
    elif grep -q ' avx2 ' /proc/cpuinfo && grep -q ' fma ' /proc/cpuinfo; then
        OPENBLAS_CORETYPE=Haswell
    fi
    [ -n "${OPENBLAS_CORETYPE:-}" ] && export OPENBLAS_CORETYPE
fi
what=${1:-speed}
[ $# -gt 0 ] && shift
case $what in
speed) echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; exec $BIN speed "$@" ;;
mc) exec $BIN mc "$@" ;;
slopes)
    data=${1:-data/servo.csv}
    out=${TMPDIR:-/tmp}/bench_network_slopes.$$.json
    bin/ntk compare --train "$data" --test-frac 0.25 --seed 1 --depth "${DEPTH:-1}" \
        --widths "${WIDTHS:-64,256,1024,4096}" --times "${TIMES:-10,100,1000}" \
        --seeds "${SEEDS:-4}" --format json --quiet > "$out"
    /usr/bin/python3 - "$out" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
def slope(xs, ys):
    lx = [math.log(x) for x in xs]; ly = [math.log(y) for y in ys]
    mx = sum(lx) / len(lx); my = sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
ks = r["kernels"]; w = [k["width"] for k in ks]
print("model:", json.dumps(r["model"]))
print("n_train %d, n_test %d, seeds %d, lr %.4g" % (r["n_train"], r["n_test"], r["seeds"], r["lr"]))
print("%8s %12s %12s %12s" % ("width", "init_rel", "change_rel", "seconds"))
for k in ks:
    print("%8d %12.4g %12.4g %12.1f" % (k["width"], k["init_rel_dist"], k["change_rel"], k["seconds"]))
print("slope init_rel_dist vs width: %.3f" % slope(w, [k["init_rel_dist"] for k in ks]))
print("slope change_rel vs width:    %.3f" % slope(w, [k["change_rel"] for k in ks]))
for t in sorted({row["t"] for row in r["rows"]}):
    rows = [row for row in r["rows"] if row["t"] == t]
    gaps = [row["gap_rmse"] for row in rows]
    print("t=%-6g gap_rmse %s  slope %.3f  (net test %s, NTK test %.4g)" % (
        t, " ".join("%.4g" % g for g in gaps), slope([row["width"] for row in rows], gaps),
        " ".join("%.4g" % row["net_test"] for row in rows), rows[0]["ntk_test"]))
PY
    rm -f "$out" ;;
*) echo "usage: sh tools/bench_network.sh speed|mc|slopes [...]" >&2; exit 2 ;;
esac
