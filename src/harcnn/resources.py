"""What this machine can hold, and the one refusal of work that would not fit in memory, made
before anything large is allocated."""

from __future__ import annotations

import os

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
