"""A reference for devices: a model's windows from raw samples and its exported JSON alone.

It imports NumPy and SciPy only, so that it can be read (or ported) without harcnn: the exported
metadata's `preprocessing` (`Pipeline.portable`) says the rate, the channel order and the factor of
each channel to g or rad/s, the filters as numbers, the window and the hop. Feed it samples taken
at that rate, in the file's column order; it returns the windows `(n, channels, window)` float32
the exported graph takes (the standardisation is inside the graph). A test checks that it gives
`harcnn predict`'s windows to 1e-5.
"""

import numpy as np
from scipy import signal


def windows(samples: np.ndarray, preprocessing: dict) -> np.ndarray:
    """`samples` `(n, columns)` at `preprocessing["rate_hz"]`, in the units the metadata names."""
    x = np.asarray(samples, np.float64) * np.asarray(preprocessing["to_canonical"])
    spec = preprocessing["filter"]
    if spec is not None:  # UCI HAR's: median, then forward Butterworth filters, gravity split off
        x = signal.medfilt(x, (spec["median"], 1))
        noise, gravity = np.asarray(spec["noise_sos"]), np.asarray(spec["gravity_sos"])
        denoised, _ = signal.sosfilt(noise, x, axis=0, zi=signal.sosfilt_zi(noise)[:, :, None] * x[0])
        total = denoised[:, :3]
        low, _ = signal.sosfilt(gravity, total, axis=0, zi=signal.sosfilt_zi(gravity)[:, :, None] * x[0, :3])
        x = np.concatenate([total, total - low, denoised[:, 3:]], axis=1)
    size, hop = preprocessing["window"], preprocessing["hop"]
    starts = np.arange(0, len(x) - size + 1, hop)
    return np.stack([x[s : s + size].T for s in starts]).astype(np.float32)
