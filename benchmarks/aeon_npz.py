"""One of aeon's bundled classification datasets as an NPZ in `harcnn data import`'s format, with
its own train/test split and named channels (so that rotation finds x/y/z triplets). No subject ids:
these datasets have none, so their protocol is the split they come with.

- BasicMotions: 4 activities, 6 channels (a watch's accelerometer and gyroscope), 100 steps, 40
  training and 40 test windows.
- PickupGestureWiimoteZ_eq: 10 gestures, the z axis of a Wiimote's accelerometer, 361 steps, 50
  training and 50 test windows; kept back from every choice as a dataset never shown to the project
  (until its first run, 0.8.0).
- GunPoint: 2 gestures (drawing a gun or pointing), the x coordinate of the actor's hand tracked on
  video, 150 steps, 50 training and 150 test windows; a second dataset never shown to the project,
  first run after 0.8.0's table.

    python benchmarks/aeon_npz.py BasicMotions data/basicmotions-windows.npz
    harcnn data import data/basicmotions-windows.npz --out data/basicmotions.npz
"""

import sys

import numpy as np
from aeon.datasets import load_classification

CHANNELS = {
    "BasicMotions": [f"{sensor}_{axis}" for sensor in ("acc", "gyro") for axis in "xyz"],
    "PickupGestureWiimoteZ_eq": ["acc_z"],
    "GunPoint": ["hand_x"],
}

if __name__ == "__main__":
    name, out = sys.argv[1:3]
    parts = [load_classification(name, split=split) for split in ("train", "test")]
    X = np.concatenate([x for x, _ in parts]).astype(np.float32)
    y = np.concatenate([y for _, y in parts])
    split = np.array(["train"] * len(parts[0][1]) + ["test"] * len(parts[1][1]))
    np.savez(out, X=X, y=y, split=split, channels=np.array(CHANNELS[name]))
    print(f"wrote {out}: {X.shape[0]} windows of {X.shape[1]} channels x {X.shape[2]} steps, classes {sorted(set(y))}")
