#!/bin/sh
# ntk fit --stream (#21): the training file read in chunks gives the same
# model file, byte for byte, as the in-memory Nystrom fit; refusals exit 2
# with nothing on stdout.
. tests/cli/lib.sh
for opts in "--centers 100 --depth 2 --times 1,inf --reg 1e-3 --reg-scale relative" \
                    "--centers 60 --kind nngp --seed 5 --reg 0.01"; do
    expect_exit 0 $NTK fit --train data/bostonhousing.csv $opts --stream on -o $TMPD/s.ntk &&
    expect_out_match "streamed fit: 506 training rows" &&
    expect_exit 0 $NTK fit --train data/bostonhousing.csv $opts --solver nystrom -o $TMPD/m.ntk \
        --quiet &&
    cmp -s $TMPD/s.ntk $TMPD/m.ntk || fail "streamed model differs ($opts)"
done
# categorical columns and classification (iris-like bundled set)
expect_exit 0 $NTK fit --train data/iris.csv --centers 40 --depth 2 --stream on -o $TMPD/s.ntk &&
expect_exit 0 $NTK fit --train data/iris.csv --centers 40 --depth 2 --solver nystrom -o $TMPD/m.ntk --quiet &&
cmp -s $TMPD/s.ntk $TMPD/m.ntk || fail "streamed classification model differs"
expect_exit 0 $NTK predict --model $TMPD/s.ntk --data data/iris.csv -o $TMPD/p.csv
expect_exit 2 $NTK fit --train data/iris.csv --stream on --solver dense -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream on --select -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream on --center-selection rpcholesky -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream sometimes -o $TMPD/x.ntk
[ -e $TMPD/x.ntk ] && fail "a refused fit wrote a model"
expect_exit 2 $NTK fit --train $TMPD/none.csv --stream on -o $TMPD/x.ntk
finish
