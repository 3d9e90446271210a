#!/bin/sh
# Synthetic regression CSV for scale tests: gen_regression.sh OUT.csv ROWS [COLS] [SEED]
# Features uniform in [-1, 1]; target y = sum_j sin(1.5 x_j) / sqrt(COLS) + 0.1·x1·x2
# + noise 0.05·N(0,1). Deterministic for a given seed (awk srand).
set -eu
out=${1:?usage: gen_regression.sh OUT.csv ROWS [COLS] [SEED]}
rows=${2:?usage: gen_regression.sh OUT.csv ROWS [COLS] [SEED]}
cols=${3:-20}
seed=${4:-1}
awk -v rows="$rows" -v cols="$cols" -v seed="$seed" 'BEGIN {
    srand(seed);
    h = "";
    for (j = 1; j <= cols; j++) h = h "x" j ",";
    print h "y";
    for (i = 0; i < rows; i++) {
        line = ""; y = 0;
        for (j = 1; j <= cols; j++) {
            x[j] = 2 * rand() - 1;
            y += sin(1.5 * x[j]);
            line = line sprintf("%.6f,", x[j]);
        }
        u1 = rand(); if (u1 < 1e-12) u1 = 1e-12;
        noise = sqrt(-2 * log(u1)) * cos(6.283185307179586 * rand());
        y = y / sqrt(cols) + 0.1 * x[1] * x[2] + 0.05 * noise;
        print line sprintf("%.6f", y);
    }
}' > "$out"
