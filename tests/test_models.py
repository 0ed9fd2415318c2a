"""One generic test suite that every registered model must pass."""

import numpy as np
import pytest
import torch

import harcnn
from harcnn.errors import HarcnnError
from harcnn.models import NETWORKS, build, create, get
from harcnn.models.layers import PopBatchNorm, PopLSTM, bind_generators, reset_members
from harcnn.train.population import member_generators
from helpers import in_lanes


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("c_in, n_classes, seq_len", [(9, 6, 128), (3, 12, 64), (1, 2, 40)])
def test_shapes_for_any_input(name, c_in, n_classes, seq_len):
    model = build(name, c_in, n_classes, seq_len, members=2).eval()
    out = model(torch.randn(2, 5, c_in, seq_len))
    assert out.shape == (2, 5, n_classes)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_members_are_independent_models(name):
    """Member r of a population computes what a lone model with seed r computes."""
    seeds = [3, 7, 11]
    x = torch.randn(4, 9, 128)
    population = build(name, 9, 6, 128, members=3)
    gens = member_generators(seeds, torch.device("cpu"))
    reset_members(population, gens)
    bind_generators(population, gens)
    population.train()
    pop_out = population(x.expand(3, *x.shape))
    for r, seed in enumerate(seeds):
        alone = build(name, 9, 6, 128, members=1)
        g = member_generators([seed], torch.device("cpu"))
        reset_members(alone, g)
        bind_generators(alone, g)
        alone.train()
        torch.testing.assert_close(alone(x[None])[0], pop_out[r], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_keras_initialisation(name):
    """Glorot-uniform weights and zero biases (LSTMs: orthogonal recurrent weights, forget bias 1), as Keras'."""
    model = build(name, 9, 6, 128, members=1)
    reset_members(model, member_generators([0], torch.device("cpu")))
    norms = {f"{n}.weight" for n, m in model.named_modules() if isinstance(m, PopBatchNorm)}
    lstms = {n: m for n, m in model.named_modules() if isinstance(m, PopLSTM)}
    for pname, p in model.named_parameters():
        layer, _, kind = pname.rpartition(".")
        if layer in lstms and kind == "weight_hh":  # Keras: orthogonal recurrent weights
            torch.testing.assert_close(p[0].T @ p[0], torch.eye(p.shape[2]))
        elif layer in lstms and kind == "bias":  # zeros, but 1 for the forget gate
            h = lstms[layer].hidden
            assert (p[0, h : 2 * h] == 1).all() and (p[0, :h] == 0).all() and (p[0, 2 * h :] == 0).all()
        elif pname.endswith("bias"):
            assert (p == 0).all()
        elif pname in norms:
            assert (p == 1).all()
        else:
            shape = p.shape[1:]
            fan_in, fan_out = (shape[1] * shape[2], shape[0] * shape[2]) if len(shape) == 3 else (shape[0], shape[1])
            limit = (6 / (fan_in + fan_out)) ** 0.5
            assert p.abs().max() <= limit and p.abs().max() > 0.9 * limit


@pytest.mark.parametrize("name", sorted(n for n in NETWORKS if not NETWORKS[n].ANY_LENGTH))
def test_kernel_longer_than_input_is_a_clear_error(name):
    hp = {"kernel": 200} if "kernel" in get(name).hyperparameters() else {"kernels": (3, 200)}
    with pytest.raises(HarcnnError, match="too short"):
        build(name, 9, 6, 128, **hp)


@pytest.mark.parametrize("name", sorted(n for n in NETWORKS if NETWORKS[n].ANY_LENGTH))
def test_globally_pooled_models_take_any_window_length(name):
    model = build(name, 9, 6, 128, members=2).eval()
    for steps in (1, 64, 300):
        assert model(torch.randn(2, 3, 9, steps)).shape == (2, 3, 6)
    with pytest.raises(HarcnnError, match="odd kernel"):
        build(name, 9, 6, 128, kernels=(8, 5, 3))


def test_unknown_model_and_hyperparameter():
    with pytest.raises(HarcnnError, match="unknown model 'lstm'"):
        build("lstm", 9, 6, 128)
    with pytest.raises(HarcnnError, match="no hyperparameter 'filter'"):
        build("cnn", 9, 6, 128, filter=3)


def _drop_pool(members, dropout, pool, seeds=None):
    from harcnn.models.droppool import DropPoolFlatten

    layer = DropPoolFlatten(members, dropout, pool)
    bind_generators(layer, member_generators(seeds or list(range(members)), torch.device("cpu")))
    return layer


def test_dropout_rate_and_scaling():
    layer = _drop_pool(2, 0.5, 1)
    image = torch.ones(64, 2 * 4, 1, 250).contiguous(memory_format=torch.channels_last)  # (B, R*c, 1, t)
    out = layer(image)  # (R, B, t*c)
    assert out.shape == (2, 64, 1000)
    assert set(out.unique().tolist()) == {0.0, 2.0}
    dropped = (out == 0).float()
    assert abs(dropped.mean().item() - 0.5) < 0.01
    # every byte position of the random words is fair, not only the mean
    assert (dropped[0].flatten()[:64000].view(-1, 8).mean(0) - 0.5).abs().max() < 0.02
    assert not torch.equal(out[0], out[1])
    assert torch.equal(layer.eval()(image), torch.ones(2, 64, 1000))


@pytest.mark.parametrize("dropout, pool, lengths", [(0.5, 2, (124,)), (0.5, 2, (13, 20)), (0.25, 3, (20, 7)), (0.0, 2, (9,))])
def test_fused_drop_pool_matches_torch_operations(dropout, pool, lengths):
    """The CPU kernel computes what `reference_forward` (torch operations) computes, gradient included."""
    from harcnn.models.droppool import reference_forward
    from harcnn.models.layers import as_steps

    members, channels = 3, 4
    images = [torch.randn(5, members * channels, 1, t).contiguous(memory_format=torch.channels_last).requires_grad_() for t in lengths]
    layer = _drop_pool(members, dropout, pool).train()
    out = layer(*images)
    probe = _drop_pool(members, dropout, pool)  # the same generators' bits again, for the reference
    expected = torch.cat(
        [
            reference_forward(as_steps(i, members), probe.dropout_bits(as_steps(i, members)) if dropout else None, probe.threshold, pool)
            for i in images
        ],
        dim=2,
    )
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, images, g)
    expected_grads = torch.autograd.grad(expected, images, g)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_fused_drop_pool_gives_ties_to_the_first_and_nothing_to_negatives():
    layer = _drop_pool(1, 0.0, 2).train()
    steps = torch.tensor([[1.0, 1.0, -2.0, -1.0, 0.5, 3.0]])  # (c=1, t=6)
    image = steps.view(1, 1, 1, 6).requires_grad_()
    out = layer(image)
    assert out.tolist() == [[[1.0, 0.0, 3.0]]]
    (grad,) = torch.autograd.grad(out, image, torch.ones_like(out))
    assert grad.flatten().tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def test_layer_table_reads_like_keras_summary():
    rows = get("cnn").layer_table(9, 6, 128, {})
    assert [(r["layer"], r["output"], r["params"]) for r in rows] == [
        ("conv1", (126, 64), 9 * 64 * 3 + 64),
        ("conv2", (124, 64), 64 * 64 * 3 + 64),
        ("drop_pool", (62 * 64,), 0),
        ("fc", (100,), 3968 * 100 + 100),
        ("out", (6,), 606),
    ]


