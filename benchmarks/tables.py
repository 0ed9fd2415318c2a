"""Every results table of the docs, generated from the files committed under benchmarks/results.

A table sits in its page between `<!-- table NAME -->` and `<!-- /table -->`, followed by a line
that names the file it was built from and the command that made that file. Rerunning a benchmark
rewrites its file; this rewrites the tables from the files, so that a figure in the docs is always
the one its file holds (a test runs `--check`).

    python benchmarks/tables.py            # rewrite the tables in docs/ and the README
    python benchmarks/tables.py --check    # name each table that differs from its files, exit 1
    python benchmarks/tables.py NAME       # print one table
"""

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import harcnn
from export_runs import load
from harcnn.data.splits import fold_of
from harcnn.experiments import auto
from harcnn.experiments.spec import load_spec
from harcnn.report.tables import fold_spread, paired_subjects, paired_text, subject_spread

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TABLES: dict[str, Callable[[], str]] = {}
MARKED = re.compile(r"(<!-- table (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)


def table(fn: Callable[[], str]) -> Callable[[], str]:
    """Registers a table under its function's name, dashed."""
    TABLES[fn.__name__.replace("_", "-")] = fn
    return fn


def markdown(header: list[str], rows: list[list[str]], source: str) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + f"\n\n*{source}*\n"


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def pm(values: list[float] | np.ndarray, digits: int = 2) -> str:
    """mean +/- std (ddof 0, as the tutorial reports), in %."""
    return f"{np.mean(values):.{digits}f} +/- {np.std(values):.{digits}f}"


def accuracies(runs: list) -> list[float]:
    return [100 * r.accuracy for r in runs]


def read_json(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


# --- the tutorial's studies ------------------------------------------------------------------

TUTORIAL_RUNS = RESULTS / "tutorial" / "harcnn.runs.json"
STUDIES = {  # study -> (its reference label or None, {label: (what it is, the tutorial's figure)})
    "baseline": (None, {"baseline": ("CNN, 64 filters, kernel 3", "90.8 +/- 1.3")}),
    "multihead": (None, {"multihead": ("heads with kernels 3, 5, 11", "91.7 +/- 0.8")}),
    "standardize": ("standardize=False", {"standardize=False": ("raw inputs", "90.5"), "standardize=True": ("standardised", "91.5")}),
    "filters": ("filters=64", {f"filters={f}": (f"{f} filters", t) for f, t in zip((8, 16, 32, 64, 128, 256), ("89.1", "90.4", "90.4", "90.1", "91.0", "90.7"))}),
    "kernel": ("kernel=3", {f"kernel={k}": (f"kernel {k} (15 epochs)", t) for k, t in zip((2, 3, 5, 7, 11), ("90.2", "90.3", "91.9", "91.3", "91.5"))}),
}  # fmt: skip
TUTORIAL_COMMAND = "`python benchmarks/suite.py --results benchmarks/results/tutorial`, then `python benchmarks/export_runs.py`"


def tutorial_accuracies() -> tuple[dict[tuple[str, str], list[float]], str]:
    runs = load(TUTORIAL_RUNS)
    by_label: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        by_label.setdefault((run.study, run.label), []).append(100 * run.accuracy)
    return by_label, ", ".join(sorted({run.harcnn_version for run in runs}))


@table
def tutorial() -> str:
    """Each configuration of the tutorial's five studies: 10 seeds, Welch's p against the study's reference."""
    by_label, version = tutorial_accuracies()
    rows = []
    for study, (reference, configurations) in STUDIES.items():
        for label, (what, published) in configurations.items():
            a, ref = by_label[(study, label)], by_label.get((study, reference), [])
            p = f"{stats.ttest_ind(a, ref, equal_var=False).pvalue:.2g}" if reference and label != reference else ""
            rows.append([study, what, published, f"{pm(a)} (n={len(a)})", p, f"`harcnn run experiments/{study}.toml`"])
    header = ["study", "configuration", "tutorial", "harcnn (mean +/- std, n)", "Welch p against the reference", "command"]
    return markdown(header, rows, f"harcnn {version}; {relative(TUTORIAL_RUNS)}, written by {TUTORIAL_COMMAND}.")


# --- across datasets -------------------------------------------------------------------------

PEERS = ("minirocket", "multirocket-hydra", "hydra", "quant")
PEER_NAMES = {
    "best": "recipe",
    "baseline": "tutorial CNN",
    "minirocket": "MiniRocket",
    "multirocket-hydra": "MultiRocket-Hydra",
    "hydra": "Hydra",
    "quant": "QUANT",
    "auto": "auto",
}
ACROSS = "across"
ROWS = {  # (results folder, dataset) -> what the row is
    (ACROSS, "uci-har"): "UCI HAR, its split (9 test subjects, 3 seeds)",
    (ACROSS, "uci-har-folds"): "UCI HAR, 5 folds over all 30 subjects",
    (ACROSS, "hapt12"): "HAPT, 12 classes, 5 folds over its 21 subjects",
    (ACROSS, "geotec-phone"): "GeoTec phone, 5 folds over 23 subjects",
    (ACROSS, "geotec-phone-100hz"): "GeoTec phone at 100 Hz in 2.56 s windows (256 steps), 5 folds",
    (ACROSS, "geotec-watch"): "GeoTec watch, 5 folds",
    (ACROSS, "geotec-both"): "GeoTec both, joined, 5 folds",
    (ACROSS, "basicmotions"): "BasicMotions (aeon; 40 + 40 windows, 3 seeds)",
    (ACROSS, "pickup-gesture"): "PickupGestureWiimoteZ (aeon; 50 + 50 windows of 361 steps, one channel, 3 seeds)",
    (ACROSS, "gunpoint"): "GunPoint (aeon; 50 + 150 windows, one channel, 3 seeds)",
    (ACROSS, "geotec-phone-loso"): "GeoTec phone, leave one subject out (23 folds)",
    ("across-split2", "uci-har-folds"): "UCI HAR, 5 fresh folds (`split_seed = 2`)",
    ("across-split1", "uci-har-folds"): "UCI HAR, 5 fresh folds (`split_seed = 1`)",
    ("across-split1", "hapt12"): "HAPT, 12 classes, 5 fresh folds (`split_seed = 1`)",
    ("across-split1", "geotec-phone"): "GeoTec phone, 5 fresh folds (`split_seed = 1`)",
    ("across-split1", "geotec-phone-100hz"): "GeoTec phone at 100 Hz, 5 fresh folds (`split_seed = 1`)",
    ("across-split1", "geotec-watch"): "GeoTec watch, 5 fresh folds (`split_seed = 1`)",
    ("across-split1", "geotec-both"): "GeoTec both, 5 fresh folds (`split_seed = 1`)",
}
ACROSS_COMMAND = "`FOLD_SEEDS=3 [SPLIT=N] SPECS=... bash benchmarks/across.sh DATASET...`, then `python benchmarks/export_runs.py`"


class Dataset:
    """One dataset's stored runs: each model's latest configuration, and the recipe before time
    warping (its last configuration without `time_warp`), which the earlier tables report. Only a
    model whose runs tested every fold of the protocol counts; `versions` are those of the runs used."""

    def __init__(self, folder: str, name: str):
        self.path = RESULTS / folder / f"{name}.runs.json"
        self.stored = load(self.path)
        self.versions: set[str] = set()

    def latest(self, spec: str) -> list:
        runs = [r for r in self.stored if r.study == spec]
        return self.used([r for r in runs if r.config_key == runs[-1].config_key] if runs else [])

    def before_warp(self) -> list:
        unwarped = [r for r in self.stored if r.study == "best" and "time_warp" not in r.config]
        return self.used([r for r in unwarped if r.config_key == unwarped[-1].config_key])

    def used(self, runs: list) -> list:
        folds = runs[0].config.get("test_folds", 0) if runs else 0
        if folds and len({fold_of(r.seed, folds) for r in runs}) < folds:
            return []
        self.versions |= {r.harcnn_version for r in runs}
        return runs


def version_key(version: str) -> tuple[int, ...]:
    """A version's order: 0.9.0 before 0.10.0."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def mean_and_spread(runs: list) -> tuple[float, float]:
    """The mean over runs; with several seeds a fold, the std across the folds' means, else across runs."""
    folds = fold_spread(runs)
    spread = folds[1] if folds and folds[2] is not None else float(np.std(accuracies(runs)))
    return float(np.mean(accuracies(runs))), spread


def signed(lead: float) -> str:
    """A lead in points, a tie as 0.00 (not +0.00 or -0.00)."""
    return f"{lead:+.2f}" if round(lead, 2) else "0.00"


def best_peer(data: Dataset) -> tuple[str, float] | None:
    means = {p: mean_and_spread(data.latest(p))[0] for p in PEERS if data.latest(p)}
    return max(means.items(), key=lambda item: item[1]) if means else None


def across_source(datasets: list[Dataset]) -> str:
    folders = sorted({relative(d.path.parent) + "/" for d in datasets})
    versions = sorted(set().union(*(d.versions for d in datasets)), key=version_key)
    return (f"harcnn {', '.join(versions)} (0.7.0: the version string before 0.8.0's release); "
            f"`<dataset>.runs.json` in {', '.join(folders)}, written by {ACROSS_COMMAND}.")  # fmt: skip


@table
def across_warp() -> str:
    """The recipe (with time warping) on every dataset row: its lead over the best peer now and before, by subject."""
    rows, datasets = [], [Dataset(*key) for key in ROWS]
    for data, what in zip(datasets, ROWS.values()):
        recipe, before = data.latest("best"), data.before_warp()
        mean, spread = mean_and_spread(recipe)
        folds = fold_spread(recipe)
        if folds and folds[2] is not None:
            cell = f"{mean:.2f} ({folds[1]:.2f}; {folds[2]:.2f})"
        elif folds:
            cell = f"{mean:.2f} +/- {spread:.2f} ({folds[0]} folds)"
        else:
            cell = f"{mean:.2f} +/- {spread:.2f}"
        peer, peer_mean = best_peer(data)
        paired = paired_subjects(recipe, data.latest(peer))
        rows.append([
            what, cell, f"{signed(mean - peer_mean)} ({signed(mean_and_spread(before)[0] - peer_mean)})",
            PEER_NAMES[peer], f"{paired_text(paired)}" if paired else "",
        ])  # fmt: skip
    header = ["dataset (protocol)", "recipe with time warping", "lead (before)", "best peer", "by subject"]
    return markdown(header, rows, across_source(datasets))


def across_grid(folder: str, models: tuple[str, ...], header: list[str]) -> str:
    """The recipe before time warping beside the other models, the best of a row in bold."""
    rows, datasets = [], [Dataset(*key) for key in ROWS if key[0] == folder]
    for data in datasets:
        runs = {m: data.before_warp() if m == "best" else data.latest(m) for m in models}
        cells = {m: mean_and_spread(r) for m, r in runs.items() if r}
        top = max(round(c[0], 2) for c in cells.values())
        text = {m: (f"**{c[0]:.2f} +/- {c[1]:.2f}**" if round(c[0], 2) == top else f"{c[0]:.2f} +/- {c[1]:.2f}") for m, c in cells.items()}
        peer = max((m for m in PEERS if m in cells), key=lambda m: cells[m][0])
        rows.append([ROWS[folder, data.path.name.removesuffix(".runs.json")], *(text.get(m, "-") for m in models),
                     signed(cells["best"][0] - cells[peer][0])])  # fmt: skip
    return markdown([header[0], *(PEER_NAMES[m] for m in models), "lead over the best peer"], rows, across_source(datasets))


@table
def across() -> str:
    """Every model on every dataset row, the recipe as it was before time warping."""
    return across_grid(ACROSS, ("best", "baseline", *PEERS), ["dataset (protocol)"])


@table
def across_fresh() -> str:
    """The recipe before time warping against the peers on subject folds dealt afresh (`split_seed = 1`)."""
    return across_grid("across-split1", ("best", *PEERS), ["dataset, 5 fresh subject folds"])


@table
def headline() -> str:
    """The README's and the docs' first table: the tutorial reproduced, the recipe against the peers."""
    by_label, version = tutorial_accuracies()
    uci = Dataset(ACROSS, "uci-har")
    recipe = accuracies(uci.latest("best"))
    peers = ", ".join(f"{PEER_NAMES[p]} {pm(accuracies(uci.latest(p)))}" for p in PEERS[:2])
    leads, datasets = [], [uci, *(Dataset(*key) for key in ROWS if key[0] == ACROSS)]
    for data in datasets[1:]:
        leads.append(round(mean_and_spread(data.latest("best"))[0] - best_peer(data)[1], 2))
    ahead, level, behind = sum(x > 0 for x in leads), sum(x == 0 for x in leads), sum(x < 0 for x in leads)
    across_version = ", ".join(sorted(set().union(*(d.versions for d in datasets)), key=version_key))
    if uci.latest("best")[0].config_key == load_spec(ROOT / "experiments" / "best.toml").configs[0].key:
        across_version = f"{harcnn.__version__}'s `best.toml`, runs recorded by {across_version}"
    rows = [
        ["the tutorial's CNN, UCI HAR, 10 seeds", f"{pm(by_label[('baseline', 'baseline')])} %", "tutorial 90.8 % +/- 1.3",
         f"`harcnn run experiments/baseline.toml` ({version})"],
        ["the tutorial's multi-head CNN, 10 seeds", f"{pm(by_label[('multihead', 'multihead')])} %", "tutorial 91.7 % +/- 0.8",
         f"`harcnn run experiments/multihead.toml` ({version})"],
        [f"recommended recipe, UCI HAR, {len(recipe)} seeds", f"{pm(recipe)} %", peers, f"`bash benchmarks/across.sh uci-har` ({across_version})"],
        [f"recommended recipe, {len(leads)} dataset rows", f"ahead of the best peer on {ahead}, level on {level}, behind on {behind}",
         ", ".join(PEER_NAMES[p] for p in PEERS), f"`bash benchmarks/across.sh` ({across_version})"],
    ]  # fmt: skip
    return markdown(["test accuracy", "harcnn", "against", "command (version)"], rows,
                    f"Generated by `python benchmarks/tables.py` from {relative(TUTORIAL_RUNS)} and benchmarks/results/across/.")  # fmt: skip


@table
def geotec() -> str:
    """The GeoTec rows of the cross-dataset study as a user of their own recordings reads them."""
    models = ("baseline", "best", "minirocket")
    rows, datasets = [], [Dataset(ACROSS, f"geotec-{device}") for device in ("phone", "watch", "both")]
    for data, device in zip(datasets, ("phone", "watch", "both, joined")):
        runs = {m: data.latest(m) for m in models}
        top = max(mean_and_spread(r)[0] for r in runs.values())
        cells = []
        for m in models:
            mean, spread = mean_and_spread(runs[m])
            subjects = subject_spread(runs[m])
            figure = f"{mean:.2f} +/- {spread:.2f}"
            cells.append(f"{f'**{figure}**' if mean == top else figure} (n {len(runs[m])}), F1 {np.mean([r.macro_f1 for r in runs[m]]):.3f}, "
                         f"subjects {subjects[1]:.2f} +/- {subjects[2]:.2f}")  # fmt: skip
        rows.append([device, *cells])
    header = ["device", "tutorial CNN (`baseline.toml`)", "ResNet recipe (`best.toml`)", "MiniRocket (aeon defaults)"]
    return markdown(header, rows, across_source(datasets))


# --- beyond the tutorial: how the recipe was chosen -----------------------------------------


@table
def best_vs_minirocket() -> str:
    """The recommended recipe against MiniRocket, 10 seeds each, one benchmark run; and 0.4.0's recipe."""
    now, then = read_json("best_vs_minirocket.json"), read_json("best_vs_minirocket-0.4.0.json")
    csv = {name: pd.read_csv(RESULTS / f"bench-{name}.csv") for name in ("best", "minirocket", "best-0.4.0")}
    sides = [(now["cnn"], csv["best"]), (now["minirocket"], csv["minirocket"]), (then["cnn"], csv["best-0.4.0"])]

    def accuracy(side: dict, runs: pd.DataFrame) -> str:
        a = 100 * runs.accuracy
        return f"{side['accuracy_mean']:.2f} % +/- {side['accuracy_std']:.2f} ({a.min():.2f}-{a.max():.2f})"

    def ensembles(side: dict) -> str:
        sizes = [(n, a) for n, a in side["ensembles"] if n > 1]
        return f"{sizes[0][0]} members: " + ", ".join(f"{a:.2f} %" for _, a in sizes) if sizes else "(one fit per seed)"

    rows = [
        ["test accuracy, 10 seeds (range)", *(accuracy(*side) for side in sides)],
        ["ensemble (mean probability of a population)", *(ensembles(side) for side, _ in sides)],
        ["macro-F1 (mean)", *(f"{side['macro_f1']:.4f}" for side, _ in sides)],
        ["sitting / standing F1 (mean)", *(f"{side['sitting_f1']:.3f} / {side['standing_f1']:.3f}" for side, _ in sides)],
        [
            "training time per model (study wall time / 10)",
            *(f"{side['s_per_model']:.1f} s ({side['wall_s']:.0f} s for 10)" for side, _ in sides),
        ],
    ]
    header = ["", "ResNet, `experiments/best.toml` (0.5.0)", "MiniRocket, `experiments/minirocket.toml`", "ResNet, 0.4.0's `best.toml`"]
    return markdown(header, rows, f"{now['machine']}; benchmarks/results/best_vs_minirocket.json and bench-best.csv, bench-minirocket.csv "
                    "(0.4.0: best_vs_minirocket-0.4.0.json, bench-best-0.4.0.csv), written by "
                    "`python benchmarks/best_vs_minirocket.py --out benchmarks/results/best_vs_minirocket.json`.")  # fmt: skip


@table
def explore() -> str:
    """Exploration on validation subjects: each run of `benchmarks/explore.py` and how it differs from the first."""
    runs = [json.loads(line) for line in (RESULTS / "explore.jsonl").read_text().splitlines()]
    base = runs[0]["config"]
    rows = []
    for run in runs:
        changed = ", ".join(f"{k} = {json.dumps(v)}" for k, v in run["config"].items() if base.get(k) != v) or "FCN, 32 filters (the base)"
        f1 = run["f1"]
        rows.append([f"`{run['tag']}`", changed, f"{100 * run['mean']:.2f}", f"{100 * run['ensemble']:.2f}",
                     f"{f1['SITTING']:.2f} / {f1['STANDING']:.2f}", f"{run['s_per_model']:.0f}"])  # fmt: skip
    header = [
        "tag",
        "configuration (what differs from the base)",
        "validation % (mean of 2)",
        "ensemble of 2",
        "sitting / standing F1",
        "s a model",
    ]
    return markdown(header, rows, "harcnn 0.4.0-0.5.0; benchmarks/results/explore.jsonl, written by "
                    "`python benchmarks/explore.py '{...}' --tag TAG` (one line a run).")  # fmt: skip


def selection(name: str) -> str:
    """A `harcnn select` of 0.4-0.5, from its CSV: each candidate's validation and test accuracy (the
    test figure was printed beside and not used for the choice), ranked by validation."""
    runs = pd.read_csv(RESULTS / f"{name}.csv")
    groups = sorted(runs.groupby("label"), key=lambda item: -item[1].val_accuracy.mean())
    rows = []
    for rank, (label, g) in enumerate(groups):
        chosen = (lambda text: f"**{text}**") if rank == 0 else str
        rows.append([chosen(f"`{label}`"), chosen(pm(100 * g.val_accuracy)), pm(100 * g.accuracy)])
    header = ["configuration", "validation %", "test % (not used for the choice)"]
    return markdown(header, rows, f"benchmarks/results/{name}.csv (2 seeds a configuration), written by "
                    f"`harcnn select experiments/{name}.toml --repeats 2` and `harcnn report --csv`.")  # fmt: skip


@table
def select_rotation() -> str:
    return selection("rotation")


@table
def select_rotation_pool() -> str:
    return selection("rotation-pool")


# --- performance and data checks ------------------------------------------------------------


@table
def keras_speed() -> str:
    """harcnn against the Keras reference: one tutorial study each, one after the other."""
    rows, machines = [], set()
    for study, what in (("baseline", "baseline CNN"), ("multihead", "multi-head CNN")):
        record = read_json(f"train-{study}.json")
        machines.add(f"{record['machine']}, harcnn {record['harcnn']}")
        ours, keras = record["runs"]["harcnn"], record["runs"]["keras reference"]
        rows.append([what, f"{ours['wall_s']:.1f} s", f"{keras['wall_s']:.1f} s", f"{keras['wall_s'] / ours['wall_s']:.2f}x",
                     pm(ours["accuracies"]), pm(keras["accuracies"])])  # fmt: skip
    header = ["study, 10 repeats x 10 epochs, batch 32", "harcnn", "Keras reference", "speed-up", "harcnn accuracy", "Keras accuracy"]
    return markdown(header, rows, f"{'; '.join(sorted(machines))}; benchmarks/results/train-baseline.json, train-multihead.json, written by "
                    "`python benchmarks/train.py --study STUDY --keras-python PY --out benchmarks/results/train-STUDY.json`.")  # fmt: skip


@table
def load_and_infer() -> str:
    """Loading UCI HAR and a shipped model's inference speed."""
    data, infer = read_json("data.json"), read_json("inference.json")
    cached = sorted(data["cached_s"])
    lat, stream = infer["batch_1_latency_ms"], infer["stream_per_window_ms"]
    rows = [
        ["first parse of the UCI HAR zip (verify, parse, cache)", f"{data['first_parse_s']:.2f} s", "`python benchmarks/data.py --keras-python PY --out benchmarks/results/data.json`"],
        [f"cached load, fresh process ({len(cached)} runs)", f"{cached[len(cached) // 2]:.3f} s median, {cached[-1]:.3f} s max", "same"],
        ["the reference's pandas parse of the extracted folder", f"{data['reference_parse_s']:.2f} s", "same"],
        [f"inference of `{infer['model']}` ({infer['members']} member), batch 1 / batch 1024",
         f"{infer['batch_1_windows_per_s']} / {infer['batch_1024_windows_per_s']} windows/s; {lat['median']:.2f} ms median latency, p99 {lat['p99']:.2f} ms",
         f"`python benchmarks/inference.py {infer['model']} --out benchmarks/results/inference.json`"],
        ["streaming, per window (64 samples in, filters, prediction out)", f"{stream['median']:.2f} ms median, p99 {stream['p99']:.2f} ms", "same"],
    ]  # fmt: skip
    machines = sorted({f"{r['machine']}, harcnn {r['harcnn']}" for r in (data, infer)})
    return markdown(["what", "figure", "command"], rows, f"{'; '.join(machines)}; benchmarks/results/data.json, inference.json.")


@table
def cost() -> str:
    """What a user waits for: whole commands, one after the other on an idle machine."""
    c = read_json("cost.json")
    fit = c["minirocket"]["wall_s"]
    study = c["study"]
    rows = [
        ["`harcnn train experiments/best.toml` (one model)", f"{c['one_model']['wall_s']:.1f} s", f"{c['one_model']['test_accuracy']:.2f} %", f"{c['one_model']['wall_s'] / fit:.2f}x"],
        ["`harcnn train experiments/best.toml --members 5` (the ensemble)", f"{c['ensemble_5']['wall_s']:.1f} s", f"{c['ensemble_5']['test_accuracy']:.2f} % (ensemble)", f"{c['ensemble_5']['wall_s'] / fit:.2f}x"],
        [f"`harcnn run experiments/best.toml` ({study['runs']} seeds: two single-threaded workers, populations of 5)",
         f"{study['wall_s']:.1f} s ({study['wall_s'] / study['runs']:.1f} s a model)", f"{study['accuracy_mean']:.2f} +/- {study['accuracy_std']:.2f} %",
         f"{study['wall_s'] / study['runs'] / fit:.2f}x a model"],
        ["`harcnn run experiments/minirocket.toml --repeats 1` (aeon's defaults, 2 threads)", f"{fit:.1f} s", f"{c['minirocket']['accuracy_mean']:.2f} %", "1x"],
        ["`harcnn run experiments/multirocket-hydra.toml --repeats 1`", f"{c['multirocket-hydra']['wall_s']:.1f} s",
         f"{c['multirocket-hydra']['accuracy_mean']:.2f} %", f"{c['multirocket-hydra']['wall_s'] / fit:.2f}x"],
    ]  # fmt: skip
    return markdown(["command", "wall time", "test accuracy", "against one MiniRocket fit"], rows,
                    f"{c['machine']}; benchmarks/results/cost.json, written by `python benchmarks/cost.py --out benchmarks/results/cost.json`.")  # fmt: skip


@table
def preprocess_agreement() -> str:
    """harcnn's preprocessing of the raw recordings against the real UCI HAR windows, per channel."""
    r = read_json("preprocess_agreement.json")
    rows = [[name, f"{c['corr']:.4f}", f"{c['mean']:.5f}", f"{c['max']:.4f}", f"{c['scale']:.4f}"] for name, c in r["channels"].items()]
    header = ["channel", "correlation", "mean abs error", "max abs error", "mean abs value (UCI)"]
    return markdown(header, rows, f"{r['machine']}, harcnn {r['harcnn']}; {r['matched']} of {r['sampled']} windows matched; "
                    "benchmarks/results/preprocess_agreement.json, written by "
                    "`python benchmarks/preprocess_agreement.py --out benchmarks/results/preprocess_agreement.json`.")  # fmt: skip


@table
def tiny() -> str:
    """The microcontroller-sized model beside the recommended one and ST's published HAR models."""
    ours, st = read_json("tiny.json"), read_json("st_anchors.json")
    runs, reference = ours["tiny"], ours["reference"]
    kib = lambda n: f"{n / 1024:.1f}"  # noqa: E731

    def harcnn_row(what: str, rows: list[dict]) -> list[str]:
        one = rows[0]  # the seeds share the network: sizes alike
        accuracy = [100 * r["accuracy_float32"] for r in rows]
        int8 = np.mean([100 * r["accuracy_int8"] for r in rows])
        figure = f"{pm(accuracy)} (float32), {int8:.2f} (int8)" if len(rows) > 1 else f"{accuracy[0]:.2f} (float32), {int8:.2f} (int8)"
        return [what, f"{one['parameters']:,}", kib(one["weights_int8_bytes"]), kib(one["peak_activations_int8_bytes"]),
                f"{one['macs'] / 1e6:.2f}", kib(one["onnx_int8_bytes"]),
                f"{np.median([r['latency_int8_ms'] for r in rows]):.2f} (ONNX Runtime int8, this CPU, 1 thread)",
                f"{figure}: UCI HAR test, 6 classes, 128 x 9 inputs"]  # fmt: skip

    rows = [
        harcnn_row(f"harcnn `experiments/tiny.toml`, distilled ({len(runs)} seeds)", runs),
        harcnn_row(f"harcnn recommended (`{reference['model']}`)", [reference]),
    ]
    for name, m in st["models"].items():
        rows.append([f"ST `{name}` (published, float32)", f"{m['parameters']:,}", f"{m['weights_kib']:.2f}", f"{m['activations_kib']:.2f}",
                     f"{m['maccs_m']:.3f}", f"(total flash {m['total_flash_kib']:.2f})", f"{m['latency_ms']:.2f} (Cortex-M33, 160 MHz)",
                     f"{m['accuracy']}, {m['input']}"])  # fmt: skip
    header = ["model", "parameters", "weights KiB (int8)", "peak activations KiB (int8)", "M MACs a window", "int8 ONNX file KiB",
              "latency ms (where)", "accuracy %"]  # fmt: skip
    return markdown(header, rows, f"{ours['machine']}, harcnn {ours['harcnn']}; benchmarks/results/tiny.json, written by "
                    "`python benchmarks/tiny.py tiny-0/ tiny-1/ tiny-2/ --out benchmarks/results/tiny.json` (each trained by "
                    "`harcnn train experiments/tiny.toml --teacher pretrained:uci-har --seed S --out tiny-S/`); ST's from "
                    f"benchmarks/results/st_anchors.json ({st['source']}).")  # fmt: skip


@table
def export_formats() -> str:
    """Each export format of the shipped UCI HAR model: time, size, agreement with PyTorch."""
    r = read_json("export_formats.json")
    rows = []
    for name, f in r["formats"].items():
        agreement = f"{f['max_abs_diff']:.1e}" if "max_abs_diff" in f else "(Core ML predicts on Apple's systems only)"
        accuracy = f"{100 * f['accuracy']:.2f}" if "accuracy" in f else "-"
        rows.append([f"`harcnn export {r['model']} --format {name}`".replace("--format onnx --", "--"), f"{f['seconds']:.2f}",
                     f"{f['bytes'] / 1024:.0f}", agreement, accuracy, f.get("nnapi", "")])  # fmt: skip
    header = [
        "export",
        "seconds",
        "KiB",
        "max abs difference from PyTorch's probabilities",
        "test accuracy %",
        "NNAPI (ONNX Runtime's check)",
    ]
    return markdown(header, rows, f"{r['machine']}, harcnn {r['harcnn']}; PyTorch's test accuracy {100 * r['accuracy_pytorch']:.2f} %; "
                    "benchmarks/results/export_formats.json, written by "
                    f"`python benchmarks/export_formats.py {r['model']} --out benchmarks/results/export_formats.json`.")  # fmt: skip


@table
def raw_channels() -> str:
    """The recipe on raw 6-channel windows (what a phone feeds directly) against UCI HAR's filtered 9 channels, validation only."""
    runs = {json.loads(line)["tag"]: json.loads(line) for line in (RESULTS / "explore-raw.jsonl").read_text().splitlines()}
    what = {
        "hapt-raw6": "raw: ax, ay, az (g), gx, gy, gz (rad/s), no filter",
        "hapt-uci9": "UCI HAR's filters: total_acc, body_acc, body_gyro (9)",
    }
    rows = [[what[tag], f"{100 * r['mean']:.2f}", f"{100 * r['ensemble']:.2f}", ", ".join(f"{100 * v:.2f}" for v in r["fold_means"])]
            for tag, r in runs.items()]  # fmt: skip
    header = ["windows of the 16 training subjects' recordings", "validation % (mean of 3 seeds)", "ensemble of 3", "by fold"]
    return markdown(header, rows, "harcnn 0.8.0; benchmarks/results/explore-raw.jsonl, written by `python benchmarks/explore.py "
                    "'{\"members\": 3}' --spec experiments/best.toml --data D.npz --folds 5 --tag T --log benchmarks/results/explore-raw.jsonl`, "
                    "D made by `harcnn data recordings HAPT-RawData-train-subjects.zip --out D.npz [--filter uci-har]`.")  # fmt: skip


def scale_rows(stage: str) -> tuple[list[dict], str]:
    """scale.json's rows of one stage, and where they come from: the runs of `python benchmarks/scale.py` it joins."""
    r = read_json("scale.json")
    runs = "; ".join(f"`python benchmarks/scale.py {args}`" for args in r["runs"])
    source = (f"{r['machine']}, harcnn {r['harcnn']}; benchmarks/results/scale.json, joined from {runs} (synthetic data, each size "
              "and stage in a fresh process, the machine otherwise idle).")  # fmt: skip
    return [row for row in r["rows"] if row.get("stage") == stage], source


@table
def scale() -> str:
    """One epoch of the recipe and a prediction of every window, by the number of windows and members."""
    rows, source = scale_rows("train and predict")
    out = []
    for row in rows:
        if "failed" in row:
            out.append([f"{row['windows']:,}", str(row["members"]), "-", f"failed: {row['failed']}", "-", "-"])
            continue
        out.append([f"{row['windows']:,}", str(row["members"]), f"{row['data_gib']:.2f}",
                    f"{row['epoch_s']:.1f} ({row['epoch_us_per_window']:.0f} us a member-window)",
                    f"{row['predict_s']:.1f} ({row['predict_us_per_window']:.0f} us a window)", f"{row['peak_rss_gib']:.2f}"])  # fmt: skip
    header = ["windows (9 x 128)", "members", "windows GiB (float32)", "one epoch, s", "predicting all, s", "peak memory GiB"]
    return markdown(header, out, source)


@table
def scale_recordings() -> str:
    """`harcnn data recordings` on CSV files, by the number of windows they give."""
    rows, source = scale_rows("data recordings")
    out = [[f"{row['windows']:,}", f"{row['csv_gib']:.2f}", f"{row['read_s']:.1f} ({row['read_us_per_window']:.0f} us a window)",
            f"{row['windows'] * 9 * 128 * 4 / 2**30:.2f}", f"{row['peak_rss_gib']:.2f}"] for row in rows]  # fmt: skip
    header = ["windows (9 x 128)", "CSV GiB", "data recordings, s", "windows GiB (float32)", "peak memory GiB"]
    return markdown(header, out, source)


@table
def throughput() -> str:
    """Population training throughput on each device the benchmark found."""
    r = read_json("throughput.json")
    rows = [[row["name"], str(row["members"]), f"{row['ms_step']:.1f}", f"{row['windows_per_s']:,}", f"{row['gflop_s']:.1f}",
             f"{row['peak_gflop_s']:.1f}", f"{100 * row['share_of_peak']:.0f} %"] for row in r["rows"]]  # fmt: skip
    header = [
        "device",
        "members",
        "ms a step (64 windows a member)",
        "windows a second",
        "GFLOP/s",
        "peak GFLOP/s (matrix product)",
        "of peak",
    ]
    return markdown(header, rows, f"{r['machine']}, harcnn {r['harcnn']}; benchmarks/results/throughput.json, written by "
                    f"`python benchmarks/throughput.py --out benchmarks/results/throughput.json` ({r['spec']}).")  # fmt: skip


# --- the best model at any budget ------------------------------------------------------------

LADDER_COMMAND = "`python benchmarks/ladder.py --out benchmarks/results/ladder.json --plot docs/ladder.png`"


@table
def ladder() -> str:
    """What each training budget buys on UCI HAR's split: harcnn's points and the peers', timed in one run."""
    r = read_json("ladder.json")
    base = r["points"]["minirocket"]["wall_s"]
    rows = []
    for name, p in sorted(r["points"].items(), key=lambda item: item[1]["wall_s"]):
        accuracy = 100 * np.array(p["accuracy"])
        figure = pm(accuracy) if len(accuracy) > 1 else f"{accuracy[0]:.2f}"
        chose = f"; chose {p['choice']['name']}, {p['choice']['members']} CNN members" if "choice" in p else ""
        rows.append([f"`{name}`", p["what"] + chose, str(len(accuracy)), figure, f"{p['wall_s']:.0f}", f"{p['wall_s'] / base:.2f}"])
    header = ["point", "what", "seeds", "test accuracy %", "training s", "x MiniRocket's fit"]
    by_version: dict[str, list[str]] = {}
    for name, p in r["points"].items():
        by_version.setdefault(p["harcnn"], []).append(f"`{name}`")
    versions = "; ".join(
        f"harcnn {v}: {', '.join(names)}" for v, names in sorted(by_version.items(), key=lambda item: version_key(item[0]))
    )
    return markdown(header, rows, f"{r['machine']}; {versions}; benchmarks/results/ladder.json, written by {LADDER_COMMAND}.")


def auto_rows() -> list[tuple["Dataset", str, list, dict]]:
    """The rows `harcnn auto` ran on: the row's runs, what the row is, auto's runs, what it tried per fold."""
    out = []
    for (folder, name), what in ROWS.items():
        data = Dataset(folder, name)
        runs = data.latest("auto")
        suffix = "" if folder == ACROSS else "-" + folder.removeprefix("across-")
        tried = RESULTS / "across-auto" / f"{name}{suffix}.json"
        records = json.loads(tried.read_text()) if runs and tried.is_file() else {}
        records = {fold: r for fold, r in records.items() if r.get("config_key") == runs[-1].config_key}
        if records:
            out.append((data, what, runs, records))
    return out


@table
def across_auto() -> str:
    """`harcnn auto` on the cross-dataset rows: its test accuracy, the recipe's and the best peer's, and what it chose."""
    rows, datasets = [], []
    for data, what, runs, tried in auto_rows():
        datasets.append(data)
        mean, spread = mean_and_spread(runs)
        recipe = mean_and_spread(data.latest("best"))[0] if data.latest("best") else float("nan")
        peer, peer_mean = best_peer(data)
        paired = paired_subjects(runs, data.latest(peer))
        chosen: dict[str, int] = {}
        for record in tried.values():
            label = f"{record['choice']['name']} x{record['choice']['members']}"
            chosen[label] = chosen.get(label, 0) + 1
        cell = f"{mean:.2f} +/- {spread:.2f} ({len(runs)} folds)" if len(runs) > 1 else f"{mean:.2f} (one run)"
        offered = {c["name"] for r in tried.values() for c in r["candidates"] + r["skipped"]}
        if not set(auto.PEERS) <= offered:
            what += "; auto before 0.12.0, with " + " and ".join(PEER_NAMES[p] for p in auto.PEERS if p in offered) + " only"
        rows.append([what, cell, f"{recipe:.2f}", f"{PEER_NAMES[peer]} {peer_mean:.2f}", signed(mean - peer_mean),
                     paired_text(paired) if paired else "", ", ".join(f"{k} ({v})" if len(tried) > 1 else k for k, v in chosen.items())])  # fmt: skip
    header = ["dataset (protocol)", "auto", "recipe", "best peer", "auto's lead", "by subject", "chosen (folds)"]
    return markdown(header, rows, across_source(datasets) + " auto's: `python benchmarks/across_auto.py DATASET...` "
                    "(what it tried: benchmarks/results/across-auto/).")  # fmt: skip


@table
def auto_candidates() -> str:
    """What `harcnn auto` tried on each row, validation figures only (mean over the row's folds): a
    column a row of the cross-dataset table, a row a candidate."""
    columns, by_row = [], []
    for data, _, _, tried in auto_rows():
        split = data.path.parent.name.removeprefix(ACROSS).removeprefix("-split")
        columns.append(f"{data.path.name.removesuffix('.runs.json')}{f' (split {split})' if split else ''}")
        by_name: dict[str, list[float]] = {}
        for record in tried.values():
            for c in record["candidates"]:
                if c["validation_accuracy"] is not None:
                    by_name.setdefault(c["name"], []).append(100 * c["validation_accuracy"])
        by_row.append(by_name)
    rows = [[f"`{n}`", *(f"{np.mean(b[n]):.2f}" if n in b else "-" for b in by_row)] for n in AUTO_CANDIDATES]
    return markdown(["candidate", *columns], rows, "Validation accuracy % on 3 subject folds of each training split, "
                    "the mean over the row's test folds (-: not among that run's candidates); benchmarks/results/across-auto/, written by "
                    "`python benchmarks/across_auto.py DATASET...`.")  # fmt: skip


AUTO_CANDIDATES = tuple(auto.named(auto.candidates()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", choices=sorted(TABLES), help="print this table only")
    p.add_argument("--check", action="store_true", help="rewrite nothing; exit 1 where a table differs from its files")
    a = p.parse_args()
    if a.name:
        print(TABLES[a.name](), end="")
        return
    generated = {name: fn() for name, fn in TABLES.items()}
    found, stale = set(), []
    for page in PAGES:
        text = page.read_text()
        for m in MARKED.finditer(text):
            found.add(m["name"])
            if m["body"] != generated[m["name"]]:
                stale.append(f"{relative(page)}: {m['name']}")
        new = MARKED.sub(lambda m: m[1] + generated[m["name"]] + m[4], text)
        if new != text and not a.check:
            page.write_text(new)
    for name in sorted(set(TABLES) - found):
        print(f"table {name} is in no page (add <!-- table {name} --> and <!-- /table -->)")
    for where in stale:
        print(f"{where} {'differs from its files' if a.check else 'rewritten'}")
    sys.exit(1 if a.check and (stale or set(TABLES) - found) else 0)


if __name__ == "__main__":
    main()
