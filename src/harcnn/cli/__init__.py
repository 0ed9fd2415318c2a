"""The `harcnn` command: run, select, report, train, evaluate, predict, export, models (`data` in `cli.data`)."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

import harcnn
from harcnn.choices import AUTO_BUDGET_MIN, AUTO_FOLDS, EXPORT_FORMATS, EXPORT_SUFFIXES, QUANTIZATIONS, RUN_EXECUTORS, TABLE_FORMATS
from harcnn.cli.data import data_app
from harcnn.cli.options import (
    CHECKPOINTS,
    HELP,
    DataOpt,
    DbOpt,
    ModelArg,
    ProgressOpt,
    RepeatsOpt,
    ResultsOpt,
    SetOpt,
    TimeUnitOpt,
    WorkersOpt,
    dataset,
)
from harcnn.cli.runs import runs_app
from harcnn.errors import HarcnnError, HarcnnWarning

app = typer.Typer(
    context_settings=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Human activity recognition with 1D CNNs: data, repeated experiments, models.",
)
app.add_typer(data_app, name="data")
app.add_typer(runs_app, name="runs")


def _version(show: bool) -> None:
    if show:
        typer.echo(f"harcnn {harcnn.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        Optional[bool], typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """Human activity recognition with 1D CNNs: data, repeated experiments, models."""


def main() -> None:
    from harcnn.resources import keep_freed_memory

    keep_freed_memory()  # this process is harcnn's own
    _flags_without_a_type()
    for stop in (
        signal.SIGINT,
        signal.SIGTERM,
    ):  # Ctrl-C or `kill` stop a command, workers and all, also when a shell started it ignoring SIGINT
        signal.signal(stop, signal.default_int_handler)
    with warnings.catch_warnings():  # restores the display of warnings when the command returns
        show = warnings.showwarning

        def show_note(message, category, *where) -> None:  # harcnn's own warnings as one "note:" line
            if issubclass(category, HarcnnWarning):
                typer.secho(f"note: {message}", fg="yellow", err=True)
            else:
                show(message, category, *where)

        warnings.showwarning = show_note
        try:
            code = app(standalone_mode=False)
        except HarcnnError as e:
            typer.secho(f"error: {e}", fg="red", err=True)
            sys.exit(2)
        except typer.TyperException as e:  # the command line itself: an unknown option, a choice not offered, a missing argument
            if not hasattr(e, "format_message"):
                raise
            command = f" ({e.ctx.command_path} -h for help)" if getattr(e, "ctx", None) else ""
            typer.secho(f"error: {e.format_message().replace('Value error, ', '')}{command}", fg="red", err=True)
            sys.exit(getattr(e, "exit_code", 2))
        except OSError as e:  # a file that cannot be read or written (full disk, read-only, gone): one line, not a traceback
            where = f"{e.filename}: " if e.filename else ""
            typer.secho(f"error: {where}{e.strerror or e}", fg="red", err=True)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


def _flags_without_a_type() -> None:
    """Help shows `--stream`, not `--stream <bool>`: an on/off flag takes no value (Typer shows its type)."""
    try:
        from typer.core import TyperOption
    except ImportError:  # another Typer: its own help, types and all
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is not None:
        TyperOption.display_type_rich = lambda self, ctx: None if getattr(self, "is_bool_flag", False) else shown(self, ctx)


def _study(spec: Path, repeats: int | None, overrides: list[str] | None = None):
    """The spec, with `--set` and `--repeats` applied (checked like the spec's own keys)."""
    from harcnn.experiments.spec import load_spec

    return load_spec(spec, overrides or [], repeats)


@app.command()
def models(
    pretrained: Annotated[
        bool, typer.Option("--pretrained", help="List the models shipped trained, with their model cards' summaries.")
    ] = False,
) -> None:
    """List the registered models and their hyperparameters, or the models shipped trained."""
    if pretrained:
        from harcnn.pretrained import summaries

        typer.echo("\n".join(summaries()) + "\nuse one as `harcnn predict pretrained:NAME REC.csv`; its card: harcnn.pretrained.card(NAME)")
        return
    from harcnn.models import get, list_models

    for name in list_models():
        typer.echo(get(name).describe())


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Study spec (TOML), e.g. experiments/baseline.toml")],
    data: DataOpt = None,
    results: ResultsOpt = Path("results"),
    db: DbOpt = None,
    repeats: RepeatsOpt = None,
    overrides: SetOpt = None,
    progress: ProgressOpt = True,
    workers: WorkersOpt = 0,
    executor: Annotated[
        Literal[RUN_EXECUTORS], typer.Option(help="local: this process, or worker processes with --workers > 1.")
    ] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local Ray).")] = None,
    checkpoints: Annotated[
        Optional[Path],
        typer.Option(
            help=f"Folder for epoch checkpoints (default: RESULTS/{CHECKPOINTS}); on a Ray cluster, one every node mounts at the same path."
        ),
    ] = None,
) -> None:
    """Train every configuration of a study `repeats` times (seeds 0..R-1); resumes if interrupted."""
    from harcnn.experiments.executors import default_workers
    from harcnn.experiments.runner import run_study
    from harcnn.experiments.store import Store
    from harcnn.names import safe_filename

    study = _study(spec, repeats, overrides)
    ds = dataset(data, fetch_if_missing=True)
    t0 = time.perf_counter()
    with Store(db or results / "harcnn.db") as store:
        options = dict(progress=progress, workers=workers or default_workers(), executor=executor, address=address)
        run_study(study, ds, store, checkpoints=checkpoints or results / CHECKPOINTS, **options)
        keys = {c.key for c in study.configs}
        mine = [r for r in store.runs(study.name) if r.config_key in keys and r.data_sha256 == ds.sha256]
        every = store.runs(study.name)
    typer.echo(f"wall time {time.perf_counter() - t0:.1f} s")
    from harcnn.report.study import study_summary, write_study_files  # matplotlib and scipy: 1.3 s, not before training

    order = [c.label for c in study.configs]
    typer.echo(study_summary(study.name, mine, every, study.reference, order))
    for path in write_study_files(study.name, every, results / safe_filename(study.name), order):
        typer.echo(f"wrote {path}")


