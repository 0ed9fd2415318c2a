"""A results store's runs in the tracking tools people already run, MLflow and TensorBoard: one
tracked run per harcnn run, grouped by study. The SQLite store stays the source of truth (studies
resume from it); an export can be repeated, and adds only the runs the tool does not have yet (each
known by its identity: study, configuration key, seed and data).

What a run carries: the configuration flattened into parameters (`hparams.filters`, `lr`, ...), with
the seed and the label; its figures as metrics (accuracy and macro-F1 on what the study scored, test
or validation, the population ensemble's accuracy, the wall time); its learning curves as metrics
by epoch. In MLflow also harcnn's and torch's versions, the configuration key and the data's
checksum as tags, and the per-class figures, the confusion matrix and the per-subject figures as a
JSON artifact; in TensorBoard the parameters and figures are its HParams dashboard's.
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
from harcnn.names import safe_filename
from harcnn.report.tables import flat_config, flat_values, scored_on

RUN_TAG = "harcnn.run"


def run_identity(run: Run) -> str:
    """What makes a run one run in the store (its unique key), as MLflow's tag."""
    return f"{run.study}/{run.config_key}/{run.seed}/{run.data_sha256[:16]}"


def stored_runs(db: Path, studies: list[str] | None = None) -> list[Run]:
    """The store's runs of `studies` (default all), refusing a missing store or an unknown study."""
    if not Path(db).is_file():
        raise HarcnnError(f"{db}: no results store there (harcnn run writes one; name it with --db or --results)")
    with Store(db) as store:
        known = store.studies()
        unknown = sorted(set(studies or []) - set(known))
        if unknown:
            raise HarcnnError(f"{db}: no study {unknown[0]!r}; the store has {known}")
        return [run for study in studies or known for run in store.runs(study)]


def figures(run: Run) -> dict[str, float]:
    """A run's figures as a tracking tool's metrics, named for what the study scored."""
    scored = scored_on(run.study)
    out = {f"{scored}_accuracy": run.accuracy, f"{scored}_macro_f1": run.macro_f1, "wall_s": run.wall_s}
    if run.ensemble_accuracy is not None:
        out[f"{scored}_ensemble_accuracy"] = run.ensemble_accuracy
    return {name: float(value) for name, value in out.items()}


def curve_points(run: Run) -> list[tuple[str, int, float]]:
    """A run's learning curves as (name, epoch from 1, value), the epochs a curve has no figure for left out."""
    return [(name, epoch, float(v)) for name, values in (run.curves or {}).items()
            for epoch, v in enumerate(values, 1) if v is not None and math.isfinite(v)]  # fmt: skip


def to_mlflow(db: Path, uri: str, studies: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """Log the store's runs (of `studies`, default all) to the MLflow tracking store at `uri`; the
    number of runs added."""
    runs = stored_runs(db, studies)
    require("mlflow", "the MLflow export")
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # its notes on creating the database's tables
    from mlflow.tracking import MlflowClient

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
    metrics = [Metric(k, v, start, 0) for k, v in figures(run).items()]
    metrics += [Metric(name, v, start, epoch) for name, epoch, v in curve_points(run)]
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


def to_tensorboard(db: Path, logdir: Path, studies: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """Write the store's runs (of `studies`, default all) as TensorBoard event files under
    `logdir/STUDY/RUN/`, each with its parameters and figures for the HParams dashboard and its
    curves by epoch; the number of runs added. A run is written to a temporary folder and renamed
    when complete, so an interrupted export leaves no half run that a repeat would skip."""
    runs = stored_runs(db, studies)
    require("tensorboard", "the TensorBoard export")
    added = 0
    for study in dict.fromkeys(run.study for run in runs):
        folder = Path(logdir) / safe_filename(study)
        mine = [run for run in runs if run.study == study]
        new = [run for run in mine if not (folder / run_folder(run)).is_dir()]
        for run in new:
            write_event_files(run, folder / run_folder(run))
        echo(f"{study}: {len(new)} runs added to TensorBoard ({len(mine) - len(new)} there already)")
        added += len(new)
    return added


def run_folder(run: Run) -> str:
    """A run's folder name: readable (label, seed) and unique (configuration key, data), never a path."""
    return safe_filename(f"{run.label}_seed{run.seed}_{run.config_key[:8]}_{run.data_sha256[:8]}")


def write_event_files(run: Run, folder: Path) -> None:
    import shutil

    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    start = _millis(run.created) / 1000
    params = {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in flat_values({**run.config, "seed": run.seed}).items()}
    metrics = figures(run)
    with SummaryWriter(str(partial)) as writer:
        for summary in hparams(params, metrics):  # the HParams dashboard's experiment, session start and end
            writer.file_writer.add_summary(summary, walltime=start)
        for name, value in metrics.items():
            writer.add_scalar(name, value, 0, walltime=start)  # what the HParams dashboard reads a metric from
        for name, epoch, value in curve_points(run):
            writer.add_scalar(name, value, epoch, walltime=start)
    partial.rename(folder)
