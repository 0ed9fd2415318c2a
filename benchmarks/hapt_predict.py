"""Window accuracy of a UCI HAR model on the HAPT raw recordings of the UCI HAR training subjects.

Each recording goes through the same path as `harcnn predict` (raw 50 Hz samples -> nine channels
-> windows -> model); windows lying entirely inside a segment of one of the six UCI HAR activities
are scored, postural transitions and unlabelled stretches are not. These subjects are in UCI HAR's
training split: this checks the raw pipeline end to end, not generalisation.

    harcnn train experiments/baseline.toml --out model/
    python benchmarks/hapt_predict.py model/
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from common import SHARED
from harcnn.datasets import hapt
from harcnn.deploy.predict import model_pipeline, smooth
from harcnn.estimator import load


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=Path)
    p.add_argument("--hapt", type=Path, default=SHARED / "data" / "HAPT-RawData-train-subjects.zip")
    p.add_argument("--smooth", type=int, default=1)
    a = p.parse_args()
    model = load(a.model)
    classes = [str(c) for c in model.classes_]
    t0 = time.perf_counter()
    correct = total = 0
    per_class = np.zeros((len(classes), 2), int)
    recordings = hapt.read(a.hapt)
    inside = replace(model_pipeline(model), labels="drop")  # the model's pipeline; a window's label only where it lies inside one
    for rec in recordings:
        X, _, truth = inside.windows([rec])
        proba = smooth(model.predict_proba(X), a.smooth)
        scored = np.isin(truth, classes)
        index = np.array([classes.index(t) for t in truth[scored]], int)
        hits = proba.argmax(1)[scored] == index
        correct, total = correct + hits.sum(), total + scored.sum()
        np.add.at(per_class, (index, 0), hits)
        np.add.at(per_class, (index, 1), 1)
    print(f"{len(recordings)} recordings, {total} scored windows, {time.perf_counter() - t0:.0f} s")
    recorded = model.meta_.test_accuracy
    print(
        f"window accuracy {100 * correct / total:.2f}%"
        + (f" (model's UCI HAR test accuracy {100 * recorded:.2f}%)" if recorded is not None else "")
    )
    for name, (hit, n) in zip(classes, per_class):
        print(f"  {name:<20} {100 * hit / max(n, 1):6.2f}%  ({n} windows)")


if __name__ == "__main__":
    main()
