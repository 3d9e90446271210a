#!/bin/sh
# ntk compare: finite networks against the NTK predictor on a tiny problem —
# report formats, JSON keys, the gap falling with width, the time mapping
# shared with ntk eval, and the error paths (exit 2, nothing on stdout).
. tests/cli/lib.sh
D=tests/data
TINY="--train $D/ref_train.csv --test $D/ref_test.csv --target y --quiet"

# JSON report with every key the outside checks use.
if expect_exit 0 $NTK compare $TINY --widths 8,512 --times 0,5,50 --seeds 2 --format json; then
    for key in '"rows"' '"kernels"' '"width"' '"t"' '"net_train"' '"net_test"' '"ntk_train"' \
               '"ntk_test"' '"gap_rmse"' '"init_rel_dist"' '"change_rel"'; do
        grep -q -- "$key" "$OUT" || fail "JSON lacks $key"
    done
    # one row per width and time, one kernel entry per width
    rows=$(grep -o '"gap_rmse"' "$OUT" | wc -l)
    [ "$rows" -eq 6 ] || fail "expected 6 rows, got $rows"
    kern=$(grep -o '"change_rel"' "$OUT" | wc -l)
    [ "$kern" -eq 2 ] || fail "expected 2 kernel entries, got $kern"
fi

# CSV: the gap at t = 0 is exactly 0 (centered networks start from zero like
# the NTK predictor), and for t > 0 the gap and the kernel distances fall from
# width 8 to width 512.
if expect_exit 0 $NTK compare $TINY --widths 8,512 --times 0,5,50 --seeds 2 --format csv; then
    head -1 "$OUT" | grep -q '^width,t,net_train,net_test,ntk_train,ntk_test,gap_rmse,init_rel_dist,change_rel$' ||
        fail "CSV header"
    awk -F, 'NR > 1 {
            if ($2 == 0 && $7 != 0) { print "gap at t=0 is " $7; bad = 1 }
            if ($2 == 0 && $3 != $5) { print "net and NTK differ at t=0"; bad = 1 }
            gap[$1, $2] = $7; init[$1] = $8; chg[$1] = $9
        }
        END {
            for (t = 5; t <= 50; t += 45)
                if (!(gap[512, t] < 0.5 * gap[8, t])) { print "gap does not fall at t=" t ": " gap[8, t] " -> " gap[512, t]; bad = 1 }
            if (!(init[512] < init[8])) { print "init distance does not fall"; bad = 1 }
            if (!(chg[512] < chg[8])) { print "kernel change does not fall"; bad = 1 }
            exit bad
        }' "$OUT" >&2 || fail "gap/kernel distances do not fall with width"
fi

# Table format and progress on stderr with --progress.
expect_exit 0 $NTK compare --train $D/ref_train.csv --test $D/ref_test.csv --target y \
    --widths 16 --times 3 --progress && {
    expect_out_match 'gap RMSE'
    expect_err_match 'width 16, seed 1/1'
}

# Same time meaning as ntk eval: the NTK test RMSE at t equals eval's at the
# same --lr and --time-scale.
for ts in sum mean; do
    if expect_exit 0 $NTK compare $TINY --widths 4 --times 7 --time-scale $ts --format json; then
        lr=$(sed -n 's/.*"seeds": [0-9]*, "centered": true, "lr": \([^,]*\),.*/\1/p' "$OUT")
        ref_rmse=$(sed -n 's/.*"ntk_test": \([^,]*\),.*/\1/p' "$OUT")
        [ -n "$lr" ] && [ -n "$ref_rmse" ] || { fail "cannot read lr/ntk_test"; continue; }
        if expect_exit 0 $NTK eval $TINY --times 7 --lr "$lr" --time-scale $ts --format json; then
            got=$(sed -n 's/.*"test": {"rmse": \([^,]*\),.*/\1/p' "$OUT")
            awk -v a="$got" -v b="$ref_rmse" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-12 * (b < 0 ? -b : b)) }' ||
                fail "eval test RMSE $got != compare ntk_test $ref_rmse ($ts)"
        fi
    fi
done

# Raw networks, classification (accuracy), NNGP (readout only), a split file.
expect_exit 0 $NTK compare $TINY --widths 8 --times 0,5 --raw --format json &&
    expect_out_match '"centered": false'
expect_exit 0 $NTK compare --train data/iris.csv --test-frac 0.3 --widths 32 --times 10 --quiet \
    --format json && expect_out_match '"metric": "accuracy"'
expect_exit 0 $NTK compare $TINY --kind nngp --depth 2 --widths 8 --times 5 --format csv

# Error paths: exit 2, a message naming the problem, nothing on stdout.
bad() {
    pat=$1; shift
    expect_exit 2 $NTK compare "$@" && { expect_err_match "$pat"; expect_no_stdout; }
}
bad 'train FILE is required' --test $D/ref_test.csv
bad 'test data is required' --train $D/ref_train.csv --target y
bad 'either --test or --test-frac' $TINY --test-frac 0.2
bad 'steps' $TINY --times inf
bad 'steps' $TINY --times 2.5
bad 'widths' $TINY --widths 0
bad 'widths' $TINY --widths 8,abc
bad 'seeds' $TINY --seeds 0
bad 'too large for gradient descent' $TINY --lr 100 --widths 8 --times 1
bad 'no_such' --train $D/no_such.csv --test $D/ref_test.csv
bad 'unknown option' $TINY --bogus
bad 'unexpected argument' $TINY extra
expect_exit 0 $NTK compare --help && expect_out_match 'usage: ntk compare'

finish
