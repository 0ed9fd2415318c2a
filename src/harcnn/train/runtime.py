"""Process-level settings for fast CPU training, applied so that a user's process gets them back.

A library must leave the process it runs in as it found it: `fit` in a notebook may not change how
everything computed afterwards rounds. So flush-to-zero is a context (`flushing_denormals`) around
training, and the allocator setting, which glibc cannot report back, is only made in processes
harcnn owns (the CLI and its worker processes: `keep_freed_memory`).
"""

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def flush_denormal_enabled() -> bool:
    """Whether this thread flushes denormal floats to zero (read off a product, torch has no getter)."""
    tiny = torch.tensor([1e-40], dtype=torch.float32)
    return bool((tiny * 1.0 == 0).item())


@contextmanager
def flushing_denormals() -> Iterator[None]:
    """Flush denormal floats to zero inside the block; the previous state is restored after it.

    A few epochs into training the tutorial CNN, values below float32's normal range appear and
    every instruction touching them is slow: epochs went from 9 s to 14.5 s from the fourth epoch
    on, 9 s throughout with flushing (5 members, one thread). TensorFlow flushes them too (its
    executor threads set FTZ/DAZ), so results stay comparable with the Keras reference; the same
    seed still gives the same numbers. The setting is per thread and inherited by threads created
    later.
    """
    before = flush_denormal_enabled()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


def keep_freed_memory() -> None:
    """Keep freed memory in the process (glibc); only for processes harcnn owns.

    glibc serves allocations over 128 KiB with fresh mmap pages that fault in on first touch, and
    PyTorch's CPU allocator does not cache, so every training step paid page faults for each
    activation: raising the thresholds took a population step of the tutorial CNN from 102 to 82 ms.
    glibc has no call that reads these settings back, so a library cannot restore them: the CLI and
    its workers call this, `HARClassifier.fit` does not.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, (1 << 31) - 1)
