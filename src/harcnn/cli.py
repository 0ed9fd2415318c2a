"""The `harcnn` command: data, run, train, evaluate, models."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from harcnn.errors import HarcnnError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Human activity recognition with 1D CNNs: data, repeated experiments, models.",
)
data_app = typer.Typer(no_args_is_help=True, help="Get, check and inspect datasets.")
app.add_typer(data_app, name="data")

DataOpt = Annotated[
    Optional[str], typer.Option("--data", help="Dataset: UCI HAR zip/folder/URL or a harcnn .npz (default: $HARCNN_DATA, then the cache).")
]


def main() -> None:
    from harcnn.train.runtime import keep_freed_memory

    keep_freed_memory()  # this process is harcnn's own: see train.runtime
    try:
        app()
    except HarcnnError as e:
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)


def _dataset(ref: str | None, fetch_if_missing: bool = False):
    from harcnn.data import uci_har
    from harcnn.data.resolve import load_dataset

    try:
        return load_dataset(ref)
    except HarcnnError:
        if ref or not fetch_if_missing or uci_har.default_cached() is not None:
            raise
    typer.echo(f"no dataset cached yet: fetching UCI HAR from {uci_har.UCI_URL}")
    return uci_har.fetch()


def _study(spec: Path, repeats: int | None):
    """The spec, with `--repeats` applied (bounded like the spec's own)."""
    from dataclasses import replace

    from harcnn.experiments.spec import MAX_REPEATS, load_spec

    study = load_spec(spec)
    if repeats is None:
        return study
    if not 1 <= repeats <= MAX_REPEATS:
        raise HarcnnError(f"--repeats must be from 1 to {MAX_REPEATS}, got {repeats}")
    return replace(study, repeats=repeats)


@data_app.command("fetch")
def data_fetch(
    source: Annotated[Optional[str], typer.Option("--from", help="Local zip or folder, or a URL (default: UCI's download URL).")] = None,
) -> None:
    """Fetch, verify, parse and cache UCI HAR; it becomes the default dataset."""
    from harcnn.data import uci_har

    t0 = time.perf_counter()
    ds = uci_har.fetch(source)
    typer.echo(f"cached {ds.name} from {ds.source} in {time.perf_counter() - t0:.1f} s (content sha256 {ds.sha256[:16]})")
    typer.echo(f"cache: {uci_har.cache_location()}")


@data_app.command("info")
def data_info(data: DataOpt = None) -> None:
    """Shapes, class counts and subjects per split, channel order, cache location."""
    from harcnn.data import uci_har

    ds = _dataset(data)
    typer.echo(f"dataset: {ds.name}  source: {ds.source}")
    typer.echo(f"content sha256: {ds.sha256}")
    if ds.name == uci_har.NAME:
        official = ds.sha256 == uci_har.OFFICIAL_CONTENT_SHA256
        typer.echo(
            "verified: identical to the UCI HAR v1.0 release" if official else "verified: NO, content differs from the UCI HAR v1.0 release"
        )
    typer.echo(f"channels ({ds.train.n_channels}): {', '.join(ds.train.channels)}")
    typer.echo(f"window: {ds.train.seq_len} steps")
    width = max(len(c) for c in ds.train.classes)
    typer.echo(f"{'class':<{width}}  {'train':>6}  {'test':>6}")
    for name, a, b in zip(ds.train.classes, ds.train.class_counts(), ds.test.class_counts()):
        typer.echo(f"{name:<{width}}  {a:>6}  {b:>6}")
    typer.echo(
        f"{'total':<{width}}  {len(ds.train):>6}  {len(ds.test):>6}   windows (n, channels, steps): train {ds.train.X.shape}, test {ds.test.X.shape}"
    )
    for split in ("train", "test"):
        subjects = sorted(set(getattr(ds, split).subject.tolist()))
        typer.echo(f"{split} subjects ({len(subjects)}): {', '.join(map(str, subjects))}")
    typer.echo(f"cache: {uci_har.cache_location()}")


@data_app.command("import")
def data_import(
    source: Annotated[Path, typer.Argument(help="Your windows: NPZ (X, y[, subject, channels, classes]) or long-format CSV.")],
    out: Annotated[Path, typer.Option(help="The harcnn dataset file to write (.npz); use it with --data.")],
    name: Annotated[Optional[str], typer.Option(help="Dataset name (default: the file name).")] = None,
    test_subjects: Annotated[Optional[str], typer.Option(help="Comma-separated subjects held out for testing.")] = None,
    test_fraction: Annotated[float, typer.Option(help="Else this share of subjects, drawn with --seed.")] = 0.25,
    seed: int = 0,
    test: Annotated[
        Optional[Path], typer.Option(help="The dataset's own test windows, in a second file of the same format (as UEA/UCR ship them).")
    ] = None,
) -> None:
    """Bring your own windowed dataset in: any number of channels, steps and classes."""
    from harcnn.data.importer import import_windows
    from harcnn.data.windows import save_npz

    if out.suffix != ".npz":
        raise HarcnnError(f"{out}: the dataset file must end in .npz")
    ds = import_windows(source, name, test_subjects.split(",") if test_subjects else None, test_fraction, seed, test_path=test)
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write there, the folder {out.parent} does not exist")
    save_npz(out, ds)
    typer.echo(
        f"{ds.name}: {len(ds.train)} training and {len(ds.test)} test windows of {ds.train.n_channels} channels x {ds.train.seq_len} steps, {len(ds.train.classes)} classes"
    )
    typer.echo(f"test subjects: {sorted(set(ds.test.subject.tolist()))}")
    typer.echo(f"wrote {out}; use it with --data {out}")


@data_app.command("windows")
def data_windows(
    source: Annotated[Path, typer.Argument(help="HAPT RawData zip or folder (acc/gyro files and labels.txt).")],
    out: Annotated[Path, typer.Option(help="NPZ of labelled windows in the `data import` format.")],
) -> None:
    """Cut labelled raw recordings into UCI-HAR-style windows with every labelled class (HAPT: 12)."""
    from harcnn.data.preprocess import channels, window_labels, windows
    from harcnn.data.recordings import hapt_activity_labels, read_hapt
    from harcnn.data.uci_har import CHANNELS

    names = hapt_activity_labels(source)
    ids = sorted(names)
    classes = [names[i] for i in ids]
    index = {label: i for i, label in enumerate(ids)}
    X, y, subject = [], [], []
    for rec in read_hapt(source):
        unnamed = sorted({s.label for s in rec.segments} - set(names))
        if unnamed:
            raise HarcnnError(f"{source}: labels.txt uses activity id {unnamed[0]} ({rec.name}), which activity_labels.txt does not name")
        w, starts = windows(channels(rec))
        labels = window_labels(rec, starts)
        keep = labels > 0
        X.append(w[keep])
        y.append(np.array([index[v] for v in labels[keep]], np.int64))
        subject.append(np.full(keep.sum(), rec.subject))
    X, y, subject = np.concatenate(X), np.concatenate(y), np.concatenate(subject)
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write there, the folder {out.parent} does not exist")
    np.savez(out, X=X, y=y, subject=subject, channels=np.array(CHANNELS), classes=np.array(classes))
    counts = ", ".join(f"{c} {n}" for c, n in zip(classes, np.bincount(y, minlength=len(classes))))
    typer.echo(f"{len(X)} windows from {len(set(subject.tolist()))} subjects: {counts}")
    typer.echo(f"wrote {out}")


@app.command()
def models() -> None:
    """List the registered models and their hyperparameters."""
    from harcnn.models import BASELINES, MODELS, hyperparameters

    for name in BASELINES:
        typer.echo(
            f"{name}: "
            + ", ".join(f"{k}={v}" for k, v in hyperparameters(name).items())
            + '; a baseline (aeon, pip install "harcnn[rocket]")'
        )
    for name, model in MODELS.items():
        length = "windows of any length (global average pooling)" if model.ANY_LENGTH else "windows of the length it was built for"
        typer.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in hyperparameters(name).items()) + f"; {length}")


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Study spec (TOML), e.g. experiments/baseline.toml")],
    data: DataOpt = None,
    results: Annotated[Path, typer.Option(help="Folder for the store and per-study files.")] = Path("results"),
    db: Annotated[Optional[Path], typer.Option(help="Results store (default: RESULTS/harcnn.db).")] = None,
    repeats: Annotated[Optional[int], typer.Option(help="Override the spec's number of repeats.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=0, help="Parallel worker processes, each with an equal share of the cores (0: one per core on CPU, 1 with a GPU)."
        ),
    ] = 0,
    executor: Annotated[
        str,
        typer.Option(
            help="'local' (this process, or worker processes with --workers > 1), 'inline', 'processes' or 'ray' (a Ray cluster)."
        ),
    ] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (default: start a local Ray).")] = None,
) -> None:
    """Train every configuration of a study `repeats` times (seeds 0..R-1); resumes if interrupted."""
    from harcnn.experiments.executors import default_workers
    from harcnn.experiments.runner import run_study
    from harcnn.experiments.store import Store
    from harcnn.names import safe_filename

    study = _study(spec, repeats)
    ds = _dataset(data, fetch_if_missing=True)
    t0 = time.perf_counter()
    with Store(db or results / "harcnn.db") as store:
        run_study(
            study,
            ds,
            store,
            checkpoints=results / ".checkpoints",
            progress=progress,
            workers=workers or default_workers(),
            executor=executor,
            address=address,
        )
        keys = {c.key for c in study.configs}
        mine = [r for r in store.runs(study.name) if r.config_key in keys and r.data_sha256 == ds.sha256]
        every = store.runs(study.name)
    typer.echo(f"wall time {time.perf_counter() - t0:.1f} s")
    from harcnn.report.study import write_study_files  # matplotlib and scipy: 1.3 s, not before training
    from harcnn.report.tables import format_table, study_rows

    order = [c.label for c in study.configs]
    rows, reference = study_rows(mine, study.reference, order)
    typer.echo(format_table(study.name, rows, reference))
    if len(every) > len(mine):
        typer.echo(
            f"note: the store also holds {len(every) - len(mine)} runs of study {study.name!r} with another configuration or dataset; "
            "they are kept apart in runs.csv and the report"
        )
    for path in write_study_files(study.name, every, results / safe_filename(study.name), order):
        typer.echo(f"wrote {path}")


