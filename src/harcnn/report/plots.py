"""Figures: the tutorial-style boxplot of a study and a labelled confusion matrix."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def boxplot(groups: dict[str, list[float]], title: str, path: Path) -> Path:
    """One box of test accuracies (%) per configuration, every run drawn as a point."""
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(groups) + 1.5), 4.0))
    labels = list(groups)
    values = [100 * np.asarray(groups[k]) for k in labels]
    ax.boxplot(values, showmeans=True)
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    for i, v in enumerate(values, start=1):
        ax.scatter(np.full(len(v), i) + np.linspace(-0.08, 0.08, len(v)), v, s=10, alpha=0.6, color="tab:blue")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def confusion(cm: np.ndarray, classes: tuple[str, ...] | list[str], title: str, path: Path) -> Path:
    """Row-normalised confusion matrix (recall on the diagonal) annotated with counts."""
    cm = np.asarray(cm)
    rates = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 * len(classes) + 2.5, 0.9 * len(classes) + 1.8))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=35, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{rates[i, j]:.2f}\n({cm[i, j]})", ha="center", va="center", fontsize=7,
                    color="white" if rates[i, j] > 0.6 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
