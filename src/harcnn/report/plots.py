"""Figures: the tutorial-style boxplot of a study and a labelled confusion matrix.

Figures are made with matplotlib's object API (`Figure`, no pyplot), so that plotting neither
switches the backend of a user's notebook nor keeps figures alive; and with mathtext off, so that
names from users' files (a class called `$x^$`, say) are drawn as written, never parsed.
"""

import functools
import json
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from harcnn.outputs import atomic_output, write_text


def save_figure(fig, path: Path, dpi: int) -> None:
    """Every harcnn figure is written whole or not at all (`outputs.atomic_output`)."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")


def _subplots(*args, **kwargs):
    fig = Figure(figsize=kwargs.pop("figsize"))
    return fig, fig.subplots(*args, **kwargs)


def _plain_text(draw):
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return wrapper


@_plain_text
def boxplot(groups: dict[str, list[float]], title: str, path: Path, ylabel: str = "test accuracy (%)") -> Path:
    """One box of test accuracies (%) per configuration, every run drawn as a point."""
    fig, ax = _subplots(figsize=(max(4.0, 1.3 * len(groups) + 1.5), 4.0))
    labels = list(groups)
    values = [100 * np.asarray(groups[k]) for k in labels]
    ax.boxplot(values, showmeans=True, meanprops={"marker": "^", "markerfacecolor": "tab:green", "markeredgecolor": "tab:green"})
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    for i, v in enumerate(values, start=1):
        ax.scatter(np.full(len(v), i) + np.linspace(-0.08, 0.08, len(v)), v, s=10, alpha=0.6, color="tab:blue")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    from matplotlib.lines import Line2D

    ax.legend(
        [Line2D([], [], color="tab:orange"), Line2D([], [], marker="^", color="tab:green", ls=""), Line2D([], [], marker="o", color="tab:blue", ls="", alpha=0.6)],
        ["median", "mean", "one seed"], fontsize=7, loc="best",
    )  # fmt: skip
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


@_plain_text
def confusion(cm: np.ndarray, classes: tuple[str, ...] | list[str], title: str, path: Path) -> Path:
    """Row-normalised confusion matrix (recall on the diagonal) annotated with counts."""
    cm = np.asarray(cm)
    rates = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = _subplots(figsize=(1.0 * len(classes) + 2.5, 0.9 * len(classes) + 1.8))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=35, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                f"{rates[i, j]:.2f}\n({cm[i, j]})",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if rates[i, j] > 0.6 else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


@_plain_text
def heatmap(table: dict[str, dict[str, float]], title: str, path: Path) -> Path:
    """One row per configuration, one column per class (per-class F1) or per subject (accuracy)."""
    labels = list(table)
    classes = list(next(iter(table.values())))
    values = np.array([[table[label].get(c, np.nan) for c in classes] for label in labels])
    fig, ax = _subplots(figsize=(1.0 * len(classes) + 3.0, 0.45 * len(labels) + 2.0))
    low = min(0.5, np.nanmin(values))
    image = ax.imshow(values, cmap="Greens", vmin=low, vmax=1, aspect="auto")
    ax.set_xticks(range(len(classes)), classes, rotation=35, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(classes)):
            dark = values[i, j] > low + 0.6 * (1 - low)  # white on the dark greens, black on the light ones
            ax.text(j, i, f"{values[i, j]:.3f}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


def _ragged(rows: list[list[float]]) -> np.ndarray:
    """Rows of different lengths as one array, NaN past each row's end."""
    a = np.full((len(rows), max(map(len, rows))), np.nan)
    for row, values in zip(a, rows, strict=True):
        row[: len(values)] = values
    return a


