"""Labelled recordings to a harcnn dataset: units decided, devices joined, windows cut by a
`Pipeline` (`data.cut`), the test split whole subjects (named, or a seeded share, as `data import`
draws it). A HAPT RawData folder or zip is read as HAPT (`datasets.hapt`), its subjects' numbers kept."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from harcnn.data.cut import Cut, cut
from harcnn.data.importer import check_seed, to_dataset
from harcnn.data.pipeline import Pipeline
from harcnn.data.recordings import Layout, Recording, read_sources
from harcnn.data.sensors import CSV_COLUMNS, CSV_UNITS, DEVICE_SEPARATOR, MAX_GAP, OVERLAP, RATE, WINDOW_S
from harcnn.data.units import decide_units, parse_units
from harcnn.data.windows import Dataset
from harcnn.datasets import hapt
from harcnn.errors import HarcnnError, HarcnnWarning


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
        read_any(sources, pattern, layout), rate, window, overlap, labels=labels, filter=filter, max_gap=max_gap
    )
    windows = cut(recordings, made)
    source = Path(sources[0])
    subjects = windows.subjects.astype(np.int64) if hapt.is_hapt(source) else windows.subjects  # HAPT's user numbers
    ds = to_dataset(
        source, name, windows.X, windows.labels, subjects,
        channels=made.output_channels, test_subjects=test_subjects, test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    names = tuple(np.unique(subjects.astype(str)).tolist()) if subjects.dtype.kind in "US" else ()
    return ds.with_pipeline(made, names), windows


def read_any(sources: list[str | Path], pattern: str | None, layout: Layout) -> list[Recording]:
    """The recordings of `sources`: a HAPT RawData folder or zip as HAPT, anything else as recordings
    files (`recordings.read_sources`)."""
    if not any(hapt.is_hapt(s) for s in sources):
        return read_sources(sources, pattern, layout)
    if len(sources) > 1 or pattern or layout != Layout():
        raise HarcnnError(
            f"{next(s for s in sources if hapt.is_hapt(s))}: a HAPT RawData folder or zip is read whole with its own layout; "
            "give it alone, without --pattern, --channels, --units or --time-unit"
        )
    return hapt.read(sources[0])


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
