"""Benchmark: loading UCI HAR. First parse of the zip (harcnn) vs a cached load (harcnn) vs the
tutorial's pandas parse of the extracted folder (the reference's own loader, in its venv).

    python benchmarks/data.py [--keras-python /tmp/kref/bin/python] [--out benchmarks/results/data.json]
"""

import argparse
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

from common import DEFAULT_ZIP, SHARED, machine, write_record

REFERENCE_LOAD = """
import sys, time
sys.path.insert(0, {bench!r})
from keras_reference import load_dataset_group
t0 = time.perf_counter()
load_dataset_group('train', {prefix!r}); load_dataset_group('test', {prefix!r})
print(time.perf_counter() - t0)
"""


def timed(cmd: list[str], env: dict) -> float:
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.split()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--keras-python")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' Performance table reads it)")
    a = p.parse_args()
    print(machine())
    load = "import sys, time; from harcnn.data.resolve import load_dataset; t0 = time.perf_counter(); load_dataset(sys.argv[1]); print(time.perf_counter() - t0)"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HARCNN_HOME": tmp}
        python = [os.environ.get("PYTHON", "python"), "-c", load, str(a.data)]
        first = timed(python, env)
        cached = sorted(timed(python, env) for _ in range(a.repeats))
        print(f"harcnn first parse of the zip (verify, parse, write cache): {first:.2f} s")
        print(f"harcnn cached load, {a.repeats} fresh processes: median {cached[len(cached) // 2]:.3f} s, max {cached[-1]:.3f} s")
        if a.keras_python:
            with zipfile.ZipFile(a.data) as z:
                z.extractall(tmp)
            code = REFERENCE_LOAD.format(bench=str(SHARED / "bench"), prefix=str(Path(tmp) / "UCI HAR Dataset") + "/")
            ref = timed([a.keras_python, "-c", code], env)
            print(f"reference pandas parse of the extracted folder: {ref:.2f} s")
    if a.out:
        figures = {"first_parse_s": round(first, 2), "cached_s": [round(t, 3) for t in cached]}
        write_record(a.out, figures | ({"reference_parse_s": round(ref, 2)} if a.keras_python else {}))


if __name__ == "__main__":
    main()
