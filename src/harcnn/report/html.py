"""The HTML report: one self-contained page (images embedded) for every study in the store.

Each study gets its boxplot, the table with significance tests, per-class F1, a row-normalised
confusion matrix per configuration (summed over seeds), learning curves and the layer table of
each model; the page starts with histograms of the input variables. PNGs are written beside it.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np

from harcnn import models
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.experiments.store import Store
from harcnn.names import safe_filename
from harcnn.outputs import write_text
from harcnn.report import plots
from harcnn.report.study import write_study_files
from harcnn.report.tables import TableStyle, format_table, group_by_label, rank_test, scored_on, study_rows, subject_accuracy, table_columns

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { border-bottom: 2px solid #ccc; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } .grid { display: flex; flex-wrap: wrap; gap: 8px; } .grid img { width: 49%; }
.note { color: #666; font-size: 0.9em; } .answer { font-size: 1.05em; }
.settings { font-size: 0.9em; } table { display: block; overflow-x: auto; max-width: 100%; }
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _results(study: str, rows, reference: str, runs) -> str:
    """The study's answer first: every column of its table that has something to say, the legend under it."""
    columns = [c for c in table_columns(rows, reference) if any(x not in ("-", "") for x in c.cells)]
    table = _table([c.header for c in columns], [[c.cells[i] for c in columns] for i in range(len(rows))])
    legend = "; ".join(f"<b>{html.escape(c.header)}</b>: {html.escape(c.meaning)}" for c in columns[1:])
    data = ", ".join(sorted({r.data_sha256[:16] for r in runs}))
    return (
        f"<p class='answer'>{html.escape(format_table(study, rows, reference, width=10_000).splitlines()[0])}</p>{table}"
        f"<p class='note'>{legend}. Dataset content sha256 {data}.</p>"
    )


def _made() -> str:
    """When and with what the report was made."""
    import datetime
    import importlib.metadata

    import harcnn

    torch = importlib.metadata.version("torch")
    return f"made {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by harcnn {harcnn.__version__} (torch {torch})"


def _settings(groups: dict) -> str:
    """What each configuration trained with: its model, hyperparameters and every training setting
    that is not at its default (`--set` overrides included), so a 2-epoch run never looks like a full one."""
    from harcnn.settings import DEFAULTS

    lines = []
    for label, g in groups.items():
        config = g[0].config
        settings = {k: v for k, v in config.items() if k in DEFAULTS and v != DEFAULTS[k]}
        told = ", ".join([f"model {config['model']}", *(f"{k} {v}" for k, v in {**settings, **config.get("hparams", {})}.items())])
        lines.append(
            f"<li><b>[{html.escape(label)}]</b> {html.escape(told)}; {len(g)} seeds ({min(r.seed for r in g)}..{max(r.seed for r in g)})</li>"
        )
    return "<h3>Settings</h3><ul class='settings'>" + "".join(lines) + "</ul>"


