#!/bin/sh
# Generate a numeric CSV for loader benchmarks: gen_csv.sh OUT.csv [MB] [COLS]
# (default 100 MB, 20 feature columns plus a numeric target `y`).
# Deterministic (awk srand(1)). Used with tools/bench_loader.c.
set -eu
out=${1:?usage: gen_csv.sh OUT.csv [MB] [COLS]}
mb=${2:-100}
cols=${3:-20}
awk -v bytes=$((mb * 1000000)) -v cols="$cols" 'BEGIN {
    srand(1);
    h = "";
    for (j = 1; j <= cols; j++) h = h "x" j ",";
    print h "y";
    n = length(h) + 2;
    while (n < bytes) {
        line = "";
        for (j = 1; j <= cols; j++) line = line sprintf("%.5f,", rand() * 200 - 100);
        line = line sprintf("%.4f", rand());
        print line;
        n += length(line) + 1;
    }
}' > "$out"
