"""The units of a recording's channels: declared, or recognised from the signal on positive evidence
only, and checked against the signal either way; the factors to g and rad/s.

Evidence, by kind:
- acceleration: gravity. The median magnitude of three axes is about 1 g, 9.81 m/s^2 or 1000
  milli-g, and those ranges do not overlap, so at most one unit makes it gravity.
- angular rate: the turning of gravity. When a device turns, the accelerometer sees gravity's
  direction turn at the rate of the gyroscope's rotation across it (|w x g| = |dg/dt| for unit g), so
  the ratio of the two, both low-passed alike, is about 1 for a gyroscope in rad/s and 57 in deg/s.
  Where the device hardly turns the ratio is noise and the units are not called; rates beyond any
  gyroscope's range in rad/s (GYRO_MAX) are deg/s.
A declared unit that the evidence contradicts is refused; where there is no evidence it is taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy import signal

from harcnn.data.recordings import Recording
from harcnn.data.sensors import DEVICE_SEPARATOR, GRAVITY_RANGE, GYRO_MAX, UNITS, channel_kind
from harcnn.errors import HarcnnError

if TYPE_CHECKING:
    from harcnn.data.pipeline import Pipeline

TURN_CUTOFF = 0.3  # Hz: both signals low-passed here, below the accelerations of steps and arm swings
TURN_RATE = 10.0  # Hz: at most this rate for the comparison (more adds nothing below the cutoff)
MIN_CORRELATION = 0.5  # below it, noise or the body's accelerations, not turning, drive gravity's direction: no call
RATIO_BAND = 4.0  # a factor within this ratio of rad/s's (1) or deg/s's (1/57.3) calls the unit; between them, nothing


@dataclass(frozen=True)
class Finding:
    """What the signal says of one kind's unit: the unit or None, and the evidence, in words."""

    unit: str | None
    evidence: str
    impossible: bool = False  # the signal fits no unit of its kind (no gravity; rates beyond any gyroscope's)


def units_of(kind: str) -> list[str]:
    return [u for u, (k, _) in UNITS.items() if k == kind]


def to_canonical(units: tuple[str, ...]) -> np.ndarray:
    """Per channel, the factor from `units` to g and rad/s (1 for a channel of no known kind)."""
    return np.array([UNITS[u][1] if u else 1.0 for u in units])


def check_unit(channel: str, unit: str, where: str) -> str:
    """`unit` as a known unit of `channel`'s kind; a channel of no kind takes none."""
    kind = channel_kind(channel)
    if kind is None and unit:
        raise HarcnnError(
            f"{where}: channel {channel!r} is neither an accelerometer's nor a gyroscope's by its name (acc or gyr in it, or "
            f"ax..gz), so harcnn uses its values as they are and cannot convert them from {unit!r}; rename the column to give it units"
        )
    if kind and UNITS.get(unit, ("",))[0] != kind:
        raise HarcnnError(f"{where}: {channel!r} is {kind}; its unit must be one of {units_of(kind)}, got {unit!r}")
    return unit


def parse_units(text: str | None, option: str = "--units") -> dict[str, str] | None:
    """`acc=m/s^2,gyro=rad/s` (kinds or channel names, then units) as a dictionary."""
    if not text:
        return None
    pairs = [item.partition("=") for item in text.split(",")]
    if any(not eq or not k.strip() or not v.strip() for k, eq, v in pairs):
        raise HarcnnError(f"{option} {text!r}: give KEY=VALUE pairs separated by commas, e.g. acc=m/s^2,gyro=rad/s")
    return {k.strip(): v.strip() for k, _, v in pairs}


def recognise_units(recordings: list[Recording]) -> dict[str, Finding]:
    """What the samples of one device's recordings (the same channels) say of each kind's unit."""
    channels = recordings[0].channels
    kinds = [channel_kind(c) for c in channels]
    acc = [i for i, k in enumerate(kinds) if k == "acc"]
    gyro = [i for i, k in enumerate(kinds) if k == "gyro"]
    out: dict[str, Finding] = {}
    if acc:
        out["acc"] = _acceleration(recordings, acc)
    if gyro:
        out["gyro"] = _angular_rate(recordings, acc, gyro)
    return out


