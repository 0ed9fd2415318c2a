"""`harcnn auto`: the best model for a dataset within a time budget, chosen on training subjects only.

The candidates, cheapest first: the fast preset and the recommended recipe (`presets`), the peers
(`PEERS`: MiniRocket, MultiRocket-Hydra), and each preset joined with each peer and with both as a
heterogeneous ensemble. Every single model is cross-validated on `folds` subject-grouped folds of
the training windows, one seed a fold, and its out-of-fold class scores kept (a CNN's
log-probabilities, a peer's ridge decision values: its own probabilities are one-hot). An ensemble
is scored from its members' out-of-fold scores at no further cost: each member's scores become
probabilities at a temperature fitted to the out-of-fold windows, and the members are weighted as
CAWPE weighs (a member's accuracy to the fourth power), as the `join` setting does (`models.joined`);
a fold's temperatures and weights are taken from the other folds only, so that no window calibrates
or weighs the models that predict it. The winner (the best pooled out-of-fold accuracy; a cheaper
one within `TIE` of it) is refitted on every training window, with as many CNN members as the budget
has left (up to `MAX_MEMBERS`), and the caller scores it once on the test split: nothing here reads it.

A peer alone is tried and reported beside the others, but a model must hold a CNN population,
which every harcnn command (predict, stream, evaluate) runs; a peer rides along in an ensemble.

The budget covers the cross-validation and the refit. A candidate is tried while the time spent,
plus what its first fold projects for its other folds, plus the refit of the leader so far, fits in
the budget; so the budget is overrun by at most one fold of one candidate. Each fold's probabilities
are kept in `cache` (when given): the same call resumes where an interrupted one stopped.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter

import numpy as np

from harcnn import models, presets
from harcnn.choices import AUTO_BUDGET_MIN, AUTO_FOLDS
from harcnn.data.splits import hold_out_fold
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.experiments.spec import Config, load_spec
from harcnn.models import joined
from harcnn.models.peers import softmax
from harcnn.settings import check_settings

PEERS = ("minirocket", "multirocket-hydra")  # tried alone and beside each preset, cheapest first (saveable: `models.peer_files`)
MAX_MEMBERS = 5  # CNN members of the refit, budget allowing
TIE = 0.001  # pooled validation accuracies closer than this are a tie, won by the cheaper candidate
REFIT_SEED = 1000  # the refit's seeds never repeat the folds' (seeds 0 .. folds - 1)


def candidates(cnn_only: bool = False) -> dict[str, Config]:
    """The single models auto tries, cheapest first: the presets, then (unless `cnn_only`: a model
    every export format holds) the peers with aeon's defaults."""
    singles = {name: replace(load_spec(presets.path(name)).configs[0], label=name) for name in presets.PRESETS}
    if not cnn_only:
        singles |= {peer: Config(model=peer, hparams={}, label=peer, **check_settings({}, "auto")) for peer in PEERS}
    return singles


def asked(singles: dict[str, Config], names: Collection[str]) -> dict[str, Config]:
    """The single models that candidates `names` (singles or ensembles, named as auto names them) are
    made of. A name auto does not know, or a peer alone, is refused before anything trains."""
    known = named(singles)
    for name in names:
        if name not in known:
            raise HarcnnError(f"auto: no candidate {name!r}; the candidates: {', '.join(known)}")
        if name in singles and not _alone(singles[name]):
            raise HarcnnError(f"auto: a peer alone cannot be chosen (a harcnn model holds a CNN); join it to a preset: best+{name}")
    parts = {part for name in names for part in known[name]}
    return {name: config for name, config in singles.items() if name in parts}


@dataclass
class Tried:
    """One single model's cross-validation: out-of-fold class scores and seconds of every fold done."""

    name: str
    config: Config
    scores: list[np.ndarray] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    status: str = ""

    @property
    def done(self) -> bool:
        return not self.status


@dataclass(frozen=True)
class Scored:
    """A candidate's figures: a single model, or an ensemble of single models with their weights."""

    name: str
    parts: tuple[str, ...]
    fold_accuracy: tuple[float, ...]
    accuracy: float  # pooled over every training window, each predicted by a model that never saw its subject
    seconds: float  # the cross-validation's training time, all parts together
    weights: tuple[float, ...] = (1.0,)  # from every fold, for the refit
    temperatures: tuple[float, ...] = (1.0,)  # likewise
    status: str = ""  # why it cannot be chosen, if it cannot

    @property
    def choosable(self) -> bool:
        return not self.status


@dataclass(frozen=True)
class Choice:
    winner: Scored
    scored: list[Scored]  # every candidate, best first
    skipped: list[tuple[str, str]]  # (candidate, why it was not scored)
    fold_windows: tuple[int, ...]  # validation windows of each fold
    folds: int
    seconds: float  # spent choosing
    resumed: int = 0  # folds read from the cache of an earlier run (their time not in `seconds`)


