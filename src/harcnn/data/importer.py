"""A user's own windowed dataset as a harcnn dataset (`.npz`), so every command works on it.

Two input formats:
- NPZ with `X` `(n, channels, steps)`, `y` (class names or integer ids), and optionally `subject`
  `(n,)`, `channels` (names), `classes` (names, in id order when `y` holds ids) and `split`
  (`"train"`/`"test"` per window, for datasets that come with their own split);
- CSV in long format with a header: `window`, `step`, one column per channel, `label`, and optionally
  `subject`; one row per (window, step), steps 0..t-1 of each window.
The test split is whole subjects, chosen with a seed or named, never windows of a training subject;
or the dataset's own split: a `split` array, or a second file (`--test test.npz`), as the UEA/UCR
archive ships every dataset.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
import zlib
from pathlib import Path

import numpy as np

from harcnn.data.windows import Dataset, WindowSet, channels_first, content_sha256
from harcnn.errors import HarcnnError
from harcnn.jsontext import parse_json
from harcnn.names import check_name


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...] | None, tuple[str, ...] | None]:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise HarcnnError(f"{path}: not a readable npz file without pickles, or truncated ({e})") from None
    for key in ("X", "y"):
        if key not in arrays:
            raise HarcnnError(f"{path}: missing array {key!r} (has {sorted(arrays)})")
    X = arrays["X"]
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X) or X.dtype == np.bool_:
        raise HarcnnError(f"{path}: X must hold real numbers, got dtype {X.dtype}")
    for key in ("y", "subject", "split", "channels", "classes"):
        if key in arrays and (arrays[key].ndim != 1 or np.iscomplexobj(arrays[key]) or arrays[key].dtype.kind not in "iuUS"):
            raise HarcnnError(f"{path}: {key} must be a 1-d array of whole numbers or text, got {arrays[key].dtype} {arrays[key].shape}")
    names = lambda k: tuple(str(v) for v in arrays[k]) if k in arrays else None  # noqa: E731
    return X, arrays["y"], arrays.get("subject"), names("channels"), names("classes"), arrays.get("split")


def read_long_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...], None, None]:
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
        if "subject" in col and row[col["subject"]] != w["subject"]:
            raise HarcnnError(
                f"{path}: line {number}: window {row[col['window']]!r} changes subject from {w['subject']!r} to {row[col['subject']]!r}"
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
    return X, y, subject, channels, None, None


def import_windows(
    path: Path,
    name: str | None = None,
    test_subjects: list | None = None,
    test_fraction: float = 0.25,
    seed: int = 0,
    test_path: Path | None = None,
    layout: str = "auto",
) -> Dataset:
    """Read, check and split a user's windows into a harcnn `Dataset`.

    The test split is, in this order of precedence: the windows of `test_path`; the file's own
    `split` array; the subjects `test_subjects`; a `test_fraction` of the subjects drawn with `seed`.
    """
    path = Path(path)
    check_seed(seed)
    if test_path is None:
        return _import_one(path, name, test_subjects, test_fraction, seed, layout)
    test_path = Path(test_path)
    if test_subjects:
        raise HarcnnError(f"{test_path}: give either a test file or test subjects, not both (the test file is the whole test split)")
    if path.is_file() and test_path.is_file() and path.samefile(test_path):
        raise HarcnnError(f"{test_path}: the test file is the training file; a test split must be other windows")
    X, y, subject, channels, classes, split = _read(path, layout)
    Xt, yt, subject_t, channels_t, classes_t, _ = _read(test_path, layout)
    if (channels or None) != (channels_t or None) or classes != classes_t:
        raise HarcnnError(f"{test_path}: its channel or class names differ from {path}'s")
    for file, windows in ((path, X), (test_path, Xt)):
        if windows.ndim != 3:
            raise HarcnnError(f"{file}: X must be (windows, channels, steps), got shape {windows.shape}")
    if X.shape[1:] != Xt.shape[1:]:
        raise HarcnnError(f"{test_path}: windows of shape {Xt.shape[1:]}, but {path} has {X.shape[1:]}")
    if len(y) != len(X) or len(yt) != len(Xt):
        raise HarcnnError(f"{path if len(y) != len(X) else test_path}: as many labels as windows are needed")
    if y.dtype.kind != yt.dtype.kind and not {y.dtype.kind, yt.dtype.kind} <= {"U", "S"}:
        raise HarcnnError(f"{test_path}: its labels are {yt.dtype}, {path}'s are {y.dtype}; use the same kind in both")
    both = np.concatenate
    if (subject is None) != (subject_t is None):
        raise HarcnnError(f"{test_path if subject_t is None else path}: give subjects in both files or in neither")
    if subject is None:
        subject, subject_t = np.arange(len(X)), np.arange(len(X), len(X) + len(Xt))
    split = np.array(["train"] * len(X) + ["test"] * len(Xt))
    integer = np.issubdtype(subject.dtype, np.integer) and np.issubdtype(subject_t.dtype, np.integer)
    subjects = both([subject, subject_t]) if integer else both([subject.astype(str), subject_t.astype(str)])
    arrays = (both([X, Xt]), both([y, yt]), subjects)
    return to_dataset(path, name, *arrays, channels=channels, classes=classes, split=split)


def _read(path: Path, layout: str):
    """The arrays of a user's file; an NPZ's X in `layout` (`windows.channels_first`), a long CSV's as its columns say."""
    if not path.is_file():
        raise HarcnnError(f"{path}: no such file")
    if path.suffix != ".npz":
        return read_long_csv(path)
    X, y, subject, channels, classes, split = read_npz(path)
    return channels_first(X, layout, str(path), channels), y, subject, channels, classes, split


