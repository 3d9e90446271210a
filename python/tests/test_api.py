"""The package's own behaviour: pickling, errors carrying the library's
messages, times, threads left as they were, paths and shapes, GIL release."""
import pickle
import threading

import numpy as np
import pandas as pd
import pytest

import ntk


def data(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    return X, y


def test_pickle_round_trip():
    X, y = data()
    est = ntk.NTKRegressor(depth=3, times=(5.0, float("inf")), reg=1e-4).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict_path(X), est.predict_path(X))
    assert back.get_params() == est.get_params()
    lab = np.where(y > np.median(y), "hi", "lo")
    clf = ntk.NTKClassifier(depth=2).fit(X, lab)
    back = pickle.loads(pickle.dumps(clf))
    assert (back.predict(X) == clf.predict(X)).all()
    assert np.array_equal(back.decision_function(X), clf.decision_function(X))


def test_save_load_round_trip(tmp_path):
    X, y = data()
    est = ntk.NTKRegressor(depth=2, act="erf", times=(1.0, 10.0)).fit(X, y)
    est.save(tmp_path / "m.ntk")
    back = ntk.load(tmp_path / "m.ntk")
    assert back.act == "erf" and back.depth == 2
    assert np.array_equal(back.predict_path(X), est.predict_path(X))


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(act="bogus"), "bogus"),
    (dict(kind="resnet"), "kind must be one of ntk|nngp"),
    (dict(fixed_layers=5, depth=2), "fixed"),
    (dict(times=(-1.0,)), "times"),
])
def test_bad_parameters_raise_value_error(kwargs, pattern):
    X, y = data()
    with pytest.raises(ValueError, match=pattern):
        ntk.NTKRegressor(**kwargs).fit(X, y)


def test_library_messages():
    # A missing value under missing='error': the encoder's message, naming row and column.
    X, y = data()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"line 5, column 3 \('x3'\): missing value"):
        ntk.NTKRegressor(missing="error").fit(X, y)
    # NaN is otherwise imputed with the training mean.
    ntk.NTKRegressor().fit(X, y)
    # A category unseen... and text in a numeric column at predict time.
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["u", "v", "u", "w"]})
    est = ntk.NTKRegressor().fit(df, [1.0, 2.0, 3.0, 4.0])
    bad = pd.DataFrame({"a": ["x", "2", "3", "4"], "c": ["u", "v", "u", "w"]})
    with pytest.raises(ValueError, match=r"column 1 \('a'\).*'x'"):
        est.predict(bad)
    with pytest.raises(ValueError, match="single class"):
        ntk.NTKClassifier().fit(X, ["a"] * len(X))


def test_unknown_column_reference_message():
    X, y = data()
    with pytest.raises(ValueError, match="nope"):
        ntk.NTKRegressor(drop=["nope"]).fit(X, y)


def test_predict_at_times():
    X, y = data()
    est = ntk.NTKRegressor(times=(10.0, 1.0, float("inf"))).fit(X, y)
    path = est.predict_path(X)
    assert path.shape == (3, len(X))
    assert np.array_equal(est.predict(X), path[2])
    assert np.array_equal(est.predict(X, t=1), path[1])
    with pytest.raises(ValueError, match="not a fitted time"):
        est.predict(X, t=2)
    # the predictor starts at zero and reaches the interpolant: train error falls with t
    errs = [np.sqrt(np.mean((p - y) ** 2)) for p in path[[1, 0, 2]]]
    assert errs[0] > errs[1] > errs[2]


def test_classifier_scores_and_labels():
    X, y = data(90)
    lab = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # ints 0, 1, 2
    lab = np.array([10, 2, 1])[lab]                        # text order differs from numeric
    clf = ntk.NTKClassifier(depth=2, times=(3.0, float("inf"))).fit(X, lab)
    assert list(clf.classes_) == [1, 2, 10]
    s = clf.decision_function(X)
    assert s.shape == (90, 3)
    assert (clf.classes_[np.argmax(s, axis=1)] == clf.predict(X)).all()
    assert clf.decision_path(X).shape == (2, 90, 3)
    assert clf.score(X, lab) > 0.95
    assert not hasattr(clf, "predict_proba")


def test_return_std_shrinks_at_training_points():
    X, y = data()
    est = ntk.NTKRegressor(times=(0.0, float("inf"))).fit(X, y)
    m0, s0 = est.predict(X, t=0, return_std=True)
    m, s = est.predict(X, return_std=True)
    assert np.allclose(m0, y.mean()) and np.all(s0 > 0)   # t = 0: the prior around zero
    assert np.max(s) < 1e-3 * np.min(s0)   # interpolation: no spread left on the data


def test_threads_restored():
    X, y = data()
    before = ntk.blas_info()
    ntk.NTKRegressor(threads=1).fit(X, y).predict(X)
    after = ntk.blas_info()
    assert (after["blas_threads"], after["omp_threads"]) == \
        (before["blas_threads"], before["omp_threads"])


def test_gil_released_during_fit():
    """Another Python thread keeps running while the library works."""
    X, y = data(1500, 8)
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=spin)
    t.start()
    try:
        ntk.NTKRegressor(depth=3, times=(1.0, 10.0, 100.0)).fit(X, y)
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 5


def test_kernel_zero_copy_and_shapes():
    X, _ = data(10, 3)
    K = ntk.kernel(X, depth=2)
    assert K.shape == (10, 10) and K.dtype == np.float64
    assert np.allclose(K, K.T)
    with pytest.raises(ValueError, match="features"):
        ntk.kernel(X, X[:, :2])


def test_demo_data_smoke(ntk_bin):
    df = ntk.demo_data("spectrum", n=20)
    assert {"index", "eigenvalue", "target_energy"} <= set(df.columns)
    with pytest.raises(ValueError, match="unknown demonstration"):
        ntk.demo_data("nope")


def test_bool_and_category_dtypes_encode_like_text():
    """pandas bool and category columns are encoded as the CSV texts would be
    (boolean words → 1/0, categories one-hot), missing cells included."""
    rng = np.random.default_rng(3)
    n = 40
    flag = rng.random(n) > 0.5
    colour = rng.choice(["red", "green", "blue"], n)
    num = rng.standard_normal(n)
    y = num + flag + (colour == "red")
    typed = pd.DataFrame({"num": num, "flag": flag, "colour": pd.Categorical(colour)})
    typed.loc[3, "colour"] = None
    text = pd.DataFrame({"num": num, "flag": np.where(flag, "TRUE", "FALSE"),
                         "colour": np.where(np.arange(n) == 3, "", colour)})
    a = ntk.NTKRegressor(depth=2).fit(typed, y)
    b = ntk.NTKRegressor(depth=2).fit(text, y)
    assert [c[1] for c in a.model_info_["columns"][:3]] == ["numeric", "boolean", "categorical"]
    assert np.array_equal(a.predict(typed), b.predict(text))
