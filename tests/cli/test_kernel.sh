#!/bin/sh
# ntk kernel against the independent reference matrices (tests/data/ref_kernels.txt):
# rows(A) x rows(B), %.17g, within 1e-12 of the largest entry.
. tests/cli/lib.sh
D=tests/data

# ref_matrix ACT DEPTH WSTD BSTD NAME: print the reference matrix as CSV.
ref_matrix() {
    awk -v act="$1" -v depth="$2" -v w="$3" -v b="$4" -v name="$5" '
        $1 == "case" { on = ($2 == act && $3 == depth && $4 == w && $5 == b); next }
        $1 == "matrix" { take = on && $2 == name; rows = $3; next }
        take && rows > 0 { gsub(/ /, ","); print; rows-- }
    ' $D/ref_kernels.txt
}

# compare_csv A B: same shape, max |a-b| <= 1e-12 * max |b|.
compare_csv() {
    awk -F, 'FNR == NR { for (i = 1; i <= NF; i++) { ref[FNR, i] = $i; if ($i > m) m = $i; if (-$i > m) m = -$i } rows = FNR; cols = NF; next }
        { if (NF != cols) bad = 1; for (i = 1; i <= NF; i++) { d = $i - ref[FNR, i]; if (d < 0) d = -d; if (d > worst) worst = d } n = FNR }
        END { if (n != rows || bad) { print "shape mismatch"; exit 1 } if (worst > 1e-12 * m) { print "max error " worst " of " m; exit 1 } }' "$2" "$1"
}

for act in relu erf; do
  for depth in 1 2 3; do
    for kind in ntk nngp; do
      expect_exit 0 $NTK kernel --data $D/ref_train.csv --target y --act $act --depth $depth \
          --w-std 1.4142135623730951 --b-std 0.1 --kind $kind || continue
      ref_matrix $act $depth 1.4142135623730951 0.1 ${kind}_train_train > $TMPD/ref.csv
      [ -s $TMPD/ref.csv ] || { fail "no reference for $act $depth"; continue; }
      compare_csv $OUT $TMPD/ref.csv || fail "$kind $act depth $depth train x train differs"
      # Cross kernel: rows(test) x rows(train).
      expect_exit 0 $NTK kernel --data $D/ref_test.csv --data2 $D/ref_train.csv --target y --act $act \
          --depth $depth --w-std 1.4142135623730951 --b-std 0.1 --kind $kind || continue
      ref_matrix $act $depth 1.4142135623730951 0.1 ${kind}_test_train > $TMPD/ref.csv
      compare_csv $OUT $TMPD/ref.csv || fail "$kind $act depth $depth test x train differs"
    done
  done
done
# Quadrature activation (tanh), 1e-12 relative as well.
expect_exit 0 $NTK kernel --data $D/ref_train.csv --target y --act tanh --depth 2 --w-std 1.4142135623730951 --b-std 0.1
ref_matrix tanh 2 1.4142135623730951 0.1 ntk_train_train > $TMPD/ref.csv
compare_csv $OUT $TMPD/ref.csv || fail "tanh depth 2 differs"
# Output format: no header, 17 significant digits, 20 rows of 20 values.
expect_exit 0 $NTK kernel --data $D/ref_train.csv --target y
[ "$(wc -l < $OUT)" -eq 20 ] || fail "expected 20 rows"
[ "$(head -1 $OUT | awk -F, '{print NF}')" -eq 20 ] || fail "expected 20 columns"
# Errors.
expect_exit 2 $NTK kernel && expect_err_match 'data'
expect_exit 2 $NTK kernel --data $D/ref_train.csv --act softmax && expect_err_match 'softmax'
expect_exit 2 $NTK kernel --data $D/ref_train.csv --fixed-layers 5 --depth 2 && expect_no_stdout
expect_exit 2 $NTK kernel --data $D/missing.csv && expect_err_match 'missing.csv'
expect_exit 1 $NTK kernel --data $D/ref_train.csv -o /dev/full && expect_no_stdout
finish
