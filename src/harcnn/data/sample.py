"""A labelled phone recording to try harcnn on before you have one: synthetic, so free of any
licence, in the format `harcnn predict` reads (`timestamp,ax,ay,az,gx,gy,gz,label`: seconds, g and
rad/s at 50 Hz, UCI HAR's class names).

The phone is simulated as a rigid body: its gyroscope is the rotation that turns gravity in its
accelerometer, as on a real device (so its units are recognised), and each activity is a posture
plus motion: WALKING a 1.8 Hz gait with the hips' sway, SITTING and STANDING still at two tilts,
LAYING flat. It is for trying the commands, not for measuring a model: real recordings differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from harcnn.data.sensors import CSV_COLUMNS, RATE
from harcnn.errors import HarcnnError
from harcnn.outputs import write_csv

ACTIVITIES = (  # name, seconds, the phone's pitch (degrees from upright), motion
    ("STANDING", 12, 5, False),
    ("WALKING", 20, 8, True),
    ("SITTING", 12, 35, False),
    ("WALKING", 16, 8, True),
    ("LAYING", 12, 90, False),
)
WAIST = Rotation.from_euler("y", -90, degrees=True)  # worn at the waist as UCI HAR's phone: its x axis points up
TURN_S = 2.0  # seconds a change of posture takes


def sample_recording(path: str | Path, seed: int = 0) -> Path:
    """Write the sample recording (72 s) to `path` (a .csv file) and return its path."""
    path = Path(path)
    if path.suffix != ".csv":
        raise HarcnnError(f"{path}: the sample recording is a CSV file; give a name ending in .csv")
    rng = np.random.default_rng(seed)
    pitch, labels, walking = [], [], []
    current = ACTIVITIES[0][2]
    for name, seconds, target, moving in ACTIVITIES:
        n = int(seconds * RATE)
        ramp = np.clip(np.arange(n) / (TURN_S * RATE), 0, 1)
        pitch.append(current + (target - current) * (1 - np.cos(np.pi * ramp)) / 2)
        labels += [name] * n
        walking.append(np.full(n, moving))
        current = target
    t = np.arange(len(labels)) / RATE
    walk = np.convolve(np.concatenate(walking).astype(float), np.ones(int(RATE)) / RATE, mode="same")  # a second to start and stop walking
    sway = walk * np.radians(6) * np.sin(2 * np.pi * 0.9 * t)  # the hips roll once a stride
    angles = np.stack([sway, np.radians(np.concatenate(pitch)), np.zeros_like(t)], 1)  # roll, pitch, yaw in the phone's frame
    orientation = WAIST * Rotation.from_euler("xyz", angles)
    gravity = orientation.inv().apply([0.0, 0.0, 1.0])
    step = walk * 0.3 * np.sin(2 * np.pi * 1.8 * t)  # each step's push, along the body's vertical
    acc = gravity + orientation.inv().apply(np.stack([0 * t, 0 * t, step], 1)) + rng.normal(0, 0.01, (len(t), 3))
    turns = (orientation[:-1].inv() * orientation[1:]).as_rotvec() * RATE  # the rotation from each sample to the next, in the phone's frame
    gyro = np.concatenate([turns, turns[-1:]]) + rng.normal(0, 0.005, (len(t), 3))
    rows = ([f"{ti:.3f}", *(f"{v:.5f}" for v in (*a, *g)), y] for ti, a, g, y in zip(t, acc, gyro, labels))
    return write_csv(path, [*CSV_COLUMNS, "label"], rows)