@_plain_text
def learning_curves(curves: dict[str, list[dict]], title: str, path: Path) -> Path:
    """Loss and accuracy per epoch: the median over seeds as a line, min to max as a band. Runs may differ in
    length (min_steps gives the smaller folds of a cross-validation more epochs): each epoch is drawn over the runs
    that reached it."""
    keys = [
        k for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy") if any(all(c.get(k) for c in cs) for cs in curves.values())
    ]
    panels = [("loss", [k for k in keys if k.endswith("loss")]), ("accuracy", [k for k in keys if k.endswith("accuracy")])]
    fig, axes = _subplots(1, 2, figsize=(10, 3.6))
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (what, panel_keys) in zip(axes, panels):
        for i, (label, runs) in enumerate(curves.items()):
            for key in (k for k in panel_keys if all(run.get(k) for run in runs)):  # a peer has no epochs to draw
                a = _ragged([run[key] for run in runs])
                epochs = np.arange(1, a.shape[1] + 1)
                style = "-" if key.startswith("train") else "--"
                ax.plot(epochs, np.nanmedian(a, 0), style, color=colors[i % len(colors)], label=f"{label} ({key.split('_')[0]})")
                ax.fill_between(epochs, np.nanmin(a, 0), np.nanmax(a, 0), color=colors[i % len(colors)], alpha=0.15)
        ax.set_xlabel("epoch")
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path


@_plain_text
def input_histograms(X: np.ndarray, channels: tuple[str, ...], path: Path, overlap: float = 0.5) -> Path:
    """Distribution of each input variable over the training windows, overlap removed as in the tutorial."""
    fresh = X[:, :, int(round(X.shape[2] * overlap)) :]
    cols = 3
    rows = (len(channels) + cols - 1) // cols
    fig, axes = _subplots(rows, cols, figsize=(11, 2.3 * rows), squeeze=False)
    for ax, c in zip(axes.flat, range(len(channels))):
        ax.hist(fresh[:, c].ravel(), bins=100, color="tab:blue")
        ax.set_title(channels[c], fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(channels) :]:
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    return path


def write_evaluation(metrics: dict, classes: tuple[str, ...], title: str, out: Path) -> tuple[Path, Path]:
    """`harcnn evaluate`'s files in `out`: the confusion matrix (PNG) and the metrics (JSON)."""
    out.mkdir(exist_ok=True)
    png = confusion(np.asarray(metrics["confusion"]), classes, title, out / "confusion.png")
    write_text(out / "metrics.json", json.dumps(metrics, indent=1))
    return png, out / "metrics.json"


def critical_difference(test, title: str, path: Path) -> Path:
    """Demsar's critical-difference diagram of a `tables.RankTest`: average ranks on a line (1: best,
    left), the critical difference as a bar, and a thick line under each group of configurations
    whose ranks lie within it of one another (not told apart at 0.05)."""
    labels = sorted(test.ranks, key=test.ranks.get)
    k = len(labels)
    fig, ax = _subplots(figsize=(7.0, 1.4 + 0.3 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(k + 1), 2)
    ax.axhline(0, color="black", lw=1)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.15], color="black", lw=1)
        ax.text(r, 0.3, str(r), ha="center", fontsize=8)
    ax.plot([1, 1 + test.cd], [1.3, 1.3], color="tab:red", lw=2)
    ax.text(1 + test.cd / 2, 1.45, f"CD {test.cd:.2f}", ha="center", fontsize=8, color="tab:red")
    for i, label in enumerate(labels):
        rank, y = test.ranks[label], -(i + 1)
        ax.plot([rank, rank, k + 0.45 if i >= k / 2 else 0.55], [0, y, y], color="tab:blue", lw=1)
        left = i < k / 2
        ax.text(0.55 if left else k + 0.45, y + 0.12, f"{label} ({rank:.2f})", ha="left" if left else "right", fontsize=8)
    cliques = [labels[i : j + 1] for i in range(k) for j in range(i + 1, k) if test.ranks[labels[j]] - test.ranks[labels[i]] < test.cd]
    cliques = [c for c in cliques if not any(set(c) < set(d) for d in cliques)]
    for n, clique in enumerate(cliques):
        y = -0.35 - 0.2 * n
        ax.plot([test.ranks[clique[0]] - 0.03, test.ranks[clique[-1]] + 0.03], [y, y], color="black", lw=3)
    ax.set_title(f"{title}: Friedman p {test.p_friedman:.2g} over {test.subjects} subjects", fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return path
