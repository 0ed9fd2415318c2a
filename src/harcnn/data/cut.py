"""Recordings cut into labelled windows by a `Pipeline`: trials grouped (one file each, or one per
device joined on time), refused before anything is allocated where the windows would not fit in
memory, and, where none comes out, why in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harcnn.data.pipeline import Pipeline
from harcnn.data.recordings import Recording
from harcnn.errors import HarcnnError
from harcnn.resources import check_fits


@dataclass(frozen=True)
class Cut:
    """Windows cut from recordings, before the split: what `summary` reports."""

    X: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    recordings: int
    unlabelled: int  # windows left out: unlabelled, or across a label change under the policy "drop"


def trials(recordings: list[Recording], devices: tuple[str, ...]) -> list[list[Recording]]:
    """The recordings in groups that become windows together: one each, or one per device of every trial."""
    if not devices:
        return [[r] for r in recordings]
    groups: dict[tuple[str, str], dict[str, Recording]] = {}
    for r in recordings:
        if r.device in groups.setdefault(r.key, {}):
            raise HarcnnError(f"{r.name}: a second {r.device!r} file for subject {r.subject!r} trial {r.recording!r}")
        groups[r.key][r.device] = r
    for key, group in groups.items():
        missing = [d for d in devices if d not in group]
        if missing:
            raise HarcnnError(
                f"{next(iter(group.values())).name}: subject {key[0]!r} trial {key[1]!r} has no {missing[0]!r} file to join; "
                "every trial needs a file of each device"
            )
    return [[group[d] for d in devices] for group in groups.values()]


def cut(recordings: list[Recording], pipeline: Pipeline) -> Cut:
    """Every trial's labelled windows, with its subject; refused before anything is allocated where
    they would not fit in memory."""
    groups = trials(recordings, pipeline.devices)
    for group in groups:
        if group[0].labels is None:
            raise HarcnnError(
                f"{group[0].name}: no labels: give a label column, or take the label from the path with --pattern '(?P<label>...)'"
            )
        if not group[0].subject:
            raise HarcnnError(
                f"{group[0].name}: no subject: give a subject column, or take it from the path with --pattern '(?P<subject>...)'; "
                "the test split and the per-subject figures are made of whole subjects"
            )
    kept, passing = zip(*(pipeline.bytes_needed(group) for group in groups))
    check_fits(
        2 * sum(kept) + max(passing), f"{len(groups)} recording(s) cut at {pipeline.rate:g} Hz into windows of {pipeline.window} samples every {pipeline.hop}",
        "cut fewer windows (a smaller --overlap, a lower --rate) or fewer recordings at a time",
    )  # fmt: skip
    X = Gathered(sum(pipeline.most_windows(group) for group in groups), (len(pipeline.output_channels), pipeline.window))
    labels, subjects, cut_any = [], [], 0
    for group in groups:
        x, _, y = pipeline.windows(group)
        keep = y != ""
        cut_any += len(y)
        X.add(x[keep])
        labels.append(y[keep])
        subjects.append(np.full(int(keep.sum()), group[0].subject))
    if not X.filled:
        raise HarcnnError(f"{recordings[0].name}: no labelled window in {len(groups)} recording(s): {_why_none(groups, pipeline, cut_any)}")
    return Cut(X.array(), np.concatenate(labels), np.concatenate(subjects), len(groups), cut_any - X.filled)


class Gathered:
    """Windows joined as they are cut, into one buffer sized for the most there can be: its pages
    are resident only once written, so the windows take their own size once, where a list of them
    joined at the end took it twice. More than expected (it should not happen) grows it by half."""

    def __init__(self, expected: int, shape: tuple[int, int]):
        self.buffer, self.filled = np.empty((expected, *shape), np.float32), 0

    def add(self, x: np.ndarray) -> None:
        end = self.filled + len(x)
        if end > len(self.buffer):
            grown = np.empty((max(end, len(self.buffer) * 3 // 2), *self.buffer.shape[1:]), np.float32)
            grown[: self.filled] = self.buffer[: self.filled]
            self.buffer = grown
        self.buffer[self.filled : end] = x
        self.filled = end

    def array(self) -> np.ndarray:
        return self.buffer[: self.filled]


def _why_none(groups: list[list[Recording]], pipeline: Pipeline, windows: int) -> str:
    """Why recordings gave no labelled window, in words: too short, clocks apart, labels that change too often."""
    if windows:
        rule = (
            "all of its samples"
            if pipeline.labels == "drop"
            else "half of its samples or more"
            if pipeline.labels == "majority"
            else "its centre"
        )
        return (
            f"every one of the {windows} windows cut is unlabelled, or no label covers {rule} (--labels {pipeline.labels}); do the "
            "labels change every few samples?"
        )
    if pipeline.devices:
        spans = [", ".join(f"{r.device} {r.time[0]:.6g}-{r.time[-1]:.6g} s" for r in group) for group in groups[:1]]
        return f"the devices' recordings share no stretch of {pipeline.window / pipeline.rate:g} s on their clocks ({spans[0]}); are their clocks the same?"
    longest = max(float(r.time[-1] - r.time[0]) for group in groups for r in group)
    return f"the longest lasts {longest:.3g} s without a gap of more than {pipeline.max_gap:g} s, and a window is {pipeline.window / pipeline.rate:g} s"