@app.command()
def select(
    spec: Annotated[Path, typer.Argument(help="Study spec (TOML) holding training subjects out (validation_subjects or cv_folds).")],
    data: DataOpt = None,
    results: ResultsOpt = Path("results"),
    db: DbOpt = None,
    repeats: RepeatsOpt = None,
    overrides: SetOpt = None,
    progress: ProgressOpt = True,
    workers: WorkersOpt = 0,
    show_test: Annotated[
        bool, typer.Option("--show-test", help="Also score the candidates on the test split, stored apart and shown (never ranked by).")
    ] = False,
) -> None:
    """Rank a grid on validation subjects only, refit the winner on all training subjects, score it once on the test split."""
    from harcnn.experiments.executors import default_workers
    from harcnn.experiments.select import select as select_configuration
    from harcnn.experiments.store import Store
    from harcnn.report.text import selection_summary

    study = _study(spec, repeats, overrides)
    ds = dataset(data, fetch_if_missing=True)
    with Store(db or results / "harcnn.db") as store:
        ranking, refit = select_configuration(
            study, ds, store, results / CHECKPOINTS, progress=progress, workers=workers or default_workers(), show_test=show_test
        )
        chosen = store.selection(study.name, ds.sha256)
    typer.echo(selection_summary(study.name, chosen["method"], ranking, chosen["label"], refit))


@app.command()
def report(
    studies: Annotated[Optional[list[str]], typer.Argument(help="Studies to report (default: all in the store).")] = None,
    data: DataOpt = None,
    results: ResultsOpt = Path("results"),
    db: DbOpt = None,
    format: Annotated[Literal[TABLE_FORMATS], typer.Option("--format", help="How the tables are printed.")] = "text",
    explain: Annotated[bool, typer.Option("--explain", help="Say what every column of the tables means.")] = False,
) -> None:
    """Tables with significance tests per study, each study's files (runs.csv, runs.json, boxplot) and
    a self-contained HTML report with figures."""
    from harcnn.report.html import report_store
    from harcnn.report.tables import TableStyle

    def train_set():
        try:
            return dataset(data).train
        except HarcnnError as e:
            typer.secho(f"note: no dataset, so no input histograms or layer tables ({e})", fg="yellow", err=True)

    out = report_store(db or results / "harcnn.db", studies, results, train_set, typer.echo, TableStyle(format, explain))
    typer.echo(f"wrote {out} (figures in {out.parent / 'figures'})")


