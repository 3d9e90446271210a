#!/bin/sh
# ntk-mpi against ntk: the same predictions (1e-9 relative) with 1, 2 and 4
# ranks, on the Cholesky path (t = inf), the eigen path (finite times, small n)
# and the Chebyshev path (finite times, n >= 3000), for
# eval, fit -> predict and predict with the other program's model; grids and
# block sizes forced; bad usage. Run by `make test` when MPI is installed.
# env: NTK, NTK_MPI, SAN (1: sanitizer build — LeakSanitizer off, since Open
# MPI's own start-up allocations are reported as leaks).
. tests/cli/lib.sh
: "${NTK:=bin/ntk}" "${NTK_MPI:=bin/ntk-mpi}"
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_WAIT_POLICY=passive
[ "${SAN:-0}" = 1 ] && export ASAN_OPTIONS=detect_leaks=0
MPIRUN="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"

# close A B TOL: every number of CSV B (header skipped) within TOL x (largest
# |value| of A) of A, same shape; labels must be identical.
close() {
    awk -F, -v tol="$3" 'NR == FNR { if (FNR > 1) for (i = 1; i <= NF; i++) a[FNR, i] = $i; na = FNR; next }
        FNR > 1 { for (i = 1; i <= NF; i++) { x = a[FNR, i]; y = $i
            if (x ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) { d = x - y; if (d < 0) d = -d; if (d > md) md = d
                ax = x < 0 ? -x : x; if (ax > mx) mx = ax } else if (x != y) bad++ } nb = FNR }
        END { if (na != nb || bad || md > tol * (mx > 0 ? mx : 1)) {
                printf "rows %d vs %d, %d labels differ, max diff %.3g (scale %.3g)\n", na, nb, bad, md, mx; exit 1 } }' "$1" "$2"
}

REG="--train data/bostonhousing.csv --test-frac 0.25 --seed 0 --depth 3 --b-std 0.1 --reg 1e-4 --reg-scale relative --time-scale mean"
head -n 1201 data/satellite.csv > "$TMPD/sat.csv"   # 1200 rows, 6 classes
CLS="--train $TMPD/sat.csv --test-frac 0.3 --seed 1 --depth 2 --reg 1e-3 --reg-scale relative --time-scale mean"
for times in inf 0.5,10,100,inf; do
    expect_exit 0 "$NTK" eval $REG --times $times --predictions "$TMPD/ref_reg.csv" --quiet || continue
    expect_exit 0 "$NTK" eval $CLS --times $times --predictions "$TMPD/ref_cls.csv" --quiet --format json
    cp "$OUT" "$TMPD/ref_cls.json"
    for np in 1 2 4; do
        expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $REG --times $times \
            --predictions "$TMPD/reg$np.csv" --quiet || continue
        close "$TMPD/ref_reg.csv" "$TMPD/reg$np.csv" 1e-9 || fail "regression, $np ranks, times $times"
        expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $CLS --times $times \
            --predictions "$TMPD/cls$np.csv" --quiet --format json || continue
        close "$TMPD/ref_cls.csv" "$TMPD/cls$np.csv" 0 || fail "classification labels, $np ranks, times $times"
        # the same accuracies and counts
        a=$(grep -o '"correct": [0-9]*' "$TMPD/ref_cls.json"); b=$(grep -o '"correct": [0-9]*' "$OUT")
        [ -n "$a" ] && [ "$a" = "$b" ] || fail "classification counts differ, $np ranks, times $times"
    done
done

# n >= 3000: finite times through the distributed Chebyshev expansion (then
# pdpotrf for t = inf), as ntk's own Chebyshev path
sh tools/gen_regression.sh "$TMPD/g.csv" 3400 8 3
BIG="--train $TMPD/g.csv --test-frac 0.1 --seed 0 --depth 2 --reg 1e-3 --reg-scale relative --time-scale mean --times 1,10,100,inf"
expect_exit 0 "$NTK" eval $BIG --predictions "$TMPD/ref_big.csv"
expect_out_match "Chebyshev expansion"
for np in 2 4; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $BIG --predictions "$TMPD/big$np.csv" || continue
    expect_out_match "solve [0-9.]+s \(Chebyshev expansion\)"
    close "$TMPD/ref_big.csv" "$TMPD/big$np.csv" 1e-9 || fail "Chebyshev path, $np ranks"
