"""A results store's runs in MLflow, the tracking tool people already run: one MLflow run per harcnn
run, in an experiment named after its study. The SQLite store stays the source of truth (studies
resume from it); the export can be repeated, and adds only the runs MLflow does not have yet (each
carries its identity, study, configuration key, seed and data, as the tag `harcnn.run`).

What a run carries: the configuration flattened into parameters (`hparams.filters`, `lr`, ...), with
the seed and the label; its figures as metrics (accuracy and macro-F1 on what the study scored, test
or validation, the population ensemble's accuracy, the wall time); its learning curves as metrics
by epoch; harcnn's and torch's versions, the configuration key and the data's checksum as tags; the
per-class figures, the confusion matrix and the per-subject figures as a JSON artifact.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from harcnn.errors import HarcnnError
from harcnn.experiments.store import Run, Store
from harcnn.extras import require
from harcnn.report.tables import flat_config, scored_on

RUN_TAG = "harcnn.run"


def run_identity(run: Run) -> str:
    """What makes a run one run in the store (its unique key), as MLflow's tag."""
    return f"{run.study}/{run.config_key}/{run.seed}/{run.data_sha256[:16]}"


def to_mlflow(db: Path, uri: str, studies: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """Log the store's runs (of `studies`, default all) to the MLflow tracking store at `uri`; the
    number of runs added."""
    if not Path(db).is_file():
        raise HarcnnError(f"{db}: no results store there (harcnn run writes one; name it with --db or --results)")
    require("mlflow", "the MLflow export")
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # its notes on creating the database's tables
    from mlflow.tracking import MlflowClient

    with Store(db) as store:
        known = store.studies()
        unknown = sorted(set(studies or []) - set(known))
        if unknown:
            raise HarcnnError(f"{db}: no study {unknown[0]!r}; the store has {known}")
        runs = [run for study in studies or known for run in store.runs(study)]
    client = MlflowClient(uri)
    added = 0
    for study in dict.fromkeys(run.study for run in runs):
        experiment = client.get_experiment_by_name(study)
        experiment_id = (
            experiment.experiment_id if experiment else client.create_experiment(study, artifact_location=_artifacts(uri, study))
        )
        logged = {r.data.tags.get(RUN_TAG) for r in client.search_runs([experiment_id], max_results=50_000)}
        new = [run for run in runs if run.study == study and run_identity(run) not in logged]
        for run in new:
            log_run(client, experiment_id, run)
        echo(f"{study}: {len(new)} runs added to MLflow ({len(logged)} there already)")
        added += len(new)
    return added


def log_run(client, experiment_id: str, run: Run) -> None:
    from mlflow.entities import Metric, Param

    start = _millis(run.created)
    tags = {RUN_TAG: run_identity(run), "harcnn.version": run.harcnn_version, "torch.version": run.torch_version,
            "config_key": run.config_key, "data_sha256": run.data_sha256, "label": run.label}  # fmt: skip
    created = client.create_run(experiment_id, start_time=start, tags=tags, run_name=f"{run.label} seed {run.seed}")
    scored = scored_on(run.study)
    figures = {f"{scored}_accuracy": run.accuracy, f"{scored}_macro_f1": run.macro_f1, "wall_s": run.wall_s}
    if run.ensemble_accuracy is not None:
        figures[f"{scored}_ensemble_accuracy"] = run.ensemble_accuracy
    metrics = [Metric(k, float(v), start, 0) for k, v in figures.items()]
    for name, values in (run.curves or {}).items():
        metrics += [Metric(name, float(v), start, epoch) for epoch, v in enumerate(values, 1) if v is not None and math.isfinite(v)]
    params = [Param(k, v) for k, v in flat_config({**run.config, "seed": run.seed}).items()]
    for i in range(0, len(params), 100):  # MLflow takes at most 100 parameters and 1000 metrics a batch
        client.log_batch(created.info.run_id, params=params[i : i + 100])
    for i in range(0, len(metrics), 1000):
        client.log_batch(created.info.run_id, metrics=metrics[i : i + 1000])
    client.log_dict(created.info.run_id, {"per_class": run.per_class, "confusion": run.confusion, "per_subject": run.per_subject},
                    "figures.json")  # fmt: skip
    client.set_terminated(created.info.run_id, end_time=start + int(1000 * run.wall_s))


def _artifacts(uri: str, study: str) -> str | None:
    """Beside MLflow's own SQLite file, its artifacts (else MLflow puts them in ./mlruns of whatever
    folder the command ran in); a tracking server decides for itself."""
    prefix = "sqlite:///"
    return (Path(uri[len(prefix) :]).parent / "mlartifacts" / study).as_uri() if uri.startswith(prefix) else None


def _millis(created: str) -> int:
    try:
        return int(1000 * datetime.fromisoformat(created).timestamp())
    except ValueError:
        return 0
