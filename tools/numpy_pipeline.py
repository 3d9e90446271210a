#!/usr/bin/python3
"""The ntk eval pipeline in numpy/scipy, as a same-run speed peer for
tools/bench.sh: z-scored features (fitted on the training rows), centered
one-hot targets, ReLU NTK (tools/numpy_kernel.py), ridge relative to the mean
diagonal, 'mean' time scale; Cholesky for t = inf, one eigh for finite times.

usage: /usr/bin/python3 tools/numpy_pipeline.py TRAIN.csv TEST.csv TARGET DEPTH B_STD REG TIMES
prints: seconds accuracy_at_each_time (space-separated)
"""
import csv
import math
import os
import sys
import time

import numpy as np
import scipy.linalg as sla

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_kernel import ntk  # noqa: E402


def load(path, target):
    with open(path) as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    ti = head.index(target)
    X = np.array([[float(v) for j, v in enumerate(r) if j != ti] for r in rows])
    y = [r[ti] for r in rows]
    return X, y


def cross_ntk(X1, X2, L, b_std):
    # Cross kernel through the stacked symmetric kernel (simple, not fastest).
    K = ntk(np.vstack([X1, X2]), L, "relu", b_std=b_std)
    return K[len(X1):, :len(X1)]


def main():
    tr, te, target, L, b, reg, times = sys.argv[1:8]
    L, b, reg = int(L), float(b), float(reg)
    times = [math.inf if t == "inf" else float(t) for t in times.split(",")]
    t0 = time.time()
    Xtr, ytr = load(tr, target)
    Xte, yte = load(te, target)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    labels = sorted(set(ytr))
    k = len(labels)
    idx = {c: i for i, c in enumerate(labels)}
    Y = np.full((len(ytr), k), -1.0 / k)
    Y[np.arange(len(ytr)), [idx[c] for c in ytr]] += 1
    truth = np.array([idx.get(c, -1) for c in yte])
    n = len(Xtr)
    K = ntk(Xtr, L, "relu", b_std=b)
    Ks = cross_ntk(Xtr, Xte, L, b)
    md = K.diagonal().mean()
    A = K + reg * md * np.eye(n)
    accs = []
    if all(math.isinf(t) for t in times):
        C = sla.cho_solve(sla.cho_factor(A, lower=True), Y)
        accs = [np.mean((Ks @ C).argmax(1) == truth)] * len(times)
    else:
        w, V = np.linalg.eigh(A)
        P = V.T @ Y
        for t in times:
            if math.isinf(t):
                g = 1 / w
            else:
                s = t / (n * k)
                g = -np.expm1(-s * w) / w
            C = V @ (g[:, None] * P)
            accs.append(np.mean((Ks @ C).argmax(1) == truth))
    print("%.3f %s" % (time.time() - t0, " ".join("%.4f" % a for a in accs)))


main()
