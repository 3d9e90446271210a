"""ntk — infinite-width Neural Tangent Kernel prediction, as scikit-learn estimators.

A thin layer over the C library libntk (the extension ``ntk._ntk``)::

    import ntk
    reg = ntk.NTKRegressor(depth=3, times=(10, 100, float("inf")), time_scale="mean")
    reg.fit(X_train, y_train)
    reg.predict(X_test)               # at the last of `times` (t = inf)
    reg.predict(X_test, t=10)         # at another fitted time
    reg.predict_path(X_test)          # every time: array (len(times), n)
    mean, std = reg.predict(X_test, return_std=True)

Hyperparameters are the command-line tool's model options with ``_`` for ``-``
and the same defaults (``ntk fit --help``). Data: numpy arrays (float64
C-contiguous arrays are read in place) or pandas DataFrames, whose
categorical / string / boolean columns are encoded by the library's own
encoder exactly as ``ntk fit`` encodes a CSV file — a model fitted here and
one fitted with ``ntk fit`` on the same data predict the same numbers, and
model files are interchangeable (``save`` / ``ntk.load``; pickling works too).
Errors from the library raise ValueError (bad input), MemoryError, OSError or
ntk.NTKError with the library's message.
"""

import math
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _ntk
from ._ntk import NTKError

__all__ = ["NTKRegressor", "NTKClassifier", "Kernel", "kernel", "load", "compare",
           "demo_data", "blas_info", "NTKError"]
__version__ = _ntk.version

INF = float("inf")

# The model options shared by the estimators, ntk.kernel and ntk.compare, with
# the command line's defaults (cli_opts.c, ntk/model.h).
_ARCH_DEFAULTS = dict(depth=1, act="relu", w_std=math.sqrt(2.0), b_std=0.0, kind="ntk",
                      fixed_layers=0)


def blas_info():
    """The BLAS the extension runs on: config, core type, thread counts."""
    return _ntk.blas_info()


def _warn_generic_blas():
    # Debian's OpenBLAS 0.3.21 runs its slowest kernels on CPUs it does not
    # know; `ntk` re-executes itself with OPENBLAS_CORETYPE set, a Python
    # process cannot (the library is loaded by the time we run).
    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("NTK_NO_BLAS_FIX"):
        return
    core = (blas_info().get("core") or "").lower()
    if core not in ("prescott", "core2", "nehalem", "barcelona", "katmai", "atom"):
        return
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return
    best = ("SkylakeX" if " avx512f" in flags and " avx512vl" in flags else
            "Haswell" if " avx2" in flags and " fma" in flags else None)
    if best:
        warnings.warn(f"OpenBLAS uses its generic '{core}' kernels on this CPU (several times "
                      f"slower); start Python with OPENBLAS_CORETYPE={best} in the environment",
                      RuntimeWarning, stacklevel=3)


_warn_generic_blas()


# ----------------------------------------------------------------- data

def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _numeric_frame(X):
    return all(dt.kind in "iuf" for dt in X.dtypes)


def _text_column(values):
    """A column as texts for the library's encoder; None is a missing cell."""
    import pandas as pd
    out = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
        elif isinstance(v, (bool, np.bool_)):
            out.append("True" if v else "False")
        else:
            out.append(str(v))
    return out


def _frame_columns(X):
    """DataFrame → (items, names): numeric columns as float64 arrays (NaN is
    missing), everything else as text so the encoder types it (boolean words,
    categories) exactly as it types a CSV file's cells."""
    items, names = [], []
    for name in X.columns:
        col = X[name]
        if col.dtype.kind in "iuf":
            items.append(np.ascontiguousarray(col.to_numpy(dtype=np.float64, na_value=np.nan)))
        else:
            items.append(_text_column(col.astype(object).tolist()))
        names.append(str(name))
    return items, names


def _unique_name(base, taken):
    name = base
    while name in taken:
        name = "_" + name
    return name


def _params_list(v):
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return ",".join(str(x) for x in v)


def _times_tuple(times):
    if times is None:
        return (INF,)
    if np.isscalar(times):
        times = (times,)
    out = tuple(float(t) for t in times)
    if not out:
        raise ValueError("times must hold at least one time (inf allowed)")
    for t in out:
        if not (t >= 0):
            raise ValueError(f"times must be numbers >= 0 or inf, got {t}")
    return out


