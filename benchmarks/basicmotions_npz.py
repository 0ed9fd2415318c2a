"""aeon's BasicMotions (4 activities, 6 channels: accelerometer and gyroscope of a watch, 100 steps;
40 training and 40 test windows, no subject ids) as an NPZ in `harcnn data import`'s format, with
its own split and named channels (so that rotation finds the x/y/z triplets).

    python benchmarks/basicmotions_npz.py data/basicmotions-windows.npz
    harcnn data import data/basicmotions-windows.npz --out data/basicmotions.npz
"""

import sys

import numpy as np
from aeon.datasets import load_basic_motions

if __name__ == "__main__":
    parts = [load_basic_motions(split=split) for split in ("train", "test")]
    X = np.concatenate([x for x, _ in parts]).astype(np.float32)
    y = np.concatenate([y for _, y in parts])
    split = np.array(["train"] * len(parts[0][1]) + ["test"] * len(parts[1][1]))
    channels = np.array([f"{sensor}_{axis}" for sensor in ("acc", "gyro") for axis in "xyz"])
    np.savez(sys.argv[1], X=X, y=y, split=split, channels=channels)
    print(f"wrote {sys.argv[1]}: {X.shape[0]} windows of {X.shape[1]} channels x {X.shape[2]} steps, classes {sorted(set(y))}")
