#!/bin/sh
# `make bench-mpi`: ntk-mpi with 1, 2 and 4 ranks against the single-process
# ntk in the same run, on letterrecognition (first N_TRAIN rows train, the next
# N_TEST test): wall time, the fit's kernel/solve split, and the peak resident
# memory of the largest rank (/usr/bin/time per rank), at t = inf (pdpotrf)
# and at finite times (pdsyevd). Threads: ntk uses THREADS; each of P ranks
# uses THREADS/P (at least 1: 4 ranks on 2 cores oversubscribe).
# env: N_TRAIN (8000), N_TEST (2000), THREADS (2), RANKS ("1 2 4"), TIMES ("inf 10,100,1000")
N_TRAIN=${N_TRAIN:-8000}
N_TEST=${N_TEST:-2000}
THREADS=${THREADS:-2}
RANKS=${RANKS:-"1 2 4"}
TIMES=${TIMES:-"inf 10,100,1000"}
NTK=${NTK:-bin/ntk}
NTK_MPI=${NTK_MPI:-bin/ntk-mpi}
export OMP_WAIT_POLICY=passive OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -n $((N_TRAIN + 1)) data/letterrecognition.csv > "$tmp/train.csv"
{ head -n 1 data/letterrecognition.csv; tail -n +$((N_TRAIN + 2)) data/letterrecognition.csv | head -n "$N_TEST"; } > "$tmp/test.csv"
ARGS="--train $tmp/train.csv --test $tmp/test.csv --target lettr --depth 3 --b-std 0.1 --reg 1e-3 --reg-scale relative --time-scale mean --format json --quiet"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(mpirun --version 2>/dev/null | head -n 1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "letterrecognition $N_TRAIN train / $N_TEST test rows, ReLU NTK depth 3, reg 1e-3 x mean diag"
echo
echo "| times | program | ranks | threads/rank | wall s | kernel s | solve s | predict s | peak RSS per rank MB (max) | test accuracy | load |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
row() { # times program ranks threads json rssfile
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
times, prog, ranks, thr, path, rss, wall, load = sys.argv[1:9]
j = json.load(open(path)); s = j["seconds"]
acc = " ".join("%.4f" % r["test"]["accuracy"] for r in j["results"])
peak = max(int(x) for x in open(rss).read().split()) // 1024
print("| %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %d | %s | %s |" % (times, prog, ranks, thr, wall, s["kernel"], s["solve"], s["predict"], peak, acc, load))
PY
}
for times in $TIMES; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    s0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$tmp/rss" "$NTK" eval $ARGS --times "$times" --threads "$THREADS" > "$tmp/out.json" || exit 1
    w=$(echo "$(date +%s.%N) - $s0" | bc | xargs printf "%.1f")
    row "$times" ntk 1 "$THREADS" "$tmp/out.json" "$tmp/rss" "$w" "$l"
    for p in $RANKS; do
        t=$((THREADS / p)); [ "$t" -lt 1 ] && t=1
        l=$(cut -d' ' -f1 /proc/loadavg)
        rm -f "$tmp"/rss.*
        s0=$(date +%s.%N)
        $MPIRUN -np "$p" sh -c '/usr/bin/time -f "%M" -o "$0.$$" "$@"' "$tmp/rss" "$NTK_MPI" eval $ARGS \
            --times "$times" --threads "$t" > "$tmp/out.json" || exit 1
        w=$(echo "$(date +%s.%N) - $s0" | bc | xargs printf "%.1f")
        cat "$tmp"/rss.* > "$tmp/rssall"
        row "$times" ntk-mpi "$p" "$t" "$tmp/out.json" "$tmp/rssall" "$w" "$l"
    done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
