"""Augmentation: each kind does what it says, in physical units, and draws only when it is on."""

import math

import numpy as np
import pytest
import torch

from harcnn.errors import HarcnnWarning
from harcnn.train.augment import Augmenter, random_rotations, triplets
from harcnn.train.recipe import Recipe
from helpers import cli, invoke, own_npz

UCI = ("total_acc_x", "total_acc_y", "total_acc_z", "body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z")


def population(members=2, batch=5, channels=9, steps=32, seed=0):
    return torch.randn(members, batch, channels, steps, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def generators(members=2):
    return [torch.Generator().manual_seed(10 + r) for r in range(members)]


def test_triplets_are_found_by_name():
    assert triplets(UCI) == [(0, 1, 2), (3, 4, 5), (6, 7, 8)]
    assert triplets(("acc_X", "acc_Y", "acc_Z", "hr", "gyro_x")) == [(0, 1, 2)]
    assert triplets(("ax", "ay", "az", "gx", "gy", "gz", "index")) == [(0, 1, 2), (3, 4, 5)]  # raw recordings' names


def test_rotations_are_rotations_within_the_angle():
    rot = random_rotations(200, math.radians(30), torch.Generator().manual_seed(0), torch.device("cpu"))
    torch.testing.assert_close(rot @ rot.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(200, 3, 3))
    assert torch.allclose(torch.linalg.det(rot), torch.ones(200, dtype=torch.float64))
    angles = torch.arccos(((rot.diagonal(dim1=1, dim2=2).sum(1) - 1) / 2).clamp(-1, 1))
    assert angles.max() <= math.radians(30) + 1e-9 and angles.max() > math.radians(20)


def test_rotation_turns_physical_vectors_of_every_sensor_alike():
    mean, std = np.linspace(-1, 1, 9), np.linspace(0.5, 2, 9)
    x = population()
    out = Augmenter(Recipe(rotate=25.0), UCI, mean, std)(x, torch.zeros(2, 5, dtype=torch.long), generators()).windows
    raw_in = x * torch.tensor(std)[:, None] + torch.tensor(mean)[:, None]
    raw_out = out * torch.tensor(std)[:, None] + torch.tensor(mean)[:, None]
    for a, b, c in triplets(UCI):  # lengths kept in physical units, not in standardised ones
        torch.testing.assert_close(raw_in[:, :, [a, b, c]].norm(dim=2), raw_out[:, :, [a, b, c]].norm(dim=2))
    # one rotation per window: the total and body acceleration turn by the same matrix
    w_in, w_out = raw_in[0, 0], raw_out[0, 0]
    rot = torch.linalg.lstsq(w_in[0:3].T, w_out[0:3].T).solution.T
    torch.testing.assert_close(rot @ w_in[3:6], w_out[3:6])
    assert not torch.allclose(out, x)


def test_rotation_of_data_without_xyz_channels_is_left_out_with_a_note():
    """A recipe runs unchanged on any dataset: with no vectors to turn it trains unrotated, saying so,
    and the other ingredients draw what they drew before."""
    x, y = population(channels=3), torch.zeros(2, 5, dtype=torch.long)
    with pytest.warns(HarcnnWarning, match=r"\['a', 'b', 'c'\] have none: the windows are not rotated"):
        rotating = Augmenter(Recipe(rotate=10.0, scale=0.2), ("a", "b", "c"))
    scaled = Augmenter(Recipe(scale=0.2), ("a", "b", "c"))
    assert torch.equal(rotating(x, y, generators()).windows, scaled(x, y, generators()).windows)


def test_time_warp_keeps_the_ends_and_the_order():
    ramp = torch.arange(64, dtype=torch.float64).expand(2, 5, 3, 64).clone()
    out = Augmenter(Recipe(time_warp=0.3), UCI[:3])(ramp, torch.zeros(2, 5, dtype=torch.long), generators()).windows
    torch.testing.assert_close(out[..., 0], ramp[..., 0])
    torch.testing.assert_close(out[..., -1], ramp[..., -1])
    assert (out.diff(dim=-1) >= 0).all() and not torch.allclose(out, ramp)
    flat = torch.full((2, 5, 3, 64), 7.0, dtype=torch.float64)
    torch.testing.assert_close(
        Augmenter(Recipe(time_warp=0.3), UCI[:3])(flat, torch.zeros(2, 5, dtype=torch.long), generators()).windows, flat
    )


def test_mixup_blends_windows_and_names_the_partners():
    x, y = population(batch=8), torch.arange(8).expand(2, 8).clone()
    mixed = Augmenter(Recipe(mixup=0.4), UCI)(x, y, generators())
    assert mixed.partner.shape == (2, 8) and ((0 <= mixed.weight) & (mixed.weight <= 1)).all()
    for r in range(2):
        lam, partner = mixed.weight[r], mixed.partner[r]
        torch.testing.assert_close(mixed.windows[r], lam * x[r] + (1 - lam) * x[r][partner])  # y holds each window's index
        assert sorted(partner.tolist()) == list(range(8))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_members_draw_from_their_own_generators(dtype):
    """The population's arithmetic runs over all members at once: member r's windows are bit for bit
    what a lone run with r's generator makes."""
    x, y = population(members=3).to(dtype), torch.arange(5).expand(3, 5).clone()
    recipe = Recipe(scale=0.2, jitter=0.1, rotate=20.0, time_warp=0.2, mixup=0.4)
    mean, std = np.linspace(-1, 1, 9), np.linspace(0.5, 2, 9)
    together = Augmenter(recipe, UCI, mean, std)(x, y, generators(3))
    for r in range(3):
        alone = Augmenter(recipe, UCI, mean, std)(x[r : r + 1], y[r : r + 1], generators(3)[r : r + 1])
        assert torch.equal(together.windows[r], alone.windows[0])
        assert torch.equal(together.partner[r], alone.partner[0]) and together.weight[r] == alone.weight[0]


def test_a_rotating_recipe_trains_on_channels_without_xyz_with_a_note(tmp_path, monkeypatch, capsys):
    data = tmp_path / "mine-dataset.npz"
    invoke("data", "import", own_npz(tmp_path, c=1, n=36), "--out", data, "--test-subjects", "0")
    spec = tmp_path / "rotating.toml"
    spec.write_text('model = "cnn"\nepochs = 1\nbatch_size = 8\nrotate = 30.0\nscale = 0.2\n[hparams]\nfilters = 4\ndense = 8\n')
    code, out = cli(monkeypatch, capsys, "train", spec, "--data", data, "--out", tmp_path / "model")
    assert code == 0 and "Traceback" not in out, out
    assert "note: rotate = 30 turns x/y/z channel triplets (names ending _x, _y, _z), and the channels ['s0'] have none" in out
    assert "test accuracy" in out
