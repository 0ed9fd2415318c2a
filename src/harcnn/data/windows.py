"""`WindowSet`: the one in-memory type every stage of harcnn speaks.

Windows are channels-first `(n, c, t)` float32, because that is what Conv1D layers consume; labels
are 0-based class indices so that they index `classes` directly.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harcnn.choices import LAYOUTS
from harcnn.errors import HarcnnError
from harcnn.jsontext import parse_json
from harcnn.outputs import atomic_output

if TYPE_CHECKING:
    from harcnn.data.pipeline import Pipeline


@dataclass(frozen=True)
class WindowSet:
    X: np.ndarray  # (n, c, t) float32
    y: np.ndarray  # (n,) int64, index into classes
    subject: np.ndarray  # (n,) int64
    channels: tuple[str, ...]
    classes: tuple[str, ...]
    pipeline: Pipeline | None = None  # how they were cut from recordings, where they were (`data.pipeline`)

    def __post_init__(self) -> None:
        n = len(self.X)
        if self.X.ndim != 3:
            raise HarcnnError(f"windows must be (n, channels, steps), got shape {self.X.shape}")
        if len(self.y) != n or len(self.subject) != n:
            raise HarcnnError(f"{n} windows but {len(self.y)} labels and {len(self.subject)} subjects")
        if self.X.shape[1] != len(self.channels):
            raise HarcnnError(f"windows have {self.X.shape[1]} channels but {len(self.channels)} channel names")
        if len(set(self.channels)) != len(self.channels):
            raise HarcnnError(f"channel names must be distinct, got {list(self.channels)}")
        if n and (self.y.min() < 0 or self.y.max() >= len(self.classes)):
            raise HarcnnError(f"labels must be in 0..{len(self.classes) - 1}")

    def __len__(self) -> int:
        return len(self.X)

    @property
    def n_channels(self) -> int:
        return self.X.shape[1]

    @property
    def seq_len(self) -> int:
        return self.X.shape[2]

    def take(self, index: np.ndarray) -> WindowSet:
        """The windows at `index` (integer indices or a boolean mask), names unchanged."""
        return replace(self, X=self.X[index], y=self.y[index], subject=self.subject[index])

    def concat(self, other: WindowSet) -> WindowSet:
        """These windows and `other`'s (same channels and classes), as for folds over all subjects."""
        joined = (np.concatenate([getattr(self, k), getattr(other, k)]) for k in ("X", "y", "subject"))
        return replace(self, **dict(zip(("X", "y", "subject"), joined)))

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=len(self.classes))


@dataclass(frozen=True)
class Dataset:
    """A train and a test `WindowSet` with where they came from and a checksum of their content."""

    name: str
    train: WindowSet
    test: WindowSet
    sha256: str
    source: str
    subject_names: tuple[str, ...] = ()  # subject k's name is subject_names[k - 1] where the ids were text

    def __post_init__(self) -> None:
        if (self.train.channels, self.train.classes) != (self.test.channels, self.test.classes):
            raise HarcnnError(f"{self.source}: train and test differ in channels or classes")

    def subject_name(self, number: int) -> str:
        return self.subject_names[number - 1] if 0 < number <= len(self.subject_names) else str(number)

    def with_pipeline(self, pipeline: Pipeline | None, subject_names: tuple[str, ...] = ()) -> Dataset:
        """The same windows with the pipeline that cut them, checked to make windows of their shape."""
        if pipeline is not None and (pipeline.output_channels != self.train.channels or pipeline.window != self.train.seq_len):
            raise HarcnnError(
                f"{self.source}: its pipeline makes windows of channels {list(pipeline.output_channels)} and {pipeline.window} steps, "
                f"its windows have channels {list(self.train.channels)} and {self.train.seq_len} steps"
            )
        return replace(
            self, train=replace(self.train, pipeline=pipeline), test=replace(self.test, pipeline=pipeline), subject_names=subject_names
        )


