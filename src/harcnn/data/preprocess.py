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

import numpy as np
from scipy import signal

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


def uci_har_channels(x: np.ndarray, rate: float = RATE, filters: Filters = Filters()) -> np.ndarray:
    """UCI HAR's nine channels `(n, 9)` of a regularly sampled `(n, 6)` acc (g) and gyro (rad/s)."""
    if len(x) < filters.median:
        raise HarcnnError(f"{len(x)} samples are too short to filter")
    return _ForwardFilters(filters, rate)(signal.medfilt(x, (filters.median, 1)))


class Stream:
    """Causal preprocessing of samples as they arrive; emits a window every `step` samples. With
    `uci_har`, the `(n, 6)` acc and gyro samples become UCI HAR's nine channels (causal median, the
    forward filters); else samples pass as they are.

    Memory is bounded: filter states and the last `size` samples, whatever the stream's length.
    """

    def __init__(
        self, size: int = STEPS, step: int = STEP, width: int = 6, uci_har: bool = True, rate: float = RATE, filters: Filters = Filters()
    ):
        self.filters, self.size, self.step = filters, size, step
        self._filters = _ForwardFilters(filters, rate) if uci_har else None
        self._history: np.ndarray | None = None  # the last samples, for the causal median filter
        self._buffer = np.zeros((0, len(CHANNELS) if uci_har else width), np.float32)
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

    def push(self, block: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Feed samples `(n, width)` in the model's units; returns (start sample, window `(c, size)`) pairs."""
        if len(block) == 0:
            return []
        if self._filters is not None:
            block = self._filters(self._median(block))
        self._buffer = np.concatenate([self._buffer, block.astype(np.float32)])
        self.samples_seen += len(block)
        out = []
        while len(self._buffer) >= self.size:
            out.append((self._emitted * self.step, self._buffer[: self.size].T.copy()))
            self._emitted += 1
            self._buffer = self._buffer[self.step :]
        return out