def _acceleration(recordings: list[Recording], acc: list[int]) -> Finding:
    """Gravity's unit from the median magnitude over every sample of the recordings' `acc` axes;
    magnitudes taken recording by recording, so the samples are never copied whole."""
    if len(acc) != 3:
        return Finding(None, f"{len(acc)} accelerometer axes: gravity's magnitude needs three")
    magnitudes = np.concatenate([np.linalg.norm(r.values[:, acc], axis=1) for r in recordings])
    gravity = float(np.median(magnitudes, overwrite_input=True))
    for unit in units_of("acc"):
        if GRAVITY_RANGE[0] <= gravity * UNITS[unit][1] <= GRAVITY_RANGE[1]:
            return Finding(unit, f"the median acceleration magnitude {gravity:.4g} is gravity in {unit}")
    return Finding(None, f"the median acceleration magnitude {gravity:.4g} is gravity in no unit harcnn knows", impossible=True)


def _angular_rate(recordings: list[Recording], acc: list[int], gyro: list[int]) -> Finding:
    rates = np.concatenate([r.values[:, gyro] for r in recordings])
    spin = float(np.quantile(np.abs(rates, out=rates), 0.99, overwrite_input=True))
    if spin > GYRO_MAX:
        if spin * UNITS["deg/s"][1] <= GYRO_MAX:
            return Finding("deg/s", f"angular rates up to {spin:.4g} are beyond any gyroscope's range in rad/s")
        return Finding(None, f"angular rates up to {spin:.4g} are beyond any gyroscope's range even in deg/s", impossible=True)
    if len(acc) != 3 or len(gyro) != 3:
        return Finding(None, "comparing with the turning of gravity needs three accelerometer and three gyroscope axes")
    sums = sum((_turning(r.time, r.values[:, acc], r.values[:, gyro]) for r in recordings), np.zeros(3))
    together, turn, rotation = sums
    correlation = together / math.sqrt(turn * rotation) if turn > 0 and rotation > 0 else 0.0
    if abs(correlation) < MIN_CORRELATION:
        return Finding(
            None, f"the device turns too little for the turning of gravity to match the gyroscope (correlation {correlation:.2f})"
        )
    factor = abs(together / rotation)  # rad/s per unit of the file
    for unit in units_of("gyro"):
        if UNITS[unit][1] / RATIO_BAND <= factor <= UNITS[unit][1] * RATIO_BAND:
            scale = factor / UNITS[unit][1]
            return Finding(unit, f"gravity turns as the gyroscope says read in {unit} (correlation {correlation:.2f}, scale {scale:.2f})")
    return Finding(
        None, f"gravity turns {factor:.3g} rad/s per unit of the gyroscope (correlation {correlation:.2f}), near neither rad/s nor deg/s"
    )


def _turning(time: np.ndarray, acc: np.ndarray, gyro: np.ndarray) -> np.ndarray:
    """[sum dg/dt . (g x w), sum |dg/dt|^2, sum |g x w|^2] over the recording's parts (cut at gaps;
    both signals on one grid and low-passed alike; g the unit gravity direction, w the gyroscope):
    for a gyroscope in rad/s dg/dt = g x w, so the least-squares factor from the file's units to
    rad/s is the first over the third, and the first over the root of the others' product is the
    correlation that says whether turning, not noise or the body's accelerations, drives both."""
    out = np.zeros(3)
    t, first = np.unique(time, return_index=True)
    for part in np.split(np.arange(len(t)), np.flatnonzero(np.diff(t) > 1.0) + 1):
        if len(part) < 8 or t[part[-1]] - t[part[0]] < 2.0:
            continue
        tp = t[part]
        fs = min(TURN_RATE, (len(tp) - 1) / (tp[-1] - tp[0]))
        if fs <= 2.5 * TURN_CUTOFF:
            continue
        grid = np.arange(tp[0], tp[-1], 1 / fs)
        a = np.stack([np.interp(grid, tp, acc[first[part], j]) for j in range(3)], 1)
        w = np.stack([np.interp(grid, tp, gyro[first[part], j]) for j in range(3)], 1)
        sos = signal.butter(2, TURN_CUTOFF, fs=fs, output="sos")
        pad = min(len(grid) - 1, 3 * int(fs))
        a, w = signal.sosfiltfilt(sos, a, axis=0, padlen=pad), signal.sosfiltfilt(sos, w, axis=0, padlen=pad)
        g = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        turn, rotation = np.gradient(g, 1 / fs, axis=0), np.cross(g, w)
        out += [float((turn * rotation).sum()), float((turn**2).sum()), float((rotation**2).sum())]
    return out