done

# the Krylov path (#19): forced on small n (uneven tiles too), and chosen by
# AUTO at n >= 3000 with long times on the sum scale, as ntk chooses it
expect_exit 0 "$NTK" eval $REG --times 0.5,10,100,inf --solver-path krylov \
    --predictions "$TMPD/ref_kr.csv" --quiet
for run in "2" "4" "4 --grid 1x4 --block 8"; do
    np=${run%% *}; opts=${run#"$np"}
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" $opts eval $REG --times 0.5,10,100,inf \
        --solver-path krylov --predictions "$TMPD/kr.csv" || continue
    expect_out_match "Krylov"
    close "$TMPD/ref_kr.csv" "$TMPD/kr.csv" 1e-9 || fail "Krylov path, $run ranks"
done
KBIG="--train $TMPD/g.csv --test-frac 0.1 --seed 0 --depth 2 --reg 1e-3 --reg-scale relative --times 1,100,10000,inf"
expect_exit 0 "$NTK" eval $KBIG --predictions "$TMPD/ref_kbig.csv"
expect_out_match "Krylov"
expect_exit 0 $MPIRUN -np 2 "$NTK_MPI" eval $KBIG --predictions "$TMPD/kbig.csv" && {
    expect_out_match "solve [0-9.]+s \(shift-and-invert Krylov"
    close "$TMPD/ref_kbig.csv" "$TMPD/kbig.csv" 1e-9 || fail "AUTO Krylov path, 2 ranks"
}

# fit with ranks -> predict with ntk, and fit with ntk -> predict with ranks
FIT="--train data/servo.csv --depth 2 --act erf --reg 1e-3 --reg-scale relative --times 1,inf --quiet"
expect_exit 0 "$NTK" fit $FIT -o "$TMPD/ref.ntk"
expect_exit 0 "$NTK" predict --model "$TMPD/ref.ntk" --data data/servo.csv -o "$TMPD/ref_fit.csv" --quiet
for np in 2 4; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" fit $FIT -o "$TMPD/m$np.ntk" || continue
    expect_exit 0 "$NTK" predict --model "$TMPD/m$np.ntk" --data data/servo.csv -o "$TMPD/a$np.csv" --quiet
    close "$TMPD/ref_fit.csv" "$TMPD/a$np.csv" 1e-9 || fail "fit on $np ranks, predict with ntk"
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" predict --model "$TMPD/ref.ntk" --data data/servo.csv \
        -o "$TMPD/b$np.csv" --quiet
    close "$TMPD/ref_fit.csv" "$TMPD/b$np.csv" 1e-9 || fail "fit with ntk, predict on $np ranks"
done

# forced grids and tiny blocks: uneven tiles, many blocks per rank
for g in "1x4 --block 8" "4x1 --block 5" "2x2 --block 16"; do
    expect_exit 0 $MPIRUN -np 4 "$NTK_MPI" --grid $g eval $REG --times 10,inf \
        --predictions "$TMPD/g.csv" --quiet || continue
    expect_exit 0 "$NTK" eval $REG --times 10,inf --predictions "$TMPD/ref_g.csv" --quiet
    close "$TMPD/ref_g.csv" "$TMPD/g.csv" 1e-9 || fail "grid $g"
done

# a singular kernel at t = inf on the eigen path (duplicate inputs with other
# targets, no ridge): the minimum-norm interpolant of ntk, from the same code
# (ntk-mpi used to add jitter here, amplifying the targets' disagreement)
{ cat data/bostonhousing.csv; awk -F, 'NR > 1 && NR <= 121 { $NF = $NF + 3; print }' OFS=, \
    data/bostonhousing.csv; } > "$TMPD/dup.csv"
DUP="--train $TMPD/dup.csv --target medv --test-frac 0.25 --seed 0 --depth 2 --reg 0 --solver-path eigen --times 10,inf"
expect_exit 0 "$NTK" eval $DUP --predictions "$TMPD/ref_dup.csv" --quiet
for np in 1 2; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $DUP --predictions "$TMPD/dup$np.csv" \
        --quiet || continue
    close "$TMPD/ref_dup.csv" "$TMPD/dup$np.csv" 1e-9 || fail "singular kernel, eigen path, $np ranks"
done

# the per-rank memory plan is printed before the fit, and a fit that cannot fit is refused
expect_exit 0 $MPIRUN -np 2 "$NTK_MPI" eval $REG --times inf
expect_err_match "grid 1x2, block [0-9]+: training kernel 379x379 in local tiles of at most 379x192, about [0-9.]+ GiB per rank \([0-9.]+ GiB if finite times need pdsyevd"
awk 'BEGIN { print "x,y"; for (i = 0; i < 200000; i++) printf "%d,%d\n", i % 997, i % 13 }' > "$TMPD/big.csv"
expect_exit 1 $MPIRUN -np 2 "$NTK_MPI" eval --train "$TMPD/big.csv" --test-frac 0.01 --task regression
expect_err_match "needs [0-9.]+ GiB per rank \([0-9.]+ GiB for the 2 ranks on this node\) but only [0-9.]+ GiB is available"
expect_no_stdout

# bad usage: the grid, the command, input errors reported by rank 0 alone
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" --grid 3x3 eval $REG
expect_err_match "the grid 3x3 needs 9 ranks but 2 were started"
expect_no_stdout
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" --grid 2y1 eval $REG
expect_err_match "--grid expects PxQ"
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" kernel --data data/iris.csv
expect_err_match "not a distributed command"
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" eval $REG --uncertainty
expect_err_match "--uncertainty is not distributed"
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" eval $REG --precision float
expect_err_match "not implemented by the scalapack engine"
expect_exit 0 $MPIRUN -np 4 "$NTK_MPI" eval $REG --times inf --format json --quiet
expect_out_match '"mpi": \{"ranks": 4, "grid": "2x2"\}'
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" eval --train tests/data/bad/ragged.csv --test-frac 0.2
expect_err_match "ntk-mpi eval: .*ragged.csv.*line"
expect_no_stdout
[ "$(grep -c 'ntk-mpi eval' "$ERR")" = 1 ] || fail "the input error was printed more than once"
expect_exit 0 $MPIRUN -np 2 "$NTK_MPI" --help
expect_out_match "mpirun -np P ntk-mpi"
# ---- the Nystrom path (#21): each rank its own rows, the Gram, Θ(X,C)ᵀY and the
# training predictions summed by MPI_Allreduce; equal to ntk's to 1e-9
NYS="--train data/bostonhousing.csv --test-frac 0.25 --seed 0 --depth 2 --reg 1e-4 --reg-scale relative --time-scale mean --centers 150 --times 0.5,10,inf"
NYSC="--train $TMPD/sat.csv --test-frac 0.3 --seed 1 --depth 2 --reg 1e-3 --reg-scale relative --centers 200 --center-selection rpcholesky --times 10,inf"
expect_exit 0 "$NTK" eval $NYS --predictions "$TMPD/ref_nys.csv" --quiet --format json &&
    grep -o '"train": {[^}]*}' "$OUT" > "$TMPD/ref_nys_train.txt"
expect_exit 0 "$NTK" eval $NYSC --predictions "$TMPD/ref_nysc.csv" --quiet
for np in 1 2 4; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $NYS --predictions "$TMPD/nys$np.csv" --quiet \
        --format json || continue
    grep -q '"solver": "nystrom"' "$OUT" || fail "ntk-mpi does not report the Nystrom fit"
    close "$TMPD/ref_nys.csv" "$TMPD/nys$np.csv" 1e-9 || fail "Nystrom, $np ranks"
    # training errors come from the summed training predictions
    grep -o '"train": {[^}]*}' "$OUT" | awk -F'[:,}]' 'NR == FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; next }
        { for (i = 1; i <= NF; i++) if ($i + 0 == $i) { d = $i - a[FNR, i]; if (d < 0) d = -d; if (d > 1e-9 * ($i < 0 ? -$i : $i) + 1e-12) bad = 1 } }
        END { exit bad }' "$TMPD/ref_nys_train.txt" - || fail "Nystrom training errors, $np ranks"
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $NYSC --predictions "$TMPD/nysc$np.csv" --quiet ||
        continue
    close "$TMPD/ref_nysc.csv" "$TMPD/nysc$np.csv" 0 || fail "Nystrom classification labels, $np ranks"
done
# fit on 2 ranks, predict with ntk
expect_exit 0 $MPIRUN -np 2 "$NTK_MPI" fit --train data/bostonhousing.csv --seed 0 --centers 150 \
    --times 0.5,inf -o "$TMPD/nys.ntk" --quiet &&
expect_exit 0 "$NTK" fit --train data/bostonhousing.csv --seed 0 --centers 150 --times 0.5,inf \
    -o "$TMPD/nys1.ntk" --quiet &&
expect_exit 0 "$NTK" predict --model "$TMPD/nys.ntk" --data data/bostonhousing.csv -o "$TMPD/pn2.csv" &&
expect_exit 0 "$NTK" predict --model "$TMPD/nys1.ntk" --data data/bostonhousing.csv -o "$TMPD/pn1.csv" &&
    { close "$TMPD/pn1.csv" "$TMPD/pn2.csv" 1e-9 || fail "Nystrom model fitted on 2 ranks"; }
# ---- end Nystrom path

# ---- streamed training (#21): every rank reads the file in chunks and
# evaluates its own share of the rows; the model predicts as ntk's streamed
# fit to 1e-9 (1, 2, 4 ranks); a bad file fails on every rank, exit 2
STR="--train data/bostonhousing.csv --centers 120 --depth 2 --times 3,inf --reg 1e-3 --reg-scale relative --stream on --quiet"
expect_exit 0 "$NTK" fit $STR -o "$TMPD/str.ntk" &&
expect_exit 0 "$NTK" predict --model "$TMPD/str.ntk" --data data/bostonhousing.csv -o "$TMPD/pstr.csv"
for np in 1 2 4; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" fit $STR -o "$TMPD/str$np.ntk" &&
    expect_out_match "streamed fit: 506 training rows" &&
    expect_exit 0 "$NTK" predict --model "$TMPD/str$np.ntk" --data data/bostonhousing.csv \
        -o "$TMPD/pstr$np.csv" || continue
    close "$TMPD/pstr.csv" "$TMPD/pstr$np.csv" 1e-9 || fail "streamed fit, $np ranks"
done
printf 'a,b\n1,2\n3,nan\n' > "$TMPD/nan.csv"
expect_exit 2 $MPIRUN -np 2 "$NTK_MPI" fit --train "$TMPD/nan.csv" --stream on --depth 2 -o "$TMPD/x.ntk"
# k-means centers: rank 0's means reach every rank
KM="--train data/bostonhousing.csv --test-frac 0.25 --seed 0 --depth 2 --reg 1e-4 --reg-scale relative --centers 150 --center-selection kmeans --times 0.5,inf --quiet"
expect_exit 0 "$NTK" eval $KM --predictions "$TMPD/ref_km.csv" &&
for np in 2 4; do
    expect_exit 0 $MPIRUN -np $np "$NTK_MPI" eval $KM --predictions "$TMPD/km$np.csv" || continue
    close "$TMPD/ref_km.csv" "$TMPD/km$np.csv" 1e-9 || fail "k-means centers, $np ranks"
done
# ---- end streamed training

finish
