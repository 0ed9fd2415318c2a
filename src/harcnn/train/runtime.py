"""Process-level settings for fast CPU training, applied so that a user's process gets them back.

A library must leave the process it runs in as it found it: `fit` in a notebook may not change how
everything computed afterwards rounds. So flush-to-zero is a context (`flushing_denormals`) around
training, and the allocator setting, which glibc cannot report back, is only made in processes
harcnn owns (the CLI and its worker processes: `resources.keep_freed_memory`).
"""

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
