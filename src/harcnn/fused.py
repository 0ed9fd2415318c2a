"""The switch for harcnn's fused fast paths, as timm's `set_fused_attn`.

On (the default), training uses the numba kernel for dropout + max-pooling + ReLU + Flatten and
calls PyTorch's fused Adam kernel directly. Off, the same layers run as plain torch operations and
the optimizer is `torch.optim.Adam`: the reference path, for debugging, for a platform where a fast
path misbehaves, or to check that a result does not depend on them. Set it in code with
`harcnn.set_fused(False)` or for a whole process with the environment variable `HARCNN_FUSED=0`.
"""

import os

_enabled = os.environ.get("HARCNN_FUSED", "1").strip().lower() not in ("0", "false", "no", "off")


def set_fused(enabled: bool) -> None:
    """Turn the fused kernels on or off for this process (worker processes read `HARCNN_FUSED`)."""
    global _enabled
    _enabled = bool(enabled)
    os.environ["HARCNN_FUSED"] = "1" if _enabled else "0"


def fused_enabled() -> bool:
    return _enabled
