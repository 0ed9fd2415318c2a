"""What a newcomer meets first: a version, quick help with choices listed, a licence and a citation,
one line naming the extra to install, a sample recording to predict on, tables with headers."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import cli, fails, tiny_uci_model

ROOT = Path(__file__).resolve().parents[1]


def test_version_and_short_help(monkeypatch, capsys):
    import harcnn

    for flag in ("--version", "-V"):
        code, text = cli(monkeypatch, capsys, flag)
        assert code == 0 and text.strip() == f"harcnn {harcnn.__version__}"
    code, text = cli(monkeypatch, capsys, "export", "-h")
    assert code == 0 and "<onnx|ort|coreml|tflite>" in text and "<int8>" in text and "<bool>" not in text
    code, text = cli(monkeypatch, capsys, "data", "recordings", "-h")
    assert "<majority|centre|drop>" in text and "<none|uci-har>" in text and "<s|ms|us|ns>" in text


def test_help_imports_no_torch():
    """`--help` parses before anything heavy is imported (torch alone takes over a second)."""
    code = "import sys\nsys.argv = ['harcnn', 'run', '--help']\nfrom harcnn.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-2:]
    assert out == ["False", "False"]


def test_a_choice_not_offered_is_one_line(monkeypatch, capsys):
    message = "'tfjs' is not one of 'onnx', 'ort', 'coreml', 'tflite'. (harcnn export -h for help)"
    fails(monkeypatch, capsys, message, "export", "m", "--format", "tfjs")


def test_a_missing_extra_is_one_line_naming_it(monkeypatch, capsys, tmp_path):
    import numpy as np

    import harcnn

    rng = np.random.default_rng(0)
    harcnn.HARClassifier(epochs=1, filters=4, dense=8).fit(rng.normal(size=(16, 2, 16)), np.arange(16) % 2).save(tmp_path / "m")
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if `pip install harcnn` without [onnx]
    fails(monkeypatch, capsys, 'ONNX export needs onnx, which is not installed: pip install "harcnn[onnx]"', "export", tmp_path / "m")
    assert not (tmp_path / "m" / "model.onnx").exists()


def test_licence_and_citation():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    meta = importlib.metadata.metadata("harcnn")
    if meta.get("License-Expression") is None:
        pytest.skip("harcnn's installed metadata predates the licence field: reinstall (pip install -e .)")
    assert meta["License-Expression"] == "MIT"
    done = subprocess.run(
        [Path(sys.executable).parent / "cffconvert", "--validate", "-i", ROOT / "CITATION.cff"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr


def test_the_sample_recording_predicts_with_a_header(monkeypatch, capsys, tmp_path):
    model = tiny_uci_model(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, text = cli(monkeypatch, capsys, "data", "sample")
    assert code == 0 and (tmp_path / "my_phone.csv").read_text().startswith("timestamp,ax,ay,az,gx,gy,gz,label\n0.000,")
    code, text = cli(monkeypatch, capsys, "predict", model, "my_phone.csv")
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("start_s"))
    assert lines[header].split() == ["start_s", "activity", "p", "label"] and len(lines[header + 1].split()) == 4
    assert "55 windows" in text and "as the recording labels them" in text
