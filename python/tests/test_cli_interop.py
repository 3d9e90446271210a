"""The Python package against the command-line tool on the same CSV files:
predictions equal `ntk eval --predictions` (1e-12), model files go both ways
between `ntk fit`/`ntk predict` and save/ntk.load, `ntk.kernel` equals
`ntk kernel`, `ntk.compare` equals `ntk compare`, select=True equals
`ntk fit --select`."""
import json

import numpy as np
import pandas as pd
import pytest

import ntk
from conftest import read_csv, rel_close, run_ntk, split_csv

MODEL = dict(depth=2, b_std=0.1, times=(1.0, 10.0, float("inf")), time_scale="mean",
             reg=1e-3, reg_scale="relative")
MODEL_ARGS = ["--depth", "2", "--b-std", "0.1", "--times", "1,10,inf", "--time-scale", "mean",
              "--reg", "1e-3", "--reg-scale", "relative"]


def cli_predictions(tmp_path, train, test, *extra):
    out = tmp_path / "pred.csv"
    run_ntk("eval", "--train", train, "--test", test, *MODEL_ARGS, *extra, "--predictions", out,
            "--quiet")
    return pd.read_csv(out, keep_default_na=False, float_precision="round_trip")


# servo: categorical letters and quoted numbers; bostonhousing: all numeric.
@pytest.mark.parametrize("name,target", [("servo.csv", "Class"), ("bostonhousing.csv", "medv")])
def test_regression_equals_eval(ntk_bin, tmp_path, name, target):
    train, test = split_csv(tmp_path, name)
    cli = cli_predictions(tmp_path, train, test)
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKRegressor(**MODEL).fit(tr.drop(columns=target), tr[target])
    path = est.predict_path(te.drop(columns=target))
    for i, t in enumerate(["1", "10", "inf"]):
        rel_close(path[i], cli[f"t={t}"])
    rel_close(est.predict(te.drop(columns=target)), cli["t=inf"])
    rel_close(est.predict(te.drop(columns=target), t=10), cli["t=10"])


def test_numpy_arrays_equal_eval(ntk_bin, tmp_path):
    """All-numeric data as plain float64 arrays (read in place) — same numbers."""
    train, test = split_csv(tmp_path, "bostonhousing.csv")
    cli = cli_predictions(tmp_path, train, test)
    tr, te = read_csv(train), read_csv(test)
    X = np.ascontiguousarray(tr.drop(columns="medv").to_numpy(dtype=np.float64))
    est = ntk.NTKRegressor(**MODEL).fit(X, tr["medv"].to_numpy())
    Xt = te.drop(columns="medv").to_numpy(dtype=np.float64)
    rel_close(est.predict_path(Xt)[2], cli["t=inf"])
    rel_close(est.predict_path(Xt)[0], cli["t=1"])


def test_uncertainty_equals_eval(ntk_bin, tmp_path):
    train, test = split_csv(tmp_path, "servo.csv")
    cli = cli_predictions(tmp_path, train, test, "--uncertainty")
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKRegressor(**MODEL).fit(tr.drop(columns="Class"), tr["Class"])
    mean, std = est.predict(te.drop(columns="Class"), t=10, return_std=True)
    rel_close(mean, cli["t=10"])
    rel_close(std, cli["std@t=10"], 1e-10)


# housevotes84: y/n booleans with empty (missing) cells, target first;
# iris: string labels, 3 classes.
@pytest.mark.parametrize("name,target", [("housevotes84.csv", "Class"), ("iris.csv", "species")])
def test_classification_equals_eval(ntk_bin, tmp_path, name, target):
    train, test = split_csv(tmp_path, name)
    cli = cli_predictions(tmp_path, train, test, "--target", target)
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKClassifier(**MODEL).fit(tr.drop(columns=target), tr[target])
    labels = est.predict_path(te.drop(columns=target))
    for i, t in enumerate(["1", "10", "inf"]):
        assert list(labels[i]) == list(cli[f"t={t}"])
    assert list(est.classes_) == sorted(set(tr[target]))


