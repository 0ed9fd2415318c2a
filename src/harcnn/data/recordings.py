"""Continuous recordings: raw tri-axial accelerometer (g, gravity included) and gyroscope (rad/s).

Two sources: the HAPT raw files (Reyes-Ortiz et al., Neurocomputing 2015: `acc_expXX_userYY.txt`,
`gyro_expXX_userYY.txt` at 50 Hz, and `labels.txt` with activity segments), read from the zip or
an extracted folder; and a plain CSV with a header `timestamp,ax,ay,az,gx,gy,gz` (timestamp in
seconds, strictly increasing, at a constant rate).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harcnn.data.archive import Archive
from harcnn.data.sensors import CHANNELS, CSV_COLUMNS, GRAVITY_RANGE, GYRO_MAX, RATE, RATE_RANGE
from harcnn.data.textfiles import parse_matrix
from harcnn.errors import HarcnnError


@dataclass(frozen=True)
class Segment:
    """Samples [start, end) carry activity `label` (1-based HAPT id)."""

    label: int
    start: int
    end: int


@dataclass(frozen=True)
class Recording:
    name: str
    acc: np.ndarray  # (n, 3) in g, gravity included
    gyro: np.ndarray  # (n, 3) in rad/s
    rate: float
    subject: int = 0
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.acc.shape != self.gyro.shape or self.acc.ndim != 2 or self.acc.shape[1] != 3:
            raise HarcnnError(
                f"{self.name}: accelerometer {self.acc.shape} and gyroscope {self.gyro.shape} must both be (n, 3) of equal length"
            )

    def __len__(self) -> int:
        return len(self.acc)


class _Tree:
    """Files of a folder or a zip (any top folder), by base name (`data.archive`)."""

    def __init__(self, path: Path):
        self.path = path
        self._archive = Archive(path)
        self._files = self._archive.by_base_name()

    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes:
        if name not in self._files:
            raise HarcnnError(f"{self.path}: missing {name}")
        return self._archive.read(self._files[name])


HAPT_FILE = re.compile(r"acc_exp(\d+)_user(\d+)\.txt")


def read_hapt(path: str | Path) -> list[Recording]:
    """All experiments of a HAPT RawData folder or zip, with their labelled segments."""
    tree = _Tree(Path(path))
    labels = parse_matrix(tree.read("labels.txt"), f"{path}: labels.txt", columns=5).astype(np.int64)
    recordings = []
    for name in tree.names():
        match = HAPT_FILE.fullmatch(name)
        if not match:
            continue
        exp, user = int(match[1]), int(match[2])
        acc = parse_matrix(tree.read(name), f"{path}: {name}", columns=3)
        gyro_name = f"gyro_exp{match[1]}_user{match[2]}.txt"
        gyro = parse_matrix(tree.read(gyro_name), f"{path}: {gyro_name}", columns=3)
        if len(acc) != len(gyro):
            raise HarcnnError(f"{path}: {name} has {len(acc)} samples but {gyro_name} has {len(gyro)}")
        rows = labels[(labels[:, 0] == exp) & (labels[:, 1] == user)]
        for row in rows:
            if not 1 <= row[3] <= row[4] <= len(acc):
                raise HarcnnError(f"{path}: labels.txt segment {row.tolist()} lies outside {name} ({len(acc)} samples)")
        # labels.txt counts samples from 1, both ends included
        segments = tuple(Segment(int(r[2]), int(r[3]) - 1, int(r[4])) for r in rows)
        recordings.append(Recording(f"exp{exp:02d}_user{user:02d}", acc, gyro, RATE, user, segments))
    if not recordings:
        raise HarcnnError(f"{path}: no acc_expXX_userYY.txt files: is this the HAPT RawData folder?")
    return recordings


def hapt_activity_labels(path: str | Path) -> dict[int, str]:
    """HAPT's class names by id (`activity_labels.txt`: `<id> <NAME>` per line), matched by id, never by position."""
    where = f"{path}: activity_labels.txt"
    raw = _Tree(Path(path)).read("activity_labels.txt").decode("latin-1")
    names: dict[int, str] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise HarcnnError(f"{where}: line {number} should be '<id> <NAME>' with a positive id, got {line!r}")
        if int(parts[0]) in names:
            raise HarcnnError(f"{where}: line {number}: id {parts[0]} is named twice")
        names[int(parts[0])] = parts[1]
    if not names:
        raise HarcnnError(f"{where}: no activity names")
    return names


