"""Raw 50 Hz accelerometer and gyroscope signals to UCI HAR's nine channels and windows.

As UCI HAR's authors describe (Anguita et al. 2013, the dataset's features_info.txt): a median
filter and a 3rd-order low-pass Butterworth at 20 Hz remove noise; a Butterworth low-pass at 0.3 Hz
separates gravity from the total acceleration, and body = total - gravity; windows of 128 samples
(2.56 s) with 50% overlap. Offline the filters run forwards and backwards (zero phase, like the
dataset); a stream can only filter causally, with state carried from one chunk to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal

from harcnn.data.recordings import Recording
from harcnn.data.uci_har import CHANNELS, STEPS
from harcnn.errors import HarcnnError

RATE = 50.0
STEP = STEPS // 2


@dataclass(frozen=True)
class Filters:
    """The pipeline's settings; the defaults are the ones that best reproduce UCI HAR's windows."""

    median: int = 3
    noise_cutoff: float = 20.0
    noise_order: int = 3
    gravity_cutoff: float = 0.3
    gravity_order: int = 3

    def noise_sos(self, rate: float = RATE) -> np.ndarray:
        return signal.butter(self.noise_order, self.noise_cutoff, fs=rate, output="sos")

    def gravity_sos(self, rate: float = RATE) -> np.ndarray:
        return signal.butter(self.gravity_order, self.gravity_cutoff, fs=rate, output="sos")


def resample(x: np.ndarray, rate: float, target: float = RATE) -> np.ndarray:
    """Resample `(n, c)` signals to `target` Hz with a polyphase filter (SciPy's resample_poly)."""
    if abs(rate - target) < 1e-6 * target:
        return x
    ratio = Fraction(target / rate).limit_denominator(1000)
    return signal.resample_poly(x, ratio.numerator, ratio.denominator, axis=0)


def channels(recording: Recording, filters: Filters = Filters()) -> np.ndarray:
    """The nine UCI HAR channels `(n, 9)` of a whole recording at 50 Hz, zero-phase filtered."""
    acc, gyro = resample(recording.acc, recording.rate), resample(recording.gyro, recording.rate)
    if len(acc) < 30:
        raise HarcnnError(f"{recording.name}: {len(acc)} samples at 50 Hz is too short to filter")
    noise = filters.noise_sos()
    total = signal.sosfiltfilt(noise, signal.medfilt(acc, (filters.median, 1)), axis=0)
    gravity = signal.sosfiltfilt(filters.gravity_sos(), total, axis=0)
    body_gyro = signal.sosfiltfilt(noise, signal.medfilt(gyro, (filters.median, 1)), axis=0)
    return np.concatenate([total, total - gravity, body_gyro], axis=1)


def windows(x: np.ndarray, size: int = STEPS, step: int = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Windows `(w, c, size)` of signals `(n, c)` and their start samples."""
    if len(x) < size:
        return np.zeros((0, x.shape[1], size), np.float32), np.zeros(0, np.int64)
    starts = np.arange(0, len(x) - size + 1, step)
    view = np.lib.stride_tricks.sliding_window_view(x, size, axis=0)[starts]
    return np.ascontiguousarray(view, dtype=np.float32), starts


class Stream:
    """Causal preprocessing of samples as they arrive; emits a window every `step` samples.

    Memory is bounded: filter states and the last `size` samples, whatever the stream's length.
    """

    def __init__(self, rate: float = RATE, filters: Filters = Filters(), size: int = STEPS, step: int = STEP):
        if abs(rate - RATE) > 1e-6:
            raise HarcnnError(f"streaming expects {RATE:g} Hz samples, got {rate:g} Hz; resample upstream")
        self.filters, self.size, self.step = filters, size, step
        self._noise = filters.noise_sos()
        self._gravity = filters.gravity_sos()
        self._zi_acc = self._zi_gyro = self._zi_gravity = None
        self._history: np.ndarray | None = None  # the last samples, for the causal median filter
        self._buffer = np.zeros((0, len(CHANNELS)), np.float32)
        self.samples_seen = 0
        self._emitted = 0

    def _median(self, x: np.ndarray) -> np.ndarray:
        """Causal running median over the last `median` samples (the first sample pads the start)."""
        k = self.filters.median
        if self._history is None:
            self._history = np.repeat(x[:1], k - 1, axis=0)
        joined = np.concatenate([self._history, x])
        self._history = joined[len(joined) - (k - 1) :]
        return np.median(np.lib.stride_tricks.sliding_window_view(joined, k, axis=0), axis=-1)

    @property
    def samples_to_next_window(self) -> int:
        """How many more samples complete the next window."""
        return self.size + self._emitted * self.step - self.samples_seen

    def push(self, acc: np.ndarray, gyro: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Feed `(n, 3)` acc (g) and gyro (rad/s); returns (start sample, window `(9, size)`) pairs."""
        if len(acc) == 0:
            return []
        med = self._median(np.concatenate([acc, gyro], axis=1))
        if self._zi_acc is None:
            zi = signal.sosfilt_zi(self._noise)
            self._zi_acc = zi[:, :, None] * med[0, None, None, :3]
            self._zi_gyro = zi[:, :, None] * med[0, None, None, 3:]
            self._zi_gravity = signal.sosfilt_zi(self._gravity)[:, :, None] * med[0, None, None, :3]
        total, self._zi_acc = signal.sosfilt(self._noise, med[:, :3], axis=0, zi=self._zi_acc)
        gyro_f, self._zi_gyro = signal.sosfilt(self._noise, med[:, 3:], axis=0, zi=self._zi_gyro)
        gravity, self._zi_gravity = signal.sosfilt(self._gravity, total, axis=0, zi=self._zi_gravity)
        block = np.concatenate([total, total - gravity, gyro_f], axis=1).astype(np.float32)
        self._buffer = np.concatenate([self._buffer, block])
        self.samples_seen += len(acc)
        out = []
        while len(self._buffer) >= self.size:
            out.append((self._emitted * self.step, self._buffer[: self.size].T.copy()))
            self._emitted += 1
            self._buffer = self._buffer[self.step :]
        return out


def window_labels(recording: Recording, starts: np.ndarray, size: int = STEPS, min_cover: float = 0.5) -> np.ndarray:
    """Per window, the label of the segment covering most of it (0 where none covers `min_cover`)."""
    labels = np.zeros(len(starts), np.int64)
    best = np.zeros(len(starts))
    scale = recording.rate / RATE  # segments count samples at the recording's own rate
    for seg in recording.segments:
        lo, hi = seg.start / scale, seg.end / scale
        cover = np.clip(np.minimum(hi, starts + size) - np.maximum(lo, starts), 0, None)
        better = cover > best
        labels[better], best[better] = seg.label, cover[better]
    labels[best < min_cover * size] = 0
    return labels