# ----------------------------------------------------------------- estimators

class _NTKBase(BaseEstimator):
    """Shared parameters, data handling, files and pickling."""

    _task = None

    def __init__(self, depth=1, act="relu", w_std=math.sqrt(2.0), b_std=0.0, kind="ntk",
                 fixed_layers=0, reg=0.0, reg_scale="absolute", lr=1.0, times=(INF,),
                 time_scale="sum", standardize="balanced", target_scaling=True, missing="impute",
                 categorical=None, drop=None, precision="double", threads=None, seed=0,
                 select="auto", select_options=None, loss=None, C=None):
        self.depth = depth
        self.act = act
        self.w_std = w_std
        self.b_std = b_std
        self.kind = kind
        self.fixed_layers = fixed_layers
        self.reg = reg
        self.reg_scale = reg_scale
        self.lr = lr
        self.times = times
        self.time_scale = time_scale
        self.standardize = standardize
        self.target_scaling = target_scaling
        self.missing = missing
        self.categorical = categorical
        self.drop = drop
        self.precision = precision
        self.threads = threads
        self.seed = seed
        self.select = select
        self.select_options = select_options
        self.loss = loss
        self.C = C

    def _more_tags(self):
        # NaN is a missing value, imputed by the encoder (the training mean).
        return {"allow_nan": True}

    # -- parameters as the extension reads them
    def _train_params(self):
        return dict(depth=int(self.depth), act=str(self.act), w_std=float(self.w_std),
                    b_std=float(self.b_std), kind=str(self.kind),
                    fixed_layers=int(self.fixed_layers), reg=float(self.reg),
                    reg_scale=str(self.reg_scale), lr=float(self.lr),
                    times=list(_times_tuple(self.times)), time_scale=str(self.time_scale),
                    target_scaling=int(bool(self.target_scaling)), precision=str(self.precision),
                    threads=int(self.threads or 0), loss=str(self.loss or "square"),
                    C=float(1.0 if self.C is None else self.C))

    def _encode_params(self, target):
        return dict(target=target, task=self._task, standardize=str(self.standardize),
                    missing=str(self.missing), categorical=_params_list(self.categorical),
                    drop=_params_list(self.drop))

    # The model options and their defaults: with select="auto" (the default),
    # an estimator that sets none of them selects its model, as `ntk fit`
    # with no model option does (the last stage capped at 3000 rows).
    _MODEL_DEFAULTS = dict(depth=1, act="relu", w_std=math.sqrt(2.0), b_std=0.0, kind="ntk",
                           fixed_layers=0, reg=0.0, reg_scale="absolute", lr=1.0,
                           times=(INF,), time_scale="sum")

    def _auto_select(self):
        for key, default in self._MODEL_DEFAULTS.items():
            value = getattr(self, key)
            if key == "times":
                if tuple(_times_tuple(value)) != default:
                    return False
            elif value != default:
                return False
        return True

    def _select_params(self):
        if isinstance(self.select, str):
            if self.select != "auto":
                raise ValueError(f"select must be True, False or 'auto', not {self.select!r}")
            if not self._auto_select():
                return None
            opts = {"max_rows": 3000}
            opts.update(self.select_options or {})
        elif not self.select:
            return None
        else:
            opts = dict(self.select_options or {})
        known = {"folds", "max_rows", "max_depth", "acts", "b_grid", "reg_grid", "time_grid", "nngp",
                 "sweep_fixed", "tie_break", "C_grid", "hinge_kernels"}
        unknown = set(opts) - known
        if unknown:
            raise ValueError(f"select_options: unknown keys {sorted(unknown)}; known: "
                             f"{sorted(known)}")
        # The losses, as `ntk fit --select`: loss=None weighs both (classification),
        # "hinge" selects kernel and C for the SVM (C given: that C only).
        if self.loss not in (None, "square", "hinge"):
            raise ValueError(f"loss must be None, 'square' or 'hinge', not {self.loss!r}")
        opts["loss"] = self.loss or "auto"
        if self.loss == "hinge" and self.C is not None:
            opts["C_grid"] = [float(self.C)]
            opts["c_scale"] = "absolute"
        if isinstance(opts.get("acts"), str):
            opts["acts"] = [opts["acts"]]
        for key in ("nngp", "sweep_fixed"):
            if key in opts:
                opts[key] = int(bool(opts[key]))
        return opts

    # -- data
    def _X_columns(self, X, reset):
        """X → (items, names) for the extension, validated as scikit-learn
        does (n_features_in_, feature_names_in_)."""
        if _is_dataframe(X) and not _numeric_frame(X):
            self._check_feature_names(X, reset=reset)
            self._check_n_features(X, reset=reset)
            if X.shape[0] == 0:
                raise ValueError("Found array with 0 sample(s) (shape=%s) while a minimum of 1 "
                                 "is required." % (X.shape,))
            items, names = _frame_columns(X)
            if reset:
                self._columns_ = names
            return items, names, X.shape[0]
        X = self._validate_data(X, reset=reset, dtype=np.float64, order="C",
                                force_all_finite="allow-nan")
        if reset:
            names = getattr(self, "feature_names_in_", None)
            self._columns_ = ([str(c) for c in names] if names is not None else
                              [f"x{j + 1}" for j in range(X.shape[1])])
        return [X], list(self._columns_), X.shape[0]

    def _fit_model(self, X, y_column):
        """Fit on X and the target column (float64 array or texts)."""
        items, names, n = self._X_columns(X, reset=True)
        if n != len(y_column):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                             f"[{n}, {len(y_column)}]")
        if n < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 samples, got {n} sample "
                             f"(every feature is constant on one sample)")
        target = _unique_name(self._target_name, set(names))
        model, selection = _ntk.fit(items + [y_column], names + [target],
                                    self._encode_params(target), self._train_params(),
                                    self._select_params(), int(self.seed))
        self._set_model(model)
        self.selection_ = selection
        return self

    def _set_model(self, model):
        self._model = model
        info = model.info()
        self.model_info_ = info
        self.times_ = np.array(info["times"], dtype=np.float64)
        self.n_features_encoded_ = info["d"]
        self.reg_abs_ = info["reg_abs"]
        self.jitter_ = info["jitter"]

    def _predict_columns(self, X):
        check_is_fitted(self, "_model")
        items, names, _ = self._X_columns(X, reset=False)
        return items, names

    def _scores(self, X):
        """(n_times, m, k) outputs in original units / class scores (model order)."""
        items, names = self._predict_columns(X)
        return self._model.predict(items, names, int(self.threads or 0))

    def _time_index(self, t):
        check_is_fitted(self, "_model")
        if t is None:
            return len(self.times_) - 1
        t = float(t)
        for i, ti in enumerate(self.times_):
            if ti == t or (math.isfinite(t) and abs(ti - t) <= 1e-12 * max(abs(t), 1e-300)):
                return i
        raise ValueError(f"t = {t:g} is not a fitted time; fitted times are "
                         f"{[float(x) for x in self.times_]} (add it to `times` and refit)")

    # -- files and pickling
    def save(self, path):
        """Write the model file (the format of ``ntk fit -o``; ``ntk predict``
        reads it). Written to a temporary file and renamed into place."""
        check_is_fitted(self, "_model")
        data = self._model.serialize()
        path = os.fspath(path)
        tmp = f"{path}.tmp{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path

    def __getstate__(self):
        state = super().__getstate__().copy()
        model = state.pop("_model", None)
        if model is not None:
            state["_model_bytes"] = model.serialize()
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_model_bytes", None)
        super().__setstate__(state)
        if data is not None:
            self._model = _ntk.deserialize(data, "pickled model")