def hapt_windows(source: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """HAPT's raw recordings cut into UCI-HAR-style windows with every labelled class (12): windows,
    class index, subject, and the class names (by id, as activity_labels.txt names them)."""
    from harcnn.data.preprocess import channels, window_labels, windows

    names = hapt_activity_labels(source)
    ids = sorted(names)
    index = {label: i for i, label in enumerate(ids)}
    X, y, subject = [], [], []
    for rec in read_hapt(source):
        unnamed = sorted({s.label for s in rec.segments} - set(names))
        if unnamed:
            raise HarcnnError(f"{source}: labels.txt uses activity id {unnamed[0]} ({rec.name}), which activity_labels.txt does not name")
        w, starts = windows(channels(rec))
        labels = window_labels(rec, starts)
        keep = labels > 0
        X.append(w[keep])
        y.append(np.array([index[v] for v in labels[keep]], np.int64))
        subject.append(np.full(keep.sum(), rec.subject))
    return np.concatenate(X), np.concatenate(y), np.concatenate(subject), [names[i] for i in ids]


def write_hapt_windows(source: str | Path, out: Path) -> str:
    """`hapt_windows` of `source` as an NPZ in the `data import` format; what it holds, in a line."""
    X, y, subject, classes = hapt_windows(source)
    np.savez(out, X=X, y=y, subject=subject, channels=np.array(CHANNELS), classes=np.array(classes))
    counts = ", ".join(f"{c} {n}" for c, n in zip(classes, np.bincount(y, minlength=len(classes))))
    return f"{len(X)} windows from {len(set(subject.tolist()))} subjects: {counts}"


def check_rate(rate: float, where: str) -> float:
    """A sampling rate from timestamps must be plausible; else an error naming the likely time unit."""
    if RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        return rate
    for unit, factor in (("milliseconds", 1e3), ("microseconds", 1e6), ("nanoseconds", 1e9)):
        if RATE_RANGE[0] <= rate * factor <= RATE_RANGE[1]:
            raise HarcnnError(
                f"{where}: timestamps step by {1 / rate:g}, a rate of {rate:g} Hz if they were seconds: they look like {unit}; give seconds"
            )
    raise HarcnnError(
        f"{where}: the timestamps give a sampling rate of {rate:g} Hz; harcnn reads {RATE_RANGE[0]:g} to {RATE_RANGE[1]:g} Hz, timestamps in seconds"
    )


def check_units(acc: np.ndarray, gyro: np.ndarray, where: str) -> None:
    """Acceleration must be in g (gravity included) and angular rate in rad/s; else an error naming the likely unit."""
    gravity = float(np.median(np.linalg.norm(acc, axis=1)))
    if not GRAVITY_RANGE[0] <= gravity <= GRAVITY_RANGE[1]:
        likely = next(
            (unit for unit, g in (("m/s^2", 9.80665), ("milli-g", 1000.0)) if GRAVITY_RANGE[0] <= gravity / g <= GRAVITY_RANGE[1]), None
        )
        hint = f"it looks like {likely}; convert to g" if likely else "expected about 1 g (gravity included, in g)"
        raise HarcnnError(f"{where}: the median acceleration magnitude is {gravity:.4g}: {hint}")
    spin = float(np.quantile(np.abs(gyro), 0.99))
    if spin > GYRO_MAX:
        raise HarcnnError(
            f"{where}: angular rates reach {spin:.4g} (99th percentile), beyond {GYRO_MAX:g} rad/s: they look like deg/s; convert to rad/s"
        )


def _without_trailing_empty(row: list[str]) -> list[str]:
    """A CSV row without the empty fields that trailing commas leave (spreadsheets write them)."""
    while row and not row[-1].strip():
        row = row[:-1]
    return row


def read_csv(path: str | Path) -> Recording:
    """A recording from a CSV with a header naming `timestamp, ax, ay, az, gx, gy, gz` (any order)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark, as Excel writes one, is not part of the header
    except (OSError, UnicodeDecodeError) as e:
        raise HarcnnError(f"{path}: cannot read ({e})") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in _without_trailing_empty(next(reader, []))]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise HarcnnError(f"{path}: header lacks column(s) {missing}; expected {', '.join(CSV_COLUMNS)} (a header line is required)")
    index = [header.index(c) for c in CSV_COLUMNS]
    rows, numbers = [], []  # the values, and the file's line number of each row (blank lines are skipped)
    for row in reader:
        number, row = reader.line_num, _without_trailing_empty(row)
        if not row:
            continue
        if len(row) != len(header):
            raise HarcnnError(f"{path}: line {number} has {len(row)} fields, the header has {len(header)}")
        try:
            rows.append([float(row[i]) for i in index])
        except ValueError:
            raise HarcnnError(f"{path}: line {number}: a value is not a number: {row}") from None
        numbers.append(number)
    if len(rows) < 2:
        raise HarcnnError(f"{path}: holds {len(rows)} sample line(s) after its header; a recording needs at least two samples")
    data = np.array(rows)
    if not np.isfinite(data).all():
        raise HarcnnError(f"{path}: line {numbers[int(np.argmax(~np.isfinite(data).all(1)))]} holds NaN or infinity")
    t = data[:, 0]
    dt = np.diff(t)
    if (dt <= 0).any():
        i = int(np.argmax(dt <= 0))
        raise HarcnnError(f"{path}: line {numbers[i + 1]}: timestamps must increase strictly ({t[i]} then {t[i + 1]})")
    step = float(np.median(dt))
    check_rate(1.0 / step, str(path))
    gaps = dt > 1.5 * step
    if gaps.any():
        i = int(np.argmax(gaps))
        raise HarcnnError(
            f"{path}: line {numbers[i + 1]}: gap of {dt[i]:.3f} s in the timestamps (sampling step {step:.4f} s); split the recording at gaps"
        )
    check_units(data[:, 1:4], data[:, 4:7], str(path))
    return Recording(path.stem, data[:, 1:4], data[:, 4:7], 1.0 / step)
