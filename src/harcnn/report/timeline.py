"""A picture of what a recording contained: its signals, the predicted activities as coloured bands,
the class probabilities, the recording's own labels where it has them, and the time per activity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harcnn.data.pipeline import Pipeline
from harcnn.data.recordings import Recording
from harcnn.data.sensors import CANONICAL, channel_kind
from harcnn.deploy.predict import RecordingPredictions
from harcnn.report.plots import save_figure


def time_per_activity(predictions: RecordingPredictions, hop_s: float) -> dict[str, float]:
    """Seconds per predicted activity: each window stands for one hop of the recording."""
    return {str(c): hop_s * int((predictions.activity.astype(str) == str(c)).sum()) for c in predictions.classes}


def plot_timeline(predictions: RecordingPredictions, recordings: list[Recording], pipeline: Pipeline, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    k, values, labels = pipeline.joined(recordings)
    t = k / pipeline.rate - min(float(r.time[0]) for r in recordings)
    hop = pipeline.hop / pipeline.rate
    classes = [str(c) for c in predictions.classes]
    colour = {c: plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")(i) for i, c in enumerate(classes)}
    has_truth = labels is not None and (labels != "").any()
    kinds: dict[str | None, list[int]] = {}
    for j, channel in enumerate(pipeline.channels):
        kinds.setdefault(channel_kind(channel), []).append(j)
    rows = [2] * len(kinds) + ([1, 1, 2] if has_truth else [1, 2])
    fig, axes = plt.subplots(len(rows), 1, sharex=True, figsize=(13, 2.0 + 1.4 * len(rows)), gridspec_kw={"height_ratios": rows})
    for ax, (kind, index) in zip(axes, kinds.items()):  # each kind on its own axis, in its unit, in greys: colours are the classes'
        for shade, j in zip(np.linspace(0.1, 0.65, len(index)), index):
            ax.plot(t, values[:, j], lw=0.6, color=str(shade), label=pipeline.channels[j])
        ax.set_ylabel({"acc": "acceleration", "gyro": "rotation"}.get(kind, "signal") + (f" ({CANONICAL[kind]})" if kind else ""))
        ax.legend(loc="upper right", fontsize=7, ncol=min(6, len(index)))
    axes = axes[len(kinds) - 1 :]  # the panels below count from here as before
    centre = (predictions.start_s + predictions.end_s) / 2
    for c, activity in zip(centre, predictions.activity.astype(str)):
        axes[1].axvspan(c - hop / 2, c + hop / 2, color=colour[activity], lw=0)
    spent = time_per_activity(predictions, hop)
    axes[1].set_yticks([])
    axes[1].set_ylabel("predicted", rotation=0, ha="right", va="center")
    handles = [Patch(color=colour[c], label=f"{c} {spent[c]:.1f} s") for c in classes if spent[c]]
    axes[1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, title="time predicted", title_fontsize=7)
    if has_truth:
        _bands(axes[2], t, labels, colour, 1 / pipeline.rate)
        axes[2].set_yticks([])
        axes[2].set_ylabel("labelled", rotation=0, ha="right", va="center")
    for i, c in enumerate(classes):
        axes[-1].plot(centre, predictions.proba[:, i], color=colour[c], lw=1, label=c)
    axes[-1].set_ylim(0, 1)
    axes[-1].set_ylabel("probability")
    axes[-1].set_xlabel("time (s)")
    accuracy = predictions.accuracy()
    fig.suptitle(title + (f"  ({100 * accuracy:.1f}% of labelled windows as labelled)" if accuracy is not None else ""), fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)
    return Path(path)


def _bands(ax, t: np.ndarray, labels: np.ndarray, colour: dict, step: float) -> None:
    """Runs of equal labels as coloured spans (unlabelled samples left white)."""
    edges = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    for run in np.split(np.arange(len(labels)), edges):
        name = str(labels[run[0]])
        if name:
            ax.axvspan(t[run[0]], t[run[-1]] + step, color=colour.get(name, "grey"), lw=0)
