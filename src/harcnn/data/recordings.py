"""Continuous recordings in, `Recording`s out: nothing downstream knows a file's layout.

A `Recording` is timestamps in seconds, named channels (with their units once known), a label per
sample (or none), and the subject, device and trial it belongs to. Three layouts are read:
- long CSV files with a header: a time column (`timestamp` or `time`; seconds, milliseconds,
  microseconds or nanoseconds, recognised from the step), one column per channel, optionally
  `label`, `subject` and `recording` (a file may hold many subjects and trials);
- one file per labelled trial: the same CSV without a label column, its label (and subject, trial,
  device) taken from the path with a pattern, e.g. `(?P<subject>s\\d+)/(?P<label>\\w+)_\\d+\\.csv`;
- the HAPT raw files (Reyes-Ortiz et al., Neurocomputing 2015: `acc_expXX_userYY.txt`,
  `gyro_expXX_userYY.txt` at 50 Hz, and `labels.txt` with activity segments).
Sources are files, folders or zips (the files inside them that end in `.csv`, or match the pattern).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harcnn.data.archive import Archive
from harcnn.data.sensors import (
    CSV_COLUMNS,
    LABEL_COLUMN,
    RATE_RANGE,
    RECORDING_COLUMN,
    SENSOR_RANGE,
    SPAN_STEPS,
    SUBJECT_COLUMN,
    TIME_COLUMNS,
    TIME_UNITS,
    UNITS,
    channel_kind,
)
from harcnn.errors import HarcnnError
from harcnn.names import check_name
from harcnn.outputs import is_number

PATTERN_GROUPS = ("subject", "recording", "device", "label")  # what a pattern may take from a path


@dataclass(frozen=True)
class Recording:
    """A continuous signal: `time` (n,) in seconds, never decreasing (repeated stamps are allowed:
    phones write them), `values` (n, c) in `units` ("" where not yet decided), `labels` (n,) text
    ("" unlabelled) or None, held as one shared string per distinct label (`compact_labels`)."""

    name: str
    time: np.ndarray
    values: np.ndarray
    channels: tuple[str, ...]
    units: tuple[str, ...]
    labels: np.ndarray | None = None
    subject: str = ""
    recording: str = ""
    device: str = ""

    def __post_init__(self) -> None:
        n = len(self.time)
        if self.values.shape != (n, len(self.channels)) or len(self.units) != len(self.channels):
            raise HarcnnError(
                f"{self.name}: {self.values.shape} values for {n} timestamps, {len(self.channels)} channels, {len(self.units)} units"
            )
        if self.labels is not None and len(self.labels) != n:
            raise HarcnnError(f"{self.name}: {len(self.labels)} labels for {n} samples")
        if self.labels is not None and self.labels.dtype != object:
            object.__setattr__(self, "labels", compact_labels(self.labels))

    def __len__(self) -> int:
        return len(self.time)

    @property
    def key(self) -> tuple[str, str]:
        """What joins the files of two devices: the same subject and trial."""
        return self.subject, self.recording

    def with_units(self, units: tuple[str, ...]) -> Recording:
        return replace(self, units=units)


def compact_labels(labels: np.ndarray) -> np.ndarray:
    """Text labels as an object array of one shared string per distinct label: 8 bytes a sample
    whatever the names' length, where a fixed-width text array takes 4 bytes a character of the
    longest (`walking_upstairs` at every sample of a million windows: 4.6 GiB, not 0.5)."""
    names, codes = np.unique(labels, return_inverse=True)
    return names.astype(object)[codes.reshape(-1)]


def sampling_period(ticks: np.ndarray) -> float:
    """The typical step between samples, in the ticks' unit: the median step, unless samples come in
    bursts (phones deliver several events microseconds apart every few tens of milliseconds), where
    the median of spans of SPAN_STEPS steps over their count says the real period; 0 if time stands still."""
    steps = np.diff(ticks)
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
    k = min(SPAN_STEPS, len(ticks) - 1)
    spans = (ticks[k:] - ticks[:-k]) / k if k > 0 else np.zeros(0)
    span = float(np.median(spans)) if len(spans) else 0.0
    return span if step < span / 2 else step


def seconds(ticks: np.ndarray, unit: str | None, where: str) -> np.ndarray:
    """Timestamps in seconds: in `unit` (`TIME_UNITS`) where given, checked to give a sampling rate in
    RATE_RANGE, else the one unit that gives such a rate (their ratios are 1000, wider than the range,
    so at most one does)."""
    if unit is not None and unit not in TIME_UNITS:
        raise HarcnnError(f"{where}: time unit must be one of {list(TIME_UNITS)}, got {unit!r}")
    period = sampling_period(ticks)
    rates = {u: 1 / (period * s) if period else math.inf for u, s in TIME_UNITS.items()}
    fits = [u for u, rate in rates.items() if RATE_RANGE[0] <= rate <= RATE_RANGE[1]]
    plausible = f"a sampling rate of {RATE_RANGE[0]:g} to {RATE_RANGE[1]:g} Hz"
    if unit is not None:
        if unit not in fits:
            which = f"; in {fits[0]} they would ({rates[fits[0]]:.4g} Hz)" if fits else ""
            raise HarcnnError(
                f"{where}: with the time unit {unit!r} the timestamps give {rates[unit]:.4g} samples a second, not {plausible}{which}"
            )
        return ticks * TIME_UNITS[unit]
    if not fits:
        raise HarcnnError(
            f"{where}: the timestamps step by {period:g}: no time unit ({', '.join(TIME_UNITS)}) gives {plausible}; "
            "give the unit (--time-unit)"
        )
    return ticks * TIME_UNITS[fits[0]]


@dataclass(frozen=True)
class Layout:
    """How to read a long CSV: which channels (None: every column but time, label, subject,
    recording), their units where the user declared them, the time unit (None: recognised)."""

    channels: tuple[str, ...] | None = None
    units: dict[str, str] | None = None  # kind ("acc", "gyro") or channel name -> unit
    time_unit: str | None = None

    def unit_of(self, channel: str) -> str:
        declared = self.units or {}
        return declared.get(channel, declared.get(channel_kind(channel) or "", ""))


def _without_trailing_empty(row: list[str]) -> list[str]:
    """A CSV row without the empty fields that trailing commas leave (spreadsheets write them)."""
    while row and not row[-1].strip():
        row = row[:-1]
    return row


def read_long_csv(raw: bytes, where: str, layout: Layout = Layout(), given: dict[str, str] | None = None) -> list[Recording]:
    """The recordings of one long CSV file (one per subject and trial it holds). `given` are the
    subject, recording, device and label a pattern took from the file's path."""
    given = given or {}
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as Excel writes one, is not part of the header
    except UnicodeDecodeError as e:
        raise HarcnnError(f"{where}: not UTF-8 text ({e})") from None
    del raw
    lines = text.splitlines()
    del text
    header = [h.strip() for h in _without_trailing_empty(next(csv.reader(lines[:1]), []))]
    lower = [h.lower() for h in header]
    times = [c for c in TIME_COLUMNS if c in lower]
    if not times:
        raise HarcnnError(f"{where}: the header {header} has no time column ({' or '.join(TIME_COLUMNS)}); a header line is required")
    if len(times) > 1:
        raise HarcnnError(f"{where}: the header has two time columns, {' and '.join(times)}; keep one (the other is no channel)")
    if len(set(lower)) != len(lower):
        raise HarcnnError(f"{where}: the header names a column twice: {header}")
    special = {times[0], LABEL_COLUMN, SUBJECT_COLUMN, RECORDING_COLUMN}
    channels = layout.channels or tuple(h for h, low in zip(header, lower) if low not in special)
    missing = [c for c in channels if c.lower() not in lower]
    if missing:
        raise HarcnnError(f"{where}: the header lacks channel column(s) {missing}; it has {header}")
    if not channels:
        raise HarcnnError(f"{where}: no channel columns beside {sorted(special & set(lower))}")
    if len(set(channels)) != len(channels):
        raise HarcnnError(f"{where}: a channel is named twice in {list(channels)}")
    for c in channels:
        check_name(c, "channel name", where)
    index = [lower.index(c.lower()) for c in (times[0], *channels)]
    text_index = {c: lower.index(c) for c in (LABEL_COLUMN, SUBJECT_COLUMN, RECORDING_COLUMN) if c in lower}
    data, texts, numbers = _fast_rows(lines, index, list(text_index.values())) or _rows(
        lines, header, index, list(text_index.values()), where
    )
    del lines
    if len(data) < 2:
        raise HarcnnError(f"{where}: holds {len(data)} sample line(s) after its header; a recording needs at least two samples")
    _check_values(data, numbers, channels, where)
    columns = {name: texts[:, i] for i, name in enumerate(text_index)}
    if LABEL_COLUMN in columns and "label" in given:
        raise HarcnnError(f"{where}: the file has a label column and the pattern takes a label from its path; use one")
    trials = _trials([columns[c] for c in (SUBJECT_COLUMN, RECORDING_COLUMN) if c in columns], len(data))
    out = []
    for rows in trials:
        part, lines_of = data[rows], numbers[rows]
        ticks = part[:, 0]
        back = np.diff(ticks) < 0
        if back.any():
            i = int(np.argmax(back))
            raise HarcnnError(f"{where}: line {lines_of[i + 1]}: time goes backwards ({ticks[i]:g} then {ticks[i + 1]:g})")
        labels = columns[LABEL_COLUMN][rows] if LABEL_COLUMN in columns else None
        if labels is None and "label" in given:
            labels = np.full(len(part), given["label"])
        subject = str(columns[SUBJECT_COLUMN][rows[0]] if SUBJECT_COLUMN in columns else "") or given.get("subject", "")
        recording = str(columns[RECORDING_COLUMN][rows[0]] if RECORDING_COLUMN in columns else "") or given.get("recording", "")
        name = where if len(trials) == 1 else f"{where} [{subject or '-'} {recording or '-'}]"
        out.append(Recording(
            name, seconds(ticks, layout.time_unit, name), part[:, 1:], tuple(channels), tuple(layout.unit_of(c) for c in channels),
            labels=labels, subject=subject, recording=recording, device=given.get("device", ""),
        ))  # fmt: skip
    return out


