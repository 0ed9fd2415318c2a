"""A user's own windowed dataset as a harcnn dataset (`.npz`), so every command works on it.

Two input formats:
- NPZ with `X` `(n, channels, steps)`, `y` (class names or integer ids), and optionally `subject`
  `(n,)`, `channels` (names) and `classes` (names, in id order when `y` holds ids);
- CSV in long format with a header: `window`, `step`, one column per channel, `label`, and optionally
  `subject`; one row per (window, step), steps 0..t-1 of each window.
The test split is whole subjects, chosen with a seed or named, never windows of a training subject.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from harcnn.data.windows import Dataset, WindowSet, content_sha256
from harcnn.errors import HarcnnError


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...] | None, tuple[str, ...] | None]:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise HarcnnError(f"{path}: not a readable npz without pickles ({e})") from None
    for key in ("X", "y"):
        if key not in arrays:
            raise HarcnnError(f"{path}: missing array {key!r} (has {sorted(arrays)})")
    names = lambda k: tuple(str(v) for v in arrays[k]) if k in arrays else None  # noqa: E731
    return arrays["X"], arrays["y"], arrays.get("subject"), names("channels"), names("classes")


def read_long_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...], None]:
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        for required in ("window", "step", "label"):
            if required not in header:
                raise HarcnnError(f"{path}: header lacks column {required!r}; expected window, step, <channels...>, label[, subject]")
        channels = tuple(h for h in header if h not in ("window", "step", "label", "subject"))
        if not channels:
            raise HarcnnError(f"{path}: no channel columns between window/step and label")
        rows = [r for r in reader if r]
    col = {h: i for i, h in enumerate(header)}
    windows: dict[str, dict] = {}
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise HarcnnError(f"{path}: line {number} has {len(row)} fields, the header has {len(header)}")
        try:
            step = int(row[col["step"]])
            values = [float(row[col[c]]) for c in channels]
        except ValueError:
            raise HarcnnError(f"{path}: line {number}: step must be a whole number and channels numbers: {row}") from None
        w = windows.setdefault(
            row[col["window"]], {"steps": {}, "label": row[col["label"]], "subject": row[col["subject"]] if "subject" in col else None}
        )
        if row[col["label"]] != w["label"]:
            raise HarcnnError(
                f"{path}: line {number}: window {row[col['window']]!r} changes label from {w['label']!r} to {row[col['label']]!r}"
            )
        if step in w["steps"]:
            raise HarcnnError(f"{path}: line {number}: window {row[col['window']]!r} repeats step {step}")
        w["steps"][step] = values
    lengths = {len(w["steps"]) for w in windows.values()}
    if len(lengths) != 1:
        raise HarcnnError(f"{path}: windows have different numbers of steps {sorted(lengths)}; all must be equal")
    t = lengths.pop()
    X = np.empty((len(windows), len(channels), t), np.float32)
    for i, (wid, w) in enumerate(windows.items()):
        if sorted(w["steps"]) != list(range(t)):
            raise HarcnnError(f"{path}: window {wid!r} does not have steps 0..{t - 1}")
        X[i] = np.array([w["steps"][s] for s in range(t)]).T
    y = np.array([w["label"] for w in windows.values()])
    subject = np.array([w["subject"] for w in windows.values()]) if "subject" in col else None
    return X, y, subject, channels, None


def import_windows(
    path: Path, name: str | None = None, test_subjects: list | None = None, test_fraction: float = 0.25, seed: int = 0
) -> Dataset:
    """Read, check and split a user's windows into a harcnn `Dataset`."""
    path = Path(path)
    if not path.is_file():
        raise HarcnnError(f"{path}: no such file")
    X, y, subject, channels, classes = read_npz(path) if path.suffix == ".npz" else read_long_csv(path)
    if X.ndim != 3:
        raise HarcnnError(f"{path}: X must be (windows, channels, steps), got shape {X.shape}")
    n, c, t = X.shape
    if len(y) != n or (subject is not None and len(subject) != n):
        raise HarcnnError(f"{path}: {n} windows but {len(y)} labels" + (f" and {len(subject)} subjects" if subject is not None else ""))
    if not np.isfinite(X).all():
        w = int(np.argmax(~np.isfinite(X).reshape(n, -1).all(1)))
        raise HarcnnError(f"{path}: window {w} holds NaN or infinity")
    channels = channels or tuple(f"ch{i}" for i in range(c))
    if len(channels) != c:
        raise HarcnnError(f"{path}: {len(channels)} channel names for {c} channels")
    labels, y_index = _label_index(path, y, classes)
    if subject is None:
        subject = np.arange(n)  # no subjects given: every window is its own group
    subject_ids, subject_index = np.unique(subject.astype(str), return_inverse=True)
    test = _test_mask(path, subject_ids, subject_index, test_subjects, test_fraction, seed)
    X = X.astype(np.float32)
    # integer subject ids are kept; other ids (names) become 1..k in sorted order
    numbers = subject.astype(np.int64) if np.issubdtype(subject.dtype, np.integer) else subject_index.astype(np.int64) + 1
    full = WindowSet(X, y_index, numbers, channels, labels)
    train_set, test_set = full.take(~test), full.take(test)
    sha = content_sha256(*(getattr(s, k) for s in (train_set, test_set) for k in ("X", "y", "subject")), names=labels + channels)
    return Dataset(name or path.stem, train_set, test_set, sha, str(path))


def _label_index(path: Path, y: np.ndarray, classes: tuple[str, ...] | None) -> tuple[tuple[str, ...], np.ndarray]:
    if classes is None:
        labels = tuple(str(v) for v in np.unique(y.astype(str)))
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


def _test_mask(path, subject_ids, subject_index, test_subjects, test_fraction, seed) -> np.ndarray:
    if test_subjects:
        wanted = [str(s) for s in test_subjects]
        missing = sorted(set(wanted) - set(subject_ids))
        if missing:
            raise HarcnnError(f"{path}: test subject(s) {missing} not in the data")
        return np.isin(subject_ids[subject_index], wanted)
    if not 0 < test_fraction < 1 or len(subject_ids) < 2:
        raise HarcnnError(f"{path}: need at least two subjects and 0 < test fraction < 1 to split")
    k = max(1, round(test_fraction * len(subject_ids)))
    chosen = np.random.default_rng(seed).choice(len(subject_ids), size=k, replace=False)
    return np.isin(subject_index, chosen)
