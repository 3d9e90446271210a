#!/usr/bin/python3
"""The NTK recursion of ntk/kernel.h in plain numpy, as a speed (and value)
peer for tools/bench_kernel. Same data (same LCG), same architecture
(σ_w = √2, σ_b = 0.1, ReLU or erf, depth L, identical inputs at ρ = 1).

usage: /usr/bin/python3 tools/numpy_kernel.py N D L ACT [REPEAT]
Best of REPEAT runs (default 1), like bench_kernel: the first run on these
virtual machines also pays first-touch page faults of fresh memory.
prints: n d L act seconds entries_layers_per_s checksum   (like bench_kernel)
Set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS for the thread count.
"""
import math
import sys
import time

import numpy as np


def lcg_matrix(n, d):
    s = 12345
    out = np.empty(n * d)
    mask = (1 << 64) - 1
    for i in range(n * d):
        s = (s * 6364136223846793005 + 1442695040888963407) & mask
        out[i] = (s >> 11) / 9007199254740992.0 * 2 - 1
    return out.reshape(n, d)


def ntk(X, L, act, w_std=math.sqrt(2.0), b_std=0.1):
    n, d = X.shape
    w2, b2 = w_std * w_std, b_std * b_std
    K = (X @ X.T) * (w2 / d) + b2
    q = np.einsum("ij,ij->i", X, X) * (w2 / d) + b2
    np.fill_diagonal(K, q)
    Th = K.copy()
    for _ in range(L):
        if act == "relu":
            isq = 1.0 / np.sqrt(q)
            rho = np.clip(K * isq[:, None] * isq[None, :], -1.0, 1.0)
            th = np.arccos(rho)
            sq = np.sqrt(q)
            T = np.outer(sq, sq) * (np.sqrt((1 - rho) * (1 + rho)) + (math.pi - th) * rho) / (2 * math.pi)
            Tp = (math.pi - th) / (2 * math.pi)
            np.fill_diagonal(T, q / 2)
            np.fill_diagonal(Tp, 0.5)
            qn = q / 2
        elif act == "erf":
            p = 1 + 2 * q
            prod = np.outer(p, p)
            T = (2 / math.pi) * np.arcsin(2 * K / np.sqrt(prod))
            Tp = (4 / math.pi) / np.sqrt(prod - 4 * K * K)
            qn = (2 / math.pi) * np.arcsin(2 * q / p)
            np.fill_diagonal(T, qn)
            np.fill_diagonal(Tp, (4 / math.pi) / np.sqrt(1 + 4 * q))
        else:
            raise SystemExit("act must be relu or erf")
        K = w2 * T + b2
        Th = K + w2 * Tp * Th
        q = w2 * qn + b2
    return Th


def main():
    if len(sys.argv) not in (5, 6):
        raise SystemExit(__doc__)
    n, d, L, act = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    repeat = int(sys.argv[5]) if len(sys.argv) == 6 else 1
    X = lcg_matrix(n, d)
    t = float("inf")
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        Th = ntk(X, L, act)
        t = min(t, time.perf_counter() - t0)
    checksum = sum(Th[i, (i * 7) % n] for i in range(n))
    print("%d %d %d %s %.4f %.4g %.12g" % (n, d, L, act, t, n * n * L / t, checksum))


if __name__ == "__main__":
    main()
