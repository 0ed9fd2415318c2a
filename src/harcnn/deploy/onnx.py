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
        x = (
            torch.cat([x] * self.model.members) if self.model.members > 1 else x
        )  # every member reads the windows (Concat: mobile runtimes have it, Expand they lack)
        logits = self.model.forward_members(x)  # (members, batch, classes)
        return logits.mean(0), torch.softmax(logits, -1).mean(0)


def export_onnx(model: HARClassifier, path: Path, opset: int = 18, batch: int | None = None) -> Path:
    """Write `path` (ONNX) and `path.json` (metadata); returns the ONNX path.

    The outputs are the members' mean logits and mean probabilities (one member: its own). With a
    fixed `batch` (say 1, a phone's one window at a time) every shape in the graph is fixed, which
    mobile execution providers need to run it whole (NNAPI takes the recommended model as one
    partition); without one the batch is dynamic."""
    require("onnx", "ONNX export")
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1 << 16):
        raise HarcnnError(f"--batch must be a whole number from 1 to {1 << 16}, got {batch!r}")
    module = Exported(model).eval()
    seq_len = model.meta_.seq_len
    example = torch.zeros(batch or 2, len(model.channels_), seq_len)
    dynamic = None if batch else {"windows": {0: "batch"}, "logits": {0: "batch"}, "probabilities": {0: "batch"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter: it needs no extra package, handles these models and gives the same
    # graph as the torch.export-based one (which needs onnxscript and takes 8x longer here).
    with torch.no_grad(), warnings.catch_warnings(), atomic_output(path) as tmp:
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module, (example,), str(tmp), input_names=["windows"], output_names=["logits", "probabilities"],
            dynamic_axes=dynamic, opset_version=opset, dynamo=False,
        )  # fmt: skip
    meta = {
        "input": {"name": "windows", "shape": [batch or "batch", len(model.channels_), seq_len], "dtype": "float32"},
        "outputs": ["logits", "probabilities"],
        "channels": list(model.channels_),
        "classes": model.classes_.tolist(),
        "input_transform": "folded into the graph: raw windows in" if model.transform_ is not None else "none: raw windows in",
        "pipeline": model.pipeline_ and model.pipeline_.to_json(),  # how recordings become these windows (`data.pipeline`)
        # the same as numbers a device can apply without harcnn (`deploy.reference_preprocessing`)
        "preprocessing": model.pipeline_ and model.pipeline_.portable(),
        "standardize": model.transform_
        and {  # folded into the graph already: for a runtime that reads raw windows
            "mean": model.transform_.mean.tolist(),
            "std": model.transform_.std.tolist(),
            "in_graph": True,
        },
        "source_model": model.meta_.to_json(),
    }
    write_text(Path(str(path) + ".json"), json.dumps(meta, indent=1))
    return path


def to_ort(source: Path, target: Path) -> Path:
    """The ONNX model at `source` in ONNX Runtime's own format (`.ort`, what its mobile builds load),
    with the basic graph optimisations every execution provider can take; its metadata beside it."""
    require("onnxruntime", "the ORT format")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.add_session_config_entry("session.save_model_format", "ORT")
    with atomic_output(target) as tmp:
        options.optimized_model_filepath = str(tmp)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    write_text(Path(str(target) + ".json"), Path(str(source) + ".json").read_text())
    return target


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of the weights (ONNX Runtime), after its recommended pre-processing
    (shape inference and graph optimisation); activations stay float."""
    require("onnxruntime", "int8 quantization")
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

    with atomic_output(target) as tmp:
        prepared = tmp.with_name(tmp.name + ".pre.onnx")
        try:
            quant_pre_process(
                str(source), str(prepared), skip_symbolic_shape=True
            )  # ONNX's own shape inference; the symbolic one trips on pooling's shape arithmetic
            quantize_dynamic(str(prepared), str(tmp), weight_type=QuantType.QInt8)
        finally:
            prepared.unlink(missing_ok=True)
    write_text(Path(str(target) + ".json"), Path(str(source) + ".json").read_text())
    return target


def onnx_predict(path: Path, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Probabilities from an exported model (ONNX or ORT format) with ONNX Runtime, in batches of its
    fixed batch where it has one."""
    require("onnxruntime", "running ONNX models")
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    fixed = session.get_inputs()[0].shape[0]
    batch = fixed if isinstance(fixed, int) else batch_size
    out = []
    for i in range(0, len(X), batch):
        chunk = np.ascontiguousarray(X[i : i + batch], np.float32)
        if isinstance(fixed, int) and len(chunk) < fixed:  # the last windows, padded to the graph's fixed batch
            chunk = np.concatenate([chunk, np.zeros((fixed - len(chunk), *chunk.shape[1:]), np.float32)])
        out.append(session.run(["probabilities"], {"windows": chunk})[0][: len(X) - i])
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
