"""HAPT (Reyes-Ortiz, Oneto, Sama, Parra and Anguita, "Transition-Aware Human Activity Recognition
Using Smartphones", Neurocomputing 2016): the raw recordings UCI HAR's windows were cut from, 50 Hz
phone accelerometer (g) and gyroscope (rad/s), one pair of files per experiment, labelled per
segment in labels.txt with twelve activities (six postural transitions among them).

Its windows are cut as UCI HAR's were (`PIPELINE`); `harcnn data recordings` reads a RawData folder
or zip directly (`is_hapt`), with the subjects' own numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from harcnn.data.archive import Archive
from harcnn.data.cut import cut
from harcnn.data.pipeline import UCI_HAR
from harcnn.data.recordings import Recording
from harcnn.data.sensors import CSV_COLUMNS, CSV_UNITS, RATE
from harcnn.data.textfiles import parse_activity_labels, parse_matrix
from harcnn.errors import HarcnnError
from harcnn.outputs import atomic_output

PIPELINE = UCI_HAR  # how UCI HAR's windows were cut from these recordings
LABELS_FILE = "labels.txt"
FILE = re.compile(r"acc_exp(\d+)_user(\d+)\.txt")  # one experiment's accelerometer; its gyroscope is gyro_expXX_userYY.txt


def is_hapt(path: str | Path) -> bool:
    """Whether `path` is a folder or zip laid out as HAPT's RawData (labels.txt, activity_labels.txt, acc_expXX_userYY.txt)."""
    path = Path(path)
    if not (path.is_dir() or path.suffix.lower() == ".zip") or not path.exists():
        return False
    names = Archive(path).by_base_name()
    return LABELS_FILE in names and "activity_labels.txt" in names and any(FILE.fullmatch(n) for n in names)


def read(path: str | Path) -> list[Recording]:
    """All experiments of a HAPT RawData folder or zip, labelled per sample with activity_labels.txt's names."""
    archive = Archive(Path(path))
    files = archive.by_base_name()

    def member(name: str) -> bytes:
        if name not in files:
            raise HarcnnError(f"{path}: missing {name}")
        return archive.read(files[name])

    names = parse_activity_labels(member("activity_labels.txt"), f"{path}: activity_labels.txt")
    labels = parse_matrix(member(LABELS_FILE), f"{path}: {LABELS_FILE}", columns=5).astype(np.int64)
    recordings = []
    for name in sorted(files):
        match = FILE.fullmatch(name)
        if not match:
            continue
        exp, user = int(match[1]), int(match[2])
        acc = parse_matrix(member(name), f"{path}: {name}", columns=3)
        gyro_name = f"gyro_exp{match[1]}_user{match[2]}.txt"
        gyro = parse_matrix(member(gyro_name), f"{path}: {gyro_name}", columns=3)
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
            CSV_UNITS, labels=per_sample.astype(str), subject=f"{user:02d}", recording=f"{exp:02d}",
        ))  # fmt: skip
    if not recordings:
        raise HarcnnError(f"{path}: no acc_expXX_userYY.txt files: is this the HAPT RawData folder?")
    return recordings


def class_order(path: str | Path) -> tuple[str, ...]:
    """HAPT's class names in id order, as activity_labels.txt numbers them."""
    archive = Archive(Path(path))
    files = archive.by_base_name()
    if "activity_labels.txt" not in files:
        raise HarcnnError(f"{path}: missing activity_labels.txt")
    names = parse_activity_labels(archive.read(files["activity_labels.txt"]), f"{path}: activity_labels.txt")
    return tuple(names[i] for i in sorted(names))


def write_windows(source: str | Path, out: Path) -> str:
    """HAPT's raw recordings cut as UCI HAR's windows were (its pipeline, saved in the file), with
    every labelled class (12, in activity_labels.txt's order), as an NPZ in the `data import` format;
    what it holds, in a line."""
    windows = cut(read(source), PIPELINE)
    classes = class_order(source)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in windows.labels], np.int64)
    subject = windows.subjects.astype(np.int64)
    pipeline = np.array(json.dumps(PIPELINE.to_json()))
    with atomic_output(out) as tmp, open(tmp, "wb") as f:
        np.savez(
            f, X=windows.X, y=y, subject=subject, channels=np.array(PIPELINE.output_channels), classes=np.array(classes), pipeline=pipeline
        )
    counts = ", ".join(f"{c} {n}" for c, n in zip(classes, np.bincount(y, minlength=len(classes))))
    return f"{len(y)} windows from {len(set(subject.tolist()))} subjects: {counts}"
