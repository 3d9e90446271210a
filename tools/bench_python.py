#!/usr/bin/python3
"""The Python package on the tools/bench.sh end-to-end job (same model as
`ntk eval` there): read TRAIN/TEST with pandas, fit ntk.NTKClassifier, predict
the test rows at every time.

usage: /usr/bin/python3 tools/bench_python.py TRAIN.csv TEST.csv TARGET TIMES
prints: total_seconds fit_predict_seconds accuracy_at_each_time
"""
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ntk  # noqa: E402


def main():
    train, test, target, times = sys.argv[1:5]
    times = tuple(float(t) for t in times.split(","))
    tr = pd.read_csv(train, float_precision="round_trip")
    te = pd.read_csv(test, float_precision="round_trip")
    t1 = time.perf_counter()
    clf = ntk.NTKClassifier(depth=3, b_std=0.1, reg=1e-3, reg_scale="relative", times=times,
                            time_scale="mean")
    clf.fit(tr.drop(columns=target), tr[target])
    labels = clf.predict_path(te.drop(columns=target))
    t2 = time.perf_counter()
    acc = [float(np.mean(lab == te[target].to_numpy())) for lab in labels]
    print(f"{t2 - t0:.2f} {t2 - t1:.2f} " + " ".join(f"{a:.4f}" for a in acc))


main()
