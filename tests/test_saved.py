"""Model folders (`saved`): a model.json is checked field by field, and a problem is one line naming the field."""

import json

import pytest

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
def test_malformed_model_json(monkeypatch, capsys, tmp_path, trained, tiny_zip, edit, message):
    import shutil

    model = shutil.copytree(trained, tmp_path / "model")
    meta = json.loads((model / "model.json").read_text())
    edit(meta)
    (model / "model.json").write_text(json.dumps(meta))
    fails(monkeypatch, capsys, message, "evaluate", model, "--data", tiny_zip)
