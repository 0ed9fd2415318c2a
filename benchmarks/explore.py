"""Exploration on validation subjects only: train one configuration (2 seeds as one population by
default) on the training split less 5 held-out subjects (the split every spec with
`validation_subjects = 5` uses) and print its validation accuracy. The test split is never read.

    python benchmarks/explore.py '{"model": "resnet", "epochs": 20, "rotate": 45}' --tag resnet-rot45
    python benchmarks/explore.py '{"model": "minirocket"}' --tag minirocket

The JSON holds HARClassifier parameters (recipe and model hyperparameters) and optionally
"inputs": "demean" (every channel's window mean removed), "body" (the six body channels only) or
"gravity" (three channels total_acc - body_acc added). Each result is appended to --log (JSON
lines): per-member and ensemble validation accuracy, per-class F1 of the ensemble, seconds per
model. The studies in experiments/ then confirm what this finds, through `harcnn select`.
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from common import DEFAULT_ZIP

DEFAULTS = {"members": 2, "standardize": True}


def inputs(windows, kind: str | None):
    X = windows.X
    if kind == "demean":
        X = X - X.mean(2, keepdims=True)
    elif kind == "body":
        X = X[:, 3:]
    elif kind == "gravity":
        X = np.concatenate([X, X[:, :3] - X[:, 3:6]], 1)
    elif kind is not None:
        raise SystemExit(f"unknown inputs {kind!r}")
    channels = windows.channels if kind in (None, "demean") else tuple(f"c{i}" for i in range(X.shape[1]))
    return replace(windows, X=np.ascontiguousarray(X, np.float32), channels=channels)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="JSON: HARClassifier parameters")
    p.add_argument("--tag", default="")
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--log", type=Path, default=Path(__file__).parent / "results" / "explore.jsonl")
    a = p.parse_args()
    from harcnn.data.splits import hold_out_subjects
    from harcnn.data.uci_har import fetch

    config = json.loads(a.config)
    kind = config.pop("inputs", None)
    fit, val = hold_out_subjects(fetch(str(a.data)).train, 5, seed=0)
    fit, val = inputs(fit, kind), inputs(val, kind)
    t0 = time.perf_counter()
    if config.get("model") == "minirocket":
        from harcnn.models.baselines import fit_predict_proba

        proba = fit_predict_proba("minirocket", {}, fit, 0, 2, val.X)[0][None]
    else:
        from harcnn import HARClassifier

        clf = HARClassifier(**{**DEFAULTS, **config}).fit_windows(fit)
        proba = clf.member_proba(val.X)
    wall = time.perf_counter() - t0
    members = [float((p.argmax(1) == val.y).mean()) for p in proba]
    ensemble = proba.mean(0).argmax(1)
    out = {
        "tag": a.tag,
        "config": config | ({"inputs": kind} if kind else {}),
        "validation": [round(v, 4) for v in members],
        "mean": round(float(np.mean(members)), 4),
        "ensemble": round(float((ensemble == val.y).mean()), 4),
        "f1": dict(zip(val.classes, [round(float(v), 3) for v in f1_score(val.y, ensemble, average=None)])),
        "s_per_model": round(wall / len(members), 1),
    }
    print(json.dumps(out), flush=True)
    with a.log.open("a") as f:
        f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
