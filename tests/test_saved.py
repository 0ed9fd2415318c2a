"""Model folders (`saved`): a model.json is checked field by field, and a problem is one line naming the field."""

import json
import shutil
from pathlib import Path

import pytest

from harcnn.errors import HarcnnError
from harcnn.saved import load_model
from helpers import fails


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.pop("classes"), "field 'classes': missing"),
        (lambda m: m.update(seq_len="128"), "field 'seq_len': must be a positive whole number"),
        (lambda m: m.update(channels=[1, 2]), "field 'channels': must be a non-empty list of names"),
        (lambda m: m.update(classes=["a", "a", "b", "c", "d", "e"]), "field 'classes': names must be unique"),
        (lambda m: m["transform"]["standardize"].update(mean=[0.0] * 3), "field 'transform': mean must list one number per channel"),
        (lambda m: m.update(model="lstm"), "field 'model': unknown model 'lstm'"),
        (lambda m: m.update(hparams={"filters": 0}), "cannot be built"),
        (lambda m: m.update(members=2), "field 'seeds'"),
        (lambda m: m["pipeline"].update(rate="50"), "pipeline field 'rate' has the wrong type"),
        (lambda m: m["pipeline"].update(filter="none"), "field 'pipeline': makes channels ['ax', 'ay', 'az', 'gx', 'gy', 'gz']"),
        (lambda m: m["pipeline"].update(units=["g"] * 6), "'gx' is gyro; its unit must be one of ['rad/s', 'deg/s']"),
    ],
    ids=[
        "no-classes",
        "seq-len-text",
        "channels-numbers",
        "classes-twice",
        "transform-length",
        "unknown-model",
        "bad-hparam",
        "members",
        "pipeline-type",
        "pipeline-channels",
        "pipeline-units",
    ],  # fmt: skip
)
def test_malformed_model_json(tmp_path, trained, edit, message):
    model = edited(trained, tmp_path / "model", edit)
    with pytest.raises(HarcnnError) as refused:
        load_model(model)
    assert message in str(refused.value) and f"{model / 'model.json'}:" in str(refused.value)


@pytest.mark.parametrize("command", ["evaluate", "predict", "export"])
def test_a_malformed_model_is_one_error_line_in_every_command(monkeypatch, capsys, tmp_path, trained, tiny_zip, command):
    model = edited(trained, tmp_path / "model", lambda m: m.pop("classes"))
    args = {"evaluate": ["--data", tiny_zip], "predict": [tmp_path / "r.csv"], "export": ["--out", tmp_path / "m.onnx"]}[command]
    fails(monkeypatch, capsys, "field 'classes': missing", command, model, *args)


def edited(model: Path, copy: Path, edit) -> Path:
    """A copy of a model folder whose model.json went through `edit`."""
    shutil.copytree(model, copy)
    meta = json.loads((copy / "model.json").read_text())
    edit(meta)
    (copy / "model.json").write_text(json.dumps(meta))
    return copy
