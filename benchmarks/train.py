"""Benchmark: a tutorial study (10 repeats x 10 epochs) with harcnn vs the Keras reference, one after
the other on this machine. Prints both wall times, the ratio and both mean accuracies.

    python benchmarks/train.py --study baseline --keras-python /tmp/kref/bin/python --out benchmarks/results/train-baseline.json
    python benchmarks/train.py --study multihead --keras-python /tmp/kref/bin/python --out benchmarks/results/train-multihead.json

The reference runs in its own virtual environment (see ../shared/bench/README.md); it reads the
extracted dataset folder, which this script extracts to a temporary folder.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, SHARED, machine, write_record

STUDIES = {"baseline": [], "multihead": ["--multihead"]}


def run_harcnn(study: str, repeats: int, data: Path, workdir: Path) -> tuple[float, list[float]]:
    spec = Path(__file__).resolve().parents[1] / "experiments" / f"{study}.toml"
    cmd = [
        sys.executable,
        "-m",
        "harcnn.cli",
        "run",
        str(spec),
        "--data",
        str(data),
        "--repeats",
        str(repeats),
        "--results",
        str(workdir / "results"),
        "--no-progress",
    ]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    return wall, [float(x) for x in re.findall(r"seed \d+: ([\d.]+)%", out)]


def run_keras(python: str, study: str, repeats: int, epochs: int, folder: Path) -> tuple[float, list[float]]:
    cmd = [
        python,
        str(SHARED / "bench" / "keras_reference.py"),
        str(folder),
        "--repeats",
        str(repeats),
        "--epochs",
        str(epochs),
        *STUDIES[study],
    ]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    return wall, [float(x) for x in re.findall(r">#\d+: ([\d.]+)", out)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", choices=sorted(STUDIES), default="baseline")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--keras-python", help="python of the reference's venv; without it only harcnn runs")
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' Performance table reads it)")
    a = p.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [("harcnn", *run_harcnn(a.study, a.repeats, a.data, tmp))]
        if a.keras_python:
            with zipfile.ZipFile(a.data) as z:
                z.extractall(tmp)
            rows.append(("keras reference", *run_keras(a.keras_python, a.study, a.repeats, 10, tmp / "UCI HAR Dataset")))
    print(f"study {a.study}: {a.repeats} repeats x 10 epochs, batch 32")
    for name, wall, accs in rows:
        print(
            f"  {name:<16} wall {wall:7.1f} s ({wall / a.repeats:5.1f} s per model)   accuracy {np.mean(accs):.2f}% +/- {np.std(accs):.2f} (n={len(accs)})"
        )
    if len(rows) == 2:
        print(f"  speed-up: {rows[1][1] / rows[0][1]:.2f}x (keras wall / harcnn wall)")
    if a.out:
        runs = {name: {"wall_s": round(wall, 1), "accuracies": accs} for name, wall, accs in rows}
        write_record(a.out, {"study": a.study, "repeats": a.repeats, "runs": runs})


if __name__ == "__main__":
    main()