class NTKRegressor(RegressorMixin, _NTKBase):
    """Kernel regression with the infinite-width NTK (or NNGP) of a fully
    connected network: the prediction of that network trained by gradient
    flow for time t, f_t(x) = Θ(x,X) Θ⁻¹ (I − e^{−ηΘt}) Y, exactly.

    Parameters are the ``ntk`` command's model options (``--w-std`` →
    ``w_std``) with its defaults: depth 1, ReLU, σ_w = √2, σ_b = 0, NTK, no
    ridge (``reg``, ``reg_scale`` 'absolute' or 'relative' × mean diag Θ),
    learning rate 1, ``times`` = (inf,) with ``time_scale`` 'sum' or 'mean',
    features scaled by ``standardize`` ('balanced': numeric columns z-scored,
    one-hot levels centered and divided by √2; 'zscore'; 'none'), targets
    standardized (``target_scaling``). ``select``
    chooses depth, fixed layers, σ_b, kernel kind, ridge and time by the
    library's selection (``ntk fit --select``: closed-form leave-one-out with
    successive halving, or K-fold with ``folds``). The default,
    ``select='auto'``, selects when none of the model options above is set
    (as ``ntk fit`` with no model option does: a sound model, not an
    interpolation of noise; the last halving stage capped at 3000 rows);
    ``select=False`` fits exactly the options given. ``select_options`` may
    set folds, max_rows, max_depth, acts, b_grid, reg_grid, time_grid, nngp,
    sweep_fixed, tie_break. ``threads`` (None: all cores) sets the kernel
    and BLAS threads for each call and restores them afterwards.

    Fitted attributes: ``times_``, ``n_features_in_`` (``feature_names_in_``
    for DataFrames), ``selection_`` (the chosen values, or None),
    ``reg_abs_``, ``jitter_``, ``n_features_encoded_``, ``model_info_``.
    """

    _task = "regression"
    _target_name = "y"

    def fit(self, X, y):
        """Fit on X (array or DataFrame) and numeric targets y; returns self."""
        y = self._validate_data(X="no_validation", y=y, y_numeric=True)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target), got shape {y.shape}")
        return self._fit_model(X, y)

    def predict(self, X, t=None, return_std=False):
        """Predictions at time t (default: the last of ``times``). With
        return_std, also the standard deviation of the infinite ensemble of
        networks trained from random initialization (the NTK-GP; the GP
        posterior for kind='nngp'): the latent function's, without observation
        noise (ntk/uncertainty.h)."""
        i = self._time_index(t)
        if return_std:
            mean, std = self.predict_path(X, return_std=True)
            return mean[i], std[i]
        return self._scores(X)[i, :, 0]

    def predict_path(self, X, return_std=False):
        """Predictions at every fitted time: array (len(times_), n_samples)
        (and the standard deviations, same shape, with return_std)."""
        items, names = self._predict_columns(X)
        mean = self._model.predict(items, names, int(self.threads or 0))[:, :, 0]
        if not return_std:
            return mean
        var = self._model.variance(items, names, int(self.threads or 0))
        return mean, np.sqrt(var)


