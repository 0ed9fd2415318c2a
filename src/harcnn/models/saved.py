"""Saved models: weights as safetensors, everything else as JSON beside them. Loading never unpickles.

A folder `model/` holds `model.safetensors` (one member's weights) and `model.json`: architecture and
hyperparameters, input shape, channel order, class names, the input transform, and the data,
seed and versions it came from, so a prediction can be traced back to how the model was made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from harcnn.data.transforms import Standardize
from harcnn.errors import HarcnnError
from harcnn.models import build
from harcnn.models.layers import PopLinear

FORMAT = "harcnn-model"
FORMAT_VERSION = 2  # 2: dense weights stored (out, in) like nn.Linear; version 1 stored them (in, out)


@dataclass
class SavedModel:
    model: nn.Module  # a population of one
    meta: dict

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.meta["classes"])

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.meta["channels"])

    @property
    def transform(self) -> Standardize | None:
        return Standardize.from_json(self.meta.get("transform"))

    def prepare(self, X: np.ndarray) -> np.ndarray:
        """Check the shape of raw windows `(n, c, t)` and apply the model's input transform."""
        want = (len(self.channels), self.meta["seq_len"])
        if X.ndim != 3 or X.shape[1:] != want:
            raise HarcnnError(f"the model expects windows of shape (n, {want[0]}, {want[1]}), got {X.shape}")
        t = self.transform
        X = X if t is None else (X - t.mean[None, :, None]) / t.std[None, :, None]
        return np.ascontiguousarray(X, dtype=np.float32)

    @torch.no_grad()
    def predict_proba(self, X: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Class probabilities `(n, n_classes)` for raw windows `(n, c, t)`."""
        X = self.prepare(X)
        self.model.eval()
        out = [
            torch.softmax(self.model(torch.from_numpy(X[i : i + batch])[None]), -1)[0].numpy()
            for i in range(0, len(X), batch)
        ]
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)


def member_state(model: nn.Module, r: int) -> dict[str, torch.Tensor]:
    """Member r of a population as the weights of a population of one."""
    return {k: v[r : r + 1].detach().cpu().clone() for k, v in model.state_dict().items()}


def save_model(folder: Path, state: dict[str, torch.Tensor], meta: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, folder / "model.safetensors")
    (folder / "model.json").write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **meta}, indent=1))
    return folder


def load_model(folder: str | Path) -> SavedModel:
    folder = Path(folder)
    meta_path, weights_path = folder / "model.json", folder / "model.safetensors"
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise HarcnnError(f"{folder}: not a harcnn model folder (missing {p.name})")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as e:
        raise HarcnnError(f"{meta_path}: not valid JSON ({e})") from None
    if meta.get("format") != FORMAT or meta.get("format_version", 0) > FORMAT_VERSION:
        raise HarcnnError(f"{meta_path}: not a harcnn model (format {meta.get('format')!r} v{meta.get('format_version')})")
    model = build(meta["model"], len(meta["channels"]), len(meta["classes"]), meta["seq_len"], **meta["hparams"])
    try:
        state = load_file(weights_path)
        if meta.get("format_version", 1) == 1:
            state = _dense_weights_transposed(model, state)
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as e:
        raise HarcnnError(f"{weights_path}: weights do not load into {meta['model']} ({str(e).splitlines()[0]})") from None
    return SavedModel(model.eval(), meta)


def _dense_weights_transposed(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Version 1 state with its dense weights laid out as version 2 stores them."""
    dense = {f"{name}.weight" for name, module in model.named_modules() if isinstance(module, PopLinear)}
    return {k: v.transpose(-1, -2).contiguous() if k in dense else v for k, v in state.items()}
