"""ONNX export: one model file for any runtime, with the input transform folded into the graph.

The exported graph takes raw windows `(batch, channels, steps)` float32, exactly what the model's
metadata names, and returns `logits` and `probabilities`; `model.onnx.json` beside it carries the
channel order, class names and how the input was prepared.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from harcnn.data.windows import WindowSet
from harcnn.deploy.exported import Exported, check_batch, write_metadata
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.extras import require
from harcnn.metrics import accuracy
from harcnn.outputs import atomic_output, write_text


def export_onnx(model: HARClassifier, path: Path, opset: int = 18, batch: int | None = None) -> Path:
    """Write `path` (ONNX) and `path.json` (metadata); returns the ONNX path.

    The outputs are the members' mean logits and mean probabilities (one member: its own). With a
    fixed `batch` (say 1, a phone's one window at a time) every shape in the graph is fixed, which
    mobile execution providers need to run it whole (NNAPI takes the recommended model as one
    partition); without one the batch is dynamic."""
    require("onnx", "ONNX export")
    check_batch(batch)
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
    write_metadata(model, path, batch)
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
            compact_names(tmp)
        finally:
            prepared.unlink(missing_ok=True)
    write_text(Path(str(target) + ".json"), Path(str(source) + ".json").read_text())
    return target


def compact_names(path: Path) -> None:
    """Rewrite the ONNX file at `path` with short tensor and node names and no stored shapes: in a
    small int8 model the long names of the export (`/model/blocks/blocks.0/...`) weigh more than
    its weights, and a microcontroller's flash holds the file. The inputs and outputs keep theirs."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    kept = {v.name for v in (*graph.input, *graph.output)}
    short: dict[str, str] = {}
    for name in [t.name for t in graph.initializer] + [o for node in graph.node for o in node.output]:
        if name and name not in kept:
            short.setdefault(name, f"t{len(short)}")
    for t in graph.initializer:
        t.name = short.get(t.name, t.name)
    for i, node in enumerate(graph.node):
        node.name, node.doc_string = f"n{i}", ""
        node.input[:] = [short.get(name, name) for name in node.input]
        node.output[:] = [short.get(name, name) for name in node.output]
    del graph.value_info[:]
    onnx.save(model, str(path))


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
    return q, {name: accuracy(model, onnx_predict(p, test.X), test) for name, p in (("float32", path), ("int8", q))}
