"""A model's footprint on a microcontroller (`deploy.footprint`): counted from the exported graph,
and the tiny spec's model within the bounds it is made for."""

from pathlib import Path

import numpy as np

from harcnn import HARClassifier
from harcnn.deploy.footprint import footprint
from harcnn.deploy.onnx import export_onnx, quantize_int8
from harcnn.experiments.spec import load_spec

ROOT = Path(__file__).parents[1]


def fitted(model: str, c: int, steps: int, classes: int, **params) -> HARClassifier:
    rng = np.random.default_rng(0)
    y = np.arange(4 * classes) % classes
    return HARClassifier(model, epochs=1, batch_size=8, standardize=True, **params).fit(rng.normal(size=(len(y), c, steps)), y)


def test_the_footprint_counts_what_the_network_computes(tmp_path):
    """One convolution (2 -> 4 channels, kernel 3, 16 steps) and the dense layer (4 -> 3): the MACs
    and weights by hand; batch normalisation folded in gives the convolution 4 biases, and the
    input's standardisation is 2 means and 2 deviations."""
    f = footprint(export_onnx(fitted("fcn", 2, 16, 3, filters=4, kernels=(3,)), tmp_path / "m.onnx", batch=1))
    assert f.macs == 4 * 16 * 2 * 3 + 4 * 3
    assert f.weights_int8_bytes == (2 * 4 * 3 + 4 * 3) + 4 * (4 + 3 + 2 + 2)
    assert 2 * 4 * 16 <= f.peak_activations_int8_bytes <= 4 * (2 + 4) * 16  # at least two 4 x 16 tensors at once, at most every one


def test_the_tiny_spec_fits_a_microcontroller(tmp_path):
    """experiments/tiny.toml's network on UCI HAR's windows: int8 weights at most 20 KB, its int8 ONNX file at most 32 KB."""
    config = load_spec(ROOT / "experiments" / "tiny.toml").configs[0]
    path = export_onnx(fitted(config.model, 9, 128, 6, **config.hparams), tmp_path / "m.onnx", batch=1)
    assert footprint(path).weights_int8_bytes <= 20_000
    assert quantize_int8(path, tmp_path / "m.int8.onnx").stat().st_size <= 32_000
