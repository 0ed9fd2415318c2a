"""Arrays to a `Dataset`: the one path by which windows from anywhere (a user's NPZ or CSV, cut
recordings, UCI HAR's files) become a dataset, with every check once: shapes, finite values,
names, labels (classes, not a continuous target), and a test split that can measure
generalisation (whole subjects, two classes or more, no copies of training windows)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from harcnn.data.options import SubjectSplit
from harcnn.data.splits import file_split_mask, subject_split_mask
from harcnn.data.windows import Dataset, WindowSet, content_sha256, first_nonfinite
from harcnn.errors import HarcnnError
from harcnn.names import check_name


def make_dataset(
    path: str | Path,
    X: np.ndarray,
    y: np.ndarray,
    subject: np.ndarray | None,
    *,
    test: SubjectSplit | np.ndarray = SubjectSplit(),
    channels: tuple[str, ...] | None = None,
    classes: tuple[str, ...] | None = None,
    name: str | None = None,
    checksum_names: tuple[str, ...] | None = None,
) -> Dataset:
    """Checked arrays as a `Dataset`, its test split made by `test`: a `SubjectSplit`, or the file's
    own split (an array of "train"/"test" per window). The one "arrays -> Dataset" path: the
    importer, the recordings and UCI HAR's parser all come here. The content checksum covers the
    class and channel names, or `checksum_names` where a published checksum was taken over others."""
    path = Path(path)
    if X.ndim != 3:
        raise HarcnnError(f"{path}: X must be (windows, channels, steps), got shape {X.shape}")
    n, c, t = X.shape
    if len(y) != n or (subject is not None and len(subject) != n):
        raise HarcnnError(f"{path}: {n} windows but {len(y)} labels" + (f" and {len(subject)} subjects" if subject is not None else ""))
    with np.errstate(over="ignore", invalid="ignore"):
        X = X.astype(np.float32, copy=False)  # before the finite check: a float64 beyond float32's range becomes inf here
    w = first_nonfinite(X)
    if w is not None:
        raise HarcnnError(f"{path}: window {w} holds NaN or infinity (or a value beyond float32's range)")
    channels = channels or tuple(f"ch{i}" for i in range(c))
    if len(channels) != c:
        raise HarcnnError(f"{path}: {len(channels)} channel names for {c} channels")
    _check_names(path, "channel", channels)
    if classes is not None:
        _check_names(path, "class", classes)
    labels, y_index = _label_index(path, y, classes)
    _check_names(path, "class", labels)
    if subject is None:
        subject = np.arange(n)  # no subjects given: every window is its own group
    subject_index = np.unique(subject.astype(str), return_inverse=True)[1]
    test = subject_split_mask(test, str(path), subject) if isinstance(test, SubjectSplit) else file_split_mask(str(path), test, n)
    if test.all() or not test.any():
        raise HarcnnError(f"{path}: the split leaves {'no training' if test.all() else 'no test'} windows")
    # integer subject ids are kept; other ids (names) become 1..k in sorted order
    numbers = subject.astype(np.int64) if np.issubdtype(subject.dtype, np.integer) else subject_index.astype(np.int64) + 1
    full = WindowSet(X, y_index, numbers, channels, labels)
    train_set, test_set = full.take(~test), full.take(test)
    _check_split(path, train_set, test_set)
    names = labels + channels if checksum_names is None else checksum_names
    sha = content_sha256(*(getattr(s, k) for s in (train_set, test_set) for k in ("X", "y", "subject")), names=names)
    return Dataset(check_name(name or path.stem, "dataset name", str(path)), train_set, test_set, sha, str(path))


def _check_split(path: Path, train: WindowSet, test: WindowSet) -> None:
    """A test split that can measure generalisation: two classes or more to learn, no test class
    unseen in training, no subject on both sides, no test window identical to a training window."""
    seen = set(np.unique(train.y).tolist())
    if len(seen) < 2:
        raise HarcnnError(f"{path}: the training split holds one class ({train.classes[train.y[0]]!r}); a classifier needs two or more")
    unseen = sorted(set(np.unique(test.y).tolist()) - seen)
    if unseen:
        raise HarcnnError(f"{path}: test class {train.classes[unseen[0]]!r} never occurs in the training split")
    shared = sorted(set(np.unique(train.subject).tolist()) & set(np.unique(test.subject).tolist()))
    if shared:
        raise HarcnnError(
            f"{path}: subject {shared[0]} is in both the training and the test split ({len(shared)} shared); "
            "a subject's windows must all be on one side"
        )
    digests = {hashlib.sha256(w.tobytes()).digest() for w in train.X}
    copies = [i for i, w in enumerate(test.X) if hashlib.sha256(w.tobytes()).digest() in digests]
    if copies:
        raise HarcnnError(f"{path}: {len(copies)} test window(s) are identical to training windows (the first: test window {copies[0]})")


def _check_names(path: Path, what: str, names: tuple[str, ...]) -> None:
    for value in names:
        check_name(value, f"{what} name", str(path))
    if len(set(names)) != len(names):
        duplicate = next(v for v in names if names.count(v) > 1)
        raise HarcnnError(f"{path}: {what} name {duplicate!r} appears twice; names must be unique")


def _label_index(path: Path, y: np.ndarray, classes: tuple[str, ...] | None) -> tuple[tuple[str, ...], np.ndarray]:
    if classes is None:
        labels = tuple(str(v) for v in np.unique(y.astype(str)))
        _refuse_continuous(path, labels)
        return labels, np.searchsorted(np.array(labels), y.astype(str)).astype(np.int64)
    if np.issubdtype(y.dtype, np.integer):
        bad = (y < 0) | (y >= len(classes))
        if bad.any():
            raise HarcnnError(
                f"{path}: label {y[np.argmax(bad)]} at window {int(np.argmax(bad))} is not an index into {len(classes)} classes"
            )
        return classes, y.astype(np.int64)
    lookup = {name: i for i, name in enumerate(classes)}
    unknown = [str(v) for v in y.astype(str) if v not in lookup]
    if unknown:
        raise HarcnnError(f"{path}: unknown label {unknown[0]!r}; classes are {list(classes)}")
    return classes, np.array([lookup[v] for v in y.astype(str)], np.int64)


def _refuse_continuous(path: Path, labels: tuple[str, ...]) -> None:
    """Labels that are all numbers, some of them fractional, are a measurement, not classes (scikit-learn's
    `type_of_target` "continuous"): harcnn classifies, so they are refused instead of becoming one class each."""
    try:
        values = np.array([float(v) for v in labels])
    except ValueError:
        return  # names: classes
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise HarcnnError(
            f"{path}: the labels look like a continuous target ({len(labels)} distinct numbers, e.g. {labels[0]!r}); "
            "harcnn needs class labels (names or whole numbers)"
        )
