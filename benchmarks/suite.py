"""Benchmark: wall time of the tutorial's five studies at full size (10 repeats each), in a fresh
results store, with the CLI's defaults. Prints each study's wall time and the total.

    python benchmarks/suite.py [--results /tmp/suite]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import DEFAULT_ZIP, machine

STUDIES = ("baseline", "standardize", "filters", "kernel", "multihead")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=Path("/tmp/harcnn-suite"))
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    a = p.parse_args()
    print(machine())
    root = Path(__file__).resolve().parents[1]
    walls = {}
    for study in STUDIES:
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "harcnn.cli",
                "run",
                str(root / "experiments" / f"{study}.toml"),
                "--data",
                str(a.data),
                "--results",
                str(a.results),
                "--no-progress",
            ],
            check=True,
        )
        walls[study] = time.perf_counter() - t0
        print(f"== {study}: {walls[study]:.0f} s", flush=True)
    print("study wall times (s): " + ", ".join(f"{s} {w:.0f}" for s, w in walls.items()) + f"; total {sum(walls.values()):.0f} s")


if __name__ == "__main__":
    main()
