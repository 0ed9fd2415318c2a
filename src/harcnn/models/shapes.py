"""Shape checks shared by the models, so a too-short input fails at build time with a clear message."""

from harcnn.errors import HarcnnError


def require_length(model: str, seq_len: int, remaining: int, what: str) -> None:
    if remaining < 1:
        raise HarcnnError(f"{model}: windows of {seq_len} steps are too short for {what}")


def block_lengths(seq_len: int, pool: int = 1, blocks: int = 1) -> list[int]:
    """The steps each block sees when every block but the last is max-pooled by `pool` (ceil mode)."""
    lengths = [seq_len]
    for _ in range(blocks - 1):
        lengths.append(-(-lengths[-1] // pool))
    return lengths


def require_kernels_fit(model: str, seq_len: int, kernels: tuple[int, ...], pool: int = 1, blocks: int = 1) -> None:
    """Every block's kernels and pooling no longer than the steps it sees at the length the model is
    built for (models with global pooling still accept other lengths when they predict)."""
    for b, length in enumerate(block_lengths(seq_len, pool, blocks)):
        if max(kernels) > length:
            raise HarcnnError(
                f"{model}: kernel {max(kernels)} is longer than the {length} steps block {b + 1} sees (windows of {seq_len} steps)"
            )
        if pool > 1 and b < blocks - 1 and pool > length:
            raise HarcnnError(
                f"{model}: pooling by {pool} is longer than the {length} steps block {b + 1} gives (windows of {seq_len} steps)"
            )