class NTKClassifier(ClassifierMixin, _NTKBase):
    """Classification by NTK kernel regression on centered one-hot targets
    (1 − 1/k for the true class, −1/k otherwise), predicting the argmax — the
    infinite-width network trained by gradient flow on the square loss.

    Parameters as NTKRegressor (``target_scaling`` does not apply), plus the
    loss as ``ntk --loss``: ``loss='hinge'`` is the one-vs-one C-SVM on the
    same kernel with cost ``C`` (default 1; decision values are its votes);
    with selection, ``loss=None`` (default) weighs both losses on the same
    validation rows, 'square' or 'hinge' only that one (hinge: kernel and C,
    or the kernel alone when ``C`` is given; ``select_options`` may set
    C_grid, relative to mean diag Θ, and hinge_kernels). Fitted attributes as
    NTKRegressor plus ``classes_``; ``selection_['loss']`` names the chosen
    loss.

    ``decision_function`` returns the class scores f_t(x) (binary: the score
    of classes_[1] minus that of classes_[0]). There is no ``predict_proba``:
    the scores are regression outputs on one-hot targets, not probabilities
    — they can be negative or exceed one, and no likelihood was fitted, so
    calling them probabilities would mislead; calibrate them yourself (e.g.
    sklearn.calibration.CalibratedClassifierCV) if you need probabilities.
    """

    _task = "classification"
    _target_name = "class"

    def fit(self, X, y):
        """Fit on X (array or DataFrame) and class labels y; returns self."""
        y = self._validate_data(X="no_validation", y=y)
        check_classification_targets(y)
        classes, inverse = np.unique(y, return_inverse=True)
        texts = [str(c) for c in classes]
        if len(set(texts)) != len(texts):
            raise ValueError("class labels must differ as text (e.g. 1 and '1' collide)")
        labels = np.array(texts, dtype=object)[inverse].tolist()
        self._fit_model(X, labels)
        self.classes_ = classes
        self._map_classes(texts)
        return self

    def _map_classes(self, texts):
        # The library orders class labels by their bytes (strcmp); classes_
        # is np.unique's order. _order[i] = the model's column of classes_[i].
        lab = {s: j for j, s in enumerate(self.model_info_["class_labels"])}
        self._order = np.array([lab[s] for s in texts], dtype=np.intp)

    def decision_path(self, X):
        """Class scores at every fitted time: (len(times_), n, n_classes)
        (binary: (len(times_), n), score of classes_[1] minus classes_[0])."""
        s = self._scores(X)[:, :, self._order]
        if s.shape[2] == 2:
            return s[:, :, 1] - s[:, :, 0]
        return s

    def decision_function(self, X, t=None):
        """Class scores at time t (default: the last of ``times``)."""
        return self.decision_path(X)[self._time_index(t)]

    def predict_path(self, X):
        """Predicted labels at every fitted time: (len(times_), n_samples).
        The argmax is taken over the library's class order, as ``ntk eval``
        and ``ntk predict`` take it."""
        s = self._scores(X)
        inv = np.empty_like(self._order)
        inv[self._order] = np.arange(len(self._order))
        return self.classes_[inv[np.argmax(s, axis=2)]]

    def predict(self, X, t=None):
        """Predicted labels at time t (default: the last of ``times``)."""
        return self.predict_path(X)[self._time_index(t)]


