"""Per-study tables: the distribution of test accuracy per configuration, and whether each
configuration differs from the study's reference (Welch's t-test and Mann-Whitney U over seeds; the
Wilcoxon signed-rank test over test subjects, each paired with itself)."""

from __future__ import annotations

import json
import shutil
import textwrap
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harcnn.data.splits import fold_of
from harcnn.experiments.spec import CANDIDATES_SUFFIX
from harcnn.experiments.store import Run
from harcnn.outputs import csv_line


@dataclass(frozen=True)
class Row:
    label: str
    n: int
    mean: float
    std: float
    min: float
    median: float
    max: float
    p_welch: float | None
    p_mannwhitney: float | None
    validation: float | None = None  # mean last-epoch validation accuracy (%), where subjects were held out
    ensembles: tuple[tuple[int, float], ...] = ()  # (members, mean accuracy %) of the mean-probability ensembles, per population size
    macro_f1: float | None = None  # mean over runs
    subjects: tuple[int, float, float] | None = None  # (subjects, mean, std) of accuracy (%) across test subjects
    folds: tuple[int, float, float | None] | None = None  # (folds, std across folds, std across seeds) of a test_folds protocol
    paired: tuple[int, int, int, float | None] | None = None  # against the reference, subject by subject (`paired_subjects`)


def group_by_label(runs: list[Run], order: list[str] | None = None) -> dict[str, list[Run]]:
    """Runs per population, in `order` (the study's grid order) where given, else as stored.

    A population is one configuration on one dataset: runs that share a label but differ in
    configuration (a study rerun with a changed spec) or dataset are never pooled. Such labels get
    what tells them apart appended, `[config 1a2b3c]` or `[data 44e906aa]`.
    """
    groups: dict[str, list[Run]] = {label: [] for label in order or []}
    for run, label in zip(runs, population_labels(runs)):
        groups.setdefault(label, []).append(run)
    return {label: g for label, g in groups.items() if g}


def population_labels(runs: list[Run]) -> list[str]:
    """Each run's label, made unique per (configuration, dataset) as `group_by_label` describes."""
    keys: dict[str, set] = {}
    for run in runs:
        keys.setdefault(run.label, set()).add((run.config_key, run.data_sha256))
    return [_population_label(run, keys[run.label]) for run in runs]


def _population_label(run: Run, keys: set) -> str:
    if len(keys) == 1:
        return run.label
    extra = []
    if len({k for k, _ in keys}) > 1:
        extra.append(f"config {run.config_key[:6]}")
    if len({d for _, d in keys}) > 1:
        extra.append(f"data {run.data_sha256[:8]}")
    return f"{run.label} [{', '.join(extra)}]"