@app.command()
def train(
    spec: Annotated[Path, typer.Argument(help="Study spec (TOML); its first configuration unless --config.")],
    out: Annotated[Path, typer.Option(help="Model folder to write.")],
    data: DataOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the first member.")] = 0,
    members: Annotated[int, typer.Option(help="Train this many seeds (SEED, SEED+1, ...) and save them as one ensemble.")] = 1,
    config: Annotated[Optional[str], typer.Option(help="Label of the grid configuration to train.")] = None,
    overrides: SetOpt = None,
    teacher: Annotated[
        Optional[Path],
        typer.Option(
            help="Model folder (say a --members 5 ensemble) whose probabilities the model fits instead of the labels (distillation)."
        ),
    ] = None,
) -> None:
    """Train one model (or an ensemble of --members seeds) and save it (safetensors + JSON)."""
    from harcnn.estimator import HARClassifier, load
    from harcnn.experiments.jobs import check_memory
    from harcnn.metrics import evaluate
    from harcnn.outputs import check_output_folder

    check_output_folder(out, (spec,) + ((teacher,) if teacher else ()))
    chosen = _study(spec, None, overrides).config(config)
    clf = HARClassifier.from_config(chosen, members=members, random_state=seed, verbose=True)
    clf.checked_params()
    teaching = teacher and load(teacher)
    ds = dataset(data, fetch_if_missing=True)
    check_memory([chosen], ds.train, workers=1, members=members)
    try:
        clf.fit_windows(ds.train, teacher=teaching)
    except HarcnnError as e:
        if teacher and str(e).startswith("teacher:"):  # name the folder the user gave
            raise HarcnnError(f"{teacher}: {e}") from None
        raise
    accuracy = evaluate(clf, ds.test)["accuracy"]
    taught = (
        {"teacher": {**clf.meta_.training["teacher"], "path": str(teacher), "test_accuracy": teaching.meta_.test_accuracy}}
        if teacher
        else {}
    )
    clf.with_meta(
        data={"name": ds.name, "sha256": ds.sha256, "source": ds.source},
        test_accuracy=accuracy,
        training={**clf.meta_.training, "spec": str(spec), "label": chosen.label, **taught},
    ).save(out)
    typer.echo(f"test accuracy {100 * accuracy:.2f}%; saved {out}/model.safetensors and {out}/model.json")


