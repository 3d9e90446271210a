#!/usr/bin/python3
"""Convert the independent reference kernels to plain text for the C tests.

Run once from the repository root (output is committed):
    /usr/bin/python3 tools/ref_to_text.py /work/shared/reference tests/data/ref_kernels.txt

Output format (whitespace separated, '#' starts a comment line):
    inputs <name> <rows> <cols>          then <rows> lines of <cols> numbers
    case <act> <depth> <w_std> <b_std> <method> <extra 0|1>
    matrix <name> <rows> <cols>          then <rows> lines of <cols> numbers
Every number is printed with 17 significant digits (round-trips exactly).
"""
import csv
import json
import os
import sys


def num(v):
    return repr(float(v))


def read_csv(path, cols):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [[float(r[c]) for c in cols] for r in rows]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference"
    dst = sys.argv[2] if len(sys.argv) > 2 else "tests/data/ref_kernels.txt"
    with open(os.path.join(src, "ref_kernels.json")) as f:
        ref = json.load(f)
    cols = ref["feature_cols"]
    out = []
    out.append("# Converted by tools/ref_to_text.py from ref_kernels.json, %s and %s"
               % (ref["train_csv"], ref["test_csv"]))
    out.append("# (independent float64 numpy/scipy reference, generator: %s)" % ref["generator"])
    out.append("# suggested tolerance: %s" % ref["suggested_tolerance"])
    for name, fn in (("train", ref["train_csv"]), ("test", ref["test_csv"])):
        X = read_csv(os.path.join(src, fn), cols)
        out.append("inputs %s %d %d" % (name, len(X), len(cols)))
        out.extend(" ".join(num(v) for v in row) for row in X)
    for c in ref["cases"]:
        out.append("case %s %d %s %s %s %d" % (c["act"], c["depth"], num(c["w_std"]),
                                                num(c["b_std"]), c["method"],
                                                1 if c.get("extra") else 0))
        for kind in ("ntk", "nngp"):
            for part in ("train_train", "test_train", "test_test"):
                M = c["%s_%s" % (kind, part)]
                out.append("matrix %s_%s %d %d" % (kind, part, len(M), len(M[0])))
                out.extend(" ".join(num(v) for v in row) for row in M)
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