def study_rows(runs: list[Run], reference: str | None = None, order: list[str] | None = None) -> tuple[list[Row], str]:
    """Rows in grid order; the reference is the spec's, else the first configuration. Tests of
    identical figures have no p (scipy's precision warning about them is not shown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _study_rows(runs, reference, order)


def _study_rows(runs: list[Run], reference: str | None, order: list[str] | None) -> tuple[list[Row], str]:
    populations = group_by_label(runs, order)
    groups = {label: 100 * np.array([r.accuracy for r in g]) for label, g in populations.items()}
    reference = reference if reference in groups else next(iter(groups))
    ref = groups[reference]
    rows = []
    for label, a in groups.items():
        comparable = label != reference and len(a) > 1 and len(ref) > 1
        rows.append(
            Row(
                label,
                len(a),
                a.mean(),
                a.std(),
                a.min(),
                median=float(np.median(a)),
                max=a.max(),
                p_welch=float(stats.ttest_ind(a, ref, equal_var=False).pvalue) if comparable else None,
                p_mannwhitney=float(stats.mannwhitneyu(a, ref, alternative="two-sided").pvalue) if comparable else None,
                **dict(zip(("validation", "ensembles"), _validation_and_ensemble(populations[label]))),
                macro_f1=float(np.mean([r.macro_f1 for r in populations[label]])),
                subjects=subject_spread(populations[label]),
                folds=fold_spread(populations[label]),
                paired=paired_subjects(populations[label], populations[reference]) if label != reference else None,
            )
        )
    return rows, reference


def fold_spread(runs: list[Run]) -> tuple[int, float, float | None] | None:
    """Spread across subject folds beside spread across seeds, for runs of a `test_folds` protocol
    (None for a fixed test split, where the std over runs is the seeds' alone): the number of folds,
    the std (%, ddof=0) of the folds' mean accuracies, and the mean over folds of the std across the
    seeds that tested the same fold (None where no fold was tested by two seeds). Over runs, the std
    mixes both: a fold-protocol lead is only as solid as the folds' spread allows."""
    k = runs[0].config.get("test_folds", 0)
    if not k:
        return None
    by_fold: dict[int, list[float]] = {}
    for run in runs:
        by_fold.setdefault(fold_of(run.seed, k), []).append(100 * run.accuracy)
    seeds = [float(np.std(a)) for a in by_fold.values() if len(a) > 1]
    return len(by_fold), float(np.std([np.mean(a) for a in by_fold.values()])), float(np.mean(seeds)) if seeds else None


def per_window(runs: list[Run]) -> bool:
    """Runs whose "subjects" are single windows: data imported without subject ids gives every
    window its own group (aeon's datasets), and a spread or a pairing over those is over windows."""
    return all(m["windows"] == 1 for r in runs for m in (r.per_subject or {}).values())


def subject_accuracy(runs: list[Run]) -> dict[str, float]:
    """Each test subject's mean accuracy over the runs that tested it, by subject id in numeric order
    (empty for runs stored without per-subject figures, or whose subjects are single windows)."""
    if per_window(runs):
        return {}
    scores: dict[str, list[float]] = {}
    for run in runs:
        for subject, m in (run.per_subject or {}).items():
            scores.setdefault(subject, []).append(m["accuracy"])
    return {s: float(np.mean(v)) for s, v in sorted(scores.items(), key=lambda item: int(item[0]))}


def subject_spread(runs: list[Run]) -> tuple[int, float, float] | None:
    """Accuracy (%) across test subjects (`subject_accuracy`): their number, mean and std (ddof=0); None without figures."""
    means = 100 * np.array(list(subject_accuracy(runs).values()))
    return (len(means), float(means.mean()), float(means.std())) if len(means) else None


def paired_subjects(runs: list[Run], other: list[Run]) -> tuple[int, int, int, float | None] | None:
    """`runs` against `other`, subject by subject on the test subjects both were scored on: their
    number, the subjects where `runs` scored higher and where lower, and the two-sided Wilcoxon
    signed-rank p of the differences (None where all are zero). A lead in the mean can come from a
    few subjects; this says whether it holds subject by subject, pairing each subject with itself so
    that the large spread between subjects does not hide a consistent difference. None where fewer
    than two subjects are shared (runs stored without per-subject figures)."""
    a, b = subject_accuracy(runs), subject_accuracy(other)
    shared = [s for s in a if s in b]
    if len(shared) < 2:
        return None
    diff = np.array([a[s] - b[s] for s in shared])
    p = float(stats.wilcoxon(diff).pvalue) if diff.any() else None
    return len(shared), int((diff > 0).sum()), int((diff < 0).sum()), p


NEMENYI_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}  # Demsar 2006, table 5a


@dataclass(frozen=True)
class RankTest:
    """Configurations ranked subject by subject (1: the best), Friedman's test over the ranks and
    Nemenyi's critical difference at 0.05: average ranks further apart than `cd` differ (Demsar 2006)."""

    ranks: dict[str, float]
    cd: float
    p_friedman: float
    subjects: int


