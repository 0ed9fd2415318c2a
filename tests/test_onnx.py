"""ONNX export (`deploy.onnx`): the exported graph predicts as PyTorch does, and int8 is compared on the right data."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import cli, fails, synthetic


def test_int8_export_checks_the_data_it_compares_on(monkeypatch, capsys, tmp_path, tiny_zip):
    from harcnn import HARClassifier

    rng = np.random.default_rng(0)
    HARClassifier(epochs=1, batch_size=8, filters=4, dense=8).fit(rng.normal(size=(16, 2, 16)), np.arange(16) % 2).save(tmp_path / "m")
    fails(
        monkeypatch, capsys, "give --data the dataset it was trained on", "export", tmp_path / "m", "--quantize", "int8", "--data", tiny_zip
    )
    assert not (tmp_path / "m" / "model.onnx").exists()


@pytest.mark.slow
def test_onnx_matches_pytorch_on_real_windows(real_dataset, tmp_path):
    """A single model and a 2-member ensemble, with the standardisation folded into the graph."""
    from harcnn import HARClassifier
    from harcnn.deploy.onnx import export_onnx, onnx_predict

    train = real_dataset.train.take(np.arange(0, 7352, 8))
    for name, members in (("cnn", 1), ("multihead", 2)):
        clf = HARClassifier(name, epochs=1, members=members, standardize=True).fit_windows(train)
        X = real_dataset.test.X[:500]
        path = export_onnx(clf, tmp_path / name / "model.onnx")
        assert np.abs(onnx_predict(path, X) - clf.predict_proba(X)).max() < 1e-4


@pytest.mark.parametrize(
    "args", [["--batch", "1"], ["--format", "ort", "--batch", "1"], ["--format", "ort"]], ids=["onnx-b1", "ort-b1", "ort"]
)
def test_fixed_batch_and_ort_exports_predict_as_pytorch(monkeypatch, capsys, tmp_path, ensemble, args):
    from harcnn import load
    from harcnn.deploy.onnx import onnx_predict

    folder, X = ensemble
    suffix = ".ort" if "ort" in args else ".onnx"
    out = tmp_path / f"m{suffix}"
    assert cli(monkeypatch, capsys, "export", folder, *args, "--out", out)[0] == 0
    assert np.abs(onnx_predict(out, X[:7]) - load(folder).predict_proba(X[:7])).max() < 1e-5  # 7: padded to a fixed batch
    meta = json.loads(Path(f"{out}.json").read_text())
    assert meta["input"]["shape"][0] == (1 if "1" in args else "batch")


def test_a_fixed_batch_graph_feeds_the_members_without_expand(tmp_path, ensemble):
    """What kept a mobile execution provider from running a graph whole: the dynamic batch and the
    ops it brings (Expand, Where, ConstantOfShape) to feed every member; a fixed batch and Concat leave none."""
    import onnx

    from harcnn import load
    from harcnn.deploy.onnx import export_onnx

    ops = {n.op_type for n in onnx.load(export_onnx(load(ensemble[0]), tmp_path / "m.onnx", batch=1)).graph.node}
    assert "Concat" in ops and not ops & {"Expand", "Where", "ConstantOfShape"}, ops


@pytest.mark.slow  # onnxruntime's checker: 3 s
def test_a_fixed_batch_export_runs_whole_on_nnapi(monkeypatch, capsys, tmp_path):
    out = tmp_path / "m.onnx"
    assert cli(monkeypatch, capsys, "export", "pretrained:uci-har", "--batch", "1", "--out", out)[0] == 0
    check = [sys.executable, "-m", "onnxruntime.tools.check_onnx_model_mobile_usability", str(out)]
    text = subprocess.run(check, capture_output=True, text=True, check=True).stderr
    assert "Model should perform well with NNAPI as is: YES" in text, text


def test_int8_quantization_prints_no_warning(tmp_path, ensemble, capfd, caplog):
    from harcnn import load
    from harcnn.deploy.onnx import export_onnx, onnx_predict, quantize_int8

    folder, X = ensemble
    q = quantize_int8(export_onnx(load(folder), tmp_path / "m.onnx"), tmp_path / "m.int8.onnx")
    assert onnx_predict(q, X).shape == (len(X), 3)
    assert "warning" not in (capfd.readouterr().err + caplog.text).lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.int8.onnx", "m.int8.onnx.json", "m.onnx", "m.onnx.json"]


@pytest.mark.parametrize("model", ["pretrained:uci-har", "pretrained:geotec-watch"])
def test_the_reference_preprocessing_rebuilds_predicts_windows_from_the_json(tmp_path, model):
    """A device's side: raw samples at the model's rate and the exported JSON, nothing of harcnn but
    `reference_preprocessing` (NumPy and SciPy): the windows `harcnn predict` makes, to 1e-5."""
    from harcnn import load
    from harcnn.data.recordings import Recording
    from harcnn.deploy.onnx import export_onnx
    from harcnn.deploy.reference_preprocessing import windows

    clf = load(model)
    path = export_onnx(clf, tmp_path / "m.onnx", batch=1)
    preprocessing = json.loads(Path(f"{path}.json").read_text())["preprocessing"]
    rec = synthetic(900, rate=preprocessing["rate_hz"])
    samples = np.concatenate([rec.acc, rec.gyro], 1) / np.asarray(preprocessing["to_canonical"])  # in the file's own units
    pipeline = clf.pipeline_
    recording = Recording("r", np.arange(len(samples)) / pipeline.rate, samples, pipeline.channels, pipeline.units)
    expected = pipeline.windows([recording])[0]
    got = windows(samples, preprocessing)
    assert got.shape == expected.shape and len(got) > 5
    assert np.abs(got - expected).max() < 1e-5
