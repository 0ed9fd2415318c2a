"""Model selection that never looks at the test split.

`select` trains every configuration of a study with training subjects held out for validation
(`validation_subjects` in the spec) or in subject-grouped folds (`cv_folds`: member seed s
validates on fold s % k, so a configuration's members cover every fold alike), ranks the
configurations by their members' mean validation accuracy at the last epoch, refits the one the
spec's `choose` picks (the first, or the first in the spec's order within one standard error of it)
on all training subjects with fresh seeds, and scores that refit once on the test split: the test
split is scored once per chosen configuration. The candidates are scored on their validation
subjects only (study `<name>-candidates`); with `show_test` they are scored on the test split too,
stored apart (`<name>-candidates-test`) and shown, never ranked by. A test replaces the test
windows and labels with noise and checks that nothing about the choice changes. The store records
the choice and the ranking it came from (`Store.selection`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harcnn.data.windows import Dataset
from harcnn.errors import HarcnnError
from harcnn.experiments.runner import run_study
from harcnn.experiments.spec import CANDIDATES_SUFFIX, CHOOSE, REFIT_SUFFIX, Config, Spec
from harcnn.experiments.store import Run, Store

METHOD = "mean validation accuracy (last epoch) of the members, on subjects held out of the training split"
CV_METHOD = "mean validation accuracy (last epoch) of the members over {k} subject-grouped folds of the training split"
REFIT_SEED_OFFSET = 1000  # the refit's seeds never repeat the candidates' seeds


@dataclass(frozen=True)
class Candidate:
    config: Config
    validation: np.ndarray  # per member, last-epoch validation accuracy
    test: np.ndarray | None  # per member, only when asked for (`show_test`); never read by `rank`


def rank(spec: Spec, runs: list[Run], tested: list[Run] = ()) -> list[Candidate]:
    """The configurations, best validation accuracy first (ties: the spec's order); `runs` are the
    candidates' (scored on validation subjects), `tested` their test scores where asked for."""
    candidates = []
    for config in spec.configs:
        mine = [r for r in runs if r.config_key == config.key]
        if not mine:
            raise HarcnnError(f"{spec.path}: no runs of configuration [{config.label}] to rank")
        validation = np.array([r.curves["val_accuracy"][-1] for r in mine])
        test = [r.accuracy for r in tested if r.config_key == config.key]
        candidates.append(Candidate(config, validation, np.array(test) if test else None))
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].validation.mean(), i))
    return [candidates[i] for i in order]


def choose(spec: Spec, ranking: list[Candidate]) -> Config:
    """The configuration `spec.choose` picks from `ranking` (best first). "one-se" trades a little
    validation accuracy, within the leader's noise, for the configuration the spec lists first: the
    cheaper one, where a study is about cost."""
    leader = ranking[0]
    if spec.choose == "best":
        return leader.config
    n = len(leader.validation)
    threshold = leader.validation.mean() - (leader.validation.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0)
    by_spec = {c.config.key: c for c in ranking}
    return next(c for c in spec.configs if by_spec[c.key].validation.mean() >= threshold)


def select(
    spec: Spec,
    dataset: Dataset,
    store: Store,
    checkpoints: Path,
    echo: Callable[[str], None] = print,
    show_test: bool = False,
    **run_options,
) -> tuple[list[Candidate], list[Run]]:
    """Rank `spec`'s configurations on validation subjects, refit the best, score it on the test split.

    Returns the ranking and the refit's runs (`repeats` fresh seeds, all training subjects)."""
    missing = [c.label for c in spec.configs if not c.validates]
    if missing:
        raise HarcnnError(f"{spec.path}: selection needs validation_subjects or cv_folds (configuration [{missing[0]}] has neither)")
    joined = [c.label for c in spec.configs if c.join]
    if joined:
        raise HarcnnError(
            f"{spec.path}: join (configuration [{joined[0]}]) weighs its parts on the validation subjects, which selection scores "
            "on; select the CNN without join, then run the winner with join"
        )
    folded = [c.label for c in spec.configs if c.test_folds]
    if folded:
        raise HarcnnError(
            f"{spec.path}: test_folds (configuration [{folded[0]}]) pool the test subjects into training; selection chooses on the "
            "training split only: select without test_folds, then evaluate the winner with `harcnn run --set test_folds=K`"
        )
    candidates = replace(spec, name=spec.name + CANDIDATES_SUFFIX)
    scored = ("validation", "test") if show_test else ("validation",)
    run_study(candidates, dataset, store, checkpoints, echo=echo, scored=scored, **run_options)
    keys = {c.key for c in spec.configs}

    def runs_of(study: str) -> list[Run]:
        return [r for r in store.runs(study) if r.config_key in keys and r.data_sha256 == dataset.sha256 and r.seed in spec.seeds]

    ranking = rank(spec, runs_of(candidates.name), runs_of(candidates.name + "-test") if show_test else [])
    winner = choose(spec, ranking)
    refit = Spec(
        spec.path, spec.name + REFIT_SUFFIX, f"[{winner.label}] chosen by {spec.name} on validation subjects, refitted on all training subjects",
        spec.repeats, [replace(winner, validation_subjects=0, cv_folds=0, label=winner.label)], None, first_seed=spec.first_seed + REFIT_SEED_OFFSET,
    )  # fmt: skip
    run_study(refit, dataset, store, checkpoints, echo=echo, **run_options)
    refit_runs = [r for r in store.runs(refit.name) if r.config_key == refit.configs[0].key and r.data_sha256 == dataset.sha256]
    store.set_selection(
        spec.name, dataset.sha256, winner.key, winner.label,
        method=(CV_METHOD.format(k=winner.cv_folds) if winner.cv_folds else METHOD) + f"; chosen: {CHOOSE[spec.choose]}",
        ranking=[{"label": c.config.label, "key": c.config.key, "validation": c.validation.tolist()} for c in ranking],
        refit_study=refit.name,
    )  # fmt: skip
    return ranking, refit_runs
