#!/usr/bin/python3
"""A tour of the ntk Python package, notebook style (each `# %%` is a cell).

Fits the infinite-width NTK predictor on Boston housing, compares it with
scikit-learn peers, plots the test error against training time (matplotlib if
installed, else a CSV and a gnuplot script, drawn when gnuplot is there), and
compares trained finite networks with the NTK.

    make python-build && PYTHONPATH=build/python /usr/bin/python3 examples/python_tour.py [OUTDIR]
"""
# %% Data: a CSV with a header; the package encodes DataFrames as `ntk fit` encodes the file.
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

import ntk

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else "example-out"
os.makedirs(out, exist_ok=True)
df = pd.read_csv(os.path.join(here, "..", "data", "bostonhousing.csv"))
X, y = df.drop(columns="medv"), df["medv"]
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)

# %% The NTK predictor at many training times at once (one factorization serves them all).
times = tuple(np.logspace(-1, 5, 25)) + (float("inf"),)
reg = ntk.NTKRegressor(depth=3, b_std=0.1, times=times, time_scale="mean",
                       reg=1e-4, reg_scale="relative")
t0 = time.perf_counter()
reg.fit(X_tr, y_tr)
path = reg.predict_path(X_te)                      # (len(times), n_test)
ntk_s = time.perf_counter() - t0
test_rmse = np.sqrt(np.mean((path - y_te.to_numpy()) ** 2, axis=1))
train_rmse = np.sqrt(np.mean((reg.predict_path(X_tr) - y_tr.to_numpy()) ** 2, axis=1))
best = int(np.argmin(test_rmse))
print(f"NTK: test RMSE {test_rmse[-1]:.3f} at t = inf, best {test_rmse[best]:.3f} at "
      f"t = {times[best]:.3g} (early stopping); {ntk_s:.2f} s for {len(times)} times")

# %% Uncertainty of the infinite ensemble of networks (NTK-GP), at the best time.
mean, std = reg.predict(X_te, t=times[best], return_std=True)
print(f"mean latent std at t = {times[best]:.3g}: {std.mean():.3f}")

# %% The library's cross-validated selection (ntk fit --select), and scikit-learn peers.
peers = {
    "ntk select=True": ntk.NTKRegressor(select=True),
    "SVR, NTK kernel": make_pipeline(StandardScaler(), SVR(kernel=ntk.Kernel(depth=3), C=10)),
    "KernelRidge RBF": make_pipeline(StandardScaler(), KernelRidge(kernel="rbf", alpha=0.1,
                                                                   gamma=0.05)),
    "RandomForest": RandomForestRegressor(n_estimators=300, random_state=0),
}
rows = [("ntk t=inf", test_rmse[-1], ntk_s), (f"ntk t={times[best]:.3g}", test_rmse[best], ntk_s)]
for name, est in peers.items():
    t0 = time.perf_counter()
    est.fit(X_tr, y_tr)
    rmse = float(np.sqrt(np.mean((est.predict(X_te) - y_te) ** 2)))
    rows.append((name, rmse, time.perf_counter() - t0))
table = pd.DataFrame(rows, columns=["model", "test RMSE", "seconds"])
print(table.to_string(index=False))
if peers["ntk select=True"].selection_:
    print("selection:", peers["ntk select=True"].selection_)

# %% Test error against training time (early stopping is visible as a minimum).
curve = pd.DataFrame({"t": times[:-1], "train_rmse": train_rmse[:-1],
                      "test_rmse": test_rmse[:-1]})
curve.to_csv(os.path.join(out, "error_vs_time.csv"), index=False)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.semilogx(curve.t, curve.train_rmse, label="train")
    ax.semilogx(curve.t, curve.test_rmse, label="test")
    ax.axhline(test_rmse[-1], ls=":", label="t = inf")
    ax.set_xlabel("training time t (mean time scale)")
    ax.set_ylabel("RMSE")
    ax.legend()
    fig.savefig(os.path.join(out, "error_vs_time.png"), dpi=120)
    print(f"wrote {out}/error_vs_time.png")
except ImportError:
    gp = os.path.join(out, "error_vs_time.gp")
    with open(gp, "w") as f:
        f.write("set terminal pngcairo size 800,500 noenhanced\nset output 'error_vs_time.png'\n"
                "set datafile separator ','\nset logscale x\nset key autotitle columnhead\n"
                "set xlabel 'training time t (mean time scale)'\nset ylabel 'RMSE'\n"
                f"plot 'error_vs_time.csv' using 1:2 with lines, '' using 1:3 with lines, "
                f"{test_rmse[-1]} title 't = inf' dashtype 2\n")
    if shutil.which("gnuplot"):
        subprocess.run(["gnuplot", "error_vs_time.gp"], cwd=out, check=True)
        print(f"wrote {out}/error_vs_time.png (matplotlib is not installed: drawn by gnuplot)")
    else:
        print(f"wrote {out}/error_vs_time.csv and {gp}: run gnuplot there to draw")

# %% Finite networks trained by gradient descent against the NTK (ntk compare).
cmp = ntk.compare(X_tr, y_tr, X_te, y_te, widths=(32, 256, 1024), times=(10, 100, 1000),
                  depth=2, time_scale="mean")
print(cmp["rows"][["width", "t", "net_test", "ntk_test", "gap_rmse"]].to_string(index=False))
print(cmp["kernels"][["width", "init_rel_dist", "change_rel"]].to_string(index=False))
