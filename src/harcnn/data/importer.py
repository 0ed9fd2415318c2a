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
import zipfile
import zlib
from pathlib import Path

import numpy as np

from harcnn.data.dataset import make_dataset
from harcnn.data.options import SubjectSplit
from harcnn.data.windows import Dataset, channels_first
from harcnn.errors import HarcnnError
from harcnn.jsontext import parse_json


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
    path: Path, *, test: SubjectSplit = SubjectSplit(), test_path: Path | None = None, name: str | None = None, layout: str = "auto"
) -> Dataset:
    """Read, check and split a user's windows into a harcnn `Dataset`.

    The test split is, in this order of precedence: the windows of `test_path`; the file's own
    `split` array; `test` (named subjects, or a seeded share of them).
    """
    path = Path(path)
    if test_path is None:
        X, y, subject, channels, classes, split = _read(path, layout)
        ds = make_dataset(path, X, y, subject, test=test if split is None else split, channels=channels, classes=classes, name=name)
        return ds.with_pipeline(_pipeline(path))
    test_path = Path(test_path)
    if test.subjects:
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
    return make_dataset(path, both([X, Xt]), both([y, yt]), subjects, test=split, channels=channels, classes=classes, name=name)


def _read(path: Path, layout: str):
    """The arrays of a user's file; an NPZ's X in `layout` (`windows.channels_first`), a long CSV's as its columns say."""
    if not path.is_file():
        raise HarcnnError(f"{path}: no such file")
    if path.suffix != ".npz":
        return read_long_csv(path)
    X, y, subject, channels, classes, split = read_npz(path)
    return channels_first(X, layout, str(path), channels), y, subject, channels, classes, split


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
