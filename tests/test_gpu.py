"""The gpu lane: populations train, match their members trained alone, and predict on a CUDA device.
Skipped with its reason where there is none (CI's machines and this project's are CPU-only)."""

import numpy as np
import pytest
import torch

from harcnn.models import NETWORKS, build
from harcnn.models.layers import member_state
from harcnn.train.population import Recipe, predict_logits, train_population
from test_population import small_set, tiny

pytestmark = pytest.mark.gpu
CUDA = torch.device("cuda")


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_every_network_learns_as_a_population_on_the_gpu(name, precision):
    data = small_set()
    model = build(name, 3, 3, 32, members=2, **tiny(name))
    train_population(model, data, [1, 2], Recipe(epochs=8, batch_size=16, lr=3e-3, precision=precision), device=CUDA)
    assert all(p.device.type == "cuda" and p.dtype == torch.float32 for p in model.parameters())
    logits = predict_logits(model, data.X)
    assert ((logits.argmax(-1).cpu() == torch.from_numpy(data.y)).float().mean(1) > 0.6).all()


@pytest.mark.parametrize("name", ["cnn", "fcn", "resnet"])
def test_a_population_equals_its_members_trained_alone_on_the_gpu(name, monkeypatch):
    """As on the CPU (test_population), in float64 with cuDNN's deterministic algorithms."""
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    data = small_set()
    data = type(data)(data.X.astype(np.float64), data.y, data.subject, data.channels, data.classes)
    recipe, seeds = Recipe(epochs=2, batch_size=16), [0, 5]
    population = build(name, 3, 3, 32, members=2, **tiny(name)).to(torch.float64)
    train_population(population, data, seeds, recipe, device=CUDA)
    for r, seed in enumerate(seeds):
        alone = build(name, 3, 3, 32, members=1, **tiny(name)).to(torch.float64)
        train_population(alone, data, [seed], recipe, device=CUDA)
        for key, value in alone.state_dict().items():
            torch.testing.assert_close(member_state(population, r)[key], value, rtol=1e-9, atol=1e-10)


def test_a_model_trained_on_the_gpu_predicts_and_exports_as_on_the_cpu(tmp_path):
    pytest.importorskip("onnxruntime")
    from harcnn import HARClassifier, load
    from harcnn.deploy.onnx import export_onnx, onnx_predict

    data = small_set()
    clf = HARClassifier("resnet", members=2, epochs=4, batch_size=16, filters=8, standardize=True).fit(data.X, data.y)
    assert next(clf.net_.parameters()).device.type == "cuda"
    on_gpu = clf.predict_proba(data.X)
    clf.save(tmp_path / "m")
    on_cpu = load(tmp_path / "m")
    on_cpu.net_.cpu()  # the saved weights read back, predicting on the CPU
    assert np.abs(on_cpu.predict_proba(data.X) - on_gpu).max() < 1e-4
    assert np.abs(onnx_predict(export_onnx(clf, tmp_path / "m.onnx"), data.X) - on_gpu).max() < 1e-4
