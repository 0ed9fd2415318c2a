"""How reading, training and prediction grow with the number of windows: `harcnn data recordings` on
synthetic long CSV files (a phone's 3 acc + 3 gyro columns at 50 Hz, 500 windows a file, UCI HAR's
filters: 9 channels x 128 steps); one epoch of the recommended recipe (experiments/best.toml, one
member or a population) and predicting every window, on synthetic windows of that shape. Each size
in a fresh process so that its peak memory is its own. Time per window should not grow with the
data; memory should grow with the data alone, not with copies of it.

    python benchmarks/scale.py --sizes 10000 100000 1000000 --members 1 5 --recordings --out benchmarks/results/scale.json
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import write_record

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ("walking", "walking_upstairs", "walking_downstairs", "sitting", "standing", "laying")  # UCI HAR's, as text
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


WINDOWS_A_FILE = 500  # about 11 minutes of recording at 50 Hz
STEP = 64  # samples between windows: UCI HAR's 128 with half overlapping
SUBJECTS = 30


def recording_files(n: int, folder: Path) -> Path:
    """Long CSV files holding `n` windows (made once per size and kept): time in seconds, acc in g,
    gyro in rad/s, a label per sample (UCI HAR's six activities by name in turn, a change every 50
    windows) and SUBJECTS subjects. Each subject's samples are formatted once and repeated in its files,
    each file on its own clock (files with the same contents would be refused as one recording given
    twice, and a test window equal to a training window as a leak)."""
    folder = folder / f"recordings-{n}"
    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rows = STEP * (WINDOWS_A_FILE + 1)
    rng = np.random.default_rng(0)
    labels = np.array(ACTIVITIES)[(np.arange(rows) // (50 * STEP)) % 6].tolist()
    samples = {}
    for f in range(0, n, WINDOWS_A_FILE):
        m = STEP * (min(WINDOWS_A_FILE, n - f) + 1)
        subject = 1 + (f // WINDOWS_A_FILE) % SUBJECTS
        if subject not in samples:
            values = rng.normal(0, 0.2, (rows, 6))
            values[:, 2] += 1  # gravity on z
            samples[subject] = [f"{','.join(v)},{label},{subject}\n" for v, label in zip(np.char.mod("%.5f", values).tolist(), labels)]
        times = np.char.mod("%.2f", 1000 * f + np.arange(m) / 50).tolist()
        with open(folder / f"part-{f // WINDOWS_A_FILE:05d}.csv", "w") as out:
            out.write("timestamp,ax,ay,az,gx,gy,gz,label,subject\n")
            out.writelines(f"{t},{sample}" for t, sample in zip(times, samples[subject][:m]))
    (folder / "done").touch()
    return folder


def read_recordings(n: int, folder: Path) -> dict:
    """`harcnn data recordings` over the files of `n` windows, in this process: seconds and peak memory."""
    from harcnn.cli import app

    source = recording_files(n, folder)
    csv_gib = sum(p.stat().st_size for p in source.glob("*.csv")) / 2**30
    out = folder / f"recordings-{n}.npz"
    args = ["data", "recordings", str(source), "--out", str(out), "--filter", "uci-har", "--units", "acc=g,gyro=rad/s"]
    t0 = time.perf_counter()
    app(args, standalone_mode=False)
    read_s = time.perf_counter() - t0
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    with np.load(out) as saved:
        windows = sum(saved[f"{split}_X"].shape[0] for split in ("train", "test"))
    out.unlink()
    return {"stage": "data recordings", "windows": windows, "csv_gib": round(csv_gib, 3), "read_s": round(read_s, 1),
            "read_us_per_window": round(1e6 * read_s / windows, 1), "peak_rss_gib": round(peak_gib, 2)}  # fmt: skip


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
    return {"stage": "train and predict", "windows": n, "members": members, "data_gib": round(data_gib, 3), "epoch_s": round(train_s, 1),
            "epoch_us_per_window": round(1e6 * train_s / n / members, 1), "predict_s": round(predict_s, 1),
            "predict_us_per_window": round(1e6 * predict_s / n, 1), "peak_rss_gib": round(peak_gib, 2)}  # fmt: skip


def child(args: list[str]) -> dict:
    """This script with `args` in a fresh process (its peak memory its own): its record, or why it failed."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        return {"args": args, "failed": (out.stderr.strip().splitlines() or ["no message"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--members", type=int, nargs="*", default=[1], help="population sizes to train (none: no training)")
    p.add_argument("--recordings", action="store_true", help="also time `harcnn data recordings` on CSV files of each size")
    p.add_argument("--files", type=Path, default=Path(tempfile.gettempdir()) / "harcnn-scale", help="where the CSV files are made (kept)")
    p.add_argument("--one", type=int, nargs=2, metavar=("N", "MEMBERS"), help=argparse.SUPPRESS)
    p.add_argument("--read", type=int, metavar="N", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="also write the figures as JSON")
    a = p.parse_args()
    if a.one or a.read:
        print(json.dumps(one(*a.one) if a.one else read_recordings(a.read, a.files)))
        return
    rows = []
    for n in a.sizes:
        if a.recordings:
            recording_files(n, a.files)  # made before the timed process
            rows.append(child(["--read", str(n), "--files", str(a.files)]))
            print(rows[-1], flush=True)
        for members in a.members:
            rows.append(child(["--one", str(n), str(members)]))
            print(rows[-1], flush=True)
    if a.out:
        args = " ".join(x for x in sys.argv[1:] if x not in ("--out", str(a.out)))
        write_record(a.out, {"spec": "experiments/best.toml, 1 epoch", "runs": [args], "rows": rows})


if __name__ == "__main__":
    main()