def rank_test(groups: dict[str, list[Run]]) -> RankTest | None:
    """The rank test of three to ten configurations over the test subjects all were scored on; None
    where there are fewer than two such subjects (or runs without per-subject figures)."""
    accuracy = {label: subject_accuracy(g) for label, g in groups.items()}
    shared = [s for s in next(iter(accuracy.values())) if all(s in a for a in accuracy.values())]
    k = len(groups)
    if not 3 <= k <= max(NEMENYI_Q05) or len(shared) < 2:
        return None
    table = np.array([[accuracy[label][s] for label in groups] for s in shared])
    ranks = stats.rankdata(-table, axis=1).mean(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(stats.friedmanchisquare(*table.T).pvalue) if np.ptp(table, axis=1).any() else 1.0
    cd = NEMENYI_Q05[k] * float(np.sqrt(k * (k + 1) / (6 * len(shared))))
    return RankTest(dict(zip(groups, map(float, ranks))), cd, p, len(shared))


def _validation_and_ensemble(runs: list[Run]) -> tuple[float | None, tuple[tuple[int, float], ...]]:
    """Mean validation accuracy, and the ensembles' mean accuracy per population size: every member
    of a population carries its ensemble's accuracy, so the mean over the runs of one size is the
    mean over the ensembles of that size (ensembles of different sizes are never averaged)."""
    validation = [r.curves["val_accuracy"][-1] for r in runs if r.curves.get("val_accuracy")]
    sizes = sorted({r.ensemble_size for r in runs if r.ensemble_accuracy is not None and r.ensemble_size})
    ensembles = tuple(
        (k, 100 * float(np.mean([r.ensemble_accuracy for r in runs if r.ensemble_size == k and r.ensemble_accuracy is not None])))
        for k in sizes
    )
    return (100 * float(np.mean(validation)) if validation else None, ensembles)


def flat_values(config: dict, prefix: str = "") -> dict[str, object]:
    """A run's nested configuration as flat names (`hparams.filters`) and their values."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out |= flat_values(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def flat_config(config: dict) -> dict[str, str]:
    """`flat_values` as texts (`hparams.filters` = "32"), the way a CSV column or MLflow's parameter holds them."""
    return {key: str(value) for key, value in flat_values(config).items()}


def scored_on(study: str) -> str:
    """What a study's runs were scored on: a selection's candidates on held-out training subjects, others on the test split."""
    return "validation" if study.endswith(CANDIDATES_SUFFIX) else "test"


def fold_text(folds: tuple[int, float, float | None]) -> str:
    """`fold_spread`'s two spreads as the tables print them."""
    seeds = f"{folds[2]:.2f}" if folds[2] is not None else "-"
    return f"folds {folds[1]:.2f}, seeds {seeds}"


def paired_text(paired: tuple[int, int, int, float | None]) -> str:
    """`paired_subjects`'s comparison as the tables print it."""
    n, above, below, p = paired
    return f"{above}/{below} of {n}" + (f", p {p:.2g}" if p is not None else "")


@dataclass(frozen=True)
class Column:
    header: str
    meaning: str  # what `--explain` says of it
    cells: tuple[str, ...]
    keep: int  # the order in which columns give way to fit the width: lowest first to stay
    text: bool = True  # shown in the text table (csv, json and md always have it)


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values of one table's comparisons (None stays None): with
    several configurations against one reference, a raw p under 0.05 somewhere is likely by chance;
    the adjusted p is never below the raw one."""
    given = [(p, i) for i, p in enumerate(pvalues) if p is not None and np.isfinite(p)]
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(given)):
        running = max(running, min(1.0, (len(given) - rank) * p))
        out[i] = running
    return out


def table_columns(rows: list[Row], reference: str) -> list[Column]:
    """Every column of a study's table, each cell as text ("-" where a row has none, "ref" for the reference's comparisons)."""
    ref = lambda r, text: text if r.label != reference else "ref"  # noqa: E731
    p = lambda v: f"{v:.3g}" if v is not None and np.isfinite(v) else "-"  # noqa: E731
    holm_welch = (
        holm([r.p_welch for r in rows]) if sum(r.label != reference for r in rows) > 1 else [None] * len(rows)
    )  # one test: Holm's p is the raw
    columns = [
        ("configuration", "the grid's label of the configuration", [r.label for r in rows], 0),
        ("n", "runs (seeds) scored", [str(r.n) for r in rows], 1),
        ("mean", "mean accuracy (%) over the runs", [f"{r.mean:.2f}" for r in rows], 2),
        ("std", "standard deviation (%) over the runs, ddof=0 as the tutorial", [f"{r.std:.2f}" for r in rows], 3),
        ("min", "lowest run", [f"{r.min:.2f}" for r in rows], 12),
        ("median", "median run", [f"{r.median:.2f}" for r in rows], 11),
        ("max", "highest run", [f"{r.max:.2f}" for r in rows], 13),
        ("p Welch", "Welch's t-test against the reference, over seeds", [ref(r, p(r.p_welch)) for r in rows], 6),
        ("p Holm", "Welch's p adjusted by Holm for the table's comparisons", [ref(r, p(h)) for r, h in zip(rows, holm_welch)], 5),
        ("p MWU", "Mann-Whitney U against the reference, over seeds", [ref(r, p(r.p_mannwhitney)) for r in rows], 14),
        ("val", "mean last-epoch accuracy (%) on held-out training subjects", [f"{r.validation:.2f}" if r.validation is not None else "-" for r in rows], 7),
        ("F1", "mean macro-F1", [f"{r.macro_f1:.4f}" if r.macro_f1 is not None else "-" for r in rows], 9),
        ("subjects", "accuracy (%) across test subjects: mean +/- std (subjects)", [f"{r.subjects[1]:.2f} +/- {r.subjects[2]:.2f} ({r.subjects[0]})" if r.subjects else "-" for r in rows], 8),
        ("folds", "with test_folds: std across the folds' means and across one fold's seeds (folds)", [f"{fold_text(r.folds)} ({r.folds[0]})" if r.folds else "-" for r in rows], 10),
        ("vs ref by subject", "test subjects above / below the reference, Wilcoxon signed-rank p over them", [paired_text(r.paired) if r.paired else ref(r, "-") for r in rows], 4),
    ]  # fmt: skip
    out = [Column(h, m, tuple(c), k) for h, m, c, k in columns]
    ensembles = tuple(", ".join(f"{a:.2f}/{k}" for k, a in r.ensembles) or "-" for r in rows)
    meaning = "mean accuracy (%) of the populations' mean-probability ensembles / their members; populations are cut by the workers, so only in files"
    return [*out, Column("ensemble", meaning, ensembles, 15, text=False)]


def _shown(column: Column) -> bool:
    return any(c not in ("-", "ref", "") for c in column.cells)


def format_table(study: str, rows: list[Row], reference: str, width: int | None = None, explain: bool = False) -> str:
    """The study's table as text, `width` columns wide (default: the terminal's, else 80): columns
    with nothing to say are left out, and those that do not fit go to a second block below, each
    block starting with the configuration. A two-line legend, or every column's meaning (`explain`)."""
    width = width or shutil.get_terminal_size((80, 24)).columns
    columns = [c for c in table_columns(rows, reference) if c.text and _shown(c)]
    sizes = {c.header: max(len(c.header), *(len(x) for x in c.cells)) for c in columns}
    blocks, left = [], sorted(columns[1:], key=lambda c: c.keep)
    while left:
        block, used = [columns[0]], sizes[columns[0].header]
        for c in list(left):
            if used + 2 + sizes[c.header] <= width or len(block) == 1:
                block.append(c)
                used += 2 + sizes[c.header]
                left.remove(c)
        blocks.append(sorted(block, key=columns.index))
    compared = sum(r.label != reference for r in rows)
    holm_shown = any(c.header == "p Holm" for c in columns)
    lines = textwrap.wrap(
        f"{study}: {scored_on(study)} accuracy (%) over seeds; p against [{reference}]"
        + (f", Holm-adjusted for {compared} comparisons" if holm_shown else "")
        + ("." if explain else "; harcnn report --explain says what each column means."),
        width,
    )
    if explain:
        for c in columns:
            lines += textwrap.wrap(f"{c.header}: {c.meaning}", width, initial_indent="  ", subsequent_indent="    ")
    for block in blocks:
        lines.append("  ".join(c.header.rjust(sizes[c.header]) if i else c.header.ljust(sizes[c.header]) for i, c in enumerate(block)))
        for i in range(len(rows)):
            lines.append(
                "  ".join(c.cells[i].rjust(sizes[c.header]) if k else c.cells[i].ljust(sizes[c.header]) for k, c in enumerate(block))
            )
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class TableStyle:
    """How a study's table is printed: `format` one of `choices.TABLE_FORMATS`; `explain` every column's meaning (text)."""

    format: str = "text"
    explain: bool = False

    def render(self, study: str, rows: list[Row], reference: str) -> str:
        if self.format == "text":
            return format_table(study, rows, reference, explain=self.explain)
        return render_records(table_records(rows, reference), self.format)


def table_records(rows: list[Row], reference: str) -> list[dict[str, str]]:
    """Every column of the table, one dictionary a configuration: what `--format csv|json|md` write."""
    columns = table_columns(rows, reference)
    return [{c.header: c.cells[i] for c in columns} for i in range(len(rows))]


def render_records(records: list[dict[str, str]], fmt: str) -> str:
    """Records as CSV (spreadsheet-safe), JSON or a Markdown table."""
    if fmt == "json":
        return json.dumps(records, indent=1)
    headers = list(records[0])
    if fmt == "csv":
        return "\n".join(csv_line(row) for row in [headers, *([r[h] for h in headers] for r in records)])
    cells = [[r[h].replace("|", "\\|") for h in headers] for r in records]
    return "\n".join(["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers), *("| " + " | ".join(c) + " |" for c in cells)])
