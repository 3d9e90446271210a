#!/bin/sh
# ntk demo: every demonstration at a tiny size draws a real PNG and an SVG,
# writes the documented CSV columns and a script that reads the CSV by
# relative path, and its numbers agree with the library's other commands
# (ntk kernel, ntk eval, ntk compare). Then: no gnuplot, failing gnuplot,
# unwritable output, bad usage.
. tests/cli/lib.sh
D=tests/data
O=$TMPD/demo
REFD="--train $D/ref_train.csv --target y"

# check_files NAME HEADER_REGEX: the four files exist, PNG signature and size,
# SVG, CSV header, script reading NAME.csv; no temporary files left.
check_files() {
    n=$1
    [ -f "$O/$n.png" ] || { fail "$n: no PNG"; return; }
    sig=$(head -c 4 "$O/$n.png" | od -An -c | tr -d ' ')
    [ "$sig" = "211PNG" ] || fail "$n: PNG signature is '$sig'"
    sz=$(wc -c < "$O/$n.png")
    [ "$sz" -gt 5000 ] || fail "$n: PNG only $sz bytes"
    grep -q '<svg' "$O/$n.svg" 2>/dev/null || fail "$n: SVG missing or not SVG"
    head -1 "$O/$n.csv" | grep -Eq -- "$2" || fail "$n: CSV header '$(head -1 "$O/$n.csv")' !~ /$2/"
    grep -q "data = \"$n.csv\"" "$O/$n.gp" || fail "$n: script does not read $n.csv"
    ls -a "$O" | grep -q tmp && fail "$n: temporary files left: $(ls -a "$O" | grep tmp)"
    grep -q "$n.png" "$OUT" || fail "$n: stdout does not list the PNG"
}

# rel_close FILE1 FILE2 TOL: two CSV matrices (no header) equal to TOL relative
# to the largest entry.
rel_close() {
    awk -F, -v tol="$3" 'FNR == NR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; next }
        { for (i = 1; i <= NF; i++) { d = a[FNR, i] - $i; if (d < 0) d = -d; m = $i < 0 ? -$i : $i
              if (m > big) big = m; if (d > worst) worst = d; n++ } }
        END { if (n == 0 || worst > tol * (big > 1 ? big : 1)) { print "max diff " worst " of " n; exit 1 } }' "$1" "$2"
}

expect_exit 0 $NTK demo list && for d in training-curves kernel-vs-angle toy-regression width-convergence spectrum invariance uncertainty; do
    expect_out_match "^  $d "
done
for d in training-curves kernel-vs-angle toy-regression width-convergence spectrum invariance uncertainty; do
    expect_exit 0 $NTK demo $d --help && expect_out_match 'CSV columns'
done

# kernel-vs-angle: the analytic column equals ntk kernel for the same points.
if expect_exit 0 $NTK demo kernel-vs-angle --out $O --n 21 --widths 8,16 --seeds 2 --times 20 --depth 2 --quiet; then
    check_files kernel-vs-angle '^gamma,x1,x2,analytic,w8_s0_init,w8_s0_trained,w8_s1_init,w8_s1_trained,w16_s0_init'
    printf 'x1,x2\n1,0\n' > $TMPD/x0.csv
    awk -F, 'NR == 1 { print "x1,x2"; next } { print $2 "," $3 }' $O/kernel-vs-angle.csv > $TMPD/pts.csv
    awk -F, 'NR > 1 { print $4 }' $O/kernel-vs-angle.csv > $TMPD/ana.csv
    # (one-row files lose their columns as constant: ask for Θ(points, x0), a column)
    expect_exit 0 $NTK kernel --data $TMPD/pts.csv --data2 $TMPD/x0.csv --no-target --depth 2 --b-std 0.1 &&
        cp "$OUT" $TMPD/k.csv && { rel_close $TMPD/ana.csv $TMPD/k.csv 1e-12 || fail "kernel-vs-angle: analytic != ntk kernel"; }
    # empirical kernels at width 16 closer to the limit than... at least finite and positive
    awk -F, 'NR > 1 { for (i = 4; i <= NF; i++) if (!($i > 0)) bad = 1 } END { exit bad }' $O/kernel-vs-angle.csv ||
        fail "kernel-vs-angle: non-positive kernel value"
fi

# training-curves: the NTK columns equal ntk eval at the same times and lr.
if expect_exit 0 $NTK demo training-curves $REFD --out $O --times 1,3,10,30 --widths 8,32 --lr 0.05 --quiet; then
    check_files training-curves '^t,ntk_train_rmse,ntk_test_rmse,net8_train_rmse,net8_test_rmse,net32_train_rmse,net32_test_rmse$'
    expect_exit 0 $NTK eval $REFD --test-frac 0.25 --times 1,3,10,30 --lr 0.05 --format csv --quiet &&
        cut -d, -f2,5 "$OUT" | tail -n +2 > $TMPD/eval.csv &&
        cut -d, -f2,3 $O/training-curves.csv | tail -n +2 > $TMPD/demo.csv &&
        { rel_close $TMPD/eval.csv $TMPD/demo.csv 1e-12 || fail "training-curves: NTK columns != ntk eval"; }
    [ "$(wc -l < $O/training-curves.csv)" -eq 5 ] || fail "training-curves: expected 4 data rows"
