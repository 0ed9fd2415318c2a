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

from harcnn.choices import FILTERS, LABEL_POLICIES
from harcnn.data.options import Windowing
from harcnn.data.preprocess import Filters, Stream, uci_har_channels
from harcnn.data.recordings import Recording, sampling_period
from harcnn.data.sensors import (
    CANONICAL,
    CHANNELS,
    CSV_COLUMNS,
    CSV_UNITS,
    DEVICE_SEPARATOR,
    MAX_GAP,
    RATE,
    RATE_RANGE,
    STEP,
    STEPS,
    channel_kind,
)
from harcnn.data.units import check_unit, to_canonical
from harcnn.errors import HarcnnError

LABEL_CHUNK = 1 << 22  # label samples counted at once by `window_labels`
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
        check_rate(self.rate, f"{where}: rate")
        if not 2 <= self.window <= 100_000 or not 1 <= self.hop <= self.window:
            raise HarcnnError(
                f"{where}: a window of {self.window} samples with a hop of {self.hop}; windows need 2 samples or more and a hop of 1 to the window"
            )
        if self.filter not in FILTERS or self.labels not in LABEL_POLICIES:
            raise HarcnnError(f"{where}: filter must be one of {list(FILTERS)} and labels one of {list(LABEL_POLICIES)}")
        if len(self.units) != len(self.channels) or not self.channels:
            raise HarcnnError(f"{where}: {len(self.units)} units for {len(self.channels)} channels")
        for channel, unit in zip(self.channels, self.units):
            check_unit(channel, unit, where)
        if self.filter == "uci-har" and ([channel_kind(c) for c in self.channels] != ["acc"] * 3 + ["gyro"] * 3 or self.devices):
            raise HarcnnError(
                f"{where}: filter 'uci-har' needs one device's three accelerometer then three gyroscope channels, got {list(self.channels)}"
            )
        if self.filter == "uci-har" and self.rate <= 2 * Filters().noise_cutoff:
            raise HarcnnError(
                f"{where}: filter 'uci-har' low-passes at {Filters().noise_cutoff:g} Hz, which needs a rate above {2 * Filters().noise_cutoff:g} Hz; "
                f"got {self.rate:g} Hz (use filter none, or a higher rate)"
            )
        if self.devices:
            _check_devices(self.channels, self.devices, where)
        if not 0 < self.max_gap <= 3600:
            raise HarcnnError(f"{where}: max_gap must be in (0, 3600] seconds, got {self.max_gap:g}")

    @classmethod
    def make(cls, channels: tuple[str, ...], units: tuple[str, ...], windowing: Windowing, devices: tuple[str, ...] = ()) -> Pipeline:
        """The pipeline that cuts recordings of `channels` in `units` (of `devices` joined) as `windowing` says."""
        if not 0 <= windowing.overlap < 1:
            raise HarcnnError(f"--overlap must be in [0, 1), got {windowing.overlap:g}")
        check_rate(windowing.rate, "--rate")
        if not math.isfinite(windowing.window) or windowing.window <= 0:
            raise HarcnnError(f"--window must be a positive number of seconds, got {windowing.window:g}")
        window = round(windowing.window * windowing.rate)
        return cls(
            tuple(channels), tuple(units), float(windowing.rate), window, max(1, round(window * (1 - windowing.overlap))),
            filter=windowing.filter, labels=windowing.labels, max_gap=windowing.max_gap, devices=devices,
        )  # fmt: skip

    @property
    def output_channels(self) -> tuple[str, ...]:
        return CHANNELS if self.filter == "uci-har" else self.channels

    def columns(self, device: str = "") -> tuple[str, ...]:
        """The CSV columns read from `device`'s files (all of them without joined devices)."""
        if not self.devices:
            return self.channels
        prefix = device + DEVICE_SEPARATOR
        return tuple(c.removeprefix(prefix) for c in self.channels if c.startswith(prefix))

    def only(self, keep: tuple[str, ...]) -> Pipeline | None:
        """The pipeline that makes just the channels `keep` (in that order), None where its filter
        makes its channels together (UCI HAR's gravity split) or it does not make them."""
        if self.filter != "none" or not set(keep) <= set(self.channels):
            return None
        index = [self.channels.index(c) for c in keep]
        devices = tuple(d for d in self.devices if any(c.startswith(d + DEVICE_SEPARATOR) for c in keep))
        return replace(self, channels=tuple(keep), units=tuple(self.units[i] for i in index), devices=devices)

    def describe(self) -> str:
        units = ", ".join(f"{c} ({u} -> {CANONICAL[channel_kind(c)]})" if u else c for c, u in zip(self.channels, self.units))
        joined = f", devices {' + '.join(self.devices)} joined on time" if self.devices else ""
        return (
            f"{self.rate:g} Hz, windows of {self.window} samples ({self.window / self.rate:g} s) every {self.hop} "
            f"({self.hop / self.rate:g} s), filter {self.filter}, labels by {self.labels}{joined}; channels {units}"
        )

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def portable(self) -> dict:
        """What a device needs to make this pipeline's windows from samples taken at `rate` (no
        resampling, no gaps), with nothing but NumPy and SciPy: the channel order and the factor of
        each to g or rad/s, the filters as numbers (second-order sections, the median's width),
        the window and the hop. `harcnn.deploy.reference_preprocessing` reads it."""
        out = {
            "rate_hz": self.rate,
            "columns": list(self.channels),
            "units": list(self.units),
            "to_canonical": to_canonical(self.units).tolist(),  # multiply each column by this: g and rad/s
            "window": self.window,
            "hop": self.hop,
            "channels_out": list(self.output_channels),
            "filter": None,
        }
        if self.filter == "uci-har":
            filters = Filters()
            out["filter"] = {
                "median": filters.median,  # centred median over this many samples, per column (scipy.signal.medfilt)
                "noise_sos": filters.noise_sos(self.rate).tolist(),  # all six columns, forwards (scipy.signal.sosfilt)
                "gravity_sos": filters.gravity_sos(self.rate).tolist(),  # the three denoised acc columns, forwards
                "initial_state": "steady state at the first sample: scipy.signal.sosfilt_zi(sos) times it",
                "outputs": "total acc (denoised), body acc (total - gravity), gyro (denoised)",
            }
        return out

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
            source = 1 / sampling_period(t)
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
            np.concatenate(out_labels).astype(str) if labels is not None else None,  # a window's as text: few, unlike samples
        )

    def most_windows(self, recordings: list[Recording]) -> int:
        """How many windows `windows` cuts from one trial without gaps, from its span alone (gaps,
        and devices joined on a shorter stretch, cut fewer), plus one for the rounding of its ends."""
        span = max(float(r.time[-1] - r.time[0]) for r in recordings)
        return int(max(0.0, (span * self.rate + 1 - self.window) // self.hop + 1)) + 1

    def bytes_needed(self, recordings: list[Recording]) -> tuple[int, int]:
        """About how many bytes `windows` of one trial keeps (its windows and labels) and needs while
        it runs (the resampled signal, and the source-rate signal it is low-passed on), from the
        recordings' spans and rates alone: what `cut` checks before allocating anything."""
        span = max(float(r.time[-1] - r.time[0]) for r in recordings)
        samples = span * self.rate + 1
        kept = self.most_windows(recordings) * self.window * (4 * len(self.output_channels) + 8)
        source = max(len(r) / max(span, 1e-9) if span else 1.0 for r in recordings)
        passing = 8 * len(self.channels) * 3 * (samples + (span * source if self.rate < 0.9 * source else 0))
        return int(kept), int(passing)

    def stream(self) -> Stream:
        """The causal counterpart for samples arriving at `rate` in the model's units."""
        return Stream(self.window, self.hop, len(self.channels), uci_har=self.filter == "uci-har", rate=self.rate)


def check_rate(rate: float, what: str) -> None:
    """A sampling rate in RATE_RANGE (NaN and infinity are not)."""
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise HarcnnError(f"{what} must be {RATE_RANGE[0]:g} to {RATE_RANGE[1]:g} Hz, got {rate:g}")


def _check_devices(channels: tuple[str, ...], devices: tuple[str, ...], where: str) -> None:
    """Joined devices: each named once, every channel `device:column` of one of them, each with a channel."""
    if len(set(devices)) != len(devices) or not all(devices):
        raise HarcnnError(f"{where}: devices must be distinct names, got {list(devices)}")
    owners = [c.split(DEVICE_SEPARATOR, 1)[0] if DEVICE_SEPARATOR in c else None for c in channels]
    stray = next((c for c, owner in zip(channels, owners) if owner not in devices), None)
    if stray is not None:
        raise HarcnnError(
            f"{where}: channel {stray!r} is no device's; joined channels are named device{DEVICE_SEPARATOR}column, devices {list(devices)}"
        )
    idle = next((d for d in devices if d not in owners), None)
    if idle is not None:
        raise HarcnnError(f"{where}: device {idle!r} has no channel")


UCI_HAR = Pipeline(CSV_COLUMNS[1:], CSV_UNITS, filter="uci-har")  # UCI HAR's and HAPT's windows


def window_labels(labels: np.ndarray, starts: np.ndarray, size: int, policy: str) -> np.ndarray:
    """Per window, the label `policy` gives: "majority" the one at least half its samples carry (a tie: the earlier), "centre"
    its centre sample's, "drop" the one all its samples carry; "" where there is none, or it is unlabelled.

    Counted window by window on sorted label codes, in chunks: memory grows with the windows' samples,
    not with samples times the number of distinct labels."""
    if policy == "centre":
        return labels[starts + size // 2]
    names, codes = np.unique(labels, return_inverse=True)
    unlabelled = np.flatnonzero(names == "")  # unlabelled samples are no label's, and win nothing
    out = np.full(len(starts), "", dtype=names.dtype)
    positions = np.arange(size)
    view = np.lib.stride_tricks.sliding_window_view(codes, size)
    for chunk in np.array_split(np.arange(len(starts)), max(1, len(starts) * size // LABEL_CHUNK)):
        windows = view[starts[chunk]]
        ordered = np.sort(windows, axis=1)
        new_run = np.ones(ordered.shape, bool)
        new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        run = positions - np.maximum.accumulate(np.where(new_run, positions, 0), axis=1) + 1  # samples of its label so far
        first = windows[:, 0]
        first_count = (windows == first[:, None]).sum(1)
        if len(unlabelled):
            run[ordered == unlabelled[0]] = 0
            first_count[first == unlabelled[0]] = 0
        most = run.max(1)
        commonest = ordered[np.arange(len(chunk)), run.argmax(1)]  # of the labels with most samples, the first by name
        chosen = np.where(first_count == most, first, commonest)  # a tie goes to the earlier label
        enough = most == size if policy == "drop" else 2 * most >= size
        out[chunk] = np.where(enough, names[chosen], "")
    return out
