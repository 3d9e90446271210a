#!/usr/bin/python3
"""ntk's C-SVM against scikit-learn's SVC(kernel='precomputed') on the same kernel.

  agree: on UCI sets (Arora et al.'s folder layout), train on conxuntos.dat's training
         part, compare the one-vs-one decision values at every row (train + validation)
         with a tight tolerance on both sides; prints the largest difference per set.
  time:  SVM training time on one CSV or UCI set directory (a seeded subsample of --rows) with
         both solvers, default tolerance (1e-3) on both, same kernel, same run: --repeat
         timed fits per side in --rounds alternating rounds (ntk 1 thread, ntk 2 threads,
         scikit-learn; one untimed warm-up fit per side and round); best and median.

The kernel comes from `ntk kernel` (so both solvers see the same float64 matrix); the
C side is build/tools/svm_bench (ntk_svm_train alone is timed); sklearn's fit() is timed.

usage:
  /usr/bin/python3 tools/svm_vs_sklearn.py agree /work/shared/uci --datasets iris,wine \\
      [--depth 2] [--C 1] [--tol 1e-10]
  /usr/bin/python3 tools/svm_vs_sklearn.py time /work/shared/data/satellite.csv --rows 4000 \\
      [--depth 2] [--C 1] [--repeat 10]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.svm import SVC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NTK = os.path.join(ROOT, "bin", "ntk")
BENCH = os.path.join(ROOT, "build", "tools", "svm_bench")


def ntk_kernel(X, depth, tmp, extra=()):
    path = os.path.join(tmp, "x.csv")
    np.savetxt(path, X, delimiter=",", header=",".join("f%d" % j for j in range(X.shape[1])),
               comments="", fmt="%.17g")
    out = subprocess.run([NTK, "kernel", "--data", path, "--no-target", "--standardize", "none",
                          "--depth", str(depth), *extra], check=True, capture_output=True,
                         text=True).stdout
    return np.loadtxt(out.splitlines(), delimiter=",", ndmin=2)


def run_bench(K, y, ntr, C, eps, tmp, threads=0, repeat=1):
    kb, lb, ob = (os.path.join(tmp, s) for s in ("k.bin", "y.txt", "dec.bin"))
    np.ascontiguousarray(K, dtype=np.float64).tofile(kb)
    np.savetxt(lb, y, fmt="%d")
    env = dict(os.environ, SVM_BENCH_REPEAT=str(repeat))  # best of `repeat`, in one process
    res = subprocess.run([BENCH, kb, lb, str(ntr), repr(C), repr(eps), ob, str(threads)],
                         check=True, capture_output=True, text=True, env=env).stdout
    info = json.loads(res)
    k = int(y.max()) + 1
    dec = np.fromfile(ob, dtype=np.float64).reshape(len(y), k * (k - 1) // 2)
    return info, dec


def sklearn_dec(K, y, ntr, C, tol):
    clf = SVC(kernel="precomputed", C=C, tol=tol, decision_function_shape="ovo",
              cache_size=2000, max_iter=-1)
    t0 = time.perf_counter()
    clf.fit(K[:ntr, :ntr], y[:ntr])
    sec = time.perf_counter() - t0
    dec = clf.decision_function(K[:, :ntr])
    if dec.ndim == 1:  # two classes: sklearn flips LIBSVM's sign (positive = second class)
        dec = -dec[:, None]
    return sec, dec, clf


def read_uci(d, name):
    rows = open(os.path.join(d, name, name + "_R.dat")).read().split("\n")[1:]
    rows = [r.split() for r in rows if r.strip()]
    X = np.array([[float(v) for v in r[1:-1]] for r in rows])
    y = np.array([int(r[-1]) for r in rows])
    folds = [list(map(int, l.split())) for l in open(os.path.join(d, name, "conxuntos.dat"))
             if l.strip()]
    return X, y, folds[0], folds[1]


def agree(a):
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.datasets.split(","):
            X, y, tr, va = read_uci(a.dir, name)
            perm = np.array(tr + va)
            Kfull = ntk_kernel(X, a.depth, tmp)
            if not a.float64:
                # LIBSVM keeps kernel rows in its cache as float (Qfloat), so on a general
                # float64 kernel it solves a problem perturbed by ~1e-7 relative. Rounding
                # the kernel to float32 first gives both solvers the identical problem.
                Kfull = Kfull.astype(np.float32).astype(np.float64)
            K = Kfull[np.ix_(perm, perm)]
            yy = y[perm]
            # Classes present in the training part, relabelled 0..k-1 in sorted order
            # (sklearn's order), so both sides solve the same pairs.
            classes = np.unique(yy[:len(tr)])
            keep = np.isin(yy, classes)
            K, yy = K[np.ix_(keep, keep)], yy[keep]
            lab = np.searchsorted(classes, yy)
            ntr = len(tr)
            info, dec = run_bench(K, lab, ntr, a.C, a.tol, tmp)
            _, ref, clf = sklearn_dec(K, lab, ntr, a.C, a.tol)
            diff = np.abs(dec - ref)
            scale = max(1.0, np.abs(ref).max())
            worst = diff.max()
            worst_all = max(worst_all, worst)
            print(json.dumps({"dataset": name, "n_train": int(ntr), "n_rows": int(len(lab)),
                              "classes": int(len(classes)), "pairs": int(dec.shape[1]),
                              "depth": a.depth, "C": a.C, "tol": a.tol,
                              "kernel": "float64" if a.float64 else "float32-rounded",
                              "max_abs_diff_decision": float(worst),
                              "max_abs_decision": float(scale),
                              "labels_agree": float(np.mean(
                                  np.argmax(votes(dec, len(classes)), 1) ==
                                  clf.predict(K[:, :ntr]))),
                              "ntk_support_vectors": info["support_vectors"],
                              "sklearn_support_vectors": int(clf.n_support_.sum())}))
    print(json.dumps({"max_abs_diff_over_sets": worst_all}))
    return 0 if worst_all <= 1e-6 else 1


def votes(dec, k):
    v = np.zeros((dec.shape[0], k))
    q = 0
    for a in range(k):
        for b in range(a + 1, k):
            w = np.where(dec[:, q] > 0, a, b)
            v[np.arange(len(w)), w] += 1
            q += 1
    return v


def timing(a):
    import pandas as pd
    if os.path.isdir(a.csv):  # a UCI set in Arora et al.'s layout: every row
        name = os.path.basename(os.path.normpath(a.csv))
        Xall, yall, _, _ = read_uci(os.path.dirname(os.path.normpath(a.csv)), name)
        df = pd.DataFrame(Xall)
        df["target"] = yall
    else:
        df = pd.read_csv(a.csv)
    target = df.columns[-1]
    rng = np.random.default_rng(a.seed)
    idx = np.sort(rng.choice(len(df), size=min(a.rows, len(df)), replace=False))
    df = df.iloc[idx]
    X = df.drop(columns=[target]).to_numpy(dtype=float)
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1)
    classes, lab = np.unique(df[target].astype(str).to_numpy(), return_inverse=True)
    # Rows grouped by class, as `ntk fit/eval --loss hinge` evaluates its kernel; both
    # solvers get this same matrix (LIBSVM groups classes internally too).
    order = np.argsort(lab, kind="stable")
    X, lab = X[order], lab[order]
    load = open("/proc/loadavg").read().split()[:3]
    with tempfile.TemporaryDirectory() as tmp:
        K = ntk_kernel(X, a.depth, tmp)
        n = len(lab)
        if a.save_kernel:  # for svm_bench alone (profiling, A/B of two builds)
            np.ascontiguousarray(K, dtype=np.float64).tofile(a.save_kernel + ".bin")
            np.savetxt(a.save_kernel + ".labels", lab, fmt="%d")
        res = {"data": a.csv, "rows": n, "classes": len(classes), "depth": a.depth, "C": a.C,
               "tol": 1e-3, "loadavg_before": load, "rounds": a.rounds}
        # Rounds alternate ntk (1 thread, 2 threads) and scikit-learn, so that all three
        # see the same load; each round starts with one untimed fit per side.
        kb, lb, ob = (os.path.join(tmp, s) for s in ("k.bin", "y.txt", "dec.bin"))
        np.ascontiguousarray(K, dtype=np.float64).tofile(kb)
        np.savetxt(lb, lab, fmt="%d")
        per = max(1, -(-a.repeat // a.rounds))
        times = {1: [], 2: []}
        info = {}
        sk = []
        for _ in range(a.rounds):
            for threads in (1, 2):
                env = dict(os.environ, SVM_BENCH_REPEAT=str(per), SVM_BENCH_WARMUP="1")
                out = subprocess.run([BENCH, kb, lb, str(n), repr(a.C), "0.001", ob, str(threads)],
                                     check=True, capture_output=True, text=True, env=env).stdout
                info[threads] = json.loads(out)
                times[threads] += info[threads]["times"]
            sklearn_dec(K, lab, n, a.C, 1e-3)  # warm-up
            for _ in range(per):
                sec, ref, clf = sklearn_dec(K, lab, n, a.C, 1e-3)
                sk.append(sec)
        k = int(lab.max()) + 1
        dec = np.fromfile(ob, dtype=np.float64).reshape(n, k * (k - 1) // 2)
        for threads in (1, 2):
            t = info[threads]
            t.update(seconds=min(times[threads]), median_seconds=float(np.median(times[threads])),
                     repeats=len(times[threads]), times=times[threads])
            res["ntk_threads%d" % threads] = t
        res["sklearn_seconds"] = min(sk)
        res["sklearn_median_seconds"] = float(np.median(sk))
        res["sklearn_times"] = sk
        res["sklearn_support_vectors"] = int(clf.n_support_.sum())
        res["max_abs_diff_decision_at_tol_1e-3"] = float(np.abs(dec - ref).max())
        for threads in (1, 2):
            res["speedup_threads%d" % threads] = min(sk) / res["ntk_threads%d" % threads]["seconds"]
            res["speedup_median_threads%d" % threads] = (
                float(np.median(sk)) / res["ntk_threads%d" % threads]["median_seconds"])
        res["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
        print(json.dumps(res, indent=1))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("agree")
    g.add_argument("dir")
    g.add_argument("--datasets", default="iris,wine,balance-scale,breast-cancer")
    g.add_argument("--depth", type=int, default=2)
    g.add_argument("--C", type=float, default=1.0)
    g.add_argument("--tol", type=float, default=1e-10)
    g.add_argument("--float64", action="store_true",
                   help="keep the float64 kernel (LIBSVM then rounds its cached rows)")
    t = sub.add_parser("time")
    t.add_argument("csv")
    t.add_argument("--rows", type=int, default=4000)
    t.add_argument("--depth", type=int, default=2)
    t.add_argument("--C", type=float, default=1.0)
    t.add_argument("--repeat", type=int, default=10, help="timed fits per side")
    t.add_argument("--rounds", type=int, default=5,
                   help="alternating rounds the fits are spread over")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save-kernel", metavar="PREFIX",
                   help="also write PREFIX.bin and PREFIX.labels (svm_bench's input)")
    a = ap.parse_args()
    return agree(a) if a.cmd == "agree" else timing(a)


if __name__ == "__main__":
    sys.exit(main())
