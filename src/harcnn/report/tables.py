"""Per-study tables: the distribution of test accuracy per configuration, and whether each
configuration differs from the study's reference (Welch's t-test and Mann-Whitney U over seeds; the
Wilcoxon signed-rank test over test subjects, each paired with itself)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from harcnn.experiments.spec import CANDIDATES_SUFFIX, fold_of
from harcnn.experiments.store import Run


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
    """Rows in grid order; the reference is the spec's, else the first configuration."""
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
                float(np.median(a)),
                a.max(),
                float(stats.ttest_ind(a, ref, equal_var=False).pvalue) if comparable else None,
                float(stats.mannwhitneyu(a, ref, alternative="two-sided").pvalue) if comparable else None,
                *_validation_and_ensemble(populations[label]),
                float(np.mean([r.macro_f1 for r in populations[label]])),
                subject_spread(populations[label]),
                fold_spread(populations[label]),
                paired_subjects(populations[label], populations[reference]) if label != reference else None,
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


def format_table(study: str, rows: list[Row], reference: str) -> str:
    width = max(12, *(len(r.label) for r in rows))
    lines = [
        f"{study}: {scored_on(study)} accuracy (%) over seeds; std with ddof=0 (as the tutorial); p-values against [{reference}];",
        "  val: mean validation accuracy (held-out training subjects); ensemble: mean accuracy of the populations' mean-probability"
        " ensembles / their members, one figure per population size; F1: mean macro-F1; subjects: accuracy across test subjects,"
        " mean +/- std (number of subjects); folds: with test_folds, the std across the folds' means and across the seeds"
        " of one fold (number of folds); vs ref by subject: test subjects where it scored above / below the reference,"
        " Wilcoxon signed-rank p over them",
        f"{'configuration':<{width}}  {'n':>3}  {'mean':>6}  {'std':>5}  {'min':>6}  {'median':>6}  {'max':>6}  {'p Welch':>8}  {'p MWU':>8}"
        f"  {'val':>6}  {'ensemble':>8}  {'F1':>6}  {'subjects':>18}  {'folds':>25}  {'vs ref by subject':>18}",
    ]
    for r in rows:
        p1 = f"{r.p_welch:8.3g}" if r.p_welch is not None else f"{'ref' if r.label == reference else '-':>8}"
        p2 = f"{r.p_mannwhitney:8.3g}" if r.p_mannwhitney is not None else f"{'ref' if r.label == reference else '-':>8}"
        val = f"{r.validation:6.2f}" if r.validation is not None else f"{'-':>6}"
        ens = ", ".join(f"{a:.2f}/{k}" for k, a in r.ensembles) or "-"
        f1 = f"{r.macro_f1:6.4f}" if r.macro_f1 is not None else f"{'-':>6}"
        subjects = f"{r.subjects[1]:.2f} +/- {r.subjects[2]:.2f} ({r.subjects[0]})" if r.subjects else "-"
        folds = f"{fold_text(r.folds)} ({r.folds[0]})" if r.folds else "-"
        paired = paired_text(r.paired) if r.paired else ("ref" if r.label == reference else "-")
        lines.append(
            f"{r.label:<{width}}  {r.n:>3}  {r.mean:6.2f}  {r.std:5.2f}  {r.min:6.2f}  {r.median:6.2f}  {r.max:6.2f}  {p1}  {p2}  {val}  {ens:>8}"
            f"  {f1}  {subjects:>18}  {folds:>25}  {paired:>18}"
        )
    return "\n".join(lines)
