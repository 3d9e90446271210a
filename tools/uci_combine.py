#!/usr/bin/python3
"""Merge UCI benchmark JSON files and combine the two losses per data set.

  uci_combine.py --square SQUARE.json --hinge H1.json [H2.json|RUN.log ...] [--out merged.json]

The hinge runs may be split over several files (tools/uci-benchmark --loss hinge
--datasets ...); they are merged by data set name. For every set present in both, the
combined choice takes the loss with the higher validation accuracy (conxuntos.dat's
split, the same for both losses; ties go to the square loss, ntk's default) and reports
that loss's test accuracy, so the combination still selects on validation data only.
Prints one JSON object: {"mean_test_accuracy": combined mean, "hinge": {...},
"square": {...}, "combined": {...}, "datasets": [...]}.
"""
import argparse
import json
import re
import sys


def load(paths):
    """JSON results, or the progress lines of an interrupted run on stderr
    ('[i/n] name ok L.. F.. C.. val 0.xxxx test 0.xxxx ...', 4 decimals)."""
    sets = {}
    for p in paths:
        text = open(p).read()
        if text.lstrip().startswith("{"):
            for d in json.loads(text)["datasets"]:
                if d.get("test_accuracy") is not None:
                    sets[d["name"]] = d
            continue
        for m in re.finditer(r"^\[\d+/\d+\] (\S+)\s+ok\s+L(\d+) F(\d+) C(\S+) val ([\d.]+) "
                             r"test ([\d.]+)", text, re.M):
            sets[m.group(1)] = {"name": m.group(1), "val_accuracy": float(m.group(5)),
                                "test_accuracy": float(m.group(6)),
                                "params": {"loss": "hinge", "depth": int(m.group(2)),
                                           "fixed_layers": int(m.group(3)),
                                           "C": float(m.group(4))}, "from_log": True}
    return sets


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--square", required=True)
    ap.add_argument("--hinge", required=True, nargs="+")
    ap.add_argument("--out")
    a = ap.parse_args()
    sq = load([a.square])
    hi = load(a.hinge)
    names = sorted(set(sq) & set(hi))
    rows = []
    for n in names:
        s, h = sq[n], hi[n]
        sv = round(s["val_accuracy"], 4) if h.get("from_log") else s["val_accuracy"]
        pick = "hinge" if h["val_accuracy"] > sv else "square"
        rows.append({"name": n, "square_val": s["val_accuracy"], "square_test": s["test_accuracy"],
                     "hinge_val": h["val_accuracy"], "hinge_test": h["test_accuracy"],
                     "hinge_params": h.get("params"), "choice": pick,
                     "test_accuracy": (h if pick == "hinge" else s)["test_accuracy"]})
    mean = lambda v: sum(v) / len(v) if v else float("nan")
    out = {"mean_test_accuracy": mean([r["test_accuracy"] for r in rows]),
           "n_datasets": len(rows),
           "hinge": {"mean_test_accuracy": mean([hi[n]["test_accuracy"] for n in hi]),
                     "n_datasets": len(hi)},
           "square": {"mean_test_accuracy": mean([sq[n]["test_accuracy"] for n in sq]),
                      "n_datasets": len(sq)},
           "same_sets": {"hinge": mean([hi[n]["test_accuracy"] for n in names]),
                         "square": mean([sq[n]["test_accuracy"] for n in names])},
           "combined": {"hinge_chosen": sum(r["choice"] == "hinge" for r in rows),
                        "square_chosen": sum(r["choice"] == "square" for r in rows)},
           "datasets": rows}
    if a.out:
        merged = {"loss": "hinge", "datasets": [hi[n] for n in sorted(hi)],
                  "mean_test_accuracy": out["hinge"]["mean_test_accuracy"]}
        json.dump(merged, open(a.out, "w"), indent=1)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
