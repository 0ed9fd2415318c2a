"""Raw 50 Hz accelerometer and gyroscope signals to UCI HAR's nine channels and windows.

As UCI HAR's authors describe (Anguita et al. 2013, the dataset's features_info.txt): a median
filter and a 3rd-order low-pass Butterworth at 20 Hz remove noise; a Butterworth low-pass at 0.3 Hz
separates gravity from the total acceleration, and body = total - gravity; windows of 128 samples
(2.56 s) with 50% overlap.

Matched against the real UCI HAR windows (benchmarks/preprocess_agreement.py), the dataset's
Butterworth filters turn out to be causal, run forwards only: a zero-phase gravity filter gave
body_acc a correlation of 0.74 with UCI's, the causal 3rd-order one 0.997. So offline and streaming
use the same forward filters; offline the median filter is centred, a stream's is the causal
median of the last three samples, which is the same signal one sample (20 ms) later.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal

from harcnn.data.recordings import Recording
from harcnn.data.sensors import CHANNELS, RATE, STEP, STEPS
from harcnn.errors import HarcnnError


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


class _ForwardFilters:
    """The noise and gravity Butterworth filters run forwards, with state carried between calls."""

    def __init__(self, filters: Filters, rate: float = RATE):
        self._noise, self._gravity = filters.noise_sos(rate), filters.gravity_sos(rate)
        self._state: list[np.ndarray] | None = None

    def __call__(self, med: np.ndarray) -> np.ndarray:
        """Median-filtered `(n, 6)` acc and gyro to the nine channels `(n, 9)`."""
        if self._state is None:  # start in steady state at the first sample, not from zero
            noise_zi, gravity_zi = signal.sosfilt_zi(self._noise), signal.sosfilt_zi(self._gravity)
            self._state = [noise_zi[:, :, None] * med[0, None, None, :], gravity_zi[:, :, None] * med[0, None, None, :3]]
        denoised, self._state[0] = signal.sosfilt(self._noise, med, axis=0, zi=self._state[0])
        total = denoised[:, :3]
        gravity, self._state[1] = signal.sosfilt(self._gravity, total, axis=0, zi=self._state[1])
        return np.concatenate([total, total - gravity, denoised[:, 3:]], axis=1)


def channels(recording: Recording, filters: Filters = Filters()) -> np.ndarray:
    """The nine UCI HAR channels `(n, 9)` of a whole recording, resampled to 50 Hz."""
    acc, gyro = resample(recording.acc, recording.rate), resample(recording.gyro, recording.rate)
    if len(acc) < filters.median:
        raise HarcnnError(f"{recording.name}: {len(acc)} samples at 50 Hz is too short to filter")
    med = signal.medfilt(np.concatenate([acc, gyro], axis=1), (filters.median, 1))
    return _ForwardFilters(filters)(med)


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
        self._filters = _ForwardFilters(filters)
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
        block = self._filters(self._median(np.concatenate([acc, gyro], axis=1))).astype(np.float32)
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