def _trials(keys: list[np.ndarray], n: int) -> list[np.ndarray]:
    """The rows of each trial (the same subject and recording), in file order, the trials in order of
    their first row: in one pass over the rows, however many trials a file holds."""
    if not keys:
        return [np.arange(n)]
    key = keys[0] if len(keys) == 1 else np.char.add(np.char.add(keys[0], "\0"), keys[1])
    inverse = np.unique(key, return_inverse=True)[1].reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse))
    return sorted(np.split(order, bounds[:-1]), key=lambda rows: rows[0])


def _fast_rows(lines: list[str], index: list[int], text_index: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(values, texts, line numbers) by numpy's parser, where every line is a plain row as wide as
    the header (no quotes, no blank or ragged lines); None sends the file to `_rows`, which walks
    the lines and names what is wrong. Ten million rows take a few hundred bytes each, not kilobytes."""
    width = lines[0].count(",")
    if len(lines) < 2 or any('"' in line or line.count(",") != width for line in lines[1:]):
        return None
    try:
        data = np.loadtxt(lines[1:], delimiter=",", usecols=index, dtype=np.float64, ndmin=2, comments=None)
        texts = (
            np.char.strip(np.loadtxt(lines[1:], delimiter=",", usecols=text_index, dtype=str, ndmin=2, comments=None))
            if text_index
            else np.zeros((len(data), 0), str)
        )
    except ValueError:
        return None
    if len(data) != len(lines) - 1:
        return None
    return data, texts, np.arange(2, len(lines) + 1)


def _rows(lines: list[str], header: list[str], index: list[int], text_index: list[int], where: str):
    """`_fast_rows` line by line, with an error naming the first line that is wrong."""
    data = np.empty((max(0, len(lines) - 1), len(index)))
    texts, numbers = [], []
    reader = csv.reader(lines)
    try:
        next(reader)
        for row in reader:
            number, row = reader.line_num, _without_trailing_empty(row)
            if not row:
                continue
            if len(row) != len(header):
                raise HarcnnError(f"{where}: line {number} has {len(row)} fields, the header has {len(header)}")
            try:
                data[len(numbers)] = [float(row[i]) for i in index]
            except ValueError:
                bad = next(i for i in index if not is_number(row[i]))
                raise HarcnnError(
                    f"{where}: line {number}: column {header[bad]!r} holds {row[bad][:40]!r}, not a number; time and channel columns "
                    "hold numbers (--channels names the channel columns)"
                ) from None
            texts.append([row[i].strip() for i in text_index])
            numbers.append(number)
    except csv.Error as e:
        raise HarcnnError(f"{where}: line {reader.line_num}: not a readable CSV row ({e})") from None
    return data[: len(numbers)], np.array(texts, dtype=str).reshape(len(numbers), len(text_index)), np.array(numbers)


def _check_values(data: np.ndarray, numbers: np.ndarray, channels: tuple[str, ...], where: str) -> None:
    """Every value finite, and none beyond what a sensor of its channel's kind gives in any unit."""
    if not np.isfinite(data).all():
        raise HarcnnError(f"{where}: line {numbers[int(np.argmax(~np.isfinite(data).all(1)))]} holds NaN or infinity")
    for j, channel in enumerate(channels, start=1):
        kind = channel_kind(channel)
        if kind is None:
            continue
        limit = SENSOR_RANGE[kind] / min(f for k, f in UNITS.values() if k == kind)
        beyond = np.abs(data[:, j]) > limit
        if beyond.any():
            i = int(np.argmax(beyond))
            raise HarcnnError(
                f"{where}: line {numbers[i]}: {channel} is {data[i, j]:g}, beyond any {kind} sensor's range in any unit harcnn knows "
                f"(at most {limit:g}); a corrupt line?"
            )


def read_sources(sources: list[str | Path], pattern: str | None = None, layout: Layout = Layout()) -> list[Recording]:
    """Every recording of the files, folders and zips `sources`: their `.csv` files, or those whose
    path matches `pattern` (a regular expression searched in the path; its named groups `subject`,
    `recording`, `device`, `label` give those for the whole file). A file given twice (by two paths,
    or two copies), or two files of one device's trial, would count windows twice, so both are refused."""
    regex = _pattern(pattern)
    out, looked, seen, trials = [], 0, {}, {}
    for source in map(Path, sources):
        if source.is_file() and source.suffix.lower() != ".zip":
            members = [(source.as_posix(), source.read_bytes, str(source))]
        else:
            archive = Archive(source)
            members = [(n, (lambda n=n, a=archive: a.read(n)), f"{source}: {n}") for n in archive.names]
        for path, read, where in members:
            looked += 1
            match = regex.search(path) if regex else None
            if (regex and not match) or (not regex and not path.lower().endswith(".csv")):
                continue
            given = {k: v for k, v in (match.groupdict() if match else {}).items() if v is not None}
            for value in given.values():
                check_name(value, "a name the pattern takes from the path", where)
            raw = read()
            digest = hashlib.sha256(raw).hexdigest()
            if digest in seen:
                raise HarcnnError(
                    f"{where}: has the same contents as {seen[digest]}; a recording given twice would count its windows twice"
                )
            seen[digest] = where
            for recording in read_long_csv(raw, where, layout, given):
                key = (recording.device, *recording.key, given.get("label", ""))  # trial ids may count within a label's folder
                if recording.recording and key in trials:
                    raise HarcnnError(
                        f"{where}: subject {recording.subject!r} trial {recording.recording!r} is also in {trials[key]}; two files of one "
                        "trial are two devices (name them with (?P<device>...) in --pattern, to join them) or two trials (give each its "
                        "own recording id)"
                    )
                trials[key] = where
                out.append(recording)
    if not out:
        wanted = f"matches the pattern {pattern!r}" if pattern else "ends in .csv"
        raise HarcnnError(f"{', '.join(map(str, sources))}: none of the {looked} file(s) {wanted}")
    _check_declared(layout, out)
    return out


def _check_declared(layout: Layout, recordings: list[Recording]) -> None:
    """Every `--units` key names a kind or a channel the recordings have: a mistyped one would be dropped without a word."""
    channels = {c for r in recordings for c in r.channels}
    known = channels | {channel_kind(c) for c in channels} - {None}
    for key in layout.units or {}:
        if key not in known:
            raise HarcnnError(
                f"--units {key}=...: {key!r} is neither a kind of channel these recordings have ({', '.join(sorted(known - channels)) or 'none'}) "
                f"nor one of their channels ({', '.join(sorted(channels))})"
            )


def _pattern(pattern: str | None) -> re.Pattern | None:
    if pattern is None:
        return None
    try:
        regex = re.compile(pattern)
    except re.error as e:
        raise HarcnnError(f"--pattern {pattern!r}: not a regular expression ({e})") from None
    unknown = sorted(set(regex.groupindex) - set(PATTERN_GROUPS))
    if unknown:
        raise HarcnnError(f"--pattern {pattern!r}: group {unknown[0]!r} means nothing to harcnn; the groups are {list(PATTERN_GROUPS)}")
    return regex


def read_recording(
    path: str | Path, channels: tuple[str, ...] = CSV_COLUMNS[1:], units: tuple[str, ...] = ("",) * 6, time_unit: str | None = None
) -> Recording:
    """One recording from a CSV file with a time column and `channels` (for prediction); extra columns are ignored."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise HarcnnError(f"{path}: cannot read ({e.strerror})") from None
    layout = Layout(channels, dict(zip(channels, units)), time_unit)
    recordings = read_long_csv(raw, str(path), layout)
    if len(recordings) > 1:
        raise HarcnnError(f"{path}: holds {len(recordings)} subjects or trials; give one recording per file")
    return recordings[0]