@app.command()
def auto(
    out: Annotated[Path, typer.Option(help="Model folder to write (with auto.txt and auto.json: what was tried, its cost, why).")],
    data: DataOpt = None,
    budget: Annotated[float, typer.Option(help="Minutes to spend choosing and refitting (UCI HAR took 20 on 2 cores).")] = AUTO_BUDGET_MIN,
    folds: Annotated[int, typer.Option(help="Subject-grouped cross-validation folds of the training split.")] = AUTO_FOLDS,
    cnn_only: Annotated[
        bool, typer.Option("--cnn-only", help="CNNs only, no peer: a model every export format (ONNX, Core ML, LiteRT) holds.")
    ] = False,
    candidate: Annotated[
        Optional[list[str]],
        typer.Option(
            help="Choose only among these (repeat it; e.g. best+multirocket-hydra alone: that ensemble, weighed on the training subjects)."
        ),
    ] = None,
    cache: Annotated[
        Path, typer.Option(help="Folder keeping each fold's class scores, so that the same command resumes after an interruption.")
    ] = Path("results/auto"),
) -> None:
    """Choose the best model for the data within a time budget, on training subjects only; refit it,
    score it once on the test split, save it."""
    from harcnn.estimator import ESTIMATOR
    from harcnn.experiments import auto as chooser
    from harcnn.metrics import evaluate
    from harcnn.outputs import check_output_folder

    ESTIMATOR["budget"].check(budget, "harcnn auto --budget")
    if candidate:
        chooser.asked(chooser.candidates(cnn_only), candidate)
    check_output_folder(out)
    ds = dataset(data, fetch_if_missing=True)
    typer.echo(f"choosing on {len(ds.train)} training windows of {len(set(ds.train.subject.tolist()))} subjects, within {budget:g} min")
    model, choice, refit_s = chooser.run(
        ds.train, budget, folds=folds, cnn_only=cnn_only, choose_from=candidate or None, cache=cache / ds.sha256[:16], echo=typer.echo
    )
    accuracy = evaluate(model, ds.test)["accuracy"] if len(ds.test) else None
    record, text = chooser.report(choice, 60 * budget, refit_s, model.meta_.members, accuracy)
    model.with_meta(
        data={"name": ds.name, "sha256": ds.sha256, "source": ds.source},
        test_accuracy=accuracy,
        training={**model.meta_.training, "auto": record["choice"]},
    ).save(out)
    chooser.write_report(out, record, text)
    typer.echo("\n" + text + f"saved {out}/ (the model, auto.txt, auto.json)")


