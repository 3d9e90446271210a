"""ntk.demo_data: the numbers behind the classroom pictures of ``ntk demo``.

The demonstrations' computations live in the command-line program (src/cli/
cmd_demo_*.c); this runs ``ntk demo NAME --out DIR`` without drawing (a
gnuplot it cannot find) and returns the CSV it writes, so a notebook gets
exactly the numbers of the pictures and can plot them its own way.
"""

import os
import shutil
import subprocess
import tempfile

DEMOS = ("training-curves", "kernel-vs-angle", "toy-regression", "width-convergence",
         "spectrum", "invariance", "uncertainty")


def _ntk_program():
    env = os.environ.get("NTK")
    if env:
        return env
    found = shutil.which("ntk")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "..", "bin", "ntk"), "/usr/local/bin/ntk"):
        if os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("ntk.demo_data runs the `ntk` program: install it (make install) "
                            "or set NTK=/path/to/ntk")


def _option(key, value):
    flag = "--" + key.replace("_", "-")
    if value is True:
        return [flag]
    if value is False or value is None:
        return []
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [flag, str(value)]


def demo_data(name, **options):
    """The data of demonstration `name` (see ``ntk demo list``) as a pandas
    DataFrame, with the columns ``ntk demo NAME --help`` documents. Options
    are the demo's command-line options with ``_`` for ``-`` (n=40,
    widths=(64, 256), depth=2, train="data/servo.csv", ...). Rows of groups
    with fewer rows than the longest one hold NaN below their end."""
    import pandas as pd
    if name not in DEMOS:
        raise ValueError(f"unknown demonstration {name!r}; one of {', '.join(DEMOS)}")
    argv = [_ntk_program(), "demo", name]
    for key, value in options.items():
        argv += _option(key, value)
    with tempfile.TemporaryDirectory(prefix="ntk-demo-") as tmp:
        # no pictures: a gnuplot that does not exist (the CSV is still written)
        env = dict(os.environ, NTK_GNUPLOT=os.path.join(tmp, "no-gnuplot"))
        proc = subprocess.run(argv + ["--out", tmp, "--quiet"], capture_output=True, text=True,
                              env=env)
        path = os.path.join(tmp, name + ".csv")
        if proc.returncode != 0 or not os.path.exists(path):
            msg = proc.stderr.strip() or f"ntk demo {name} failed (exit {proc.returncode})"
            raise (ValueError if proc.returncode == 2 else RuntimeError)(msg)
        return pd.read_csv(path)
