"""Recordings to windows, in one object that is saved with every model trained on them.

A `Pipeline` holds what turns a recording into the windows a model reads: the channels it takes
(and the devices whose files are joined), the units the recordings were in (converted to g and
rad/s), the rate everything is resampled to, the window and hop, the filters (UCI HAR's gravity
split where asked), and what a window that spans two labels gets. `harcnn data recordings` makes
one; `harcnn predict` and `--stream` apply the saved one, so prediction repeats exactly what
training saw.

Resampling: repeated timestamps are averaged, the recording is cut where samples are more than
`max_gap` seconds apart (no window spans a gap), each part is low-pass filtered (zero phase, at
0.4 x the new rate) when the rate drops, and linearly interpolated at the instants k / rate. Two
devices' parts are joined on those instants, so their samples line up in time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from dataclasses import fields as fields_of

import numpy as np
from scipy import signal

from harcnn.data.preprocess import Stream, uci_har_channels
from harcnn.data.recordings import Recording
from harcnn.data.sensors import (
    CANONICAL,
    CHANNELS,
    CSV_COLUMNS,
    CSV_UNITS,
    GRAVITY_RANGE,
    GYRO_MAX,
    MAX_GAP,
    MOVING,
    RATE,
    RATE_RANGE,
    STEP,
    STEPS,
    UNITS,
    channel_kind,
)
from harcnn.errors import HarcnnError

LABEL_POLICIES = (
    "majority",
    "centre",
    "drop",
)  # a window across a label change: the label of half its samples or more, the centre's, or none
FILTERS = ("none", "uci-har")
DEVICE_SEPARATOR = ":"  # joined channels are named `device:channel`
_JSON_KINDS = {"tuple[str, ...]": list, "float": (int, float), "int": int, "str": str}  # a field's annotation -> its JSON types


@dataclass(frozen=True)
class Pipeline:
    """How recordings became windows (see the module's docstring); saved as JSON with the model."""

    channels: tuple[str, ...]  # the recordings' columns it reads, `device:column` when devices are joined
    units: tuple[str, ...]  # their units in those recordings ("" for a channel of no known kind)
    rate: float = RATE
    window: int = STEPS  # samples at `rate`
    hop: int = STEP
    filter: str = "none"
    labels: str = "majority"
    max_gap: float = MAX_GAP
    devices: tuple[str, ...] = ()  # devices joined, in channel order; () for one

    def __post_init__(self) -> None:
        where = "pipeline"
        if not RATE_RANGE[0] <= self.rate <= RATE_RANGE[1]:
            raise HarcnnError(f"{where}: rate must be {RATE_RANGE[0]:g} to {RATE_RANGE[1]:g} Hz, got {self.rate:g}")
        if not 2 <= self.window <= 100_000 or not 1 <= self.hop <= self.window:
            raise HarcnnError(
                f"{where}: a window of {self.window} samples with a hop of {self.hop}; windows need 2 samples or more and a hop of 1 to the window"
            )
        if self.filter not in FILTERS or self.labels not in LABEL_POLICIES:
            raise HarcnnError(f"{where}: filter must be one of {list(FILTERS)} and labels one of {list(LABEL_POLICIES)}")
        if len(self.units) != len(self.channels) or not self.channels:
            raise HarcnnError(f"{where}: {len(self.units)} units for {len(self.channels)} channels")
        for channel, unit in zip(self.channels, self.units):
            kind = channel_kind(channel)
            if kind and UNITS.get(unit, ("",))[0] != kind:
                raise HarcnnError(f"{where}: channel {channel!r} is {kind}: its unit must be one of {_units_of(kind)}, got {unit!r}")
        if self.filter == "uci-har" and ([channel_kind(c) for c in self.channels] != ["acc"] * 3 + ["gyro"] * 3 or self.devices):
            raise HarcnnError(
                f"{where}: filter 'uci-har' needs one device's three accelerometer then three gyroscope channels, got {list(self.channels)}"
            )
        if not 0 < self.max_gap <= 3600:
            raise HarcnnError(f"{where}: max_gap must be in (0, 3600] seconds, got {self.max_gap:g}")

    @classmethod
    def make(cls, channels, units, rate: float, window_s: float, overlap: float, **kw) -> Pipeline:
        """A pipeline from a window in seconds and an overlap in [0, 1): the CLI's terms."""
        if not 0 <= overlap < 1:
            raise HarcnnError(f"--overlap must be in [0, 1), got {overlap:g}")
        if not math.isfinite(window_s) or window_s <= 0:
            raise HarcnnError(f"--window must be a positive number of seconds, got {window_s:g}")
        window = round(window_s * rate)
        return cls(tuple(channels), tuple(units), float(rate), window, max(1, round(window * (1 - overlap))), **kw)

    @property
    def output_channels(self) -> tuple[str, ...]:
        return CHANNELS if self.filter == "uci-har" else self.channels

    def columns(self, device: str = "") -> tuple[str, ...]:
        """The CSV columns read from `device`'s files (all of them without joined devices)."""
        if not self.devices:
            return self.channels
        prefix = device + DEVICE_SEPARATOR
        return tuple(c.removeprefix(prefix) for c in self.channels if c.startswith(prefix))

    def describe(self) -> str:
        units = ", ".join(f"{c} ({u} -> {CANONICAL[channel_kind(c)]})" if u else c for c, u in zip(self.channels, self.units))
        joined = f", devices {' + '.join(self.devices)} joined on time" if self.devices else ""
        return (
            f"{self.rate:g} Hz, windows of {self.window} samples ({self.window / self.rate:g} s) every {self.hop} "
            f"({self.hop / self.rate:g} s), filter {self.filter}, labels by {self.labels}{joined}; channels {units}"
        )

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: object, where: str) -> Pipeline:
        fields = {f.name for f in fields_of(cls)}
        if not isinstance(raw, dict) or not {"channels", "units"} <= set(raw) or set(raw) - fields:
            raise HarcnnError(f"{where}: pipeline must be an object with channels, units and some of {sorted(fields)}")
        kinds = {f.name: _JSON_KINDS[f.type] for f in fields_of(cls)}  # the JSON type of each field, from its annotation
        for key, value in raw.items():
            if (
                not isinstance(value, kinds[key])
                or isinstance(value, bool)
                or (isinstance(value, list) and not all(isinstance(v, str) for v in value))
            ):
                raise HarcnnError(f"{where}: pipeline field {key!r} has the wrong type: {value!r}")
        try:
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
        except HarcnnError as e:
            raise HarcnnError(f"{where}: {e}") from None

    # -- recordings to windows --

    def regular(self, rec: Recording) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The recording at `rate`, in g and rad/s: sample instants as whole multiples k of 1 / rate
        (holes at gaps), values `(m, c)`, labels `(m,)` or None."""
        factors = to_canonical(rec.units)
        time, first, inverse = np.unique(rec.time, return_index=True, return_inverse=True)
        values = rec.values
        if len(time) < len(rec.time):  # repeated timestamps: their mean
            counts = np.bincount(inverse)
            values = np.stack([np.bincount(inverse, weights=values[:, j]) / counts for j in range(values.shape[1])], 1)
        labels = rec.labels[first] if rec.labels is not None else None
        ks, parts, part_labels = [], [], []
        for part in np.split(np.arange(len(time)), np.flatnonzero(np.diff(time) > self.max_gap) + 1):
            if len(part) < 2:
                continue
            t, v = time[part], values[part] * factors
            k = np.arange(math.ceil(t[0] * self.rate - 1e-6), math.floor(t[-1] * self.rate + 1e-6) + 1)
            source = 1 / float(np.median(np.diff(t)))
            if self.rate < 0.9 * source:  # fewer samples: low-pass first, so faster motion does not alias
                uniform = np.linspace(t[0], t[-1], max(2, round((t[-1] - t[0]) * source) + 1))
                v = np.stack([np.interp(uniform, t, v[:, j]) for j in range(v.shape[1])], 1)
                sos = signal.butter(4, 0.4 * self.rate, fs=source, output="sos")
                v, t = signal.sosfiltfilt(sos, v, axis=0, padlen=min(len(v) - 1, 27)), uniform
            ks.append(k)
            parts.append(np.stack([np.interp(k / self.rate, t, v[:, j]) for j in range(v.shape[1])], 1))
            if labels is not None:
                nearest = np.clip(np.searchsorted(time[part], k / self.rate, side="right") - 1, 0, len(part) - 1)
                part_labels.append(labels[part][nearest])
        if not ks:
            return np.zeros(0, np.int64), np.zeros((0, values.shape[1])), (np.zeros(0, str) if labels is not None else None)
        return np.concatenate(ks), np.concatenate(parts), (np.concatenate(part_labels) if labels is not None else None)

    def joined(self, recordings: list[Recording]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """`regular` of one recording, or of one trial's recordings of every device, joined on their instants."""
        if not self.devices:
            return self.regular(recordings[0])
        by_device = {r.device: r for r in recordings}
        k, values, labels = self.regular(by_device[self.devices[0]])
        for device in self.devices[1:]:
            k2, values2, _ = self.regular(by_device[device])
            k, mine, theirs = np.intersect1d(k, k2, return_indices=True)
            values, labels = np.concatenate([values[mine], values2[theirs]], 1), labels[mine] if labels is not None else None
        return k, values, labels

    def windows(self, recordings: list[Recording]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Windows `(w, c, window)` float32 of one recording (or one trial's joined devices), their
        start in seconds from the first sample, and their labels by the label policy ("" where none)."""
        k, values, labels = self.joined(recordings)
        t0 = min(float(r.time[0]) for r in recordings)
        X, starts, out_labels = [], [], []
        for run in np.split(np.arange(len(k)), np.flatnonzero(np.diff(k) != 1) + 1):
            if len(run) < self.window:
                continue
            x = values[run]
            if self.filter == "uci-har":
                x = uci_har_channels(x, self.rate)
            s = np.arange(0, len(run) - self.window + 1, self.hop)
            X.append(np.lib.stride_tricks.sliding_window_view(x, self.window, axis=0)[s])
            starts.append(k[run][s] / self.rate - t0)
            if labels is not None:
                out_labels.append(window_labels(labels[run], s, self.window, self.labels))
        c = len(self.output_channels)
        if not X:
            return np.zeros((0, c, self.window), np.float32), np.zeros(0), (np.zeros(0, str) if labels is not None else None)
        return (
            np.ascontiguousarray(np.concatenate(X), dtype=np.float32),
            np.concatenate(starts),
            np.concatenate(out_labels) if labels is not None else None,
        )

    def stream(self) -> Stream:
        """The causal counterpart for samples arriving at `rate` in the model's units."""
        return Stream(self.window, self.hop, len(self.channels), uci_har=self.filter == "uci-har", rate=self.rate)


UCI_HAR = Pipeline(CSV_COLUMNS[1:], CSV_UNITS, filter="uci-har")  # UCI HAR's and HAPT's windows


def to_canonical(units: tuple[str, ...]) -> np.ndarray:
    """Per channel, the factor from `units` to g and rad/s (1 for a channel of no known kind)."""
    return np.array([UNITS[u][1] if u else 1.0 for u in units])


def window_labels(labels: np.ndarray, starts: np.ndarray, size: int, policy: str) -> np.ndarray:
    """Per window, the label `policy` gives: "majority" the one at least half its samples carry (a tie: the earlier), "centre"
    its centre sample's, "drop" the one all its samples carry; "" where there is none, or it is unlabelled."""
    if policy == "centre":
        return labels[starts + size // 2]
    names, codes = np.unique(labels, return_inverse=True)
    cumulative = np.zeros((len(labels) + 1, len(names)), np.int32)
    np.add.at(cumulative, (np.arange(len(labels)) + 1, codes), 1)
    cumulative = cumulative.cumsum(0)
    counts = cumulative[starts + size] - cumulative[starts]
    counts[:, names == ""] = 0  # unlabelled samples are no label's, and win nothing
    first, most = codes[starts], counts.max(1)
    out = names[np.where(counts[np.arange(len(starts)), first] == most, first, counts.argmax(1))]  # a tie goes to the earlier label
    return np.where(counts.max(1) == size if policy == "drop" else 2 * counts.max(1) >= size, out, "")


def _units_of(kind: str) -> list[str]:
    return [u for u, (k, _) in UNITS.items() if k == kind]


def recognise_units(values: np.ndarray, channels: tuple[str, ...]) -> dict[str, str | None]:
    """The units the samples show, by kind ("acc", "gyro"), None where they cannot tell: acceleration
    from the median magnitude of three axes (gravity: 1 g, 9.81 m/s^2, 1000 milli-g); angular rate
    in deg/s where it exceeds GYRO_MAX rad/s, in rad/s where the accelerometer shows movement but
    the gyroscope stays under it (a turn of a few rad/s would read hundreds in deg/s)."""
    kinds = [channel_kind(c) for c in channels]
    acc = values[:, [i for i, k in enumerate(kinds) if k == "acc"]]
    gyro = values[:, [i for i, k in enumerate(kinds) if k == "gyro"]]
    out: dict[str, str | None] = {}
    moving = None
    if acc.shape[1]:
        out["acc"] = None
        if acc.shape[1] == 3:
            magnitude = np.linalg.norm(acc, axis=1)
            gravity = float(np.median(magnitude))
            for unit in _units_of("acc"):
                if GRAVITY_RANGE[0] <= gravity * UNITS[unit][1] <= GRAVITY_RANGE[1]:
                    out["acc"] = unit
                    moving = float(np.std(magnitude * UNITS[unit][1])) > MOVING
    if gyro.shape[1]:
        spin = float(np.quantile(np.abs(gyro), 0.99))
        out["gyro"] = (
            "deg/s" if spin > GYRO_MAX and spin * UNITS["deg/s"][1] <= GYRO_MAX else "rad/s" if moving and spin <= GYRO_MAX else None
        )
    return out


def decide_units(recordings: list[Recording]) -> list[Recording]:
    """Every recording with each channel's unit: as declared, else as `recognise_units` finds on all
    recordings of its device together; one clear error where neither tells."""
    out = []
    for device in dict.fromkeys(r.device for r in recordings):
        mine = [r for r in recordings if r.device == device]
        first = mine[0]
        for r in mine:
            if r.channels != first.channels or r.units != first.units:
                raise HarcnnError(f"{r.name}: channels {list(r.channels)}, but {first.name} of the same device has {list(first.channels)}")
        found = recognise_units(np.concatenate([r.values for r in mine]), first.channels)
        units = []
        for channel, declared in zip(first.channels, first.units):
            kind = channel_kind(channel)
            unit = declared or (found.get(kind) if kind else "")
            if unit is None:
                raise HarcnnError(
                    f"{first.name}{f' (device {device})' if device else ''}: cannot tell the units of {kind} channel {channel!r} from the "
                    f"signal; give them: --units {kind}={'|'.join(_units_of(kind))}"
                )
            if kind and UNITS.get(unit, ("",))[0] != kind:
                raise HarcnnError(f"--units: {channel!r} is {kind}; its unit must be one of {_units_of(kind)}, got {unit!r}")
            units.append(unit)
        out += [r.with_units(tuple(units)) for r in mine]
    return out


def for_model(recording: Recording, pipeline: Pipeline, device: str = "") -> tuple[Recording, list[str]]:
    """A recording to predict on, in the units its samples show where they tell (else the model's
    recordings'), and a note for each unit that differs from the model's recordings'. Acceleration
    that is no gravity in any unit, or angular rates beyond any gyroscope's, are refused."""
    columns = pipeline.columns(device)
    units = [u for c, u in zip(pipeline.channels, pipeline.units) if not pipeline.devices or c.startswith(device + DEVICE_SEPARATOR)]
    found = recognise_units(recording.values, columns)
    kinds = [channel_kind(c) for c in columns]
    if found.get("acc", "") is None and kinds.count("acc") == 3:
        gravity = float(np.median(np.linalg.norm(recording.values[:, [k == "acc" for k in kinds]], axis=1)))
        raise HarcnnError(
            f"{recording.name}: the median acceleration magnitude is {gravity:.4g}: no unit harcnn knows ({', '.join(_units_of('acc'))}) "
            "makes it gravity (expected about 1 g, gravity included)"
        )
    gyro = recording.values[:, [k == "gyro" for k in kinds]]
    if gyro.shape[1] and float(np.quantile(np.abs(gyro), 0.99)) * UNITS["deg/s"][1] > GYRO_MAX:
        raise HarcnnError(f"{recording.name}: angular rates beyond {GYRO_MAX:g} rad/s even if they were deg/s: not a gyroscope's")
    mine = tuple(found.get(kind) or unit if kind else unit for kind, unit in zip(kinds, units))
    notes = sorted(
        {
            f"note: {recording.name}: {kind} in {m}, converted (the model's recordings were in {u})"
            for kind, u, m in zip(kinds, units, mine)
            if m != u
        }
    )
    return replace(recording, units=mine, device=device), notes
