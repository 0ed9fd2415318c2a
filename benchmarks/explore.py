"""Exploration on validation subjects only: train one configuration (2 seeds as one population by
default) on the training split less 5 held-out subjects (the split every spec with
`validation_subjects = 5` uses) and print its validation accuracy. The test split is never read.
With `--folds K`, subject-grouped K-fold cross-validation of the training split instead (the folds
of `cv_folds = K`): every training subject is validated on once, by a model that never saw it.

    python benchmarks/explore.py '{"model": "resnet", "epochs": 20, "rotate": 45}' --tag resnet-rot45
    python benchmarks/explore.py '{"model": "minirocket", "members": 1}' --tag minirocket --folds 5    # any peer
    python benchmarks/explore.py '{"filters": 64}' --spec experiments/best.toml --data data/pickup-gesture.npz --folds 5

The JSON holds HARClassifier parameters (recipe and model hyperparameters; with `--spec`, changes
to the spec's first configuration) and optionally
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


def fit_predict(config: dict, fit, X: np.ndarray) -> np.ndarray:
    """Every member's validation probabilities `(members, n, classes)`."""
    from harcnn.settings import SETTINGS, check_settings
    from harcnn.train.fit import split, train_and_predict

    config = {**DEFAULTS, **config}
    settings = check_settings({k: config[k] for k in SETTINGS if k in config}, "explore")
    hparams = {k: v for k, v in config.items() if k not in SETTINGS and k not in ("model", "members")}
    data = split(settings, fit)
    X = data.transform.apply(X) if data.transform else X
    return train_and_predict(config.get("model", "cnn"), hparams, settings, data, list(range(config["members"])), X)[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="JSON: HARClassifier parameters")
    p.add_argument("--tag", default="")
    p.add_argument("--spec", type=Path, help="start from this spec's first configuration; the JSON changes it")
    p.add_argument("--folds", type=int, default=0, help="subject-grouped cross-validation with this many folds")
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP, help="any dataset harcnn reads (UCI HAR zip, a dataset .npz)")
    p.add_argument("--log", type=Path, default=Path(__file__).parent / "results" / "explore.jsonl")
    a = p.parse_args()
    from harcnn.data.resolve import load_dataset
    from harcnn.data.splits import hold_out_fold, hold_out_subjects

    config = json.loads(a.config)
    if a.spec:
        from harcnn.experiments.spec import load_spec
        from harcnn.settings import RECIPE

        base = load_spec(a.spec).configs[0]  # its recipe and standardisation; the folds here are explore's
        config = {"model": base.model, **{k: base.settings[k] for k in (*RECIPE, "standardize")}, **base.hparams, **config}
    kind = config.pop("inputs", None)
    train = load_dataset(str(a.data)).train
    splits = [hold_out_fold(train, a.folds, k) for k in range(a.folds)] if a.folds else [hold_out_subjects(train, 5, seed=0)]
    t0, probas, labels = time.perf_counter(), [], []
    for fit, val in splits:
        probas.append(fit_predict(config, inputs(fit, kind), inputs(val, kind).X))
        labels.append(val.y)
    wall = time.perf_counter() - t0
    proba, y = np.concatenate(probas, axis=1), np.concatenate(labels)  # every validation window once
    members = [float((p.argmax(1) == y).mean()) for p in proba]
    ensemble = proba.mean(0).argmax(1)
    out = {
        "tag": a.tag,
        "config": config | ({"inputs": kind} if kind else {}),
        "validation": [round(v, 4) for v in members],
        "mean": round(float(np.mean(members)), 4),
        "ensemble": round(float((ensemble == y).mean()), 4),
        "f1": dict(zip(train.classes, [round(float(v), 3) for v in f1_score(y, ensemble, average=None)])),
        "s_per_model": round(wall / len(members) / len(splits), 1),
    } | ({"folds": a.folds, "fold_means": [round(float((p.argmax(-1) == v).mean()), 4) for p, v in zip(probas, labels)]} if a.folds else {})
    print(json.dumps(out), flush=True)
    with a.log.open("a") as f:
        f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
