"""A study's results as files: every run (CSV and JSON), a summary per configuration, a boxplot."""

import json
from pathlib import Path

from harcnn.experiments.store import Run
from harcnn.outputs import write_csv, write_text
from harcnn.report.plots import boxplot
from harcnn.report.tables import flat_config, format_table, group_by_label, population_labels, scored_on, study_rows

# the last three are empty where a run has none; a label is unique per configuration and dataset (`population_labels`);
# then the configuration, one column per setting (`config.lr`, `config.hparams.filters`)
COLUMNS = [
    "study",
    "label",
    "seed",
    "accuracy",
    "macro_f1",
    "wall_s",
    "config_key",
    "data_sha256",
    "val_accuracy",
    "ensemble_accuracy",
    "ensemble_size",
]


def write_study_files(study: str, runs: list[Run], out: Path, order: list[str] | None = None) -> list[Path]:
    """runs.csv carries what a selection and an ensemble are judged by (last-epoch validation
    accuracy, the population ensemble's test accuracy), so that a study's figures survive as a small
    file beside the store."""
    out.mkdir(parents=True, exist_ok=True)
    configs = [flat_config(r.config) for r in runs]
    settings = sorted(set().union(*configs))
    rows = []
    for r, label, config in zip(runs, population_labels(runs), configs):
        val = r.curves.get("val_accuracy")
        rows.append(
            [r.study, label, r.seed, f"{r.accuracy:.6f}", f"{r.macro_f1:.6f}", f"{r.wall_s:.2f}", r.config_key, r.data_sha256]
            + [f"{val[-1]:.6f}" if val else "", "" if r.ensemble_accuracy is None else f"{r.ensemble_accuracy:.6f}"]
            + ["" if r.ensemble_size is None else r.ensemble_size]
            + [config.get(k, "") for k in settings]
        )
    write_csv(out / "runs.csv", COLUMNS + [f"config.{k}" for k in settings], rows)
    write_text(out / "runs.json", json.dumps([r.__dict__ for r in runs], indent=1))
    groups = {label: [r.accuracy for r in group] for label, group in group_by_label(runs, order).items()}
    title = f"{study}: {scored_on(study)} accuracy over {max(len(v) for v in groups.values())} seeds"
    png = boxplot(groups, title, out / "boxplot.png", f"{scored_on(study)} accuracy (%)")
    return [out / "runs.csv", out / "runs.json", png]


def study_summary(study: str, mine: list[Run], every: list[Run], reference: str | None, order: list[str]) -> str:
    """The table of this run's configurations (`mine`), and a note on the study's other runs in the store."""
    rows, reference = study_rows(mine, reference, order)
    text = format_table(study, rows, reference)
    if len(every) > len(mine):
        text += (
            f"\nnote: the store also holds {len(every) - len(mine)} runs of study {study!r} with another configuration or dataset; "
            "they are kept apart in runs.csv and the report"
        )
    return text
