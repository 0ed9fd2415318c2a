"""Sensor facts the datasets, the recordings pipeline and prediction share, declared once: UCI HAR's
layout (rate, window, hop, channel names), the raw-recording columns, the units harcnn recognises,
and the physical ranges that tell a recording's units apart."""

from __future__ import annotations

import math
import re

RATE = 50.0  # Hz: UCI HAR's and HAPT's sampling rate, and the default rate recordings are resampled to
STEPS = 128  # samples in a window (2.56 s)
STEP = STEPS // 2  # the hop between windows (50 % overlap)
WINDOW_S, OVERLAP = STEPS / RATE, 1 - STEP / STEPS  # the same, in the terms of `harcnn data recordings`
MAX_GAP = 1.0  # seconds between samples beyond which a recording is cut in two
SIGNALS = ("total_acc", "body_acc", "body_gyro")
CHANNELS = tuple(f"{s}_{axis}" for s in SIGNALS for axis in "xyz")  # UCI HAR's nine, in its order
CSV_COLUMNS = ("timestamp", "ax", "ay", "az", "gx", "gy", "gz")  # a UCI HAR model's recording: seconds, g, rad/s
CSV_UNITS = ("g",) * 3 + ("rad/s",) * 3  # of CSV_COLUMNS' channels, as HAPT and UCI HAR recorded them
TIME_COLUMNS = ("timestamp", "time")  # the time column of a long CSV, by either name
LABEL_COLUMN, SUBJECT_COLUMN, RECORDING_COLUMN = "label", "subject", "recording"
DEVICE_SEPARATOR = ":"  # the channels of joined devices are named `device:channel`

# Plausible physical ranges, to catch recordings in other units before they are used.
RATE_RANGE = (5.0, 1000.0)  # Hz
GRAVITY_RANGE = (0.5, 2.0)  # median |acceleration| in g: gravity is always in it
GYRO_MAX = 35.0  # rad/s, about 2000 deg/s: the range of phone and wearable gyroscopes
SENSOR_RANGE = {"acc": 200.0, "gyro": GYRO_MAX}  # g, rad/s: beyond them a value is no sensor's, in any unit
SPAN_STEPS = 16  # samples a burst of events may hold: a sampling period is judged over this many steps

STANDARD_GRAVITY = 9.80665  # m/s^2 in one g
UNITS = {  # unit: (kind, factor to the kind's canonical unit)
    "g": ("acc", 1.0),
    "m/s^2": ("acc", 1 / STANDARD_GRAVITY),
    "milli-g": ("acc", 1e-3),
    "rad/s": ("gyro", 1.0),
    "deg/s": ("gyro", math.pi / 180),
}
CANONICAL = {"acc": "g", "gyro": "rad/s"}  # what windows hold: UCI HAR's units
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}  # seconds per tick

_KIND = (("acc", re.compile(r"acc|^a[xyz]$", re.I)), ("gyro", re.compile(r"gyr|^g[xyz]$", re.I)))


def channel_kind(name: str) -> str | None:
    """'acc' or 'gyro' from a channel's name (`x_acc`, `ax`, `gyro_z`, `gz`), else None (no units)."""
    base = name.rsplit(":", 1)[-1]
    return next((kind for kind, pattern in _KIND if pattern.search(base)), None)