def test_save_then_ntk_predict(ntk_bin, tmp_path):
    train, test = split_csv(tmp_path, "servo.csv")
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKRegressor(**MODEL).fit(tr.drop(columns="Class"), tr["Class"])
    model = est.save(tmp_path / "py.ntk")
    out = tmp_path / "p.csv"
    run_ntk("predict", "--model", model, "--data", test, "-o", out, "--quiet")
    cli = pd.read_csv(out, float_precision="round_trip")
    rel_close(est.predict_path(te.drop(columns="Class"))[1], cli["t=10"])
    rel_close(est.predict(te.drop(columns="Class")), cli["t=inf"])


def test_ntk_fit_then_load(ntk_bin, tmp_path):
    train, test = split_csv(tmp_path, "iris.csv")
    model = tmp_path / "cli.ntk"
    run_ntk("fit", "--train", train, *MODEL_ARGS, "-o", model, "--quiet")
    out = tmp_path / "p.csv"
    run_ntk("predict", "--model", model, "--data", test, "-o", out, "--quiet")
    cli = pd.read_csv(out)
    est = ntk.load(model)
    assert isinstance(est, ntk.NTKClassifier)
    assert est.depth == 2 and est.time_scale == "mean" and list(est.times_) == [1, 10, np.inf]
    te = read_csv(test)
    assert list(est.predict(te.drop(columns="species"))) == list(cli["t=inf"])
    # plain arrays in the training table's column order work too
    X = te.drop(columns="species").to_numpy()
    with pytest.warns(UserWarning, match="feature names"):
        assert list(est.predict(X, t=1)) == list(cli["t=1"])


def test_kernel_equals_ntk_kernel(ntk_bin, tmp_path):
    a, b = "tests/data/ref_train.csv", "tests/data/ref_test.csv"
    from conftest import ROOT
    import os
    a, b = os.path.join(ROOT, a), os.path.join(ROOT, b)
    proc = run_ntk("kernel", "--data", a, "--data2", b, "--target", "y", "--act", "erf",
                   "--depth", "3", "--b-std", "0.2")
    cli = np.loadtxt(proc.stdout.splitlines(), delimiter=",")
    X = read_csv(a).drop(columns="y").to_numpy()
    Y = read_csv(b).drop(columns="y").to_numpy()
    rel_close(ntk.kernel(X, Y, act="erf", depth=3, b_std=0.2), cli)
    K = ntk.kernel(X, depth=3, kind="nngp")
    assert K.shape == (len(X), len(X)) and np.allclose(K, K.T, rtol=0, atol=0)


def test_kernel_in_svc():
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    k = ntk.Kernel(depth=2)
    svc = SVC(kernel=k).fit(X[::2], y[::2])
    assert svc.score(X[1::2], y[1::2]) > 0.9
    pre = SVC(kernel="precomputed").fit(ntk.kernel(X[::2], depth=2), y[::2])
    assert (pre.predict(ntk.kernel(X[1::2], X[::2], depth=2)) == svc.predict(X[1::2])).all()


def test_compare_equals_ntk_compare(ntk_bin, tmp_path):
    from conftest import ROOT
    import os
    a, b = os.path.join(ROOT, "tests/data/ref_train.csv"), os.path.join(ROOT, "tests/data/ref_test.csv")
    proc = run_ntk("compare", "--train", a, "--test", b, "--target", "y", "--widths", "8,64",
                   "--times", "0,5,50", "--seeds", "2", "--format", "json", "--quiet")
    cli = json.loads(proc.stdout)
    tr, te = read_csv(a), read_csv(b)
    r = ntk.compare(tr.drop(columns="y"), tr["y"], te.drop(columns="y"), te["y"],
                    widths=(8, 64), times=(0, 5, 50), seeds=2)
    assert r["lr"] == cli["lr"] and r["n_train"] == cli["n_train"]
    rows = r["rows"]
    assert len(rows) == len(cli["rows"]) == 6
    for got, want in zip(rows.itertuples(), cli["rows"]):
        assert got.width == want["width"] and got.t == want["t"]
        for key in ("net_train", "net_test", "ntk_train", "ntk_test", "gap_rmse"):
            assert getattr(got, key) == pytest.approx(want[key], rel=1e-12, abs=1e-300), key
    for got, want in zip(r["kernels"].itertuples(), cli["kernels"]):
        assert got.init_rel_dist == pytest.approx(want["init_rel_dist"], rel=1e-12)
        assert got.change_rel == pytest.approx(want["change_rel"], rel=1e-12)


