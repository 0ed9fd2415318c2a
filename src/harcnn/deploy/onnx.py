"""ONNX export: one model file for any runtime, with the input transform folded into the graph.

The exported graph takes raw windows `(batch, channels, steps)` float32, exactly what the model's
metadata names, and returns `logits` and `probabilities`; `model.onnx.json` beside it carries the
channel order, class names and how the input was prepared.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from harcnn.data.transforms import standardize
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.extras import require
from harcnn.outputs import atomic_output, write_text


class Exported(nn.Module):
    """A fitted model as a plain network: transform, the population, softmax (an ensemble's: the members' mean)."""

    def __init__(self, model: HARClassifier):
        super().__init__()
        self.model = model.net_.cpu().eval()
        t = model.transform_
        c = len(model.channels_)
        mean = t.mean if t is not None else np.zeros(c, np.float32)
        std = t.std if t is not None else np.ones(c, np.float32)
        self.register_buffer("mean", torch.from_numpy(np.asarray(mean, np.float32)).view(1, c, 1))
        self.register_buffer("std", torch.from_numpy(np.asarray(std, np.float32)).view(1, c, 1))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = standardize(x, self.mean, self.std).unsqueeze(0)
        logits = self.model.forward_members(x.expand(self.model.members, -1, -1, -1))  # (members, batch, classes)
        return logits.mean(0), torch.softmax(logits, -1).mean(0)


def export_onnx(model: HARClassifier, path: Path, opset: int = 18) -> Path:
    """Write `path` (ONNX) and `path.json` (metadata); returns the ONNX path.

    The outputs are the members' mean logits and mean probabilities (one member: its own)."""
    require("onnx", "ONNX export")
    module = Exported(model).eval()
    seq_len = model.meta_.seq_len
    example = torch.zeros(2, len(model.channels_), seq_len)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter: it needs no extra package and handles these models; torch warns
    # that the torch.export-based one (which needs onnxscript) is now preferred.
    with torch.no_grad(), warnings.catch_warnings(), atomic_output(path) as tmp:
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (example,),
            str(tmp),
            input_names=["windows"],
            output_names=["logits", "probabilities"],
            dynamic_axes={"windows": {0: "batch"}, "logits": {0: "batch"}, "probabilities": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    meta = {
        "input": {"name": "windows", "shape": ["batch", len(model.channels_), seq_len], "dtype": "float32"},
        "outputs": ["logits", "probabilities"],
        "channels": list(model.channels_),
        "classes": model.classes_.tolist(),
        "input_transform": "folded into the graph: raw windows in" if model.transform_ is not None else "none: raw windows in",
        "pipeline": model.pipeline_ and model.pipeline_.to_json(),  # how recordings become these windows (`data.pipeline`)
        "source_model": model.meta_.to_json(),
    }
    write_text(Path(str(path) + ".json"), json.dumps(meta, indent=1))
    return path


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of the weights (ONNX Runtime); activations stay float."""
    require("onnxruntime", "int8 quantization")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with atomic_output(target) as tmp:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
    write_text(Path(str(target) + ".json"), Path(str(source) + ".json").read_text())
    return target


def onnx_predict(path: Path, X: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Probabilities from an exported model with ONNX Runtime."""
    require("onnxruntime", "running ONNX models")
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = [
        session.run(["probabilities"], {"windows": np.ascontiguousarray(X[i : i + batch], np.float32)})[0] for i in range(0, len(X), batch)
    ]
    return np.concatenate(out)


def check_comparable(model: HARClassifier, test: WindowSet, where: Path) -> WindowSet:
    """`test`, if its windows are what `model` reads (channels, and steps unless any length will do)."""
    meta = model.meta_
    if test.channels != tuple(model.channels_) or (test.seq_len != meta.seq_len and not type(model.net_).ANY_LENGTH):
        raise HarcnnError(
            f"{where}: the model reads {meta.c_in} channels x {meta.seq_len} steps ({', '.join(model.channels_)}), but the "
            f"dataset {len(test.channels)} channels x {test.seq_len} steps; give --data the dataset it was trained on"
        )
    return test


def compare_int8(path: Path, model: HARClassifier, test: WindowSet) -> tuple[Path, dict[str, float]]:
    """Quantize the export at `path` to int8 beside it; the test accuracy of both."""
    q = quantize_int8(path, path.with_name(path.stem + ".int8.onnx"))
    names, truth = np.array([str(c) for c in model.classes_]), np.array(test.classes)[test.y]
    return q, {name: float((names[onnx_predict(p, test.X).argmax(1)] == truth).mean()) for name, p in (("float32", path), ("int8", q))}
