"""LiteRT export (`deploy.litert`): the `.tflite` file predicts as PyTorch does, with the ONNX
export's input and output names, one window at a time or a fixed batch."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import cli


@pytest.mark.litert
@pytest.mark.slow  # importing the converter and two conversions: 20-40 s
def test_a_tflite_file_predicts_as_pytorch(monkeypatch, capsys, tmp_path, ensemble):
    from harcnn import load
    from harcnn.deploy.litert import litert_predict

    folder, X = ensemble
    expected = load(folder).predict_proba(X[:7])
    for batch in ("1", "4"):
        out = tmp_path / f"m{batch}.tflite"
        code, text = cli(monkeypatch, capsys, "export", folder, "--format", "tflite", "--batch", batch, "--out", out)
        assert code == 0 and text.count("\n") <= 2, text  # no converter logs
        assert np.abs(litert_predict(out, X[:7]) - expected).max() < 1e-5  # 7 windows: a batch of 4 padded
        assert json.loads(Path(f"{out}.json").read_text())["input"]["shape"] == [int(batch), 9, 32]
