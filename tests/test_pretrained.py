"""Models shipped in the package (`harcnn.pretrained`): recorded checksums, model cards, and use
without training by name, in Python and on the command line."""

import hashlib
import json
from pathlib import Path

import pytest

import harcnn
from harcnn import pretrained
from harcnn.errors import HarcnnError
from helpers import cli, fails, synthetic, write_csv

FOLDER = Path(pretrained.__file__).parent
MOST_KIB = 2048  # the shipped models together (three ResNets: 1.5 MiB), so that the wheel stays small


@pytest.mark.parametrize("name", list(pretrained.SHIPPED))
def test_shipped_files_are_the_recorded_ones_and_carry_a_card(name):
    meta = (FOLDER / name / "model.json").read_bytes()
    assert hashlib.sha256(meta).hexdigest() == pretrained.SHIPPED[name]
    assert json.loads(meta)["weights_sha256"] == hashlib.sha256((FOLDER / name / "model.safetensors").read_bytes()).hexdigest()
    text = pretrained.card(name)
    for part in ("Summary: ", "Licence of the data", "Cite: ", "Classes: ", "Input: ", "Intended use", "Limits", "| held-out subject |"):
        assert part in text, part


def test_the_shipped_models_stay_small_and_are_package_data():
    assert pretrained.SHIPPED, "no model is shipped"
    assert sum(f.stat().st_size for f in FOLDER.rglob("*") if f.is_file() and f.suffix != ".py") / 1024 < MOST_KIB
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '"harcnn.pretrained" = ["*/model.json", "*/model.safetensors", "*/MODEL_CARD.md"]' in pyproject


def test_a_shipped_model_predicts_without_training(monkeypatch, capsys, tmp_path):
    model = harcnn.load("pretrained:uci-har")
    assert model.meta_.data["name"] == "uci-har" and 0.9 < model.meta_.test_accuracy <= 1
    recording = write_csv(tmp_path / "phone.csv", synthetic(1500))
    code, text = cli(monkeypatch, capsys, "predict", "pretrained:uci-har", recording)
    assert code == 0 and "windows" in text, text
    code, text = cli(monkeypatch, capsys, "models", "--pretrained")
    assert code == 0 and "pretrained:uci-har: resnet, one model" in text, text


def test_an_unknown_or_altered_shipped_model_is_refused(monkeypatch, capsys, tmp_path):
    fails(
        monkeypatch, capsys, "no such pretrained model; harcnn ships pretrained:uci-har", "predict", "pretrained:nope", tmp_path / "r.csv"
    )
    monkeypatch.setitem(pretrained.SHIPPED, "uci-har", "0" * 64)
    with pytest.raises(HarcnnError, match="is not the file harcnn shipped"):
        harcnn.load("pretrained:uci-har")


def test_commands_write_beside_a_shipped_model_in_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert pretrained.beside("pretrained:uci-har") == Path(".") and pretrained.beside(tmp_path / "m") == tmp_path / "m"