fi

# toy-regression: NTK columns equal ntk eval on the same points.
if expect_exit 0 $NTK demo toy-regression --out $O --n 5 --widths 4,16 --times 10,100,inf --lr 0.05 --quiet; then
    check_files toy-regression '^x,truth,ntk_t10,ntk_t100,ntk_tinf,ntk_at_T,net4_t100,net16_t100,train_x,train_y$'
    awk -F, 'NR == 1 { print "x,y"; next } $9 != "" { print $9 "," $10 }' $O/toy-regression.csv > $TMPD/tr.csv
    awk -F, 'NR == 1 { print "x,y"; next } $1 != "" { print $1 "," $2 }' $O/toy-regression.csv > $TMPD/te.csv
    [ "$(wc -l < $TMPD/tr.csv)" -eq 6 ] || fail "toy-regression: expected 5 training points"
    expect_exit 0 $NTK eval --train $TMPD/tr.csv --test $TMPD/te.csv --b-std 0.5 --standardize none \
        --target-scaling off --times 10,100,inf --lr 0.05 --predictions $TMPD/p.csv --quiet &&
        tail -n +2 $TMPD/p.csv > $TMPD/p1.csv &&
        awk -F, 'NR > 1 && $1 != "" { print $3 "," $4 "," $5 }' $O/toy-regression.csv > $TMPD/p2.csv &&
        { rel_close $TMPD/p1.csv $TMPD/p2.csv 1e-9 || fail "toy-regression: NTK columns != ntk eval"; }
    # t = 100 on the grid equals the ntk_at_T column
    awk -F, 'NR > 1 && $1 != "" && $4 != $6 { bad = 1 } END { exit bad }' $O/toy-regression.csv ||
        fail "toy-regression: ntk_at_T != ntk_t100"
fi

# uncertainty: mean and std columns equal ntk eval --uncertainty on the same points;
# the band is the prior at t = 0 and narrows as training goes on.
if expect_exit 0 $NTK demo uncertainty --out $O --n 6 --times 0,10,inf --lr 0.05 --quiet; then
    check_files uncertainty '^x,truth,mean_t0,std_t0,mean_t10,std_t10,mean_tinf,std_tinf,train_x,train_y$'
    awk -F, 'NR == 1 { print "x,y"; next } $9 != "" { print $9 "," $10 }' $O/uncertainty.csv > $TMPD/utr.csv
    awk -F, 'NR == 1 { print "x,y"; next } { print $1 "," $2 }' $O/uncertainty.csv > $TMPD/ute.csv
    expect_exit 0 $NTK eval --train $TMPD/utr.csv --test $TMPD/ute.csv --b-std 0.5 --standardize none \
        --target-scaling off --times 0,10,inf --lr 0.05 --uncertainty --predictions $TMPD/up.csv --quiet &&
        tail -n +2 $TMPD/up.csv > $TMPD/up1.csv &&
        awk -F, 'NR > 1 { print $3 "," $4 "," $5 "," $6 "," $7 "," $8 }' $O/uncertainty.csv > $TMPD/up2.csv &&
        { rel_close $TMPD/up1.csv $TMPD/up2.csv 1e-9 || fail "uncertainty: mean/std != ntk eval --uncertainty"; }
    awk -F, 'NR > 1 { if ($3 != 0 || $4 <= 0 || $6 < 0 || $8 < 0) bad = 1; s0 += $4; s10 += $6; sinf += $8 }
        END { exit bad || !(s0 > s10 && s10 > sinf) }' $O/uncertainty.csv ||
        fail "uncertainty: expected the prior at t = 0 and a band narrowing with t"
fi

# width-convergence: with one seed the gap equals ntk compare's gap_rmse.
if expect_exit 0 $NTK demo width-convergence $REFD --out $O --widths 8,32,128 --times 5,20 --seeds 1 --lr 0.05 --quiet; then
    check_files width-convergence '^width,gap_t5,gap_t20,init_rel_dist,change_rel,reference$'
    expect_exit 0 $NTK compare $REFD --test-frac 0.25 --widths 8,32,128 --times 20 --lr 0.05 --format csv --quiet &&
        tail -n +2 "$OUT" | cut -d, -f1,7,8 > $TMPD/cmp.csv &&
        tail -n +2 $O/width-convergence.csv | cut -d, -f1,3,4 > $TMPD/wc.csv &&
        { rel_close $TMPD/cmp.csv $TMPD/wc.csv 1e-9 || fail "width-convergence: gap != ntk compare"; }
fi

