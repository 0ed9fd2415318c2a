"""Optional extras, declared once: which module each needs and the one line that says how to get
it, so that a command needing a missing extra ends in that line, never in a traceback."""

from __future__ import annotations

import importlib

from harcnn.errors import HarcnnError

EXTRAS = {
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "coremltools": "coreml",
    "litert_torch": "litert",
    "ai_edge_litert": "litert",
    "mlflow": "mlflow",
    "tensorboard": "tensorboard",
    "aeon": "rocket",
    "skops": "rocket",
    "ray": "ray",
}  # module -> the extra that installs it


def require(module: str, purpose: str) -> None:
    """Import `module` or refuse `purpose` with the install line of its extra."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise HarcnnError(f'{purpose} needs {module}, which is not installed: pip install "harcnn[{EXTRAS[module]}]"') from None
