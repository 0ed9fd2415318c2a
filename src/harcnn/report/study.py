"""A study's results as files: every run (CSV and JSON), a summary per configuration, a boxplot."""

import csv
import json
from pathlib import Path

from harcnn.experiments.runner import summarize
from harcnn.experiments.store import Run
from harcnn.report.plots import boxplot


def group_by_label(runs: list[Run]) -> dict[str, list[Run]]:
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.label, []).append(run)
    return groups


def summary_lines(study: str, runs: list[Run]) -> list[str]:
    lines = [f"{study}: test accuracy (%) over seeds, mean +/- std (std with ddof=0, as the tutorial)"]
    for label, group in group_by_label(runs).items():
        s = summarize([r.accuracy for r in group])
        lines.append(f"  {label:<28} {s['mean']:.3f} +/- {s['std']:.3f}  (n={s['n']}, min {s['min']:.2f}, max {s['max']:.2f})")
    return lines


def write_study_files(study: str, runs: list[Run], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "runs.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["study", "label", "seed", "accuracy", "macro_f1", "wall_s", "config_key", "data_sha256"])
        for r in runs:
            writer.writerow([r.study, r.label, r.seed, f"{r.accuracy:.6f}", f"{r.macro_f1:.6f}", f"{r.wall_s:.2f}", r.config_key, r.data_sha256])
    (out / "runs.json").write_text(json.dumps([r.__dict__ for r in runs], indent=1))
    groups = {label: [r.accuracy for r in group] for label, group in group_by_label(runs).items()}
    png = boxplot(groups, f"{study}: test accuracy over {max(len(v) for v in groups.values())} seeds", out / "boxplot.png")
    return [out / "runs.csv", out / "runs.json", png]