@app.command()
def select(
    spec: Annotated[
        Path, typer.Argument(help="Study spec (TOML) whose configurations hold training subjects out (validation_subjects > 0).")
    ],
    data: DataOpt = None,
    results: Annotated[Path, typer.Option(help="Folder for the store and per-study files.")] = Path("results"),
    db: Annotated[Optional[Path], typer.Option(help="Results store (default: RESULTS/harcnn.db).")] = None,
    repeats: Annotated[Optional[int], typer.Option(help="Override the spec's number of repeats.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    workers: Annotated[int, typer.Option(min=0, help="Parallel worker processes (0: one per core on CPU).")] = 0,
) -> None:
    """Rank a grid on validation subjects only, refit the winner on all training subjects, score it once on the test split."""
    from harcnn.experiments.executors import default_workers
    from harcnn.experiments.select import select as select_configuration
    from harcnn.experiments.store import Store

    study = _study(spec, repeats)
    ds = _dataset(data, fetch_if_missing=True)
    with Store(db or results / "harcnn.db") as store:
        ranking, refit = select_configuration(
            study, ds, store, results / ".checkpoints", progress=progress, workers=workers or default_workers()
        )
        method = store.selection(study.name, ds.sha256)["method"]
    width = max(13, *(len(c.config.label) for c in ranking))
    typer.echo(f"{study.name}: ranked by {method}")
    typer.echo(f"{'configuration':<{width}}  {'n':>3}  {'validation %':>14}  {'test % (not used)':>17}")
    for c in ranking:
        typer.echo(
            f"{c.config.label:<{width}}  {len(c.validation):>3}  {100 * c.validation.mean():7.2f} +/- {100 * c.validation.std():4.2f}"
            f"  {100 * c.test.mean():8.2f} +/- {100 * c.test.std():4.2f}"
        )
    accuracy = 100 * np.array([r.accuracy for r in refit])
    ensembles = sorted({(r.ensemble_accuracy, r.ensemble_size) for r in refit if r.ensemble_accuracy is not None})
    typer.echo(
        f"chosen: [{ranking[0].config.label}]; refitted on all training subjects with seeds "
        f"{min(r.seed for r in refit)}..{max(r.seed for r in refit)}"
    )
    typer.echo(
        f"test accuracy of the refit: {accuracy.mean():.2f} +/- {accuracy.std():.2f} (n = {len(accuracy)})"
        + ("; ensembles: " + ", ".join(f"{100 * a:.2f}% ({k} members)" for a, k in ensembles) if ensembles else "")
    )


@app.command()
def report(
    studies: Annotated[Optional[list[str]], typer.Argument(help="Studies to report (default: all in the store).")] = None,
    data: DataOpt = None,
    results: Annotated[Path, typer.Option(help="Results folder.")] = Path("results"),
    db: Annotated[Optional[Path], typer.Option(help="Results store (default: RESULTS/harcnn.db).")] = None,
) -> None:
    """Tables with significance tests per study, each study's files (runs.csv, runs.json, boxplot) and
    a self-contained HTML report with figures."""
    from harcnn.experiments.store import Store
    from harcnn.names import safe_filename
    from harcnn.report.html import write_report
    from harcnn.report.study import write_study_files
    from harcnn.report.tables import format_table, study_rows

    path = db or results / "harcnn.db"
    if not path.is_file():
        raise HarcnnError(f"{path}: no results store yet; run a study first (harcnn run experiments/baseline.toml)")
    with Store(path) as store:
        names = studies or store.studies()
        unknown = sorted(set(names) - set(store.studies()))
        if unknown:
            raise HarcnnError(f"{path}: no runs of study {unknown[0]!r}; it has {store.studies()}")
        for name in names:
            info, runs = store.study_info(name), store.runs(name)
            rows, reference = study_rows(runs, info["reference"], info["labels"])
            typer.echo(format_table(name, rows, reference) + "\n")
            write_study_files(name, runs, results / safe_filename(name), info["labels"])
        try:
            train_set = _dataset(data).train
        except HarcnnError as e:
            typer.secho(f"note: no dataset, so no input histograms or layer tables ({e})", fg="yellow", err=True)
            train_set = None
        out = write_report(store, names, results / "report.html", train_set)
    typer.echo(f"wrote {out} (figures in {out.parent / 'figures'})")


@app.command()
def train(
    spec: Annotated[Path, typer.Argument(help="Study spec (TOML); its first configuration unless --config.")],
    out: Annotated[Path, typer.Option(help="Model folder to write.")],
    data: DataOpt = None,
    seed: int = 0,
    members: Annotated[
        int, typer.Option(min=1, max=64, help="Train this many seeds (SEED, SEED+1, ...) and save them as one ensemble.")
    ] = 1,
    config: Annotated[Optional[str], typer.Option(help="Label of the grid configuration to train.")] = None,
) -> None:
    """Train one model (or an ensemble of --members seeds) and save it (safetensors + JSON)."""
    from harcnn.estimator import HARClassifier
    from harcnn.experiments.spec import load_spec
    from harcnn.metrics import evaluate
    from harcnn.train.recipe import RECIPE_EXTRAS

    study = load_spec(spec)
    labels = [c.label for c in study.configs]
    if config is not None and config not in labels:
        raise HarcnnError(f"{spec}: no configuration {config!r}; it has {labels}")
    chosen = study.configs[labels.index(config) if config else 0]
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write a model there, the folder {out.parent} does not exist")
    ds = _dataset(data, fetch_if_missing=True)
    clf = HARClassifier(
        model=chosen.model,
        epochs=chosen.epochs,
        batch_size=chosen.batch_size,
        lr=chosen.lr,
        members=members,
        standardize=chosen.standardize,
        validation_subjects=chosen.validation_subjects,
        random_state=seed,
        verbose=True,
        **{k: getattr(chosen, k) for k in RECIPE_EXTRAS},
        **chosen.hparams,
    ).fit_windows(ds.train)
    accuracy = evaluate(clf, ds.test)["accuracy"]
    clf.with_meta(
        data={"name": ds.name, "sha256": ds.sha256, "source": ds.source},
        test_accuracy=accuracy,
        training={**clf.meta_.training, "spec": str(spec), "label": chosen.label},
    ).save(out)
    typer.echo(f"test accuracy {100 * accuracy:.2f}%; saved {out}/model.safetensors and {out}/model.json")


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder written by `harcnn train`.")],
    data: DataOpt = None,
    out: Annotated[
        Optional[Path], typer.Option(help="Where to write the confusion-matrix PNG and metrics JSON (default: the model folder).")
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on the test split."""
    from harcnn.estimator import load
    from harcnn.metrics import evaluate as evaluate_model
    from harcnn.report.plots import confusion

    clf = load(model)
    ds = _dataset(data)
    test = ds.test
    if (clf.meta_.data or {}).get("sha256") != ds.sha256:
        typer.secho("note: this dataset differs from the one the model was trained on (or that is not recorded)", fg="yellow", err=True)
    try:
        m = evaluate_model(clf, test)
    except HarcnnError as e:
        raise HarcnnError(f"{model}: {e} (dataset {ds.source})") from None
    typer.echo(f"test windows: {len(test)}   accuracy: {100 * m['accuracy']:.2f}%   macro-F1: {m['macro_f1']:.4f}")
    width = max(len(c) for c in test.classes)
    typer.echo(f"{'class':<{width}}  precision  recall     f1  support")
    for name, s in m["per_class"].items():
        typer.echo(f"{name:<{width}}  {s['precision']:9.3f}  {s['recall']:6.3f}  {s['f1']:5.3f}  {s['support']:7d}")
    typer.echo("confusion matrix (rows: true, columns: predicted)")
    abbrev = [c[:8] for c in test.classes]
    typer.echo(" " * (width + 2) + " ".join(f"{a:>8}" for a in abbrev))
    for name, row in zip(test.classes, m["confusion"]):
        typer.echo(f"{name:<{width}}  " + " ".join(f"{v:>8d}" for v in row))
    out = out or model
    out.mkdir(parents=True, exist_ok=True)
    png = confusion(
        np.asarray(m["confusion"]), test.classes, f"{model.name}: test accuracy {100 * m['accuracy']:.2f}%", out / "confusion.png"
    )
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    typer.echo(f"wrote {png} and {out / 'metrics.json'}")


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="Model folder written by `harcnn train`.")],
    recording: Annotated[Optional[Path], typer.Argument(help="Raw recording: CSV (timestamp,ax,ay,az,gx,gy,gz; g and rad/s).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="CSV of predictions (default: print them).")] = None,
    smooth: Annotated[int, typer.Option(help="Average probabilities over this many neighbouring windows (odd).")] = 1,
    stream: Annotated[
        bool, typer.Option("--stream", help="Read samples from stdin as they arrive; a prediction every 64 samples.")
    ] = False,
) -> None:
    """Activities of a raw phone recording, one row per 2.56 s window (every 1.28 s)."""
    from harcnn.data.preprocess import RATE, STEPS
    from harcnn.deploy.predict import check_smooth, predict_recording
    from harcnn.estimator import load

    check_smooth(smooth)
    clf = load(model)
    if stream:
        from harcnn.deploy.stream import predict_stream

        for start, activity, p in predict_stream(clf, sys.stdin, k=smooth):
            typer.echo(f"{start / RATE:.2f},{(start + STEPS) / RATE:.2f},{activity},{p.max():.3f}")
            sys.stdout.flush()
        return
    if recording is None:
        raise HarcnnError("give a RECORDING file, or --stream to read samples from stdin")
    predictions = predict_recording(clf, recording, smooth)
    if out is None:
        for start, activity, p in zip(predictions.start_s, predictions.activity, predictions.proba):
            typer.echo(f"{start:7.2f} s  {activity!s:<20} {p.max():.3f}")
        return
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write there, the folder {out.parent} does not exist")
    predictions.write_csv(out)
    typer.echo(f"wrote {len(predictions)} window predictions to {out}")


@app.command()
def export(
    model: Annotated[Path, typer.Argument(help="Model folder written by `harcnn train`.")],
    format: Annotated[str, typer.Option("--format", help="Export format: onnx.")] = "onnx",
    out: Annotated[Optional[Path], typer.Option(help="Output file (default: MODEL/model.onnx).")] = None,
    quantize: Annotated[Optional[str], typer.Option(help="int8: also write a dynamically quantized copy and compare accuracy.")] = None,
    data: DataOpt = None,
) -> None:
    """Export a model to ONNX (input transform folded in), optionally int8-quantized."""
    from harcnn.deploy.onnx import export_onnx, onnx_predict, quantize_int8
    from harcnn.estimator import load

    if format != "onnx":
        raise HarcnnError(f"unknown export format {format!r}; supported: onnx")
    if quantize not in (None, "int8"):
        raise HarcnnError(f"unknown quantization {quantize!r}; supported: int8")
    clf = load(model)
    path = export_onnx(clf, out or model / "model.onnx")
    typer.echo(f"wrote {path} and {path}.json")
    if quantize:
        q = quantize_int8(path, path.with_name(path.stem + ".int8.onnx"))
        test = _dataset(data).test
        names, truth = np.array([str(c) for c in clf.classes_]), np.array(test.classes)[test.y]
        accuracy = {name: float((names[onnx_predict(p, test.X).argmax(1)] == truth).mean()) for name, p in (("float32", path), ("int8", q))}
        typer.echo(
            f"wrote {q}; test accuracy float32 {100 * accuracy['float32']:.2f}%, int8 {100 * accuracy['int8']:.2f}% "
            f"({100 * (accuracy['int8'] - accuracy['float32']):+.2f} points); sizes {path.stat().st_size // 1024} KiB vs {q.stat().st_size // 1024} KiB"
        )


if __name__ == "__main__":
    main()