def test_version_1_model_folders_still_load(tmp_path):
    """Version 1 stored dense weights (in, out); loading transposes them into today's (out, in)."""
    import json

    from safetensors.torch import save_file

    from harcnn import load
    from harcnn.models.layers import member_state
    from harcnn.saved import ModelMeta, save_model

    model = build("cnn", 3, 4, 32, filters=8, dense=10)
    reset_members(model, member_generators([0], torch.device("cpu")))
    meta = ModelMeta(model="cnn", hparams={"filters": 8, "dense": 10}, seq_len=32, channels=("a", "b", "c"), classes=("w", "x", "y", "z"))
    state = member_state(model, 0)
    current = load(save_model(tmp_path / "v2", state, meta))
    old = save_model(tmp_path / "v1", state, meta)
    save_file(
        {k: v.transpose(-1, -2).contiguous() if k in ("fc.weight", "out.weight") else v for k, v in state.items()},
        old / "model.safetensors",
    )
    old_meta = {k: v for k, v in json.loads((old / "model.json").read_text()).items() if k != "weights_sha256"}
    (old / "model.json").write_text(json.dumps({**old_meta, "format_version": 1}))
    X = torch.randn(5, 3, 32).numpy()
    assert (current.predict_proba(X) == load(old).predict_proba(X)).all()


SMALL = {"filters": 4, "dense": 8, "hidden": 8, "bottleneck": 4, "depth": 3, "blocks": 2, "pool": 2}


@pytest.mark.parametrize("name", in_lanes(sorted(NETWORKS), fast={"cnn"}))  # each 0.3-3 s
def test_every_model_exports_to_onnx_as_it_predicts(name, tmp_path):
    """A 2-member ensemble with standardisation: ONNX Runtime gives PyTorch's probabilities."""
    from harcnn import HARClassifier
    from harcnn.deploy.onnx import export_onnx, onnx_predict

    rng = np.random.default_rng(0)
    X, y = rng.normal(0, 1, (40, 9, 128)).astype(np.float32), np.arange(40) % 3
    hp = {k: v for k, v in SMALL.items() if k in get(name).hyperparameters()}
    clf = HARClassifier(name, epochs=1, batch_size=16, members=2, standardize=True, **hp).fit(X, y)
    path = export_onnx(clf, tmp_path / "model.onnx")
    assert np.abs(onnx_predict(path, X) - clf.predict_proba(X)).max() < 1e-5