def _import_one(path: Path, name, test_subjects, test_fraction, seed, layout) -> Dataset:
    X, y, subject, channels, classes, split = _read(path, layout)
    ds = to_dataset(
        path, name, X, y, subject, channels=channels, classes=classes, split=split,
        test_subjects=test_subjects, test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    return ds.with_pipeline(_pipeline(path))


def _pipeline(path: Path):
    """The pipeline an NPZ records (`data windows` writes one), else None: windows cut elsewhere."""
    from harcnn.data.pipeline import Pipeline

    if path.suffix != ".npz":
        return None
    with np.load(path, allow_pickle=False) as z:
        if "pipeline" not in z.files:
            return None
        raw = str(z["pipeline"])
    return Pipeline.from_json(parse_json(raw, f"{path}: pipeline"), f"{path}: pipeline")


def check_seed(seed: object) -> int:
    """The seed of a drawn test split: what numpy's generators take."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise HarcnnError(f"--seed must be a whole number from 0 to {2**32 - 1}, got {seed!r}")
    return seed


def to_dataset(
    path, name, X, y, subject, *, channels=None, classes=None, split=None, test_subjects=None, test_fraction: float = 0.25, seed: int = 0
) -> Dataset:
    """Checked arrays as a `Dataset`, its test split made (`split`, else named `test_subjects`, else a
    seeded `test_fraction` of the subjects); the one "arrays -> Dataset" path of every importer."""
    check_seed(seed)
    if X.ndim != 3:
        raise HarcnnError(f"{path}: X must be (windows, channels, steps), got shape {X.shape}")
    n, c, t = X.shape
    if len(y) != n or (subject is not None and len(subject) != n):
        raise HarcnnError(f"{path}: {n} windows but {len(y)} labels" + (f" and {len(subject)} subjects" if subject is not None else ""))
    with np.errstate(over="ignore", invalid="ignore"):
        X = X.astype(np.float32)  # before the finite check: a float64 beyond float32's range becomes inf here
    if not np.isfinite(X).all():
        w = int(np.argmax(~np.isfinite(X).reshape(n, -1).all(1)))
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
    subject_ids, subject_index = np.unique(subject.astype(str), return_inverse=True)
    if split is not None:
        test = _split_mask(path, split, n)
    else:
        test = _test_mask(path, subject_ids, subject_index, test_subjects, test_fraction, seed)
    if test.all() or not test.any():
        raise HarcnnError(f"{path}: the split leaves {'no training' if test.all() else 'no test'} windows")
    # integer subject ids are kept; other ids (names) become 1..k in sorted order
    numbers = subject.astype(np.int64) if np.issubdtype(subject.dtype, np.integer) else subject_index.astype(np.int64) + 1
    full = WindowSet(X, y_index, numbers, channels, labels)
    train_set, test_set = full.take(~test), full.take(test)
    _check_split(path, train_set, test_set)
    sha = content_sha256(*(getattr(s, k) for s in (train_set, test_set) for k in ("X", "y", "subject")), names=labels + channels)
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


def _split_mask(path: Path, split: np.ndarray, n: int) -> np.ndarray:
    values = np.char.lower(split.astype(str))
    if len(values) != n:
        raise HarcnnError(f"{path}: split has {len(values)} entries for {n} windows")
    bad = ~np.isin(values, ["train", "test"])
    if bad.any():
        raise HarcnnError(f"{path}: split entry {int(np.argmax(bad))} is {split[int(np.argmax(bad))]!r}; it must be 'train' or 'test'")
    return values == "test"


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
