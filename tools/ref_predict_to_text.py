#!/usr/bin/python3
"""Convert the independent reference predictions (shared/reference/ref_predict.json,
with the kernels they use from ref_kernels.json) to a plain-text file the C
tests parse: tests/data/ref_predict.txt. Run once by hand:
    /usr/bin/python3 tools/ref_predict_to_text.py ../shared/reference tests/data/ref_predict.txt
"""
import csv
import json
import sys

ref_dir, out_path = sys.argv[1], sys.argv[2]
kern = json.load(open(f"{ref_dir}/ref_kernels.json"))
pred = json.load(open(f"{ref_dir}/ref_predict.json"))
with open(f"{ref_dir}/ref_train.csv") as f:
    ytrain = [float(r["y"]) for r in csv.DictReader(f)]


def num(x):
    return "inf" if x == "inf" else repr(float(x))


def find_kernel(c):
    for k in kern["cases"]:
        if (k["act"], k["depth"], k["w_std"], k["b_std"]) == (c["act"], c["depth"], c["w_std"], c["b_std"]):
            return k
    raise SystemExit(f"no kernel for {c['act']} {c['depth']}")


lines = ["# Independent reference predictions: shared/reference/ref_predict.json and the kernels",
         "# they use from ref_kernels.json (numpy/scipy, float64), converted by tools/ref_predict_to_text.py.",
         f"# lr = {pred['lr']}; variant plain = --time-scale sum, perN = --time-scale mean (one output)."]
for c in pred["cases"]:
    k = find_kernel(c)
    times = c["predictions"].keys()
    lines.append(f"case {c['act']} {c['depth']} {c['w_std']!r} {c['b_std']!r} {c['kind']} {float(c['reg'])!r} {c['variant']} {len(times)}")
    lines.append("ytrain %d %s" % (len(ytrain), " ".join(repr(v) for v in ytrain)))
    tt = k[f"{c['kind']}_train_train"]
    st = k[f"{c['kind']}_test_train"]
    lines.append("ktt %d %d %s" % (len(tt), len(tt[0]), " ".join(repr(v) for r in tt for v in r)))
    lines.append("kst %d %d %s" % (len(st), len(st[0]), " ".join(repr(v) for r in st for v in r)))
    for t, p in c["predictions"].items():
        lines.append("pred %s test %d %s" % (num(t), len(p["test"]), " ".join(repr(v) for v in p["test"])))
        lines.append("pred %s train %d %s" % (num(t), len(p["train"]), " ".join(repr(v) for v in p["train"])))
    lines.append("end")
open(out_path, "w").write("\n".join(lines) + "\n")