def channels_first(X: np.ndarray, layout: str, where: str, channels: tuple[str, ...] | None = None) -> np.ndarray:
    """Windows `(n, c, t)` from a 3-D array in `layout`: "nct" as given (aeon's layout), "ntc"
    transposed (Keras' and the tutorial's `(samples, timesteps, features)`), "auto" as given unless it
    looks like "ntc" (more channels than steps, or channel names that count the last axis), which is
    refused with how to say which it is: taken the wrong way round it trains, on nonsense."""
    if layout not in LAYOUTS:
        raise HarcnnError(f"{where}: layout must be one of {list(LAYOUTS)}, got {layout!r}")
    if layout == "ntc" and X.ndim == 3:
        return X.transpose(0, 2, 1)
    if layout == "auto" and X.ndim == 3:
        n, c, t = X.shape
        named_last = channels is not None and len(channels) == t != c
        if named_last or c > t:
            why = f"{len(channels)} channel names count its last axis" if named_last else f"{c} channels of {t} steps"
            raise HarcnnError(
                f"{where}: windows of shape {X.shape} look like (n, steps, channels), the tutorial's layout ({why}); harcnn reads "
                "(n, channels, steps): give layout 'ntc' (--layout ntc) to have them transposed, or 'nct' if they are (n, channels, steps)"
            )
    return X


FINITE_CHUNK = 1 << 16  # windows checked at once: the mask is a chunk's, not the whole set's (1.1 GiB at 1M windows of 9 x 128)


def first_nonfinite(X: np.ndarray) -> int | None:
    """The first window `(n, ...)` holding NaN or infinity, or None; checked a chunk at a time."""
    for start in range(0, len(X), FINITE_CHUNK):
        bad = ~np.isfinite(X[start : start + FINITE_CHUNK]).reshape(min(FINITE_CHUNK, len(X) - start), -1).all(1)
        if bad.any():
            return start + int(np.argmax(bad))
    return None


def content_sha256(*arrays: np.ndarray, names: tuple[str, ...] = ()) -> str:
    """A checksum of array contents, independent of how they were packaged (zip, folder, npz)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    for name in names:
        h.update(name.encode() + b"\0")
    return h.hexdigest()


def save_npz(path, ds: Dataset) -> None:
    """Write a dataset as one npz (no pickles: names are stored as unicode arrays).

    Uncompressed on purpose: float signals deflate only about 2:1, and inflating them took 0.2-0.45 s
    here, most of the 0.5 s budget for a cached load; a plain read takes a few hundredths of a second.
    """
    with atomic_output(Path(path)) as tmp, open(tmp, "wb") as f:
        np.savez(
            f,
            **{f"{split}_{k}": getattr(getattr(ds, split), k) for split in ("train", "test") for k in ("X", "y", "subject")},
            channels=np.array(ds.train.channels),
            classes=np.array(ds.train.classes),
            meta=np.array([ds.name, ds.sha256, ds.source]),
            pipeline=np.array(json.dumps(ds.train.pipeline.to_json() if ds.train.pipeline else None)),
            subject_names=np.array(ds.subject_names, dtype=str),
        )


def load_npz(path) -> Dataset:
    """Read a dataset written by `save_npz`; `allow_pickle=False` so a hostile file cannot run code."""
    try:
        with np.load(path, allow_pickle=False) as z:
            channels, classes = tuple(z["channels"].tolist()), tuple(z["classes"].tolist())
            name, sha, source = z["meta"].tolist()
            sets = {
                split: WindowSet(z[f"{split}_X"], z[f"{split}_y"], z[f"{split}_subject"], channels, classes) for split in ("train", "test")
            }
            pipeline = (
                parse_json(str(z["pipeline"]), f"{path}: pipeline") if "pipeline" in z.files else None
            )  # files of harcnn 0.6 and older have none
            subject_names = tuple(z["subject_names"].tolist()) if "subject_names" in z.files else ()
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise HarcnnError(f"{path}: not a harcnn dataset file, or a damaged one ({e})") from None
    from harcnn.data.pipeline import Pipeline

    pipeline = Pipeline.from_json(pipeline, f"{path}: pipeline") if pipeline is not None else None
    return Dataset(name, sets["train"], sets["test"], sha, source).with_pipeline(pipeline, subject_names)