def load(path):
    """Read a model file (``ntk fit -o`` or ``est.save``) as a fitted
    NTKRegressor or NTKClassifier. Class labels come back as the strings the
    file holds; predict on arrays whose columns are the training table's
    columns other than the target, in order, or on DataFrames with those
    names."""
    model = _ntk.load(os.fspath(path))
    info = model.info()
    cls = NTKClassifier if info["task"] == "classification" else NTKRegressor
    est = cls(depth=info["depth"], act=info["act"], w_std=info["w_std"], b_std=info["b_std"],
              kind=info["kind"], fixed_layers=info["fixed_layers"], reg=info["reg"],
              reg_scale=info["reg_scale"], lr=info["lr"], times=tuple(info["times"]),
              time_scale=info["time_scale"], standardize=info["standardize"])
    est._set_model(model)
    est.selection_ = None
    names = [c[0] for c in info["columns"] if c[0] != info["target"]]
    est._columns_ = names
    est.n_features_in_ = len(names)
    if names != [f"x{j + 1}" for j in range(len(names))]:  # not fitted on a plain array
        est.feature_names_in_ = np.array(names, dtype=object)
    if cls is NTKClassifier:
        est.classes_ = np.array(info["class_labels"], dtype=object)
        est._order = np.arange(len(est.classes_), dtype=np.intp)
    return est


# ----------------------------------------------------------------- kernels

