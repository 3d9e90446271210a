#!/usr/bin/python3
"""The ntk eval pipeline in numpy/scipy, as a same-run speed peer for
tools/bench.sh: z-scored features (fitted on the training rows), centered
one-hot targets, ReLU NTK (the recursion of tools/numpy_kernel.py, evaluated in
row blocks so the only n×n array is the training kernel itself — the stacked
symmetric version needed ~24 GiB at 15000 + 5000 rows and was OOM-killed),
ridge relative to the mean diagonal added in place, 'mean' time scale (or
'sum' if the optional SCALE argument says so); Cholesky
(scipy cho_factor/cho_solve, overwriting) for t = inf, one scipy eigh (driver
'evd' = LAPACK dsyevd, overwriting) for finite times.

usage: /usr/bin/python3 tools/numpy_pipeline.py TRAIN.csv TEST.csv TARGET DEPTH B_STD REG TIMES [SCALE]
prints: seconds accuracy_at_each_time (space-separated)
"""
import csv
import math
import os
import sys
import time

import numpy as np
import scipy.linalg as sla

BLOCK = 1000  # rows per kernel block: ~8 temporaries of BLOCK x n doubles


def load(path, target):
    with open(path) as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    ti = head.index(target)
    X = np.array([[float(v) for j, v in enumerate(r) if j != ti] for r in rows])
    y = [r[ti] for r in rows]
    return X, y


def relu_ntk(X1, X2, L, b_std, out, diag_offset=None, w_std=math.sqrt(2.0)):
    """ReLU NTK Θ(X1, X2) into out (len(X1) x len(X2)); with diag_offset,
    X1 is rows diag_offset.. of X2 and those diagonal entries use ρ = 1."""
    d = X1.shape[1]
    w2, b2 = w_std * w_std, b_std * b_std
    q1 = np.einsum("ij,ij->i", X1, X1) * (w2 / d) + b2
    q2 = np.einsum("ij,ij->i", X2, X2) * (w2 / d) + b2
    K = (X1 @ X2.T) * (w2 / d) + b2
    rows = np.arange(len(X1))
    if diag_offset is not None:
        K[rows, rows + diag_offset] = q1
    Th = K.copy()
    for _ in range(L):
        s1, s2 = np.sqrt(q1), np.sqrt(q2)
        rho = np.clip(K / np.outer(s1, s2), -1.0, 1.0)
        th = np.arccos(rho)
        T = np.outer(s1, s2) * (np.sqrt((1 - rho) * (1 + rho)) + (math.pi - th) * rho) / (2 * math.pi)
        Tp = (math.pi - th) / (2 * math.pi)
        if diag_offset is not None:
            T[rows, rows + diag_offset] = q1 / 2
            Tp[rows, rows + diag_offset] = 0.5
        K = w2 * T + b2
        Th = K + w2 * Tp * Th
        q1, q2 = w2 * q1 / 2 + b2, w2 * q2 / 2 + b2
    out[...] = Th


def kernel_blocks(X1, X2, L, b_std, symmetric):
    out = np.empty((len(X1), len(X2)))
    for r in range(0, len(X1), BLOCK):
        relu_ntk(X1[r:r + BLOCK], X2, L, b_std, out[r:r + BLOCK], r if symmetric else None)
    return out


def main():
    tr, te, target, L, b, reg, times = sys.argv[1:8]
    scale = sys.argv[8] if len(sys.argv) > 8 else "mean"
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
    A = kernel_blocks(Xtr, Xtr, L, b, True)
    Ks = kernel_blocks(Xte, Xtr, L, b, False)
    md = A.diagonal().mean()
    A[np.diag_indices(n)] += reg * md
    accs = []
    if all(math.isinf(t) for t in times):
        C = sla.cho_solve(sla.cho_factor(A, lower=True, overwrite_a=True, check_finite=False), Y)
        accs = [np.mean((Ks @ C).argmax(1) == truth)] * len(times)
    else:
        w, V = sla.eigh(A, overwrite_a=True, check_finite=False, driver="evd")
        P = V.T @ Y
        for t in times:
            if math.isinf(t):
                g = 1 / w
            else:
                s = t / (n * k) if scale == "mean" else t
                g = -np.expm1(-s * w) / w
            C = V @ (g[:, None] * P)
            accs.append(np.mean((Ks @ C).argmax(1) == truth))
    print("%.3f %s" % (time.time() - t0, " ".join("%.4f" % a for a in accs)))


main()
