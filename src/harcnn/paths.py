"""Where harcnn keeps its cache, so that every module agrees on one place."""

import os
from pathlib import Path

from platformdirs import user_cache_dir


def harcnn_home() -> Path:
    """The cache folder: `$HARCNN_HOME` if set, else the platform's user cache folder."""
    env = os.environ.get("HARCNN_HOME")
    return Path(env) if env else Path(user_cache_dir("harcnn"))