def test_select_equals_ntk_fit_select(ntk_bin, tmp_path):
    train, test = split_csv(tmp_path, "iris.csv")
    grids = ["--max-depth", "2", "--reg-grid", "0,0.01", "--time-grid", "100,inf",
             "--b-grid", "0,0.5"]
    model = tmp_path / "sel.ntk"
    run_ntk("fit", "--train", train, "--select", *grids, "-o", model, "--quiet")
    cli = ntk.load(model)
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKClassifier(select=True, select_options=dict(
        max_depth=2, reg_grid=(0, 0.01), time_grid=(100, float("inf")), b_grid=(0, 0.5)))
    est.fit(tr.drop(columns="species"), tr["species"])
    assert est.selection_["depth"] == cli.depth and est.selection_["kind"] == cli.kind
    assert est.model_info_["b_std"] == cli.b_std and est.model_info_["reg"] == cli.reg
    X = te.drop(columns="species")
    rel_close(est.decision_function(X), cli.decision_function(X))


def test_default_selects_like_ntk_fit(ntk_bin, tmp_path):
    """No model option: the estimator selects, as `ntk fit` with no model
    option does (same winner, same predictions); a model option set to another
    value than its default turns it off (scikit-learn cannot tell a default
    passed explicitly from one left alone)."""
    train, test = split_csv(tmp_path, "servo.csv")
    model = tmp_path / "default.ntk"
    run_ntk("fit", "--train", train, "-o", model, "--quiet")
    cli = ntk.load(model)
    tr, te = read_csv(train), read_csv(test)
    est = ntk.NTKRegressor().fit(tr.drop(columns="Class"), tr["Class"])
    assert est.selection_ is not None
    assert est.selection_["depth"] == cli.depth and est.selection_["kind"] == cli.kind
    X = te.drop(columns="Class")
    rel_close(est.predict(X), cli.predict(X))
    fixed = ntk.NTKRegressor(depth=2).fit(tr.drop(columns="Class"), tr["Class"])
    assert fixed.selection_ is None
    # the selected default predicts servo better than interpolating (depth 2, ridge 0)
    assert est.score(X, te["Class"]) > fixed.score(X, te["Class"]) + 0.02


def test_hinge_select_equals_ntk_fit(ntk_bin, tmp_path):
    """loss='hinge' with selection is `ntk fit --loss hinge --select` (#20):
    the same kernel and C, the same labels; loss=None weighs both losses as
    `ntk fit --select` with no --loss does."""
    train, test = split_csv(tmp_path, "iris.csv")
    tr, te = read_csv(train), read_csv(test)
    X = te.drop(columns="species")
    grids = ["--max-depth", "2", "--b-grid", "0,0.5", "--C-grid", "0.1,1,10,100"]
    for loss in ("hinge", None):
        model = tmp_path / f"sel_{loss}.ntk"
        run_ntk("fit", "--train", train, "--select", *grids, *(["--loss", loss] if loss else []),
                "-o", model, "--quiet")
        cli = ntk.load(model)
        est = ntk.NTKClassifier(select=True, loss=loss, select_options=dict(
            max_depth=2, b_grid=(0, 0.5), C_grid=(0.1, 1, 10, 100)))
        est.fit(tr.drop(columns="species"), tr["species"])
        assert est.selection_["depth"] == cli.depth and est.selection_["kind"] == cli.kind
        assert est.model_info_["b_std"] == cli.b_std
        if loss == "hinge":
            assert est.selection_["loss"] == "hinge"
        assert list(est.predict(X)) == list(cli.predict(X))
    with pytest.raises(ValueError):
        ntk.NTKClassifier(select=True, loss="absolute").fit(tr.drop(columns="species"),
                                                            tr["species"])
