"""Per-study tables: the distribution of test accuracy per configuration, and whether each
configuration differs from the study's reference (Welch's t-test and Mann-Whitney U)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from harcnn.errors import HarcnnError
from harcnn.experiments.spec import parse_spec
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


def group_by_label(runs: list[Run], order: list[str] | None = None) -> dict[str, list[Run]]:
    """Runs per configuration, in `order` (the spec's grid order) where given, else as stored."""
    groups: dict[str, list[Run]] = {label: [] for label in order or []}
    for run in runs:
        groups.setdefault(run.label, []).append(run)
    return {label: g for label, g in groups.items() if g}


def grid_order(spec_text: str) -> list[str] | None:
    """The configuration labels of a stored spec, in grid order (None if it no longer parses)."""
    try:
        return [c.label for c in parse_spec(tomllib.loads(spec_text), Path("stored spec")).configs]
    except (HarcnnError, tomllib.TOMLDecodeError):
        return None


def study_rows(runs: list[Run], reference: str | None = None, order: list[str] | None = None) -> tuple[list[Row], str]:
    """Rows in grid order; the reference is the spec's, else the first configuration."""
    groups = {label: 100 * np.array([r.accuracy for r in g]) for label, g in group_by_label(runs, order).items()}
    reference = reference if reference in groups else next(iter(groups))
    ref = groups[reference]
    rows = []
    for label, a in groups.items():
        comparable = label != reference and len(a) > 1 and len(ref) > 1
        rows.append(Row(
            label, len(a), a.mean(), a.std(), a.min(), float(np.median(a)), a.max(),
            float(stats.ttest_ind(a, ref, equal_var=False).pvalue) if comparable else None,
            float(stats.mannwhitneyu(a, ref, alternative="two-sided").pvalue) if comparable else None,
        ))
    return rows, reference


def format_table(study: str, rows: list[Row], reference: str) -> str:
    width = max(12, *(len(r.label) for r in rows))
    lines = [
        f"{study}: test accuracy (%) over seeds; std with ddof=0 (as the tutorial); p-values against [{reference}]",
        f"{'configuration':<{width}}  {'n':>3}  {'mean':>6}  {'std':>5}  {'min':>6}  {'median':>6}  {'max':>6}  {'p Welch':>8}  {'p MWU':>8}",
    ]
    for r in rows:
        p1 = f"{r.p_welch:8.3g}" if r.p_welch is not None else f"{'ref' if r.label == reference else '-':>8}"
        p2 = f"{r.p_mannwhitney:8.3g}" if r.p_mannwhitney is not None else f"{'ref' if r.label == reference else '-':>8}"
        lines.append(f"{r.label:<{width}}  {r.n:>3}  {r.mean:6.2f}  {r.std:5.2f}  {r.min:6.2f}  {r.median:6.2f}  {r.max:6.2f}  {p1}  {p2}")
    return "\n".join(lines)
