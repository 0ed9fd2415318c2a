"""Benchmark: the recommended configuration (experiments/best.toml) vs MiniRocket, 10 seeds each,
one study after the other on this machine, each with the whole machine. Prints and writes (JSON)
the wall time per model, test accuracy mean +/- std, the 5-member ensemble, macro-F1 and the
sitting/standing F1 of both.

    python benchmarks/best_vs_minirocket.py --out benchmarks/results/best_vs_minirocket.json

Time per model is the study's wall time over its seeds: the CNN's seeds train as populations in one
worker per core, MiniRocket's fits run one after the other with a thread per core (aeon's n_jobs),
so both use every core the whole time. The store lands in a temporary folder unless --results.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, machine

ROOT = Path(__file__).resolve().parents[1]


def run(spec: str, repeats: int, data: Path, results: Path, workers: int | None) -> dict:
    cmd = [sys.executable, "-m", "harcnn.cli", "run", str(ROOT / "experiments" / spec), "--data", str(data)]
    cmd += ["--repeats", str(repeats), "--results", str(results), "--no-progress"] + (["--workers", str(workers)] if workers else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    from harcnn.experiments.spec import load_spec
    from harcnn.experiments.store import Store

    study = load_spec(ROOT / "experiments" / spec)
    with Store(results / "harcnn.db") as store:
        runs = [r for r in store.runs(study.name) if r.config_key == study.configs[0].key and r.seed in study.seeds[:repeats]]
    acc = np.array([r.accuracy for r in runs]) * 100
    f1 = {c: float(np.mean([r.per_class[c]["f1"] for r in runs])) for c in ("SITTING", "STANDING")}
    return {
        "study": study.name,
        "runs": len(runs),
        "wall_s": round(wall, 1),
        "s_per_model": round(wall / len(runs), 1),
        "accuracy_mean": round(float(acc.mean()), 2),
        "accuracy_std": round(float(acc.std()), 2),
        "ensembles": sorted({(r.ensemble_size, round(r.ensemble_accuracy * 100, 2)) for r in runs if r.ensemble_size}),
        "macro_f1": round(float(np.mean([r.macro_f1 for r in runs])), 4),
        "sitting_f1": round(f1["SITTING"], 3),
        "standing_f1": round(f1["STANDING"], 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--results", type=Path, help="keep the store here (default: a temporary folder)")
    p.add_argument("--out", type=Path, help="write the figures as JSON")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = a.results or Path(tmp)
        rows = {"machine": machine(), "cnn": run("best.toml", a.repeats, a.data, results, None)}
        rows["minirocket"] = run("minirocket.toml", a.repeats, a.data, results, 1)
    for name in ("cnn", "minirocket"):
        r = rows[name]
        print(
            f"{r['study']:<12} {r['s_per_model']:6.1f} s per model ({r['wall_s']} s for {r['runs']})  "
            f"test {r['accuracy_mean']:.2f}% +/- {r['accuracy_std']:.2f}  ensembles {r['ensembles']}  macro-F1 {r['macro_f1']:.4f}  "
            f"sitting/standing F1 {r['sitting_f1']:.3f}/{r['standing_f1']:.3f}"
        )
    print(f"time per model, MiniRocket / CNN: {rows['minirocket']['s_per_model'] / rows['cnn']['s_per_model']:.2f}x")
    if a.out:
        a.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
