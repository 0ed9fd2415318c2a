"""How training and prediction grow with the number of windows: one epoch of the recommended recipe
(experiments/best.toml, one member or a population), and predicting every window, on synthetic
windows of UCI HAR's shape (9 channels x 128 steps, 6 classes), each size in a fresh process so that
its peak memory is its own. Time per window should not grow with the data; memory should grow with
the data alone (the windows, float32), not with copies of it.

    python benchmarks/scale.py --sizes 10000 100000 1000000 --out benchmarks/results/scale.json
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import write_record

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = [f"{sensor}_{axis}" for sensor in ("total_acc", "body_acc", "body_gyro") for axis in "xyz"]  # UCI HAR's: rotation applies


def windows(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drawn in float32 chunks, so that the benchmark's own data costs the windows' size and no more."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, n)
    X = np.empty((n, 9, 128), np.float32)
    for start in range(0, n, 10_000):
        chunk = X[start : start + 10_000]
        rng.standard_normal(chunk.shape, dtype=np.float32, out=chunk)
        chunk[:, :3] += y[start : start + 10_000, None, None].astype(np.float32) / 3  # something to learn
    return X, y, np.arange(n) // 300  # subjects of 300 windows


def one(n: int, members: int) -> dict:
    """One size in this process: generate, train one epoch, predict; seconds and peak memory."""
    from harcnn import HARClassifier
    from harcnn.experiments.spec import load_spec

    config = load_spec(ROOT / "experiments" / "best.toml").configs[0]
    settings = {k: v for k, v in config.settings.items() if k not in ("epochs", "min_steps")}
    X, y, groups = windows(n)
    data_gib = X.nbytes / 2**30
    clf = HARClassifier(config.model, members=members, **{**settings, **config.hparams}, epochs=1, min_steps=0)
    t0 = time.perf_counter()
    clf.fit(X, y, groups, channels=CHANNELS)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    clf.predict_proba(X)
    predict_s = time.perf_counter() - t0
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {"windows": n, "members": members, "data_gib": round(data_gib, 3), "epoch_s": round(train_s, 1),
            "epoch_us_per_window": round(1e6 * train_s / n / members, 1), "predict_s": round(predict_s, 1),
            "predict_us_per_window": round(1e6 * predict_s / n, 1), "peak_rss_gib": round(peak_gib, 2)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--members", type=int, nargs="+", default=[1], help="population sizes to train")
    p.add_argument("--one", type=int, nargs=2, metavar=("N", "MEMBERS"), help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="also write the figures as JSON")
    a = p.parse_args()
    if a.one:
        print(json.dumps(one(*a.one)))
        return
    rows = []
    for n in a.sizes:
        for members in a.members:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), str(members)], capture_output=True, text=True)
            if out.returncode:
                rows.append({"windows": n, "members": members, "failed": out.stderr.strip().splitlines()[-1]})
            else:
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    if a.out:
        write_record(a.out, {"spec": "experiments/best.toml, 1 epoch", "rows": rows})


if __name__ == "__main__":
    main()