def write_report(store: Store, studies: list[str], out: Path, train: WindowSet | None = None) -> Path:
    """Write `out` (HTML) and its PNGs in `out.parent / "figures"`; returns the HTML path."""
    figures = out.parent / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>harcnn report</title><style>{STYLE}</style></head><body>",
        "<h1>harcnn report</h1>",
        f"<p class='note'>{html.escape(_made())}; studies: {html.escape(', '.join(studies))}. Each study leads with its table; "
        "figures follow, and the input variables close the page.</p>",
    ]
    for study in studies:
        runs = store.runs(study)
        if not runs:
            continue
        info = store.study_info(study)
        stem = safe_filename(study)
        order = info["labels"]
        rows, reference = study_rows(runs, info["reference"], order)
        groups = group_by_label(runs, order)
        parts.append(f"<h2>{html.escape(study)}</h2>")
        if info["description"]:
            parts.append(f"<p>{html.escape(info['description'])}</p>")
        parts.append(_results(study, rows, reference, runs))
        parts.append(_settings(groups))
        box = plots.boxplot(
            {k: [r.accuracy for r in g] for k, g in groups.items()},
            f"{study}: {scored_on(study)} accuracy",
            figures / f"{stem}-boxplot.png",
            f"{scored_on(study)} accuracy (%)",
        )
        parts.append(_img(box, f"{study} boxplot"))
        ranked = rank_test(groups)
        if ranked is not None:
            diagram = plots.critical_difference(ranked, f"{study}: average rank by subject", figures / f"{stem}-cd.png")
            parts.append(
                "<h3>Critical difference</h3><p class='note'>Configurations ranked on each test subject (1: best); a thick line "
                "joins those whose average ranks are within Nemenyi's critical difference at 0.05 (Demsar 2006): not told apart.</p>"
                + _img(diagram, "critical difference diagram")
            )
        classes = list(runs[0].per_class)
        f1 = {k: {c: float(np.mean([r.per_class[c]["f1"] for r in g])) for c in classes} for k, g in groups.items()}
        parts.append(
            "<h3>Per-class F1 (mean over seeds)</h3>"
            + _img(plots.heatmap(f1, f"{study}: per-class F1", figures / f"{stem}-f1.png"), "per-class F1")
        )
        subjects = {k: subject_accuracy(g) for k, g in groups.items()}
        if any(subjects.values()):
            parts.append(
                "<h3>Accuracy per test subject (mean over the runs that tested it)</h3>"
                + _img(
                    plots.heatmap(subjects, f"{study}: accuracy per test subject", figures / f"{stem}-subjects.png"), "per-subject accuracy"
                )
            )
        confusions = [
            plots.confusion(
                np.sum([r.confusion for r in g], axis=0),
                classes,
                f"[{k}] summed over {len(g)} seeds",
                figures / f"{stem}-confusion-{i}.png",
            )
            for i, (k, g) in enumerate(groups.items())
        ]
        parts.append(
            "<h3>Confusion matrices (row-normalised)</h3><div class='grid'>"
            + "".join(_img(p, "confusion matrix") for p in confusions)
            + "</div>"
        )
        curves = plots.learning_curves(
            {k: [r.curves for r in g] for k, g in groups.items()}, f"{study}: learning curves", figures / f"{stem}-curves.png"
        )
        parts.append(
            "<h3>Learning curves</h3><p class='note'>Median over seeds; the band spans min to max.</p>" + _img(curves, "learning curves")
        )
        if train is not None:
            parts.append(_model_tables(groups, train))
    if train is not None:
        png = plots.input_histograms(train.X, train.channels, figures / "inputs.png")
        parts += [
            "<h2>Input variables</h2><p class='note'>Training windows, second half of each window only (they overlap by 50%); "
            "values in the dataset's units (UCI HAR: g and rad/s; body signals without gravity).</p>",
            _img(png, "input histograms"),
        ]
    parts.append("</body></html>")
    write_text(out, "\n".join(parts))
    return out


def _model_tables(groups: dict, train: WindowSet) -> str:
    parts = ["<h3>Models</h3>"]
    for label, g in groups.items():
        config = g[0].config
        layers = models.get(config["model"]).layer_table(train.n_channels, len(train.classes), train.seq_len, config["hparams"])
        total = sum(layer["params"] for layer in layers)
        parts.append(f"<p><b>[{html.escape(label)}]</b> {html.escape(config['model'])}, {total:,} parameters</p>")
        parts.append(
            _table(
                ["layer", "type", "output shape", "parameters"],
                [[layer["layer"], layer["type"], layer["output"], f"{layer['params']:,}"] for layer in layers],
            )
        )
    return "".join(parts)


def report_store(db: Path, studies: list[str] | None, results: Path, train_set, echo, style: TableStyle = TableStyle()) -> Path:
    """Every study's table (echoed) and files, then the HTML report; `train_set()` gives the training
    windows for the input figures, or None."""
    if not db.is_file():
        raise HarcnnError(f"{db}: no results store yet; run a study first (harcnn run experiments/baseline.toml)")
    with Store(db) as store:
        names = studies or store.studies()
        unknown = sorted(set(names) - set(store.studies()))
        if unknown:
            raise HarcnnError(f"{db}: no runs of study {unknown[0]!r}; it has {store.studies()}")
        for name in names:
            info, runs = store.study_info(name), store.runs(name)
            rows, reference = study_rows(runs, info["reference"], info["labels"])
            echo(style.render(name, rows, reference) + "\n")
            write_study_files(name, runs, results / safe_filename(name), info["labels"])
        return write_report(store, names, results / "report.html", train_set())
