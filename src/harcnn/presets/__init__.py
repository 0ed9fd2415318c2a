"""The specs harcnn itself reads (`harcnn auto`'s candidates), shipped in the package. They are the
files `experiments/best.toml` and `experiments/quick.toml` link to, so each recipe is written once."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PRESETS = ("quick", "best")  # cheapest first


def path(name: str) -> Path:
    """The spec file of preset `name`."""
    return Path(str(resources.files(__name__) / f"{name}.toml"))
