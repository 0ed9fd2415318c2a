"""The cross-dataset table from benchmarks/results/across/*.csv (written by benchmarks/across.sh):
per dataset and model, test accuracy mean +/- std over folds (or seeds), macro-F1, and the wall time
per model (training and scoring, as each run records it; machine and load as they were).

    python benchmarks/across_table.py            # markdown, one row per dataset
"""

import csv
import statistics
import sys
from pathlib import Path

FOLDER = Path(__file__).parent / "results" / "across"
MODELS = ("best", "baseline", "minirocket", "multirocket-hydra", "hydra")
DATASETS = ("uci-har", "uci-har-folds", "hapt12", "geotec-phone", "geotec-watch", "geotec-both", "basicmotions", "pickup-gesture", "geotec-phone-loso")


def cell(path: Path) -> tuple[str, float] | None:
    if not path.is_file():
        return None
    rows = list(csv.DictReader(path.open()))
    rows = [r for r in rows if r["config_key"] == rows[-1]["config_key"]]  # the latest configuration of the spec only
    accuracy = [100 * float(r["accuracy"]) for r in rows]
    f1 = statistics.mean(float(r["macro_f1"]) for r in rows)
    wall = statistics.mean(float(r["wall_s"]) for r in rows)
    spread = statistics.pstdev(accuracy) if len(accuracy) > 1 else 0.0
    return f"{statistics.mean(accuracy):.2f} +/- {spread:.2f} (n {len(rows)}; F1 {f1:.3f}; {wall:.0f} s)", statistics.mean(accuracy)


def main(folder: Path = FOLDER) -> None:
    print("| dataset | " + " | ".join(MODELS) + " | lead of best over the best peer |")
    print("|---" * (len(MODELS) + 2) + "|")
    for dataset in DATASETS:
        cells = {m: cell(folder / f"{dataset}-{m}.csv") for m in MODELS}
        if not any(cells.values()):
            continue
        peers = [cells[m][1] for m in ("minirocket", "multirocket-hydra", "hydra") if cells[m]]
        lead = f"{cells['best'][1] - max(peers):+.2f}" if cells["best"] and peers else "-"
        print(f"| {dataset} | " + " | ".join(cells[m][0] if cells[m] else "-" for m in MODELS) + f" | {lead} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
