"""Options as objects, declared once with their defaults: how recordings are cut (`Windowing`) and
how a dataset's test split is drawn (`SubjectSplit`). Light on purpose: the CLI reads the defaults
for its help without importing numpy."""

from __future__ import annotations

from dataclasses import dataclass

from harcnn.data.sensors import MAX_GAP, OVERLAP, RATE, WINDOW_S
from harcnn.errors import HarcnnError

DEFAULT_TEST_SHARE = 0.25


@dataclass(frozen=True)
class Windowing:
    """How recordings are cut, in a user's terms (a window in seconds, an overlap in [0, 1)): the
    options of `data recordings` and `load_recordings`, and their defaults, declared once."""

    rate: float = RATE  # Hz everything is resampled to
    window: float = WINDOW_S  # seconds
    overlap: float = OVERLAP  # share of a window the next one overlaps
    labels: str = "majority"  # a window across a label change: one of LABEL_POLICIES
    filter: str = "none"  # one of FILTERS
    max_gap: float = MAX_GAP  # seconds between samples beyond which a recording is cut


def check_seed(seed: object) -> int:
    """The seed of a drawn test split: what numpy's generators take."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise HarcnnError(f"--seed must be a whole number from 0 to {2**32 - 1}, got {seed!r}")
    return seed


@dataclass(frozen=True)
class SubjectSplit:
    """A dataset's test split: the named `subjects`, else a `share` of its subjects drawn with `seed`."""

    subjects: tuple[str, ...] = ()
    share: float = DEFAULT_TEST_SHARE
    seed: int = 0

    def __post_init__(self) -> None:
        check_seed(self.seed)