def kernel(X, Y=None, *, depth=1, act="relu", w_std=math.sqrt(2.0), b_std=0.0, kind="ntk",
           fixed_layers=0, threads=None):
    """The NTK (kind='ntk') or NNGP kernel (kind='nngp') matrix between the
    rows of X and of Y (default: X), as ``ntk kernel`` prints it. The arrays
    are used as given (no standardization, no column dropped); float64
    C-contiguous arrays are read in place. Usable as a scikit-learn kernel:
    ``SVC(kernel=ntk.Kernel(depth=3))`` or ``functools.partial(ntk.kernel,
    depth=3)``."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    if Y is not None:
        Y = np.ascontiguousarray(Y, dtype=np.float64)
        if Y.ndim != 2:
            raise ValueError(f"Y must be 2-D, got shape {Y.shape}")
    params = dict(depth=int(depth), act=str(act), w_std=float(w_std), b_std=float(b_std),
                  kind=str(kind), fixed_layers=int(fixed_layers), threads=int(threads or 0))
    return _ntk.kernel(X, Y, params)


class Kernel:
    """A picklable callable ``k(X, Y=None)`` → ntk.kernel(X, Y, **params),
    for scikit-learn estimators that take a kernel function (SVC, KernelRidge
    with kernel=..., ...)."""

    def __init__(self, **params):
        bad = set(params) - set(_ARCH_DEFAULTS) - {"threads"}
        if bad:
            raise TypeError(f"unknown kernel parameters {sorted(bad)}")
        self.params = params

    def __call__(self, X, Y=None):
        return kernel(X, Y, **self.params)

    def __repr__(self):
        return "Kernel(" + ", ".join(f"{k}={v!r}" for k, v in self.params.items()) + ")"


# ----------------------------------------------------------------- compare

def _data_columns(X, y, names=None, target="y"):
    """(items, names, target name) for a table of X and y (task by the
    encoder's rule: numeric y is regression, anything else classification)."""
    if _is_dataframe(X):
        items, names = _frame_columns(X)
    else:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got shape {X.shape}")
        items, names = [X], names or [f"x{j + 1}" for j in range(X.shape[1])]
    target = _unique_name(str(getattr(y, "name", None) or target), set(names))
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        items.append(np.ascontiguousarray(y, dtype=np.float64))
    else:
        items.append(_text_column(y.tolist()))
    return items, names + [target], target


def compare(X, y, X_test=None, y_test=None, *, widths=(64, 256, 1024), times=(0, 10, 100, 1000),
            seeds=1, raw=False, lr=None, test_size=0.25, task="auto", seed=0, depth=1,
            act="relu", w_std=math.sqrt(2.0), b_std=0.0, kind="ntk", fixed_layers=0, reg=0.0,
            reg_scale="absolute", time_scale="sum", standardize="balanced", target_scaling=True,
            threads=None):
    """Finite-width networks trained by gradient descent against the NTK
    predictor: the table ``ntk compare`` prints (one implementation, the
    library's ntk_compare_run). ``times`` are step counts; lr=None takes
    1/(c·λ_max) of the analytic kernel. Without X_test, a ``test_size`` part
    is split off (stratified for classification, by ``seed``).

    Returns a dict with the JSON report's members: ``rows`` (a DataFrame with
    width, t, net_train, net_test, ntk_train, ntk_test, gap_rmse,
    init_rel_dist, change_rel), ``kernels`` (per width: init_rel_dist,
    change_rel, init_rel_dist_of_mean, lambda_max_init, seconds), and task,
    n_train, n_test, n_features, seeds, centered, lr, lambda_max."""
    import pandas as pd
    if X_test is None:
        from sklearn.model_selection import train_test_split
        yy = np.asarray(y)
        strat = yy if yy.dtype.kind not in "f" and task != "regression" else None
        X, X_test, y, y_test = train_test_split(X, y, test_size=test_size, random_state=seed,
                                                stratify=strat)
    items, names, target = _data_columns(X, y)
    t_items, t_names, _ = _data_columns(X_test, y_test, names[:-1], target)
    if t_names[:-1] != names[:-1]:
        raise ValueError("X_test must have the columns of X")
    t_names[-1] = target
    enc = dict(target=target, task=task, standardize=standardize)
    tp = dict(depth=int(depth), act=str(act), w_std=float(w_std), b_std=float(b_std),
              kind=str(kind), fixed_layers=int(fixed_layers), reg=float(reg),
              reg_scale=str(reg_scale), lr=float(lr) if lr is not None else 1.0,
              times=list(_times_tuple(times)), time_scale=str(time_scale),
              target_scaling=int(bool(target_scaling)), threads=int(threads or 0))
    opts = dict(widths=[int(w) for w in widths], seeds=int(seeds), seed=int(seed),
                raw=int(bool(raw)), lr_given=int(lr is not None))
    r = _ntk.compare(items, names, t_items, enc, tp, opts)
    W, T = len(r["widths"]), len(r["times"])
    rows = pd.DataFrame({
        "width": np.repeat(r["widths"], T),
        "t": np.tile(np.array(r["times"]), W),
        **{k: r[k].ravel() for k in ("net_train", "net_test", "ntk_train", "ntk_test",
                                     "gap_rmse")},
        "init_rel_dist": np.repeat(r["init_rel_dist"], T),
        "change_rel": np.repeat(r["change_rel"], T),
    })
    kernels = pd.DataFrame({"width": r["widths"],
                            **{k: r[k] for k in ("init_rel_dist", "change_rel",
                                                 "init_rel_dist_of_mean", "lambda_max_init",
                                                 "seconds")}})
    out = {k: r[k] for k in ("task", "n_train", "n_test", "n_features", "seeds", "centered",
                             "lr", "lambda_max")}
    out["metric"] = "rmse" if r["task"] == "regression" else "accuracy"
    out["rows"] = rows
    out["kernels"] = kernels
    return out


from ._demo import demo_data  # noqa: E402  (needs the names above)
