"""Labelled recordings to a harcnn dataset: units decided, devices joined, windows cut by a
`Pipeline` (`data.cut`), the test split whole subjects (named, or a seeded share, as `data import`
draws it). A HAPT RawData folder or zip is read as HAPT (`datasets.hapt`), its subjects' numbers kept."""

from __future__ import annotations

import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np

from harcnn.data.cut import Cut, cut
from harcnn.data.dataset import make_dataset
from harcnn.data.options import DEFAULT_TEST_SHARE, SubjectSplit, Windowing
from harcnn.data.pipeline import Pipeline
from harcnn.data.recordings import Layout, Recording, read_sources
from harcnn.data.sensors import CSV_COLUMNS, CSV_UNITS, DEVICE_SEPARATOR
from harcnn.data.units import decide_units, parse_units
from harcnn.data.windows import Dataset
from harcnn.datasets import hapt
from harcnn.errors import HarcnnError, HarcnnWarning
from harcnn.resources import release_freed_memory


def pipeline_for(recordings: list[Recording], windowing: Windowing) -> tuple[list[Recording], Pipeline]:
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
    return recordings, Pipeline.make(tuple(channels), tuple(units), windowing, devices)


def recordings_dataset(
    sources: list[str | Path],
    *,
    windowing: Windowing = Windowing(),
    layout: Layout = Layout(),
    pattern: str | None = None,
    test: SubjectSplit = SubjectSplit(),
    name: str | None = None,
) -> tuple[Dataset, str]:
    """`harcnn data recordings`: the dataset of the recordings in `sources` (files, folders, zips;
    see `recordings.read_sources`; or HAPT's RawData), read as `layout` says, cut as `windowing`
    says, split by `test`; and what was made, in a few lines (`summary`)."""
    Pipeline.make(CSV_COLUMNS[1:], CSV_UNITS, windowing)  # the options, before any file is read
    recordings, made = pipeline_for(read_any(sources, pattern, layout), windowing)
    windows = cut(recordings, made)
    del recordings  # the signals, about as large as their windows: gone before the dataset copies the windows into its splits
    release_freed_memory()
    source = Path(sources[0])
    subjects = windows.subjects.astype(np.int64) if hapt.is_hapt(source) else windows.subjects  # HAPT's user numbers
    ds = make_dataset(source, windows.X, windows.labels, subjects, test=test, channels=made.output_channels, name=name)
    names = tuple(np.unique(subjects.astype(str)).tolist()) if subjects.dtype.kind in "US" else ()
    ds = ds.with_pipeline(made, names)
    return ds, summary(ds, windows)


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


def load_recordings(
    sources: list[str | Path] | str | Path,
    *,
    channels: list[str] | str | None = None,
    units: dict[str, str] | str | None = None,
    time_unit: str | None = None,
    test_subjects: list[str] | str | None = None,
    test_fraction: float = DEFAULT_TEST_SHARE,
    seed: int = 0,
    pattern: str | None = None,
    name: str | None = None,
    **windowing,
) -> Dataset:
    """Labelled recordings as a `Dataset` whose windows carry their pipeline, e.g.
    `load_recordings(["band/"], window=2, rate=25, test_subjects=["f4"])`: `Windowing`'s options
    (rate, window, overlap, labels, filter, max_gap) by name, a single path, subject or channel for
    a list of one, and units as a dictionary or as the CLI writes them ("acc=m/s^2,gyro=rad/s")."""
    unknown = sorted(set(windowing) - {f.name for f in fields(Windowing)})
    if unknown:
        raise HarcnnError(f"load_recordings: no option {unknown[0]!r}; windowing options are {[f.name for f in fields(Windowing)]}")
    units = parse_units(units) if isinstance(units, str) else units
    if units is not None and not isinstance(units, dict):
        raise HarcnnError(f"units must be a dictionary such as {{'acc': 'm/s^2'}} or text 'acc=m/s^2', got {type(units).__name__}")
    channels = tuple(as_list(channels, "channels")) if channels else None
    test = SubjectSplit(tuple(as_list(test_subjects, "test_subjects")) if test_subjects else (), test_fraction, seed)
    layout = Layout(channels, units, time_unit)
    return recordings_dataset(
        as_list(sources, "sources"), windowing=Windowing(**windowing), layout=layout, pattern=pattern, test=test, name=name
    )[0]


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
