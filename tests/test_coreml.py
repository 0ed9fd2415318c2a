"""Core ML export (`deploy.coreml`): the package converts, says what it takes and gives, and replaces
only a package of its own kind. Core ML's prediction runs on Apple's systems only, so the program is
what is checked here."""

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import missing
from helpers import cli, fails


@pytest.mark.slow  # importing coremltools and two conversions: 10-25 s
def test_a_core_ml_package_takes_raw_windows_and_gives_probabilities(monkeypatch, capsys, tmp_path, ensemble):
    if importlib.util.find_spec("coremltools") is None:
        missing('Core ML export needs pip install "harcnn[coreml]"')
    import coremltools as ct

    folder, _ = ensemble
    out = tmp_path / "m.mlpackage"
    code, text = cli(monkeypatch, capsys, "export", folder, "--format", "coreml", "--out", out)
    assert code == 0 and "Running MIL" not in text and "WARNING" not in text, text  # no progress bars or import notes of the converter
    spec = ct.models.MLModel(str(out), skip_model_load=True).get_spec()
    assert {i.name: list(i.type.multiArrayType.shape) for i in spec.description.input} == {"windows": [1, 9, 32]}
    assert [o.name for o in spec.description.output] == ["logits", "probabilities"]
    ops = {op.type for f in spec.mlProgram.functions.values() for b in f.block_specializations.values() for op in b.operations}
    assert {"conv", "softmax"} <= ops, ops
    assert json.loads(Path(f"{out}.json").read_text())["input"]["shape"] == [1, 9, 32]
    assert cli(monkeypatch, capsys, "export", folder, "--format", "coreml", "--out", out)[0] == 0  # a package replaces its own kind
    other = tmp_path / "x.mlpackage"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    fails(monkeypatch, capsys, "is not a .mlpackage package", "export", folder, "--format", "coreml", "--out", other)
    assert (other / "keep.txt").read_text() == "mine"