@app.command()
def evaluate(
    model: ModelArg,
    data: DataOpt = None,
    out: Annotated[
        Optional[Path], typer.Option(help="Where to write the confusion-matrix PNG and metrics JSON (default: the model folder).")
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on the test split."""
    from harcnn.estimator import load
    from harcnn.metrics import evaluate as evaluate_model
    from harcnn.outputs import check_output_folder
    from harcnn.pretrained import beside
    from harcnn.report.plots import write_evaluation
    from harcnn.report.text import metrics_summary, subjects_summary

    if out is not None:
        check_output_folder(out, (model,))
    clf = load(model)
    ds = dataset(data)
    test = ds.test
    if (clf.meta_.data or {}).get("sha256") != ds.sha256:
        typer.secho("note: this dataset differs from the one the model was trained on (or that is not recorded)", fg="yellow", err=True)
    try:
        m = evaluate_model(clf, test)
    except HarcnnError as e:
        raise HarcnnError(f"{model}: {e} (dataset {ds.source})") from None
    typer.echo(metrics_summary(m, test.classes) + "\n" + subjects_summary(m["per_subject"], ds.subject_name))
    png, metrics = write_evaluation(m, test.classes, f"{model.name}: test accuracy {100 * m['accuracy']:.2f}%", out or beside(model))
    typer.echo(f"wrote {png} and {metrics}")


@app.command()
def predict(
    model: ModelArg,
    recordings: Annotated[
        Optional[list[Path]], typer.Argument(help="Recording CSV with the model's columns (one per device a joined model reads).")
    ] = None,
    out: Annotated[Optional[Path], typer.Option(help="CSV of predictions (default: print them).")] = None,
    plot: Annotated[
        Optional[Path], typer.Option(help="PNG timeline: signals, predicted activities, probabilities, labels, time per activity.")
    ] = None,
    smooth: Annotated[int, typer.Option(help="Average probabilities over this many neighbouring windows (odd).")] = 1,
    stream: Annotated[bool, typer.Option("--stream", help="Read samples from stdin as they arrive; a prediction every hop.")] = False,
    time_unit: TimeUnitOpt = None,
) -> None:
    """Activities of a recording, one row per window, through the pipeline the model was trained with."""
    from harcnn.deploy.predict import check_smooth, model_pipeline, predict_recording, read_for_model
    from harcnn.estimator import load
    from harcnn.outputs import check_output_file, csv_line

    check_smooth(smooth)
    for target, suffix in ((out, None), (plot, ".png")):
        if target is not None:
            check_output_file(target, (model, *(recordings or [])), suffix=suffix)
    clf = load(model)
    if stream:
        from harcnn.deploy.stream import bounded_lines, predict_stream

        span = model_pipeline(clf).window / model_pipeline(clf).rate
        for start, activity, p in predict_stream(clf, bounded_lines(sys.stdin), k=smooth, time_unit=time_unit):
            typer.echo(csv_line([f"{start:.2f}", f"{start + span:.2f}", activity, f"{p.max():.3f}"]))
            sys.stdout.flush()
        return
    if not recordings:
        raise HarcnnError("give a RECORDING file, or --stream to read samples from stdin")
    read, notes = read_for_model(clf, recordings, time_unit)
    for note in notes:
        typer.secho(note, fg="yellow", err=True)
    predictions = predict_recording(clf, read, smooth)
    if plot is not None:
        from harcnn.report.timeline import plot_timeline

        typer.echo(f"wrote {plot_timeline(predictions, read, model_pipeline(clf), plot, f'{model.name}: {recordings[0].name}')}")
    accuracy = predictions.accuracy()
    summary = f"{len(predictions)} windows" + (f"; {100 * accuracy:.2f}% as the recording labels them" if accuracy is not None else "")
    if out is None:
        return typer.echo(f"{predictions.table()}\n{summary}")
    predictions.write_csv(out)
    typer.echo(f"wrote {len(predictions)} window predictions to {out} ({summary})")


@app.command()
def export(
    model: ModelArg,
    format: Annotated[
        Literal[EXPORT_FORMATS],
        typer.Option(
            "--format", help="onnx; ort: ONNX Runtime's format for its mobile builds; coreml: a Core ML package for Apple's devices."
        ),
    ] = "onnx",
    out: Annotated[
        Optional[Path],
        typer.Option(help="Output (default: MODEL/model.onnx, .ort, .mlpackage or .tflite; the working folder for a pretrained model)."),
    ] = None,
    batch: Annotated[
        Optional[int],
        typer.Option(
            help="A fixed batch of windows (1 for a phone's one window at a time): mobile runtimes run the graph whole. Core ML and LiteRT: 1 unless given."
        ),
    ] = None,
    quantize: Annotated[
        Optional[Literal[QUANTIZATIONS]], typer.Option(help="Also write a dynamically quantized copy and compare accuracy.")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Export a model to ONNX, ORT, Core ML or LiteRT (input transform folded in), optionally int8-quantized."""
    from harcnn.deploy.onnx import check_comparable, compare_int8, export_onnx, to_ort
    from harcnn.estimator import load
    from harcnn.outputs import check_output_file, check_output_package
    from harcnn.pretrained import beside

    if quantize and format != "onnx":
        raise HarcnnError(f"--quantize {quantize} applies to the ONNX export: give --format onnx")
    suffix = EXPORT_SUFFIXES[format]
    check = check_output_package if format == "coreml" else check_output_file
    target = check(out or beside(model) / f"model{suffix}", (model,), suffix=suffix)
    clf = load(model)
    test = check_comparable(clf, dataset(data).test, model) if quantize else None  # before anything is written
    if format == "coreml":
        from harcnn.deploy.coreml import export_coreml

        path = export_coreml(clf, target, batch or 1)
    elif format == "tflite":
        from harcnn.deploy.litert import export_litert

        path = export_litert(clf, target, batch or 1)
    elif format == "ort":
        with tempfile.TemporaryDirectory() as folder:
            path = to_ort(export_onnx(clf, Path(folder) / "model.onnx", batch=batch), target)
    else:
        path = export_onnx(clf, target, batch=batch)
    typer.echo(f"wrote {path} and {path}.json")
    if format == "onnx" and batch == 1:
        from harcnn.deploy.footprint import footprint

        typer.echo(f"on a microcontroller: {footprint(path)}")
    if quantize:
        q, accuracy = compare_int8(path, clf, test)
        typer.echo(
            f"wrote {q}; test accuracy float32 {100 * accuracy['float32']:.2f}%, int8 {100 * accuracy['int8']:.2f}% "
            f"({100 * (accuracy['int8'] - accuracy['float32']):+.2f} points); sizes {path.stat().st_size // 1024} KiB vs {q.stat().st_size // 1024} KiB"
        )


if __name__ == "__main__":
    main()
