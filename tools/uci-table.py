#!/usr/bin/python3
"""Markdown table of the UCI benchmark: ntk (tools/uci-benchmark --format json)
beside the peers measured here (tools/peers --format json).
usage: /usr/bin/python3 tools/uci-table.py NTK.json [PEERS.json]"""
import json
import sys

ntk = json.load(open(sys.argv[1]))
peers = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
pmap = {d["name"]: d["models"] for d in peers["datasets"]} if peers else {}


def pct(x):
    return "—" if x is None else "%.2f" % (100 * x)


print("| data set | n | d | c | ntk choice | ntk val | ntk test | RF test | SVM test | ntk s |")
print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
wins = {"rf": 0, "svm": 0}
for d in ntk["datasets"]:
    p = d.get("params") or {}
    choice = "%s L%s F%s b%s λ%s t%s" % (p.get("kind", "?"), p.get("depth", "?"), p.get("fixed_layers", "?"),
                                      p.get("b_std", "?"), p.get("reg", "?"), p.get("tau", "?")) if p else "failed"
    m = pmap.get(d["name"], {})
    rf = m.get("rf", {}).get("test_accuracy")
    svm = m.get("svm", {}).get("test_accuracy")
    t = d.get("test_accuracy")
    for k, v in (("rf", rf), ("svm", svm)):
        if t is not None and v is not None and t >= v:
            wins[k] += 1
    print("| %s | %d | %d | %d | %s | %s | %s | %s | %s | %.1f |" % (
        d["name"], d["n"], d["d"], d["classes"], choice, pct(d.get("val_accuracy")), pct(t),
        pct(rf), pct(svm), d["seconds"]))
print()
mt = ntk["mean_test_accuracy"]
line = "Mean test accuracy over %d sets: **ntk %.2f%%**" % (len(ntk["datasets"]) - ntk.get("n_failed", 0), 100 * mt)
if peers:
    pm = peers["mean_test_accuracy"]
    line += "; random forest %.2f%%, RBF-SVM %.2f%% (measured here, same folds); ntk ≥ RF on %d sets, ≥ SVM on %d" % (
        100 * pm["rf"], 100 * pm["svm"], wins["rf"], wins["svm"])
print(line + ". ntk run: %.0f s, %d threads." % (ntk["seconds"], ntk["threads"]))
