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
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harcnn.data.archive import Archive
from harcnn.data.sensors import (
    CSV_COLUMNS,
    CSV_UNITS,
    LABEL_COLUMN,
    RATE,
    RATE_RANGE,
    RECORDING_COLUMN,
    SUBJECT_COLUMN,
    TIME_COLUMNS,
    TIME_UNITS,
    channel_kind,
)
from harcnn.data.textfiles import parse_matrix
from harcnn.errors import HarcnnError
from harcnn.names import check_name

PATTERN_GROUPS = ("subject", "recording", "device", "label")  # what a pattern may take from a path


@dataclass(frozen=True)
class Recording:
    """A continuous signal: `time` (n,) in seconds, never decreasing (repeated stamps are allowed:
    phones write them), `values` (n, c) in `units` ("" where not yet decided), `labels` (n,) text
    ("" unlabelled) or None."""

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

    def __len__(self) -> int:
        return len(self.time)

    @property
    def key(self) -> tuple[str, str]:
        """What joins the files of two devices: the same subject and trial."""
        return self.subject, self.recording

    def with_units(self, units: tuple[str, ...]) -> Recording:
        return replace(self, units=units)


def seconds(ticks: np.ndarray, unit: str | None, where: str) -> np.ndarray:
    """Timestamps in seconds: `unit` as given (`TIME_UNITS`), else the one unit that gives a rate in
    RATE_RANGE (their ratios are 1000, wider than the range, so at most one does)."""
    if unit is not None:
        if unit not in TIME_UNITS:
            raise HarcnnError(f"{where}: time unit must be one of {list(TIME_UNITS)}, got {unit!r}")
        return ticks * TIME_UNITS[unit]
    steps = np.diff(ticks)
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
    fits = [u for u, s in TIME_UNITS.items() if step and RATE_RANGE[0] <= 1 / (step * s) <= RATE_RANGE[1]]
    if not fits:
        raise HarcnnError(
            f"{where}: the timestamps step by {step:g}: no time unit ({', '.join(TIME_UNITS)}) gives a sampling rate of "
            f"{RATE_RANGE[0]:g} to {RATE_RANGE[1]:g} Hz; give the unit (--time-unit)"
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
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in _without_trailing_empty(next(reader, []))]
    lower = [h.lower() for h in header]
    time_column = next((c for c in TIME_COLUMNS if c in lower), None)
    if time_column is None:
        raise HarcnnError(f"{where}: the header {header} has no time column ({' or '.join(TIME_COLUMNS)}); a header line is required")
    if len(set(lower)) != len(lower):
        raise HarcnnError(f"{where}: the header names a column twice: {header}")
    special = {time_column, LABEL_COLUMN, SUBJECT_COLUMN, RECORDING_COLUMN}
    channels = layout.channels or tuple(h for h, low in zip(header, lower) if low not in special)
    missing = [c for c in channels if c.lower() not in lower]
    if missing:
        raise HarcnnError(f"{where}: the header lacks channel column(s) {missing}; it has {header}")
    if not channels:
        raise HarcnnError(f"{where}: no channel columns beside {sorted(special & set(lower))}")
    for c in channels:
        check_name(c, "channel name", where)
    index = [lower.index(c.lower()) for c in (time_column, *channels)]
    text_index = {c: lower.index(c) for c in (LABEL_COLUMN, SUBJECT_COLUMN, RECORDING_COLUMN) if c in lower}
    rows, texts, numbers = [], [], []  # values, label/subject/recording, and each row's line in the file
    for row in reader:
        number, row = reader.line_num, _without_trailing_empty(row)
        if not row:
            continue
        if len(row) != len(header):
            raise HarcnnError(f"{where}: line {number} has {len(row)} fields, the header has {len(header)}")
        try:
            rows.append([float(row[i]) for i in index])
        except ValueError:
            bad = next(i for i in index if not is_number(row[i]))
            raise HarcnnError(
                f"{where}: line {number}: column {header[bad]!r} holds {row[bad]!r}, not a number; time and channel columns "
                "hold numbers (--channels names the channel columns)"
            ) from None
        texts.append([row[i].strip() for i in text_index.values()])
        numbers.append(number)
    if len(rows) < 2:
        raise HarcnnError(f"{where}: holds {len(rows)} sample line(s) after its header; a recording needs at least two samples")
    data = np.array(rows)
    if not np.isfinite(data).all():
        raise HarcnnError(f"{where}: line {numbers[int(np.argmax(~np.isfinite(data).all(1)))]} holds NaN or infinity")
    columns = {name: np.array([t[i] for t in texts]) for i, name in enumerate(text_index)}
    if LABEL_COLUMN in columns and "label" in given:
        raise HarcnnError(f"{where}: the file has a label column and the pattern takes a label from its path; use one")
    groups = [columns.get(SUBJECT_COLUMN), columns.get(RECORDING_COLUMN)]
    keys = [tuple(g[i] if g is not None else "" for g in groups) for i in range(len(rows))]
    out = []
    for key in dict.fromkeys(keys):
        rows_of = np.array([k == key for k in keys]) if len(set(keys)) > 1 else slice(None)
        part, lines = data[rows_of], np.array(numbers)[rows_of]
        ticks = part[:, 0]
        back = np.diff(ticks) < 0
        if back.any():
            i = int(np.argmax(back))
            raise HarcnnError(f"{where}: line {lines[i + 1]}: time goes backwards ({ticks[i]:g} then {ticks[i + 1]:g})")
        labels = columns[LABEL_COLUMN][rows_of] if LABEL_COLUMN in columns else None
        if labels is None and "label" in given:
            labels = np.full(len(part), given["label"])
        subject = str(key[0] or given.get("subject", ""))
        recording = str(key[1] or given.get("recording", ""))
        name = where if len(set(keys)) == 1 else f"{where} [{subject or '-'} {recording or '-'}]"
        out.append(Recording(
            name, seconds(ticks, layout.time_unit, where), part[:, 1:], tuple(channels), tuple(layout.unit_of(c) for c in channels),
            labels, subject, recording, given.get("device", ""),
        ))  # fmt: skip
    return out


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_sources(sources: list[str | Path], pattern: str | None = None, layout: Layout = Layout()) -> list[Recording]:
    """Every recording of the files, folders and zips `sources`: their `.csv` files, or those whose
    path matches `pattern` (a regular expression searched in the path; its named groups `subject`,
    `recording`, `device`, `label` give those for the whole file)."""
    regex = _pattern(pattern)
    out, looked = [], 0
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
            out += read_long_csv(read(), where, layout, given)
    if not out:
        wanted = f"matches the pattern {pattern!r}" if pattern else "ends in .csv"
        raise HarcnnError(f"{', '.join(map(str, sources))}: none of the {looked} file(s) {wanted}")
    return out


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


