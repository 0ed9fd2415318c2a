"""The budget ladder on UCI HAR's split: what each training cost buys, every point trained and timed in
one run on one machine. The fast preset (experiments/quick.toml), the recommended model
(experiments/best.toml), its 5-member ensemble, `harcnn auto` at its default budget (choosing and
refitting included), and the peers with aeon's defaults. Test accuracy of every seed; the time is
the wall time of one fit on the 7,352 training windows (auto's: its whole run), with all the cores.

    python benchmarks/ladder.py --out benchmarks/results/ladder.json --plot docs/ladder.png

Each point is written to `--out` as it ends, with the harcnn version that ran it; a rerun skips the
points already there (`--redo` does them again; `--only` names some), so an interrupted ladder
resumes. The plot (accuracy against time, log scale) is drawn from that file alone: `--plot-only`.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import harcnn
from common import DEFAULT_ZIP, write_record
from harcnn import presets
from harcnn.choices import AUTO_BUDGET_MIN
from harcnn.data.resolve import load_dataset
from harcnn.estimator import HARClassifier
from harcnn.experiments import auto
from harcnn.experiments.spec import load_spec
from harcnn.metrics import evaluate
from harcnn.models.peers import PEERS

# point -> (what it is, seeds); the peers' seeds barely matter (MiniRocket is almost deterministic), so
# the two slow ones are fitted once
POINTS = {
    "quick": ("the fast preset, one model", (0, 1, 2)),
    "best": ("the recommended model", (0, 1, 2)),
    "best x5": ("the recommended 5-member ensemble", (0,)),
    "auto": (f"harcnn auto at its default budget ({AUTO_BUDGET_MIN:g} min), choice and refit", (0,)),
    "minirocket": ("MiniRocket", (0, 1, 2)),
    "hydra": ("Hydra", (0, 1, 2)),
    "multirocket-hydra": ("MultiRocket-Hydra", (0,)),
    "quant": ("QUANT", (0,)),
}


def fit_point(name: str, seed: int, data) -> tuple[float, float, dict]:
    """One fit of point `name` from `seed`: (test accuracy, wall seconds, notes)."""
    t0 = time.perf_counter()
    if name in PEERS:
        fitted = PEERS[name].fit({}, data.train.X, data.train.y, seed, torch.get_num_threads())
        wall = time.perf_counter() - t0
        proba = PEERS[name].proba(fitted, data.test.X, len(data.test.classes))
        return float((proba.argmax(1) == data.test.y).mean()), wall, {}
    if name == "auto":
        model, choice, refit_s = auto.run(data.train, AUTO_BUDGET_MIN, echo=lambda line: print(line, flush=True))
        wall = time.perf_counter() - t0
        record, text = auto.report(choice, 60 * AUTO_BUDGET_MIN, refit_s, model.meta_.members, None)
        print(text, flush=True)
        notes = {
            "choice": record["choice"],
            "candidates": record["candidates"],
            "choose_s": record["choose_s"],
            "refit_s": record["refit_s"],
        }
        return evaluate(model, data.test)["accuracy"], wall, notes
    spec = "best" if name.startswith("best") else name
    members = 5 if name == "best x5" else 1
    config = load_spec(presets.path(spec)).configs[0]
    model = HARClassifier.from_config(config, members=members, random_state=seed).fit_windows(data.train)
    return evaluate(model, data.test)["accuracy"], time.perf_counter() - t0, {}


def plot(points: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for name, p in points.items():
        harcnn_own = name in ("quick", "best", "best x5", "auto")
        ax.errorbar(
            p["wall_s"], 100 * p["accuracy_mean"], yerr=100 * p["accuracy_std"], fmt="o" if harcnn_own else "s",
            color="tab:blue" if harcnn_own else "tab:gray", capsize=3,
        )  # fmt: skip
        ax.annotate(name, (p["wall_s"], 100 * p["accuracy_mean"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    times = [p["wall_s"] for p in points.values()]
    low, high = min(times) / 1.3, max(times) * 1.6  # room for the labels
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator([t for t in (10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000) if low <= t <= high]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training time on UCI HAR's 7,352 windows (s, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("What each training budget buys (blue: harcnn, grey: peers)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_ZIP))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ladder.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/ladder.png"))
    parser.add_argument("--only", nargs="*", choices=list(POINTS), help="These points only (default: all).")
    parser.add_argument("--redo", action="store_true", help="Fit the points again even where --out has them.")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()
    points = json.loads(args.out.read_text())["points"] if args.out.is_file() else {}
    if not args.plot_only:
        data = load_dataset(args.data)
        for name in args.only or POINTS:
            if name in points and not args.redo:
                continue
            what, seeds = POINTS[name]
            runs = [fit_point(name, seed, data) for seed in seeds]
            accuracy = np.array([a for a, _, _ in runs])
            points[name] = {
                "what": what, "seeds": list(seeds), "accuracy": accuracy.round(6).tolist(), "accuracy_mean": float(accuracy.mean()),
                "accuracy_std": float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
                "wall_s": float(np.mean([w for _, w, _ in runs])), "harcnn": harcnn.__version__, **runs[0][2],
            }  # fmt: skip
            print(f"{name}: {100 * accuracy.mean():.2f} % in {points[name]['wall_s']:.1f} s", flush=True)
            base = points.get("minirocket", {}).get("wall_s")
            write_record(args.out, {"data": "UCI HAR, its train/test split", "minirocket_wall_s": base, "points": points})
    plot(points, args.plot)
    print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
