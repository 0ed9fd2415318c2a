"""What the CLI prints, as text: a dataset's contents, a selection's ranking, a model's metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harcnn.data.windows import Dataset
from harcnn.datasets import uci_har
from harcnn.experiments.select import Candidate
from harcnn.experiments.store import Run


def dataset_summary(ds: Dataset, cache: Path) -> str:
    """Shapes, class counts and subjects per split, channel order, whether it is the UCI HAR release."""
    lines = [f"dataset: {ds.name}  source: {ds.source}", f"content sha256: {ds.sha256}"]
    if ds.name == uci_har.NAME:
        official = ds.sha256 == uci_har.OFFICIAL_CONTENT_SHA256
        lines.append(
            "verified: identical to the UCI HAR v1.0 release" if official else "verified: NO, content differs from the UCI HAR v1.0 release"
        )
    lines += [f"channels ({ds.train.n_channels}): {', '.join(ds.train.channels)}", f"window: {ds.train.seq_len} steps"]
    if ds.train.pipeline is not None:
        lines.append(f"cut from recordings by: {ds.train.pipeline.describe()}")
    width = max(len(c) for c in ds.train.classes)
    lines.append(f"{'class':<{width}}  {'train':>6}  {'test':>6}")
    for name, a, b in zip(ds.train.classes, ds.train.class_counts(), ds.test.class_counts()):
        lines.append(f"{name:<{width}}  {a:>6}  {b:>6}")
    lines.append(
        f"{'total':<{width}}  {len(ds.train):>6}  {len(ds.test):>6}   windows (n, channels, steps): train {ds.train.X.shape}, test {ds.test.X.shape}"
    )
    for split in ("train", "test"):
        subjects = sorted(set(getattr(ds, split).subject.tolist()))
        lines.append(f"{split} subjects ({len(subjects)}): {', '.join(ds.subject_name(s) for s in subjects)}")
    lines.append(f"cache: {cache}")
    return "\n".join(lines)


def dataset_line(ds: Dataset) -> str:
    """What `harcnn data import` made: windows per split, their shape, the classes, the test subjects."""
    return (
        f"{ds.name}: {len(ds.train)} training and {len(ds.test)} test windows of {ds.train.n_channels} channels x "
        f"{ds.train.seq_len} steps, {len(ds.train.classes)} classes\ntest subjects: {sorted(set(ds.test.subject.tolist()))}"
    )


def selection_summary(study: str, method: str, ranking: list[Candidate], chosen: str, refit: list[Run]) -> str:
    """The candidates in rank order (their test figures only where asked for), the choice (label
    `chosen`), and the refit's test accuracy."""
    width = max(13, *(len(c.config.label) for c in ranking))
    shown = any(c.test is not None for c in ranking)
    head = f"{'configuration':<{width}}  {'n':>3}  {'validation %':>14}" + (f"  {'test % (asked for, not used)':>28}" if shown else "")
    lines = [f"{study}: ranked by {method}", head]
    for c in ranking:
        test = f"  {100 * c.test.mean():17.2f} +/- {100 * c.test.std():4.2f}" if c.test is not None else ""
        lines.append(
            f"{c.config.label:<{width}}  {len(c.validation):>3}  {100 * c.validation.mean():7.2f} +/- {100 * c.validation.std():4.2f}{test}"
        )
    accuracy = 100 * np.array([r.accuracy for r in refit])
    ensembles = sorted({(r.ensemble_accuracy, r.ensemble_size) for r in refit if r.ensemble_accuracy is not None})
    lines.append(
        f"chosen: [{chosen}]; refitted on all training subjects with seeds {min(r.seed for r in refit)}..{max(r.seed for r in refit)}"
    )
    lines.append(
        f"test accuracy of the refit, the one test figure of this selection: {accuracy.mean():.2f} +/- {accuracy.std():.2f} (n = {len(accuracy)})"
        + ("; ensembles: " + ", ".join(f"{100 * a:.2f}% ({k} members)" for a, k in ensembles) if ensembles else "")
    )
    return "\n".join(lines)


def metrics_summary(m: dict, classes: tuple[str, ...]) -> str:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (`metrics.evaluate`)."""
    width = max(len(c) for c in classes)
    lines = [
        f"test windows: {sum(s['support'] for s in m['per_class'].values())}   accuracy: {100 * m['accuracy']:.2f}%   macro-F1: {m['macro_f1']:.4f}",
        f"{'class':<{width}}  precision  recall     f1  support",
    ]
    for name, s in m["per_class"].items():
        lines.append(f"{name:<{width}}  {s['precision']:9.3f}  {s['recall']:6.3f}  {s['f1']:5.3f}  {s['support']:7d}")
    lines.append("confusion matrix (rows: true class, columns: predicted, numbered as the rows)")
    cell = max(4, len(str(int(np.max(m["confusion"], initial=0)))) + 1)
    number = len(str(len(classes)))
    lines.append(" " * (number + width + 3) + "".join(f"{k:>{cell}}" for k in range(1, len(classes) + 1)))
    for k, (name, row) in enumerate(zip(classes, m["confusion"]), start=1):
        lines.append(f"{k:>{number}} {name:<{width}}  " + "".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)


def subjects_summary(per_subject: dict[str, dict], name_of) -> str:
    """Accuracy and macro-F1 per test subject, and their spread across subjects (`metrics.per_subject`)."""
    accuracy = np.array([m["accuracy"] for m in per_subject.values()])
    lines = [f"per test subject ({len(per_subject)}): accuracy {100 * accuracy.mean():.2f}% +/- {100 * accuracy.std():.2f} across subjects"]
    lines += [
        f"  {name_of(int(s)):<12} {100 * m['accuracy']:6.2f}%  macro-F1 {m['macro_f1']:.4f}  {m['windows']:5d} windows"
        for s, m in per_subject.items()
    ]
    return "\n".join(lines)
