"""LiteRT (TensorFlow Lite) export: the model as a `.tflite` file for Android and microcontroller
runtimes, converted by litert-torch from the same network the ONNX export writes.

The file takes raw windows `(batch, channels, steps)` float32 (a fixed batch: 1 unless given) and
returns `logits` and `probabilities`; LiteRT's interpreter runs it on any system, so the tests
check its predictions against PyTorch's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from harcnn.deploy.exported import Exported, check_batch, quiet, write_metadata
from harcnn.estimator import HARClassifier
from harcnn.extras import require
from harcnn.outputs import atomic_output


class _Named(nn.Module):
    """The exported network with its input and outputs named as in the ONNX export (LiteRT's
    signature takes the names of the keyword input and of the returned dictionary's keys)."""

    def __init__(self, model: HARClassifier):
        super().__init__()
        self.net = Exported(model).eval()

    def forward(self, windows: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, probabilities = self.net(windows)
        return {"logits": logits, "probabilities": probabilities}


def export_litert(model: HARClassifier, path: Path, batch: int = 1) -> Path:
    """Write `path` (`.tflite`) and `path.json` (the metadata every export writes)."""
    check_batch(batch)
    example = torch.zeros(batch, len(model.channels_), model.meta_.seq_len)
    with quiet():  # from the import on: it loads TensorFlow's and torchao's native libraries, which log
        require("litert_torch", "LiteRT export")
        import litert_torch

        edge = litert_torch.convert(_Named(model).eval(), sample_kwargs={"windows": example})
        with atomic_output(path) as tmp:
            edge.export(str(tmp))
    write_metadata(model, path, batch)
    return path


def litert_predict(path: Path, X: np.ndarray) -> np.ndarray:
    """Probabilities from a `.tflite` export with LiteRT's interpreter, a fixed batch at a time (the
    last one padded)."""
    require("ai_edge_litert", "LiteRT prediction")
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    run = interpreter.get_signature_runner()
    batch = int(interpreter.get_input_details()[0]["shape"][0])
    out = []
    for start in range(0, len(X), batch):
        chunk = X[start : start + batch].astype(np.float32)
        padded = np.concatenate([chunk, np.zeros((batch - len(chunk), *chunk.shape[1:]), np.float32)])
        out.append(run(windows=padded)["probabilities"][: len(chunk)])
    return np.concatenate(out)
