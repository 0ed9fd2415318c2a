"""ONNX export (`deploy.onnx`): the exported graph predicts as PyTorch does, and int8 is compared on the right data."""

import numpy as np
import pytest

from helpers import fails


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
