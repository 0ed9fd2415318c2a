"""Activities of whole recordings, one row per window, through the pipeline the model was trained with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harcnn.data.pipeline import Pipeline
from harcnn.data.recordings import Recording, read_recording
from harcnn.data.units import check_unit, for_model
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.outputs import write_csv


@dataclass(frozen=True)
class RecordingPredictions:
    """One row per window: start and end in seconds, the activity, the class probabilities, and the
    recording's own label of the window where it has labels ("" where it has none)."""

    start_s: np.ndarray
    end_s: np.ndarray
    activity: np.ndarray
    proba: np.ndarray  # (windows, classes), columns in `classes` order
    classes: tuple
    truth: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.start_s)

    def table(self) -> str:
        """A header, then one line a window: start, activity, its probability (and the recording's label)."""
        truth = self.truth if self.truth is not None else [""] * len(self)
        width = max(8, *(len(str(c)) for c in self.classes))
        header = f"{'start_s':>7}  {'activity':<{width}}  {'p':>5}" + ("  label" if self.truth is not None else "")
        return "\n".join(
            [header]
            + [
                f"{t:7.2f}  {a!s:<{width}}  {p.max():5.3f}" + (f"  {y}" if y else "")
                for t, a, p, y in zip(self.start_s, self.activity, self.proba, truth)
            ]
        )

    def accuracy(self) -> float | None:
        """Share of the labelled windows predicted as labelled, None without labels."""
        if self.truth is None or not (self.truth != "").any():
            return None
        labelled = self.truth != ""
        return float((self.activity[labelled].astype(str) == self.truth[labelled]).mean())

    def write_csv(self, path: Path) -> None:
        extra = ["label"] if self.truth is not None else []
        header = ["start_s", "end_s", "activity", *[f"p_{c}" for c in self.classes], *extra]
        rows = (
            [f"{start:.2f}", f"{end:.2f}", str(activity), *[f"{v:.4f}" for v in p], *([str(self.truth[i])] if extra else [])]
            for i, (start, end, activity, p) in enumerate(zip(self.start_s, self.end_s, self.activity, self.proba))
        )
        write_csv(path, header, rows)


def model_pipeline(model: HARClassifier) -> Pipeline:
    """The model's pipeline, or an error saying why a model without one cannot read recordings."""
    pipeline = model.pipeline_
    if pipeline is None:
        raise HarcnnError(
            f"this model reads windows of channels {list(model.channels_)} that were not cut from recordings by harcnn, so it "
            "records no pipeline to cut new recordings with; predict on windows (harcnn evaluate, HARClassifier.predict), "
            "or train on a dataset made by `harcnn data recordings`"
        )
    return pipeline


def _in_model_columns(recording: Recording, pipeline: Pipeline, device: str) -> Recording:
    """A `Recording` with the model's columns, picked by name in the model's order, in its declared
    units where it has them (checked), else as `for_model` finds them."""
    columns = pipeline.columns(device)
    missing = [c for c in columns if c not in recording.channels]
    if missing:
        raise HarcnnError(f"{recording.name}: has no column(s) {missing}; this model reads {list(columns)}")
    pick = [recording.channels.index(c) for c in columns]
    units = tuple(recording.units[i] and check_unit(c, recording.units[i], recording.name) for c, i in zip(columns, pick))
    picked = replace(recording, values=recording.values[:, pick], channels=columns, units=units)
    return for_model(picked, pipeline, device)[0]


MAX_SMOOTH = 999  # windows: about 21 minutes of a recording at UCI HAR's 1.28 s hop


def check_smooth(k: int) -> int:
    """`k` neighbouring windows to average: a positive odd number (1 = none), at most MAX_SMOOTH."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_SMOOTH or k % 2 == 0:
        raise HarcnnError(f"--smooth takes an odd number of windows from 1 (no smoothing) to {MAX_SMOOTH}, got {k!r}")
    return k


def smooth(proba: np.ndarray, k: int) -> np.ndarray:
    """Mean class probabilities over `k` neighbouring windows (centred; `k` odd; 1 = none)."""
    if check_smooth(k) == 1 or len(proba) == 0:
        return proba
    padded = np.pad(proba, ((k // 2, k // 2), (0, 0)), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, k, axis=0).mean(-1)


def read_for_model(model: HARClassifier, paths: list[str | Path], time_unit: str | None = None) -> tuple[list[Recording], list[str]]:
    """The recording files (one per device the model joins, in its order) read with the model's
    columns, in the units their samples show; and notes on units converted."""
    pipeline = model_pipeline(model)
    devices = pipeline.devices or ("",)
    if len(paths) != len(devices):
        want = f"one per device it joins ({', '.join(devices)}), in that order" if pipeline.devices else "one"
        raise HarcnnError(f"this model reads recordings of columns {list(pipeline.columns(devices[0]))}: give {want}, got {len(paths)}")
    recordings, notes = [], []
    for path, device in zip(paths, devices):
        recording, more = for_model(read_recording(path, pipeline.columns(device), time_unit=time_unit), pipeline, device)
        recordings.append(recording)
        notes += more
    return recordings, notes


def predict_recording(
    model: HARClassifier, recordings: list[Recording | str | Path] | Recording | str | Path, smooth_over: int = 1
) -> RecordingPredictions:
    """Activities of a recording (files, or `Recording`s: their columns taken by name, their units as
    declared, else as their samples show, else the model's) through the model's pipeline."""
    check_smooth(smooth_over)
    pipeline = model_pipeline(model)
    if not isinstance(recordings, list):
        recordings = [recordings]
    if all(isinstance(r, Recording) for r in recordings):
        recordings = [_in_model_columns(r, pipeline, device) for r, device in zip(recordings, pipeline.devices or ("",))]
    elif all(isinstance(r, str | Path) for r in recordings):
        recordings, _ = read_for_model(model, recordings)
    else:
        kinds = sorted({type(r).__name__ for r in recordings})
        raise HarcnnError(f"give recording files (paths) or Recordings, got {', '.join(kinds)}; windows go to model.predict_proba")
    X, starts, truth = pipeline.windows(recordings)
    if not len(X):
        raise HarcnnError(
            f"{recordings[0].name}: {len(recordings[0])} samples are shorter than one window "
            f"({pipeline.window} samples at {pipeline.rate:g} Hz, {pipeline.window / pipeline.rate:.2f} s)"
        )
    proba = smooth(model.predict_proba(X), smooth_over)
    activity = model.classes_[proba.argmax(1)]
    return RecordingPredictions(starts, starts + pipeline.window / pipeline.rate, activity, proba, tuple(model.classes_.tolist()), truth)