def test_population_lstm_computes_what_torch_lstm_computes():
    lstm = PopLSTM(2, 5, 7)
    reset_members(lstm, member_generators([0, 1], torch.device("cpu")))
    x = torch.randn(2, 3, 11, 5)
    out = lstm(x)
    for r in range(2):
        ref = torch.nn.LSTM(5, 7, batch_first=True)
        with torch.no_grad():
            ref.weight_ih_l0.copy_(lstm.weight_ih[r])
            ref.weight_hh_l0.copy_(lstm.weight_hh[r])
            ref.bias_ih_l0.copy_(lstm.bias[r])
            ref.bias_hh_l0.zero_()
        torch.testing.assert_close(out[r], ref(x[r])[0])


def test_resnet_pooling_between_blocks():
    """`pool` shortens time between blocks (it changes the outputs of the same weights) and keeps
    any window length working, down to one step."""
    plain, pooled = build("resnet", 9, 6, 128, members=2).eval(), build("resnet", 9, 6, 128, members=2, pool=2).eval()
    pooled.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 9, 128)
    assert not torch.allclose(plain(x), pooled(x))
    for steps in (1, 5, 300):
        assert pooled(torch.randn(2, 3, 9, steps)).shape == (2, 3, 6)
    with pytest.raises(HarcnnError, match="pool must be a whole number"):
        build("resnet", 9, 6, 128, pool=0)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_memory_estimate_alike_on_cpu_and_meta(name, monkeypatch):
    """Small models are sized by a CPU forward pass, large ones on the meta device: the same layer sizes."""
    from harcnn.models import memory

    on_cpu = get(name).member_bytes({}, 9, 6, 128, 1000, 64)
    monkeypatch.setattr(memory, "CPU_SIZING_WEIGHTS", 0)
    assert get(name).member_bytes({}, 9, 6, 128, 1000, 64) == on_cpu


@pytest.mark.slow  # a fresh interpreter importing torch: 2 s
def test_memory_estimate_does_not_import_dynamo():
    """The memory check before training costs milliseconds, not torch._dynamo's import (over a second)."""
    import subprocess
    import sys

    code = (
        "import sys; from harcnn.models import NETWORKS, get\n"
        "for name in NETWORKS: get(name).member_bytes({}, 9, 6, 128, 1000, 64)\n"
        "print('torch._dynamo' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize("seq_len, pooled", [(50, 2), (128, 2), (150, 2), (256, 4), (361, 6)])
def test_resnet_pooling_grows_with_the_window(seq_len, pooled):
    """With scale_pool, `pool` is the pooling of a 128-step window: longer windows pool more, shorter never less."""
    assert build("resnet", 3, 4, seq_len, pool=2, scale_pool=True).pool == pooled
    assert build("resnet", 3, 4, seq_len, pool=2).pool == 2


@pytest.mark.parametrize(
    "seq_len, kernels",
    [(50, (7, 5, 3)), (159, (7, 5, 3)), (200, (9, 7, 3)), (256, (13, 9, 5)), (361, (11, 11, 7))],
)
def test_resnet_kernels_grow_with_the_window(seq_len, kernels):
    """With scale_kernels, the kernels are those of a 128-step window: longer windows take proportionally longer
    odd kernels, no longer than the steps the last block sees (361 steps pooled by 6 leave it 11), shorter never less."""
    model = build("resnet", 3, 4, seq_len, pool=2, scale_pool=True, scale_kernels=True)
    assert tuple(conv.weight.shape[-1] for conv in model.blocks[0].convs[::3]) == kernels


@pytest.mark.parametrize("seq_len, averaged", [(50, 50), (191, 191), (192, 96), (256, 128), (361, 120)])
def test_resnet_input_averaged_to_the_reference_window(seq_len, averaged):
    """With scale_input, windows are averaged down to about 128 steps before the first block, and pooling and kernels
    are those of the shortened window: 256 steps get the network of 128 steps, fed the means of step pairs."""
    scaled = create("resnet", 3, 4, seq_len, pool=2, scale_pool=True, scale_kernels=True, scale_input=True)
    plain = build("resnet", 3, 4, averaged, pool=2, scale_pool=True, scale_kernels=True)
    assert [p.shape for p in scaled.parameters()] == [p.shape for p in plain.parameters()]
    assert scaled.pool == plain.pool
    plain.load_state_dict(scaled.state_dict())
    x = torch.randn(5, 3, seq_len, dtype=torch.float64)
    factor = seq_len // averaged
    means = x[..., : averaged * factor].unflatten(-1, (averaged, factor)).mean(-1)
    scaled.double().eval(), plain.double().eval()
    torch.testing.assert_close(scaled(x), plain(means))


def test_models_create_and_list_and_plain_windows():
    assert harcnn.models.list_models() == [*harcnn.models.NETWORKS, *harcnn.models.PEERS]
    one = harcnn.models.create("cnn", c_in=3, n_classes=4, seq_len=40)
    assert one(torch.randn(5, 3, 40)).shape == (5, 4)
    three = harcnn.models.create("multihead", c_in=3, n_classes=4, seq_len=40, members=3)
    assert three(torch.randn(5, 3, 40)).shape == (3, 5, 4) and three(torch.randn(3, 5, 3, 40)).shape == (3, 5, 4)
    with pytest.raises(ValueError, match=r"windows must be \(n, channels, steps\)"):
        one(torch.randn(40))
