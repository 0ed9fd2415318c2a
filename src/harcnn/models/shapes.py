"""Shape checks shared by the models, so a too-short input fails at build time with a clear message."""

from harcnn.errors import HarcnnError


def require_length(model: str, seq_len: int, remaining: int, what: str) -> None:
    if remaining < 1:
        raise HarcnnError(f"{model}: windows of {seq_len} steps are too short for {what}")