def read_recording(path: str | Path, channels: tuple[str, ...] = CSV_COLUMNS[1:], units: tuple[str, ...] = ("",) * 6) -> Recording:
    """One recording from a CSV file with a time column and `channels` (for prediction); extra columns are ignored."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise HarcnnError(f"{path}: cannot read ({e.strerror})") from None
    layout = Layout(channels, dict(zip(channels, units)))
    recordings = read_long_csv(raw, str(path), layout)
    if len(recordings) > 1:
        raise HarcnnError(f"{path}: holds {len(recordings)} subjects or trials; give one recording per file")
    return recordings[0]


# -- HAPT --------------------------------------------------------------------------------------

HAPT_FILE = re.compile(r"acc_exp(\d+)_user(\d+)\.txt")


def read_hapt(path: str | Path) -> list[Recording]:
    """All experiments of a HAPT RawData folder or zip, labelled per sample with activity_labels.txt's names."""
    archive = Archive(Path(path))
    files = archive.by_base_name()

    def read(name: str) -> bytes:
        if name not in files:
            raise HarcnnError(f"{path}: missing {name}")
        return archive.read(files[name])

    names = hapt_activity_labels(path, read("activity_labels.txt"))
    labels = parse_matrix(read("labels.txt"), f"{path}: labels.txt", columns=5).astype(np.int64)
    recordings = []
    for name in sorted(files):
        match = HAPT_FILE.fullmatch(name)
        if not match:
            continue
        exp, user = int(match[1]), int(match[2])
        acc = parse_matrix(read(name), f"{path}: {name}", columns=3)
        gyro_name = f"gyro_exp{match[1]}_user{match[2]}.txt"
        gyro = parse_matrix(read(gyro_name), f"{path}: {gyro_name}", columns=3)
        if len(acc) != len(gyro):
            raise HarcnnError(f"{path}: {name} has {len(acc)} samples but {gyro_name} has {len(gyro)}")
        per_sample = np.full(len(acc), "", dtype=object)
        for row in labels[(labels[:, 0] == exp) & (labels[:, 1] == user)]:
            if not 1 <= row[3] <= row[4] <= len(acc):
                raise HarcnnError(f"{path}: labels.txt segment {row.tolist()} lies outside {name} ({len(acc)} samples)")
            if row[2] not in names:
                raise HarcnnError(f"{path}: labels.txt uses activity id {row[2]} ({name}), which activity_labels.txt does not name")
            per_sample[row[3] - 1 : row[4]] = names[row[2]]  # labels.txt counts samples from 1, both ends included
        recordings.append(Recording(
            f"exp{exp:02d}_user{user:02d}", np.arange(len(acc)) / RATE, np.concatenate([acc, gyro], 1), CSV_COLUMNS[1:],
            CSV_UNITS, per_sample.astype(str), f"{user:02d}", f"{exp:02d}",
        ))  # fmt: skip
    if not recordings:
        raise HarcnnError(f"{path}: no acc_expXX_userYY.txt files: is this the HAPT RawData folder?")
    return recordings


def hapt_activity_labels(path: str | Path, raw: bytes) -> dict[int, str]:
    """HAPT's class names by id (`activity_labels.txt`: `<id> <NAME>` per line), matched by id, never by position."""
    where = f"{path}: activity_labels.txt"
    names: dict[int, str] = {}
    for number, line in enumerate(raw.decode("latin-1").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise HarcnnError(f"{where}: line {number} should be '<id> <NAME>' with a positive id, got {line!r}")
        if int(parts[0]) in names:
            raise HarcnnError(f"{where}: line {number}: id {parts[0]} is named twice")
        names[int(parts[0])] = check_name(parts[1], "activity name", where)
    if not names:
        raise HarcnnError(f"{where}: no activity names")
    return names


def hapt_class_order(path: str | Path) -> tuple[str, ...]:
    """HAPT's class names in id order, as activity_labels.txt numbers them."""
    archive = Archive(Path(path))
    files = archive.by_base_name()
    if "activity_labels.txt" not in files:
        raise HarcnnError(f"{path}: missing activity_labels.txt")
    names = hapt_activity_labels(path, archive.read(files["activity_labels.txt"]))
    return tuple(names[i] for i in sorted(names))
