"""Labelled recordings to a harcnn dataset: units decided, devices joined, windows cut by a
`Pipeline`, the test split whole subjects (named, or a seeded share, as `data import` draws it)."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harcnn.data.importer import check_seed, to_dataset
from harcnn.data.pipeline import UCI_HAR, Pipeline
from harcnn.data.recordings import Layout, Recording, hapt_class_order, read_hapt, read_sources
from harcnn.data.sensors import CSV_COLUMNS, CSV_UNITS, DEVICE_SEPARATOR, MAX_GAP, OVERLAP, RATE, WINDOW_S
from harcnn.data.units import decide_units, parse_units
from harcnn.data.windows import Dataset
from harcnn.errors import HarcnnError, HarcnnWarning
from harcnn.outputs import atomic_output
from harcnn.resources import check_fits


@dataclass(frozen=True)
class Cut:
    """Windows cut from recordings, before the split: what `summary` reports."""

    X: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    recordings: int
    unlabelled: int  # windows left out: unlabelled, or across a label change under the policy "drop"


def trials(recordings: list[Recording], devices: tuple[str, ...]) -> list[list[Recording]]:
    """The recordings in groups that become windows together: one each, or one per device of every trial."""
    if not devices:
        return [[r] for r in recordings]
    groups: dict[tuple[str, str], dict[str, Recording]] = {}
    for r in recordings:
        if r.device in groups.setdefault(r.key, {}):
            raise HarcnnError(f"{r.name}: a second {r.device!r} file for subject {r.subject!r} trial {r.recording!r}")
        groups[r.key][r.device] = r
    for key, group in groups.items():
        missing = [d for d in devices if d not in group]
        if missing:
            raise HarcnnError(
                f"{next(iter(group.values())).name}: subject {key[0]!r} trial {key[1]!r} has no {missing[0]!r} file to join; "
                "every trial needs a file of each device"
            )
    return [[group[d] for d in devices] for group in groups.values()]


def cut(recordings: list[Recording], pipeline: Pipeline) -> Cut:
    """Every trial's labelled windows, with its subject; refused before anything is allocated where
    they would not fit in memory."""
    groups = trials(recordings, pipeline.devices)
    for group in groups:
        if group[0].labels is None:
            raise HarcnnError(
                f"{group[0].name}: no labels: give a label column, or take the label from the path with --pattern '(?P<label>...)'"
            )
        if not group[0].subject:
            raise HarcnnError(
                f"{group[0].name}: no subject: give a subject column, or take it from the path with --pattern '(?P<subject>...)'; "
                "the test split and the per-subject figures are made of whole subjects"
            )
    kept, passing = zip(*(pipeline.bytes_needed(group) for group in groups))
    check_fits(
        2 * sum(kept) + max(passing), f"{len(groups)} recording(s) cut at {pipeline.rate:g} Hz into windows of {pipeline.window} samples every {pipeline.hop}",
        "cut fewer windows (a smaller --overlap, a lower --rate) or fewer recordings at a time",
    )  # fmt: skip
    X, labels, subjects, cut_any = [], [], [], 0
    for group in groups:
        x, _, y = pipeline.windows(group)
        keep = y != ""
        cut_any += len(y)
        X.append(x[keep])
        labels.append(y[keep])
        subjects.append(np.full(int(keep.sum()), group[0].subject))
    if not sum(len(x) for x in X):
        raise HarcnnError(f"{recordings[0].name}: no labelled window in {len(groups)} recording(s): {_why_none(groups, pipeline, cut_any)}")
    kept_windows = sum(len(x) for x in X)
    return Cut(np.concatenate(X), np.concatenate(labels), np.concatenate(subjects), len(groups), cut_any - kept_windows)


def _why_none(groups: list[list[Recording]], pipeline: Pipeline, windows: int) -> str:
    """Why recordings gave no labelled window, in words: too short, clocks apart, labels that change too often."""
    if windows:
        rule = (
            "all of its samples"
            if pipeline.labels == "drop"
            else "half of its samples or more"
            if pipeline.labels == "majority"
            else "its centre"
        )
        return (
            f"every one of the {windows} windows cut is unlabelled, or no label covers {rule} (--labels {pipeline.labels}); do the "
            "labels change every few samples?"
        )
    if pipeline.devices:
        spans = [", ".join(f"{r.device} {r.time[0]:.6g}-{r.time[-1]:.6g} s" for r in group) for group in groups[:1]]
        return f"the devices' recordings share no stretch of {pipeline.window / pipeline.rate:g} s on their clocks ({spans[0]}); are their clocks the same?"
    longest = max(float(r.time[-1] - r.time[0]) for group in groups for r in group)
    return f"the longest lasts {longest:.3g} s without a gap of more than {pipeline.max_gap:g} s, and a window is {pipeline.window / pipeline.rate:g} s"


def pipeline_for(recordings: list[Recording], rate: float, window_s: float, overlap: float, **kw) -> tuple[list[Recording], Pipeline]:
    """The recordings with their units decided, and the pipeline that cuts them (devices joined when
    the pattern names more than one)."""
    recordings, notes = decide_units(recordings)
    for note in notes:
        warnings.warn(note, HarcnnWarning, stacklevel=2)
    devices = tuple(dict.fromkeys(r.device for r in recordings))
    if len(devices) == 1:
        devices = ()
    channels, units = [], []
    for device in devices or ("",):
        first = next(r for r in recordings if r.device == device)
        prefix = device + DEVICE_SEPARATOR if devices else ""
        channels += [prefix + c for c in first.channels]
        units += first.units
    return recordings, Pipeline.make(channels, units, rate, window_s, overlap, devices=devices, **kw)


def recordings_dataset(
    sources: list[str | Path],
    *,
    window: float = WINDOW_S,
    overlap: float = OVERLAP,
    rate: float = RATE,
    pattern: str | None = None,
    channels: tuple[str, ...] | None = None,
    units: dict[str, str] | None = None,
    time_unit: str | None = None,
    test_subjects: list[str] | None = None,
    test_fraction: float = 0.25,
    seed: int = 0,
    name: str | None = None,
    labels: str = "majority",
    filter: str = "none",
    max_gap: float = MAX_GAP,
) -> tuple[Dataset, Cut]:
    """`harcnn data recordings`: the dataset of the recordings in `sources` (files, folders, zips;
    see `recordings.read_sources`), cut by the pipeline these options make, and what was cut. A
    single path, subject or channel may be given for a list of one; units as a dictionary or as
    the CLI writes them ("acc=m/s^2,gyro=rad/s")."""
    sources, channels, test_subjects = (
        as_list(sources, "sources"),
        channels and as_list(channels, "channels"),
        test_subjects and as_list(test_subjects, "test_subjects"),
    )
    units = parse_units(units) if isinstance(units, str) else units
    check_seed(seed)
    Pipeline.make(
        CSV_COLUMNS[1:], CSV_UNITS, rate, window, overlap, labels=labels, filter=filter, max_gap=max_gap
    )  # options, before any file is read
    if units is not None and not isinstance(units, dict):
        raise HarcnnError(f"units must be a dictionary such as {{'acc': 'm/s^2'}} or text 'acc=m/s^2', got {type(units).__name__}")
    layout = Layout(tuple(channels) if channels else None, units, time_unit)
    recordings, made = pipeline_for(
        read_sources(sources, pattern, layout), rate, window, overlap, labels=labels, filter=filter, max_gap=max_gap
    )
    windows = cut(recordings, made)
    source = Path(sources[0])
    ds = to_dataset(
        source, name, windows.X, windows.labels, windows.subjects,
        channels=made.output_channels, test_subjects=test_subjects, test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    names = tuple(np.unique(windows.subjects.astype(str)).tolist()) if windows.subjects.dtype.kind in "US" else ()
    return ds.with_pipeline(made, names), windows


def as_list(value, what: str) -> list:
    """A path or name given where a list is expected, as a list of one (never its characters)."""
    if isinstance(value, str | Path):
        return [value]
    if not isinstance(value, list | tuple):
        raise HarcnnError(f"{what} must be a list, or one path or name, got {type(value).__name__}")
    return list(value)


def load_recordings(sources: list[str | Path], **options) -> Dataset:
    """Labelled recordings as a `Dataset` whose windows carry their pipeline: `recordings_dataset`'s
    options, e.g. `load_recordings(["band/"], window=2, rate=25, test_subjects=["f4"])`."""
    return recordings_dataset(sources, **options)[0]


def write_hapt_windows(source: str | Path, out: Path) -> str:
    """HAPT's raw recordings cut as UCI HAR's windows were (its pipeline, saved in the file), with
    every labelled class (12, in activity_labels.txt's order), as an NPZ in the `data import` format;
    what it holds, in a line."""
    windows = cut(read_hapt(source), UCI_HAR)
    classes = hapt_class_order(source)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in windows.labels], np.int64)
    subject = windows.subjects.astype(np.int64)
    pipeline = np.array(json.dumps(UCI_HAR.to_json()))
    with atomic_output(out) as tmp, open(tmp, "wb") as f:
        np.savez(
            f, X=windows.X, y=y, subject=subject, channels=np.array(UCI_HAR.output_channels), classes=np.array(classes), pipeline=pipeline
        )
    counts = ", ".join(f"{c} {n}" for c, n in zip(classes, np.bincount(y, minlength=len(classes))))
    return f"{len(y)} windows from {len(set(subject.tolist()))} subjects: {counts}"


def summary(ds: Dataset, windows: Cut) -> str:
    """What `data recordings` made, in a few lines: windows, subjects, classes, the pipeline."""
    counts = ", ".join(f"{c} {n}" for c, n in zip(ds.train.classes, ds.train.class_counts() + ds.test.class_counts()))
    return (
        f"{len(windows.X)} windows from {windows.recordings} recording(s) of {len(np.unique(windows.subjects))} subjects "
        f"({windows.unlabelled} unlabelled or mixed windows left out): {counts}\n"
        f"pipeline: {ds.train.pipeline.describe()}\n"
        f"train: {len(ds.train)} windows of subjects {_names(ds, ds.train.subject)}; test: {len(ds.test)} of {_names(ds, ds.test.subject)}"
    )


def _names(ds: Dataset, subjects: np.ndarray) -> str:
    return ", ".join(ds.subject_name(int(s)) for s in np.unique(subjects))