def choose(
    train: WindowSet,
    budget_s: float,
    *,
    folds: int = AUTO_FOLDS,
    singles: dict[str, Config] | None = None,
    choose_from: Collection[str] | None = None,
    cache: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Choice:
    """Cross-validate the candidates on `train`'s subjects within `budget_s` and rank them; with
    `choose_from`, only those may win (the others made of the same models are reported beside)."""
    start = perf_counter()
    singles = candidates() if singles is None else singles
    check_folds(train, folds)
    splits = [hold_out_fold(train, folds, f) for f in range(folds)]
    share = len(train) / np.mean([len(fit) for fit, _ in splits])  # a refit's windows per fold's
    tried: dict[str, Tried] = {}
    skipped = []
    resumed = 0
    for name, config in singles.items():
        why = _unavailable(config, train)
        if why:
            skipped.append((name, why))
            continue
        reserve = _refit_seconds(tried, share)
        if perf_counter() - start + reserve > budget_s:
            skipped.append((name, "not tried: the budget was spent"))
            continue
        t = tried[name] = Tried(name, config)
        for f, (fit, validation) in enumerate(splits):
            scores, seconds, cached = _fold(config, fit, validation, f, cache and cache / f"{config.key}-k{folds}-f{f}-scores.npz")
            t.scores.append(scores)
            resumed += cached
            t.seconds.append(seconds)
            echo(f"  {name}: fold {f + 1}/{folds}: validation {100 * _accuracy(scores, validation.y):.2f}% ({seconds:.0f} s)")
            projected = perf_counter() - start + np.mean(t.seconds) * (folds - f - 1) + max(reserve, _refit_seconds({name: t}, share))
            if f < folds - 1 and projected > budget_s:
                t.status = f"stopped after {f + 1} of {folds} folds: would end at {projected / 60:.1f} of {budget_s / 60:.1f} min"
                break
    y = [validation.y for _, validation in splits]
    scored = _score(tried, y)
    if choose_from is not None:
        scored = [
            s if s.name in choose_from or not s.choosable else replace(s, status="not among the candidates asked for") for s in scored
        ]
    ranked = sorted(scored, key=lambda s: (not s.choosable, -round(np.nan_to_num(s.accuracy, nan=-1) / TIE), s.seconds))
    if not ranked or not ranked[0].choosable:
        raise HarcnnError(
            f"auto: no candidate holding a CNN was cross-validated within the budget of {budget_s / 60:.1f} min; give a larger --budget"
        )
    return Choice(
        ranked[0], ranked, skipped, fold_windows=tuple(len(v) for v in y), folds=folds, seconds=perf_counter() - start, resumed=resumed
    )


def check_folds(train: WindowSet, folds: int) -> None:
    """At least two folds, and a subject for each."""
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise HarcnnError(f"folds must be a whole number of at least 2, got {folds!r}")
    subjects = len(np.unique(train.subject))
    if subjects < folds:
        raise HarcnnError(
            f"auto chooses by subject-grouped cross-validation in {folds} folds: the training windows hold {subjects} subject(s); "
            f"give windows of at least {folds} subjects (groups=, one subject per window)"
        )


def _unavailable(config: Config, train: WindowSet) -> str:
    """Why a candidate cannot run here, or ""."""
    entry = models.get(config.model)
    try:
        entry.check_available()
        entry.check_input(train.n_channels, len(train.classes), train.seq_len, config.hparams)
    except HarcnnError as e:
        return f"not tried: {e}"
    return ""


def _fold(config: Config, fit: WindowSet, validation: WindowSet, fold: int, cached: Path | None) -> tuple[np.ndarray, float, bool]:
    """One fold of one candidate: its class scores of the validation windows `(n, classes)`, training
    seconds, and whether they were read from the cache."""
    from harcnn.train.fit import split, train_and_predict

    if cached is not None and cached.is_file():
        with np.load(cached) as saved:
            if saved["scores"].shape == (len(validation), len(validation.classes)):
                return saved["scores"], float(saved["seconds"]), True
    data = split(config.settings, fit, validation=validation)
    scores, _, seconds = train_and_predict(config.model, config.hparams, config.settings, data, [fold], data.validation.X, scores=True)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, scores=scores[0], seconds=seconds)
        tmp.replace(cached)
    return scores[0], seconds, False


def _refit_seconds(tried: dict[str, Tried], share: float) -> float:
    """The refit of the best candidate so far holding a CNN, one member: its folds' mean time, scaled to all windows."""
    cnn = [t for t in tried.values() if t.done and _alone(t.config)]
    return max((np.mean(t.seconds) * share for t in cnn), default=0.0)


