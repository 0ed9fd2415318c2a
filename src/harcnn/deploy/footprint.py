"""What an exported model needs on a microcontroller, read from its batch-1 ONNX graph after ONNX
Runtime's pre-processing (batch normalisation folded into the convolutions, as a microcontroller
runtime runs it), so that a model can be set beside a device's flash and RAM before it is put there:

- weights: a byte a convolution or dense weight (int8) and 4 bytes every other number the graph
  computes with (biases as int32, the input's standardisation), the flash a statically quantized
  model's tensors take (a runtime's code comes on top);
- activations: the peak of the tensors alive at once when the nodes run in order, each freed after
  its last use and reshapes sharing their input's memory, at one byte an element (int8);
- MACs: multiply-accumulates of the convolutions and dense layers for one window.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harcnn.extras import require


@dataclass(frozen=True)
class Footprint:
    weights_int8_bytes: int
    peak_activations_int8_bytes: int
    macs: int

    def __str__(self) -> str:
        return (f"int8 weights {self.weights_int8_bytes / 1024:.1f} KiB, peak int8 activations "
                f"{self.peak_activations_int8_bytes / 1024:.1f} KiB, {self.macs / 1e6:.2f} M MACs a window")  # fmt: skip


ALIASES = {"Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity"}  # outputs that reuse their input's memory


def footprint(path: Path) -> Footprint:
    """What the batch-1 ONNX graph at `path` needs on a device (see the module's docstring)."""
    require("onnxruntime", "a model's footprint")
    import onnx
    from onnx import numpy_helper
    from onnxruntime.quantization import quant_pre_process

    with tempfile.TemporaryDirectory() as folder:
        fused = Path(folder) / "fused.onnx"
        quant_pre_process(str(path), str(fused), skip_symbolic_shape=True)
        graph = onnx.shape_inference.infer_shapes(onnx.load(fused)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    shape = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in [*graph.input, *graph.output, *graph.value_info]}
    macs, weights = 0, set()
    for node in graph.node:
        if node.op_type in ("Conv", "Gemm", "MatMul") and node.input[1] in init:
            weights.add(node.input[1])
            macs += int(np.prod(shape[node.output[0]])) * _inputs_per_output(node, init[node.input[1]])
    # int8 weights; every other number the graph computes with (biases, the input's standardisation) at 4 bytes
    others = sum(a.size for name, a in init.items() if name not in weights and a.dtype.kind == "f")
    weight_bytes = sum(init[name].size for name in weights) + 4 * others
    return Footprint(int(weight_bytes), _peak_activations(graph, shape, set(init)), int(macs))


def _inputs_per_output(node, w: np.ndarray) -> int:
    """Multiply-accumulates for one output element of a Conv, Gemm or MatMul with weights `w`."""
    if node.op_type == "Conv":
        return int(np.prod(w.shape[1:]))
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return int(w.shape[1] if trans_b else w.shape[0])
    return int(w.shape[-2])  # MatMul: (..., K, N)


def _peak_activations(graph, shape: dict[str, list[int]], constants: set[str]) -> int:
    """Elements alive at once at the worst node: each buffer freed after the last node that reads it
    (or an alias of it); the graph's input counts from the start, its outputs to the end."""
    buffer = {name: name for name in shape}
    last_use: dict[str, int] = {}
    for i, node in enumerate(graph.node):
        if node.op_type in ALIASES:
            buffer[node.output[0]] = buffer.get(node.input[0], node.input[0])
        for name in node.input:
            if name and name not in constants:
                last_use[buffer.get(name, name)] = i
    outputs = {o.name for o in graph.output}
    size = {name: int(np.prod(dims)) for name, dims in shape.items()}
    live = {buffer[graph.input[0].name]: size[graph.input[0].name]}
    peak = sum(live.values())
    for i, node in enumerate(graph.node):
        live |= {out: size.get(out, 0) for out in node.output if buffer.get(out, out) == out}
        peak = max(peak, sum(live.values()))
        live = {name: n for name, n in live.items() if last_use.get(name, -1) > i or name in outputs}
    return int(peak)
