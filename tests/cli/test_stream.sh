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
# predict --stream: the same file as predict in memory
expect_exit 0 $NTK predict --model $TMPD/s.ntk --data data/iris.csv -o $TMPD/q.csv --stream on &&
cmp -s $TMPD/p.csv $TMPD/q.csv || fail "predict --stream differs (classification)"
expect_exit 0 $NTK fit --train data/bostonhousing.csv --centers 50 --depth 2 --times 3,inf \
    --stream on -o $TMPD/b.ntk &&
expect_exit 0 $NTK predict --model $TMPD/b.ntk --data data/bostonhousing.csv -o $TMPD/p.csv &&
expect_exit 0 $NTK predict --model $TMPD/b.ntk --data data/bostonhousing.csv -o $TMPD/q.csv \
    --stream on && cmp -s $TMPD/p.csv $TMPD/q.csv || fail "predict --stream differs (regression)"
expect_exit 2 $NTK predict --model $TMPD/b.ntk --data data/bostonhousing.csv --stream on
expect_exit 2 $NTK predict --model $TMPD/b.ntk --data data/iris.csv -o $TMPD/r.csv --stream on
[ -e $TMPD/r.csv ] && fail "a failed streamed predict left a file"
ls $TMPD | grep -q tmp && fail "a temporary file was left"
expect_exit 2 $NTK fit --train data/iris.csv --stream on --solver dense -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream on --select -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream on --center-selection rpcholesky -o $TMPD/x.ntk
expect_exit 2 $NTK fit --train data/iris.csv --stream sometimes -o $TMPD/x.ntk
[ -e $TMPD/x.ntk ] && fail "a refused fit wrote a model"
expect_exit 2 $NTK fit --train $TMPD/none.csv --stream on -o $TMPD/x.ntk
finish
