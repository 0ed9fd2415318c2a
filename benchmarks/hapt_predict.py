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
from pathlib import Path

import numpy as np

from common import SHARED
from harcnn.data.preprocess import window_labels
from harcnn.data.recordings import read_hapt
from harcnn.deploy.predict import predict_recording
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
    recordings = read_hapt(a.hapt)
    for rec in recordings:
        predictions = predict_recording(model, rec, a.smooth)
        proba, starts = predictions.proba, np.round(predictions.start_s * 50).astype(int)
        truth = window_labels(rec, starts, min_cover=1.0)
        scored = (truth >= 1) & (truth <= len(classes))
        hits = proba.argmax(1)[scored] == truth[scored] - 1
        correct, total = correct + hits.sum(), total + scored.sum()
        np.add.at(per_class, (truth[scored] - 1, 0), hits)
        np.add.at(per_class, (truth[scored] - 1, 1), 1)
    print(f"{len(recordings)} recordings, {total} scored windows, {time.perf_counter() - t0:.0f} s")
    print(f"window accuracy {100 * correct / total:.2f}% (model's UCI HAR test accuracy {100 * model.meta_.test_accuracy:.2f}%)")
    for name, (hit, n) in zip(classes, per_class):
        print(f"  {name:<20} {100 * hit / max(n, 1):6.2f}%  ({n} windows)")


if __name__ == "__main__":
    main()