def _alone(config: Config) -> bool:
    """Whether a model can be made of this candidate alone (a CNN population), not only joined to one (a peer)."""
    try:
        models.get(config.model).check_saveable("auto")
    except HarcnnError:
        return False
    return True


def _accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    return float((scores.argmax(1) == y).mean())


def _score(tried: dict[str, Tried], y: list[np.ndarray]) -> list[Scored]:
    """Every single model cross-validated on all folds, and every ensemble of a CNN with one or more peers."""
    done = {n: t for n, t in tried.items() if t.done}
    fold_acc = {n: np.array([_accuracy(p, yf) for p, yf in zip(t.scores, y)]) for n, t in done.items()}
    sizes = np.array([len(yf) for yf in y])
    out = []
    for name, t in done.items():
        status = "" if _alone(t.config) else "a peer alone: a harcnn model holds a CNN"
        out.append(Scored(name, (name,), tuple(fold_acc[name]), _pooled(fold_acc[name], sizes), float(sum(t.seconds)), status=status))
    out += [_ensemble(done, parts, fold_acc, y, sizes) for parts in ensembles({n: t.config for n, t in done.items()})]
    for name, t in tried.items():
        if not t.done:
            out.append(Scored(name, (name,), (), float("nan"), float(sum(t.seconds)), status=t.status))
    return out


def ensembles(singles: dict[str, Config]) -> list[tuple[str, ...]]:
    """The parts of every ensemble of `singles`: each CNN joined with each peer, and with every set of them."""
    cnns, peers = [n for n, c in singles.items() if _alone(c)], [n for n, c in singles.items() if not _alone(c)]
    return [(cnn, *others) for cnn in cnns for k in range(1, len(peers) + 1) for others in itertools.combinations(peers, k)]


def named(singles: dict[str, Config]) -> dict[str, tuple[str, ...]]:
    """Every candidate made of `singles`, by the name auto reports it under."""
    return {_name(parts): parts for parts in [(name,) for name in singles] + ensembles(singles)}


def _name(parts: tuple[str, ...]) -> str:
    return "+".join(parts)


def _ensemble(done: dict[str, Tried], parts: tuple[str, ...], fold_acc: dict, y: list, sizes: np.ndarray) -> Scored:
    """The parts' out-of-fold scores combined: each fold's by temperatures and weights from the other folds."""
    accs = []
    for f in range(len(y)):
        others = np.arange(len(y)) != f  # no window calibrates or weighs the models that predict it
        proba = sum(w * softmax(done[p].scores[f] / T) for p, w, T in zip(parts, *_weighed(done, parts, fold_acc, y, sizes, others)))
        accs.append(_accuracy(proba, y[f]))
    weights, temperatures = _weighed(done, parts, fold_acc, y, sizes, np.ones(len(y), bool))
    seconds = float(sum(sum(done[p].seconds) for p in parts))
    return Scored(_name(parts), parts, tuple(accs), _pooled(np.array(accs), sizes), seconds, weights=weights, temperatures=temperatures)


def _weighed(done: dict[str, Tried], parts: tuple[str, ...], fold_acc: dict, y: list, sizes: np.ndarray, folds: np.ndarray):
    """The parts' weights (CAWPE, normalised) and temperatures, from the folds `folds` only."""
    ys = np.concatenate([yf for yf, use in zip(y, folds) if use])
    temperatures = [joined.temperature(np.concatenate([s for s, use in zip(done[p].scores, folds) if use]), ys) for p in parts]
    return joined.cawpe([_pooled(fold_acc[p][folds], sizes[folds]) for p in parts]), tuple(temperatures)


def _pooled(fold_accuracy: np.ndarray, sizes: np.ndarray) -> float:
    return float((fold_accuracy * sizes).sum() / sizes.sum())


