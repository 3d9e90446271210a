"""Shared helpers for the Python package's tests: the ntk program under test
(NTK, default bin/ntk of this tree), the bundled data sets, and split CSV
files written from the original lines (so both sides read the same text)."""
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MISSING = ["", "NA", "N/A", "?", "NaN", "nan"]  # the encoder's missing markers (dataset.h)


def ntk_program():
    prog = os.environ.get("NTK", os.path.join(ROOT, "bin", "ntk"))
    if not os.path.isabs(prog):
        prog = os.path.join(ROOT, prog)
    return prog


def run_ntk(*args, check=True):
    proc = subprocess.run([ntk_program(), *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS="2"))
    if check and proc.returncode != 0:
        raise AssertionError(f"ntk {' '.join(map(str, args))}: exit {proc.returncode}: "
                             f"{proc.stderr}")
    return proc


def read_csv(path):
    """As the library reads it: its missing markers, numbers parsed exactly."""
    return pd.read_csv(path, keep_default_na=False, na_values=MISSING,
                       float_precision="round_trip")


def split_csv(tmp_path, name, every=4):
    """Write data/NAME as train.csv and test.csv (every `every`-th data line
    to test), keeping each line's text."""
    with open(os.path.join(ROOT, "data", name)) as f:
        header, *lines = f.read().splitlines()
    tr = [l for i, l in enumerate(lines) if i % every]
    te = [l for i, l in enumerate(lines) if i % every == 0]
    paths = []
    for part, rows in (("train", tr), ("test", te)):
        p = tmp_path / f"{part}.csv"
        p.write_text("\n".join([header, *rows]) + "\n")
        paths.append(str(p))
    return paths


def rel_close(a, b, tol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(np.max(np.abs(b)), 1e-300)
    err = np.max(np.abs(a - b)) / scale
    assert err <= tol, f"max relative difference {err:.3g} > {tol:g}"
    return err


@pytest.fixture(scope="session")
def ntk_bin():
    prog = ntk_program()
    if not os.access(prog, os.X_OK):
        pytest.skip(f"{prog} not built (make)")
    return prog
