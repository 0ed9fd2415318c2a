"""The cross-dataset table from the runs benchmarks/across.sh writes (benchmarks/results/across/<dataset>.db, exported
by benchmarks/export_runs.py as <dataset>.runs.json, which is what is committed and read here):
per dataset and model, test accuracy mean +/- std over folds (or seeds), macro-F1, with several seeds
a fold the spread across folds beside the spread across the seeds of a fold, accuracy across the
test subjects (each subject's mean over the runs that tested it; mean +/- std over subjects), the
wall time per model (training and scoring, as each run records it; machine and load as they were), and the
lead of best over the best peer, with where subjects identify the windows, the subjects it wins and
loses against that peer and the Wilcoxon signed-rank p over them (`paired_subjects`, `paired_text`).
Each spec's latest configuration only (a spec edited since keeps its older runs in the store).

    python benchmarks/across_table.py            # markdown, one row per dataset
"""

import statistics
import sys
from pathlib import Path

from export_runs import load
from harcnn.report.tables import fold_spread, fold_text, paired_subjects, paired_text, subject_spread

FOLDER = Path(__file__).parent / "results" / "across"
MODELS = ("best", "baseline", "minirocket", "multirocket-hydra", "hydra", "quant", "auto")
PEERS = ("minirocket", "multirocket-hydra", "hydra", "quant")
DATASETS = (
    "uci-har",
    "uci-har-folds",
    "hapt12",
    "geotec-phone",
    "geotec-phone-100hz",
    "geotec-watch",
    "geotec-both",
    "basicmotions",
    "pickup-gesture",
    "geotec-phone-loso",
    "gunpoint",
)


def latest(stored: list, spec: str) -> list:
    """The spec's runs of its latest configuration."""
    runs = [r for r in stored if r.study == spec]
    return [r for r in runs if r.config_key == runs[-1].config_key]


def cell(runs: list) -> tuple[str, float] | None:
    if not runs:
        return None
    accuracy = [100 * r.accuracy for r in runs]
    spread = statistics.pstdev(accuracy) if len(accuracy) > 1 else 0.0
    text = f"{statistics.mean(accuracy):.2f} +/- {spread:.2f} (n {len(runs)}; F1 {statistics.mean(r.macro_f1 for r in runs):.3f}"
    folds = fold_spread(runs)
    if folds and folds[2] is not None:  # several seeds a fold: both spreads
        text += f"; {fold_text(folds)}"
    subjects = subject_spread(runs)
    if subjects:
        text += f"; subjects {subjects[1]:.2f} +/- {subjects[2]:.2f} ({subjects[0]})"
    return text + f"; {statistics.mean(r.wall_s for r in runs):.0f} s)", statistics.mean(accuracy)


def lead(runs: dict[str, list], cells: dict) -> str:
    """best's lead over the best peer; subject by subject against that peer where subjects are known."""
    peers = [m for m in PEERS if cells[m]]
    if not cells["best"] or not peers:
        return "-"
    peer = max(peers, key=lambda m: cells[m][1])
    text = f"{cells['best'][1] - cells[peer][1]:+.2f}"
    paired = paired_subjects(runs["best"], runs[peer])
    return text + (f" (against {peer}, subjects above/below {paired_text(paired)})" if paired else "")


def main(folder: Path = FOLDER) -> None:
    print("| dataset | " + " | ".join(MODELS) + " | lead of best over the best peer |")
    print("|---" * (len(MODELS) + 2) + "|")
    for dataset in DATASETS:
        if not (folder / f"{dataset}.runs.json").is_file():
            continue
        stored = load(folder / f"{dataset}.runs.json")
        runs = {m: latest(stored, m) for m in MODELS}
        cells = {m: cell(runs[m]) for m in MODELS}
        print(f"| {dataset} | " + " | ".join(cells[m][0] if cells[m] else "-" for m in MODELS) + f" | {lead(runs, cells)} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
