"""What every export format shares: the fitted model as one plain network (input transform folded
in, an ensemble's members averaged), and the metadata written beside the exported file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from harcnn.data.transforms import standardize
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.outputs import write_text


class Exported(nn.Module):
    """A fitted model as a plain network: transform, the population, softmax (an ensemble's: the members' mean)."""

    def __init__(self, model: HARClassifier):
        super().__init__()
        if model.meta_.peers:
            names = ", ".join(p["model"] for p in model.meta_.peers)
            raise HarcnnError(
                f"this model is a heterogeneous ensemble (its CNNs with {names}), which the export formats cannot hold: the peers are not "
                "networks; export a CNN-only model (harcnn train, or harcnn auto --cnn-only)"
            )
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


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """A converter's notes, warnings and progress lines, and its native libraries' logs (TensorFlow,
    XLA, oneDNN write to the process's own stdout and stderr), silenced while it runs; errors still
    raise. The exports print what they wrote and nothing else."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as devnull, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def check_batch(batch: int | None) -> None:
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1 << 16):
        raise HarcnnError(f"--batch must be a whole number from 1 to {1 << 16}, got {batch!r}")


def metadata(model: HARClassifier, batch: int | None) -> dict:
    """What a runtime needs beside the graph: input and output names and shapes, channel order, class
    names, how recordings become windows, and the model it came from."""
    return {
        "input": {"name": "windows", "shape": [batch or "batch", len(model.channels_), model.meta_.seq_len], "dtype": "float32"},
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


def write_metadata(model: HARClassifier, path: Path, batch: int | None) -> Path:
    """`path.json` beside an exported file."""
    return write_text(Path(str(path) + ".json"), json.dumps(metadata(model, batch), indent=1))
