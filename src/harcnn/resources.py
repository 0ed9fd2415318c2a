"""What this machine can hold, the one refusal of work that would not fit in memory (made before
anything large is allocated), and the allocator setting of processes harcnn owns. No torch here:
the CLI calls it before it has parsed its arguments."""

from __future__ import annotations

import ctypes
import os
import sys

from harcnn.errors import HarcnnError


def machine_memory() -> int:
    """Bytes of physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 1 << 40


def check_fits(need: float, what: str, advice: str, share: int = 1) -> None:
    """Refuse `what` needing `need` bytes where it would not fit in a `share` of this machine's memory."""
    total = machine_memory()
    if need > total // max(1, share):
        of = f"each of {share} worker(s) has {total / share / 2**30:.1f} GiB of" if share > 1 else "this machine has"
        raise HarcnnError(f"{what} need(s) about {need / 2**30:.1f} GiB, but {of} {total / 2**30:.1f} GiB; {advice}")


def _glibc():
    """The C library where it is glibc (Linux), whose allocator the two calls below tune; else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def keep_freed_memory() -> None:
    """Keep freed memory in the process (glibc); only for processes harcnn owns.

    glibc serves allocations over 128 KiB with fresh mmap pages that fault in on first touch, and
    PyTorch's CPU allocator does not cache, so every training step paid page faults for each
    activation: raising the thresholds took a population step of the tutorial CNN from 102 to 82 ms.
    glibc has no call that reads these settings back, so a library cannot restore them: the CLI and
    its workers call this, `HARClassifier.fit` does not.
    """
    libc = _glibc()
    if libc is None:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, (1 << 31) - 1)


def release_freed_memory() -> None:
    """Give memory that is freed but kept (`keep_freed_memory`; glibc) back to the system: after a
    phase whose large arrays are gone, so that the next phase's arrays do not come on top of them
    (`data recordings`: the signals, once cut into windows)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
