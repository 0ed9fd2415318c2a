"""One generic test suite that every registered model must pass."""

import pytest
import torch

from harcnn.errors import HarcnnError
from harcnn.models import MODELS, build, hyperparameters
from harcnn.models.layers import bind_generators, reset_members
from harcnn.train.population import member_generators


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("c_in, n_classes, seq_len", [(9, 6, 128), (3, 12, 64), (1, 2, 40)])
def test_shapes_for_any_input(name, c_in, n_classes, seq_len):
    model = build(name, c_in, n_classes, seq_len, members=2).eval()
    out = model(torch.randn(2, 5, c_in, seq_len))
    assert out.shape == (2, 5, n_classes)


@pytest.mark.parametrize("name", sorted(MODELS))
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


@pytest.mark.parametrize("name", sorted(MODELS))
def test_glorot_uniform_weights_and_zero_biases(name):
    model = build(name, 9, 6, 128, members=1)
    reset_members(model, member_generators([0], torch.device("cpu")))
    for pname, p in model.named_parameters():
        if pname.endswith("bias"):
            assert (p == 0).all()
        else:
            shape = p.shape[1:]
            fan_in, fan_out = (shape[1] * shape[2], shape[0] * shape[2]) if len(shape) == 3 else (shape[0], shape[1])
            limit = (6 / (fan_in + fan_out)) ** 0.5
            assert p.abs().max() <= limit and p.abs().max() > 0.9 * limit


@pytest.mark.parametrize("name", sorted(MODELS))
def test_kernel_longer_than_input_is_a_clear_error(name):
    hp = {"kernel": 200} if "kernel" in hyperparameters(name) else {"kernels": (3, 200)}
    with pytest.raises(HarcnnError, match="too short"):
        build(name, 9, 6, 128, **hp)


def test_unknown_model_and_hyperparameter():
    with pytest.raises(HarcnnError, match="unknown model 'lstm'"):
        build("lstm", 9, 6, 128)
    with pytest.raises(HarcnnError, match="no hyperparameter 'filter'"):
        build("cnn", 9, 6, 128, filter=3)


def test_dropout_rate_and_scaling():
    from harcnn.models.layers import PopDropout

    drop = PopDropout(0.5)
    drop.generators = member_generators([0, 1], torch.device("cpu"))
    out = drop(torch.ones(64, 2, 1000))  # (batch, members, features)
    assert set(out.unique().tolist()) == {0.0, 2.0}
    dropped = (out == 0).float()
    assert abs(dropped.mean().item() - 0.5) < 0.01
    # every byte position of the random words is fair, not only the mean
    assert (dropped[:, 0].flatten()[:64000].view(-1, 8).mean(0) - 0.5).abs().max() < 0.02
    assert not torch.equal(out[:, 0], out[:, 1])
    assert torch.equal(drop.eval()(torch.ones(2, 3)), torch.ones(2, 3))


def test_max_pool_matches_torch_including_gradient_and_remainder():
    from harcnn.models.layers import MaxPool

    for size, length in ((2, 124), (2, 13), (3, 20)):
        x = torch.randn(2, length, 3, 4, requires_grad=True)  # (batch, steps, members, channels)
        ref = torch.nn.functional.max_pool1d(x.permute(0, 2, 3, 1).flatten(1, 2), size).unflatten(1, (3, 4)).permute(0, 3, 1, 2)
        out = MaxPool(size)(x)
        torch.testing.assert_close(out, ref)
        g = torch.randn_like(out)
        (gx,) = torch.autograd.grad(out, x, g)
        (gref,) = torch.autograd.grad(ref, x, g)
        torch.testing.assert_close(gx, gref)
