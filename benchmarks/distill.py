"""Benchmark: one model distilled from the recommended ensemble against the ensemble and against a
model trained on the labels (issue #19, item 4).

The teacher is `SPEC`'s configuration trained as an ensemble of `--teacher-members` seeds (0, 1, ...);
then `--students` seeds (from `--seed`) are trained twice with the same recipe, as one population
each: on the labels, and on the teacher's probabilities (`fit_windows(teacher=...)`, what `harcnn
train --teacher` runs). Every student is scored on its own, as one model. With `--validation K`
everything trains on the training split less K subjects (drawn as `validation_subjects` draws them)
and is scored on those K subjects, so that the test split is not read; without it on the test split.

    python benchmarks/distill.py --validation 5 --out benchmarks/results/distill/validation.json
    python benchmarks/distill.py --out benchmarks/results/distill/test.json
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, machine
from harcnn.data.resolve import load_dataset
from harcnn.data.splits import hold_out_subjects
from harcnn.estimator import HARClassifier
from harcnn.experiments.spec import load_spec
from harcnn.models import build
from harcnn.models.layers import member_state

ROOT = Path(__file__).resolve().parents[1]


def member_accuracies(clf: HARClassifier, X: np.ndarray, y: np.ndarray) -> list[float]:
    return [round(100 * float((p.argmax(1) == y).mean()), 2) for p in clf.member_proba(X)]


def predict_seconds(clf: HARClassifier, X: np.ndarray) -> float:
    """Best of three: the wall time to predict `X`, as a deployed model would."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        clf.predict_proba(X)
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Path, default=ROOT / "experiments" / "best.toml")
    p.add_argument("--data", default=str(DEFAULT_ZIP))
    p.add_argument("--teacher-members", type=int, default=5)
    p.add_argument("--students", type=int, default=5)
    p.add_argument("--seed", type=int, default=100, help="seed of the first student")
    p.add_argument(
        "--validation", type=int, default=0, help="hold this many training subjects out and score on them, not on the test split"
    )
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    config = load_spec(a.spec).configs[0]
    ds = load_dataset(a.data)
    train, scored = hold_out_subjects(ds.train, a.validation, config.settings["split_seed"]) if a.validation else (ds.train, ds.test)
    rows: dict = {
        "machine": machine(),
        "spec": str(a.spec.relative_to(ROOT)),
        "scored_on": f"{a.validation} validation subjects" if a.validation else "test split",
    }
    t0 = time.perf_counter()
    teacher = HARClassifier.from_config(config, members=a.teacher_members, random_state=0).fit_windows(train)
    rows["teacher"] = {
        "members": a.teacher_members,
        "accuracy": round(100 * float((teacher.predict(scored.X) == np.array(teacher.classes_)[scored.y]).mean()), 2),
        "member_accuracies": member_accuracies(teacher, scored.X, scored.y),
        "train_s": round(time.perf_counter() - t0, 1),
        "predict_s": predict_seconds(teacher, scored.X),
    }
    print("teacher", rows["teacher"], flush=True)
    for name, taught in (("labels", None), ("distilled", teacher)):
        t0 = time.perf_counter()
        students = HARClassifier.from_config(config, members=a.students, random_state=a.seed).fit_windows(train, teacher=taught)
        acc = member_accuracies(students, scored.X, scored.y)
        one = HARClassifier.from_config(config, random_state=a.seed)
        one._set_fitted(*_first_member(students))
        rows[name] = {
            "seeds": list(students.meta_.seeds),
            "accuracies": acc,
            "mean": round(float(np.mean(acc)), 2),
            "std": round(float(np.std(acc)), 2),
            "train_s_per_model": round((time.perf_counter() - t0) / a.students, 1),
            "predict_s_one_model": predict_seconds(one, scored.X),
        }
        print(name, rows[name], flush=True)
    print(json.dumps(rows, indent=1))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(rows, indent=1) + "\n")


def _first_member(clf: HARClassifier):
    """Member 0 of a population as a model of its own (network and metadata), for timing one model."""
    meta = replace(clf.meta_, members=1, seeds=clf.meta_.seeds[:1])
    net = build(meta.model, meta.c_in, len(meta.classes), meta.seq_len, members=1, **meta.hparams)
    net.load_state_dict(member_state(clf.net_, 0))
    return net.eval(), meta


if __name__ == "__main__":
    main()