def refit(choice: Choice, train: WindowSet, budget_left_s: float, singles: dict[str, Config] | None = None):
    """The winner refitted on every training window: its CNN with as many members as `budget_left_s`
    allows (one at least, `MAX_MEMBERS` at most), and its peer, weighted as cross-validation said."""
    from harcnn.estimator import HARClassifier

    singles = candidates() if singles is None else singles
    winner = choice.winner
    cnn, *peers = winner.parts
    share = len(train) / (len(train) - np.mean(choice.fold_windows))
    per_fold = {s.name: s.seconds / choice.folds for s in choice.scored if len(s.parts) == 1}
    peer_s = sum(per_fold[p] * share for p in peers)
    members = int(np.clip((budget_left_s - peer_s) // (per_fold[cnn] * share), 1, MAX_MEMBERS))
    model = HARClassifier.from_config(singles[cnn], members=members, random_state=REFIT_SEED)
    model.fit_windows(train)
    if peers:
        import torch

        fitted = joined.fit_peers(
            [(singles[p].model, singles[p].hparams) for p in peers], train.X, train.y, REFIT_SEED, torch.get_num_threads()
        )
        model.with_peers(fitted, list(winner.weights), list(winner.temperatures))
    return model


def run(
    train: WindowSet,
    budget_min: float = AUTO_BUDGET_MIN,
    *,
    folds: int = AUTO_FOLDS,
    cnn_only: bool = False,
    choose_from: Collection[str] | None = None,
    singles: dict[str, Config] | None = None,
    cache: Path | None = None,
    echo: Callable[[str], None] = print,
):
    """Choose within `budget_min` minutes and refit the winner: `(model, choice, refit seconds)`.
    `cnn_only`: no peer, so that the model exports to every format. `choose_from`: only these
    candidates (`best+multirocket-hydra` alone: that ensemble, weighed on the training subjects)."""
    from harcnn.estimator import ESTIMATOR

    budget_min = ESTIMATOR["budget"].check(budget_min, "auto")
    check_folds(train, folds)
    start = perf_counter()
    singles = candidates(cnn_only) if singles is None else singles
    if choose_from is not None:
        singles = asked(singles, choose_from)
    choice = choose(train, 60 * budget_min, folds=folds, singles=singles, choose_from=choose_from, cache=cache, echo=echo)
    t0 = perf_counter()
    echo(f"refitting {choice.winner.name} on all {len(train)} training windows")
    model = refit(choice, train, 60 * budget_min - (t0 - start), singles)
    return model, choice, perf_counter() - t0


def report(choice: Choice, budget_s: float, refit_s: float, members: int, test_accuracy: float | None) -> tuple[dict, str]:
    """What auto tried, what each cost and why it chose, as JSON and as text that leads with the answer."""
    w = choice.winner
    what = " + ".join(f"{p} {100 * x:.0f} %" for p, x in zip(w.parts, w.weights)) if len(w.parts) > 1 else w.name
    tested = f": test accuracy {100 * test_accuracy:.2f}%" if test_accuracy is not None else ""
    total = choice.seconds + refit_s
    lines = [
        f"chose {w.name}{tested}",
        f"  {what}, {members} CNN member(s); validation {100 * w.accuracy:.2f}%",
        f"  {total / 60:.1f} min of a {budget_s / 60:.1f}-min budget: {choice.seconds / 60:.1f} choosing, {refit_s / 60:.1f} refitting",
    ]
    if choice.resumed:
        lines.append(f"  ({choice.resumed} folds read from the cache of an earlier run: their time is not counted)")
    lines += ["", f"candidates, by accuracy on {choice.folds} subject folds of the training split (* chosen):"]
    width = max(len(s.name) for s in choice.scored)
    lines.append(f"  {'':<{width}} {'valid.':>7}  {'train s':>7}  by fold")
    for s in choice.scored:
        figure = f"{100 * s.accuracy:6.2f}%" if s.fold_accuracy else "      -"
        folds = " ".join(f"{100 * a:.1f}" for a in s.fold_accuracy)
        lines.append(f"{'*' if s is w else ' '} {s.name:<{width}} {figure}  {s.seconds:7.0f}  {folds or '-'}")
        if s.status:
            lines.append(f"  {'':<{width}} ({s.status})")
    for name, why in choice.skipped:
        lines += [f"  {name:<{width}}       -", f"  {'':<{width}} ({why})"]
    lines += [
        "",
        f"why: the best validation accuracy (ties within {100 * TIE:.1f} points: the cheaper).",
        "An ensemble's members are calibrated (a temperature each) and weighted by",
        f"accuracy to the power {joined.EXPONENT} (CAWPE), each fold's from the other folds.",
    ]
    record = {
        "choice": {"name": w.name, "parts": list(w.parts), "weights": list(w.weights), "temperatures": list(w.temperatures), "members": members},
        "validation_accuracy": w.accuracy,
        "test_accuracy": test_accuracy,
        "budget_s": budget_s,
        "choose_s": round(choice.seconds, 1),
        "refit_s": round(refit_s, 1),
        "folds": choice.folds,
        "resumed_folds": choice.resumed,
        "candidates": [
            {
                "name": s.name, "parts": list(s.parts), "validation_accuracy": s.accuracy if s.fold_accuracy else None,
                "fold_accuracy": list(s.fold_accuracy), "seconds": round(s.seconds, 1), "weights": list(s.weights), "temperatures": list(s.temperatures), "status": s.status,
            }
            for s in choice.scored
        ],
        "skipped": [{"name": n, "why": why} for n, why in choice.skipped],
    }  # fmt: skip
    return record, "\n".join(lines) + "\n"


def write_report(folder: Path, record: dict, text: str) -> None:
    from harcnn.outputs import write_text

    write_text(folder / "auto.json", json.dumps(record, indent=1))
    write_text(folder / "auto.txt", text)