def decide_units(recordings: list[Recording]) -> tuple[list[Recording], list[str]]:
    """Every recording with each channel's unit: as declared (checked against the signal), else as
    the signal of all of its device's recordings shows; notes saying what was recognised and why;
    one clear error where neither tells, or where they disagree."""
    out, notes = [], []
    for device in dict.fromkeys(r.device for r in recordings):
        mine = [r for r in recordings if r.device == device]
        first = mine[0]
        for r in mine:
            if r.channels != first.channels or r.units != first.units:
                raise HarcnnError(f"{r.name}: channels {list(r.channels)}, but {first.name} of the same device has {list(first.channels)}")
        found = recognise_units(mine)
        of_device = f" (device {device})" if device else ""
        units = []
        for channel, declared in zip(first.channels, first.units):
            kind = channel_kind(channel)
            if declared:
                check_unit(channel, declared, "--units")
            finding = found.get(kind) if kind else None
            if declared and finding is not None and finding.unit is not None and finding.unit != declared:
                raise HarcnnError(
                    f"{first.name}{of_device}: --units gives {channel!r} in {declared}, but {finding.evidence}: the signal is in "
                    f"{finding.unit}; give the right unit, or none to have it recognised"
                )
            if declared and finding is not None and finding.impossible:
                raise HarcnnError(f"{first.name}{of_device}: --units gives {channel!r} in {declared}, but {finding.evidence}")
            if not declared and kind and finding.unit is None:
                raise HarcnnError(
                    f"{first.name}{of_device}: cannot tell the units of {kind} channel {channel!r} from the signal ({finding.evidence}); "
                    f"give them: --units {kind}={'|'.join(units_of(kind))}"
                )
            if not declared and kind:
                notes.append(f"{kind}{of_device} in {finding.unit}: {finding.evidence}")
            units.append(declared or (finding.unit if kind else ""))
        out += [r.with_units(tuple(units)) for r in mine]
    return out, list(dict.fromkeys(notes))


def for_model(recording: Recording, pipeline: Pipeline, device: str = "") -> tuple[Recording, list[str]]:
    """A recording to predict on, in the units its samples show where they tell (else the model's
    recordings', said in a note), and a note for each unit that differs from the model's recordings'.
    Acceleration that is no gravity in any unit, or angular rates beyond any gyroscope's, are refused."""
    columns = pipeline.columns(device)
    units = [u for c, u in zip(pipeline.channels, pipeline.units) if not pipeline.devices or c.startswith(device + DEVICE_SEPARATOR)]
    found = recognise_units([recording])
    kinds = [channel_kind(c) for c in columns]
    acc = found.get("acc")
    if acc is not None and acc.impossible:
        raise HarcnnError(f"{recording.name}: {acc.evidence} ({', '.join(units_of('acc'))}); expected about 1 g, gravity included")
    gyro = found.get("gyro")
    if gyro is not None and gyro.impossible:
        raise HarcnnError(f"{recording.name}: {gyro.evidence}: not a gyroscope's")
    declared = recording.units if recording.channels == columns else ("",) * len(columns)
    mine = tuple(own or (found[kind].unit or unit) if kind else unit for own, kind, unit in zip(declared, kinds, units))
    notes = {
        f"note: {recording.name}: {kind} in {m}, converted (the model's recordings were in {u})"
        for kind, u, m in zip(kinds, units, mine)
        if m != u
    }
    notes |= {
        f"note: {recording.name}: {found[kind].evidence}; taken as the model's {u}"
        for kind, u, own in zip(kinds, units, declared)
        if kind and found[kind].unit is None and not own
    }
    return replace(recording, units=mine, device=device), sorted(notes)
