"""Core ML export: the model as an ML program (`.mlpackage`) for Apple's phones and watches, made
from a `torch.export` program of the same network the ONNX export writes.

The package takes raw windows `(batch, channels, steps)` float32 (a fixed batch: Core ML's Neural
Engine wants fixed shapes; 1 by default) and returns `logits` and `probabilities` as float32; inside,
Core ML computes in float16 as it does on the Neural Engine. Its prediction runs only on Apple's
systems, so elsewhere a conversion is checked by its program (inputs, outputs, operations).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from harcnn.deploy.exported import Exported, check_batch, quiet, write_metadata
from harcnn.estimator import HARClassifier
from harcnn.extras import require
from harcnn.outputs import atomic_package

IOS = "iOS16"  # the oldest deployment target whose ML programs take float16 compute with float32 inputs and outputs


def export_coreml(model: HARClassifier, path: Path, batch: int = 1) -> Path:
    """Write `path` (a `.mlpackage` folder) and `path.json` (the metadata every export writes)."""
    check_batch(batch)
    shape = (batch, len(model.channels_), model.meta_.seq_len)
    with torch.no_grad(), quiet():  # from the import on: no Core ML runtime off Apple's systems, untested torch, progress bars
        require("coremltools", "Core ML export")
        import coremltools as ct

        program = torch.export.export(Exported(model).eval(), (torch.zeros(shape),)).run_decompositions({})
        package = ct.convert(
            program, inputs=[ct.TensorType(name="windows", shape=shape, dtype=np.float32)],
            outputs=[ct.TensorType(name="logits", dtype=np.float32), ct.TensorType(name="probabilities", dtype=np.float32)],
            convert_to="mlprogram", minimum_deployment_target=getattr(ct.target, IOS),
        )  # fmt: skip
    with atomic_package(path) as tmp:
        package.save(str(tmp))
    write_metadata(model, path, batch)
    return path