# spectrum: eigenvalues sum to the trace of ntk kernel; residual starts near 1 and falls.
if expect_exit 0 $NTK demo spectrum $REFD --out $O --quiet; then
    check_files spectrum '^index,eigenvalue,target_energy,t,residual,mode_1,mode_2,mode_3,mode_5,mode_10,mode_20$'
    expect_exit 0 $NTK kernel --data $D/ref_train.csv --target y --standardize zscore &&
        tr=$(awk -F, '{ s += $NR } END { printf "%.17g", s }' "$OUT") &&
        awk -F, -v tr="$tr" 'NR > 1 && $2 != "" { s += $2; e += $3 }
            END { d = s - tr; if (d < 0) d = -d; if (d > 1e-10 * tr) { print "sum " s " trace " tr; exit 1 }
                  d = e - 1; if (d < 0) d = -d; if (d > 1e-10) { print "energy " e; exit 1 } }' $O/spectrum.csv ||
        fail "spectrum: eigenvalues do not sum to the trace, or target shares to 1"
    awk -F, 'NR > 1 && $4 != "" { if (prev != "" && $5 > prev + 1e-15) bad = 1; prev = $5 } END { exit bad }' $O/spectrum.csv ||
        fail "spectrum: residual not decreasing"
fi

# invariance: theta equals ntk kernel; rotated equals theta; transformed does not.
if expect_exit 0 $NTK demo invariance --train data/iris.csv --n 12 --out $O --quiet; then
    check_files invariance '^i,j,row_i,row_j,theta,theta_rotated,theta_transformed$'
    [ "$(wc -l < $O/invariance.csv)" -eq 145 ] || fail "invariance: expected 144 entries"
    expect_exit 0 $NTK kernel --data data/iris.csv --standardize zscore && cp "$OUT" $TMPD/iris.csv &&
        awk -F, 'FNR == NR { for (i = 1; i <= NF; i++) K[FNR, i] = $i; next }
            FNR > 1 { d = $5 - K[$3, $4]; if (d < 0) d = -d; if (d > 1e-12 * (1 + ($5 < 0 ? -$5 : $5))) bad = 1
                      d = $6 - $5; if (d < 0) d = -d; if (d > 1e-10 * (1 + ($5 < 0 ? -$5 : $5))) rot = 1
                      d = $7 - $5; if (d < 0) d = -d; if (d > m) m = d }
            END { if (bad) print "theta != ntk kernel"; if (rot) print "rotated differs"; if (m < 1e-2) print "transformed equal"; exit bad || rot || m < 1e-2 }' \
            $TMPD/iris.csv $O/invariance.csv || fail "invariance: numbers"
fi

# The script redraws the pictures when run inside the directory.
rm -f $O/invariance.png
(cd $O && gnuplot invariance.gp 2>/dev/null) && [ -s $O/invariance.png ] || fail "invariance.gp does not redraw"

# No gnuplot: data and script written, exit 0, message says how to draw; stale pictures removed.
expect_exit 0 env NTK_GNUPLOT=/nonexistent/gnuplot $NTK demo spectrum $REFD --out $O &&
    expect_err_match 'gnuplot not found' && expect_err_match "cd $O && gnuplot spectrum.gp"
[ -f $O/spectrum.csv ] && [ -f $O/spectrum.gp ] || fail "no gnuplot: data or script missing"
[ -f $O/spectrum.png ] && fail "no gnuplot: stale picture left"
expect_exit 0 env PATH=/nonexistent $NTK demo spectrum $REFD --out $O/nopath && expect_err_match 'gnuplot not found'
# gnuplot fails: exit 1, nothing on stdout, no pictures or temporary files.
expect_exit 1 env NTK_GNUPLOT=/bin/false $NTK demo spectrum $REFD --out $O/fail && expect_no_stdout &&
    expect_err_match 'failed'
ls -a $O/fail | grep -Eq 'png|svg|tmp' && fail "failed gnuplot left files: $(ls -a $O/fail)"
# Output directory that cannot be made: exit 1, nothing on stdout.
expect_exit 1 $NTK demo spectrum $REFD --out /dev/null/sub && expect_no_stdout

# Bad usage: exit 2, a clear message, nothing on stdout.
expect_exit 2 $NTK demo && expect_no_stdout
expect_exit 2 $NTK demo nosuch && expect_err_match 'nosuch' && expect_no_stdout
expect_exit 2 $NTK demo spectrum --bogus && expect_err_match 'bogus' && expect_no_stdout
expect_exit 2 $NTK demo toy-regression --n 1 && expect_err_match -- '--n' && expect_no_stdout
expect_exit 2 $NTK demo width-convergence --widths 8,x && expect_err_match 'widths' && expect_no_stdout
expect_exit 2 $NTK demo training-curves $REFD --times 0.5 && expect_err_match 'times' && expect_no_stdout
expect_exit 2 $NTK demo training-curves --train $D/nonexistent.csv && expect_err_match 'nonexistent' && expect_no_stdout
expect_exit 2 $NTK demo kernel-vs-angle --lr 100 && expect_err_match 'lr' && expect_no_stdout
expect_exit 2 $NTK demo invariance --act nosuch && expect_err_match 'nosuch' && expect_no_stdout
finish
