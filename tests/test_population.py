"""A population of R members trains exactly like R separate runs, and resumes from checkpoints."""

import numpy as np
import pytest
import torch

from harcnn.data.windows import WindowSet
from harcnn.models import NETWORKS, build, get
from harcnn.models.layers import member_state
from harcnn.train.population import Recipe, predict_logits, train_population
from helpers import in_lanes


def small_set(n=70, c=3, t=32, classes=3, seed=0) -> WindowSet:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    X = rng.normal(0, 1, (n, c, t)).astype(np.float32) + y[:, None, None]
    return WindowSet(X.astype(np.float32), y, np.ones(n, np.int64), tuple("abc"[:c]), tuple("xyz"[:classes]))


DEEP = ("resnet", "inception")  # slow here; their float32 drift is larger (see below)
CASES = [(n, torch.float64, 1e-12) for n in sorted(NETWORKS)] + [(n, torch.float32, 1e-4) for n in sorted(NETWORKS) if n not in DEEP]


@pytest.mark.parametrize(
    "name, dtype, tol", [pytest.param(*c, marks=pytest.mark.slow) if c[0] in (*DEEP, "convlstm") else c for c in CASES]
)  # the LSTM: 0.5 s a case
def test_population_equals_separate_runs(name, dtype, tol):
    """In float64 a member equals its separate run to rounding (1e-12): the same computation. In
    float32 the summation order of grouped vs single convolutions differs in the last bits, and
    Adam (eps 1e-7) turns such differences into lr-sized steps for weights with tiny gradients, so
    float32 runs drift apart over many steps; here, after a few, they still agree to 1e-4. Deep
    models with batch normalisation amplify that drift (up to 1e-4 absolute after two epochs), so
    they are held to the float64 check only."""
    data = small_set()
    data = WindowSet(data.X.astype(np.float64), data.y, data.subject, data.channels, data.classes) if dtype == torch.float64 else data
    recipe = Recipe(epochs=2, batch_size=16)  # 70 windows: the last batch of each epoch is short
    hp = tiny(name)
    seeds = [0, 5, 9]
    population = build(name, 3, 3, 32, members=3, **hp).to(dtype)
    history = train_population(population, data, seeds, recipe)
    for r, seed in enumerate(seeds):
        alone = build(name, 3, 3, 32, members=1, **hp).to(dtype)
        alone_history = train_population(alone, data, [seed], recipe)
        for key, value in alone.state_dict().items():
            torch.testing.assert_close(member_state(population, r)[key], value, rtol=tol, atol=tol / 10)
        np.testing.assert_allclose(history.member(r)["train_loss"], alone_history.member(0)["train_loss"], rtol=tol)
    # and the members really differ from one another
    assert not torch.equal(member_state(population, 0)["out.weight"], member_state(population, 1)["out.weight"])


def tiny(name: str) -> dict:
    hp = {k: v for k, v in {"filters": 8, "dense": 10, "depth": 3, "bottleneck": 8}.items() if k in get(name).hyperparameters()}
    return hp | ({"kernels": (9, 5, 3)} if name == "inception" else {})  # its default 39-step kernel is longer than 32 steps


@pytest.mark.parametrize("name", in_lanes(sorted(NETWORKS), fast={"cnn", "fcn"}))  # each 0.3-1.5 s
def test_bfloat16_training_learns_and_repeats(name):
    """precision = "bfloat16" runs the model's layers under autocast: every registered model trains
    with it (its float32-only kernels cast their inputs), the same seed gives the same numbers, the
    arithmetic really changes, and the members still learn the easy task as in float32."""
    data = small_set()
    runs = {}
    for precision in ("float32", "bfloat16", "bfloat16"):
        model = build(name, 3, 3, 32, members=2, **tiny(name))
        train_population(model, data, [1, 2], Recipe(epochs=8, batch_size=16, lr=3e-3, precision=precision))
        assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay float32
        runs.setdefault(precision, []).append(predict_logits(model, data.X))
    a, b = runs["bfloat16"]
    assert torch.equal(a, b)
    assert not torch.equal(a, runs["float32"][0])
    accuracy = {p: (r[0].argmax(-1) == torch.from_numpy(data.y)).float().mean(1) for p, r in runs.items()}
    assert accuracy["bfloat16"].min() > 0.6 and (accuracy["bfloat16"] - accuracy["float32"]).abs().max() < 0.1, accuracy


def test_same_seed_same_numbers():
    data = small_set()
    outs = []
    for _ in range(2):
        model = build("cnn", 3, 3, 32, members=2, filters=8)
        train_population(model, data, [1, 2], Recipe(epochs=1, batch_size=16))
        outs.append(predict_logits(model, data.X))
    assert torch.equal(outs[0], outs[1])


def test_interrupted_training_resumes_to_the_same_result(tmp_path):
    data, recipe, seeds = small_set(), Recipe(epochs=3, batch_size=16), [0, 1]
    straight = build("cnn", 3, 3, 32, members=2, filters=8)
    train_population(straight, data, seeds, recipe)

    class Interrupt(Exception):
        pass

    def stop_after_first(epoch, history):
        if epoch == 0:
            raise Interrupt

    ckpt = tmp_path / "pop.safetensors"
    interrupted = build("cnn", 3, 3, 32, members=2, filters=8)
    with pytest.raises(Interrupt):
        train_population(interrupted, data, seeds, recipe, on_epoch=stop_after_first, checkpoint=ckpt, checkpoint_every=0)
    epochs_seen = []
    resumed = build("cnn", 3, 3, 32, members=2, filters=8)
    history = train_population(resumed, data, seeds, recipe, checkpoint=ckpt, on_epoch=lambda e, h: epochs_seen.append(e))
    assert epochs_seen == [1, 2] and len(history.train_loss) == 3
    for key, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)


def test_checkpoint_of_other_seeds_is_ignored(tmp_path):
    data, ckpt = small_set(), tmp_path / "pop.safetensors"
    train_population(
        build("cnn", 3, 3, 32, members=1, filters=8), data, [0], Recipe(epochs=2, batch_size=16), checkpoint=ckpt, checkpoint_every=0
    )
    assert ckpt.is_file()  # after the first epoch, not the last
    seen = []
    train_population(
        build("cnn", 3, 3, 32, members=1, filters=8),
        data,
        [1],
        Recipe(epochs=2, batch_size=16),
        checkpoint=ckpt,
        on_epoch=lambda e, h: seen.append(e),
    )
    assert seen == [0, 1]


def test_checkpoints_wait_for_checkpoint_every(tmp_path):
    data, ckpt = small_set(), tmp_path / "pop.safetensors"
    train_population(
        build("cnn", 3, 3, 32, members=1, filters=8), data, [0], Recipe(epochs=3, batch_size=16), checkpoint=ckpt, checkpoint_every=3600
    )
    assert not ckpt.exists()


def test_adam_equals_torch_fused_adam():
    from harcnn.train.adam import Adam

    data = small_set()
    from harcnn.models.layers import reset_members

    models = [build("cnn", 3, 3, 32, members=2, filters=8) for _ in range(2)]
    reset_members(models[0], [torch.Generator().manual_seed(s) for s in (0, 1)])
    models[1].load_state_dict(models[0].state_dict())
    ours = Adam(models[0].parameters(), lr=1e-3, eps=1e-7)
    reference = torch.optim.Adam(models[1].parameters(), lr=1e-3, eps=1e-7, fused=True)
    x = torch.from_numpy(data.X[:16]).expand(2, -1, -1, -1)
    for _ in range(3):
        for model, optimizer in zip(models, (ours, reference)):
            optimizer.zero_grad()
            model.eval()(x).square().mean().backward()
            optimizer.step()
    for key, value in models[1].state_dict().items():
        torch.testing.assert_close(models[0].state_dict()[key], value, rtol=0, atol=0)


def test_validation_curves_are_recorded():
    data = small_set()
    model = build("cnn", 3, 3, 32, members=2, filters=8)
    history = train_population(
        model, data.take(np.arange(50)), [0, 1], Recipe(epochs=2, batch_size=16), validation=data.take(np.arange(50, 70))
    )
    assert np.array(history.val_accuracy).shape == (2, 2) and np.array(history.val_loss).shape == (2, 2)


@pytest.mark.parametrize("name", ["cnn", "fcn"])
def test_recipe_ingredients_keep_members_independent(name):
    """AdamW, the cosine schedule, label smoothing and per-member augmentation (every kind, mixup
    included): member r still ends where a separate run with seed r ends (float64, to rounding)."""
    data = small_set()
    data = WindowSet(data.X.astype(np.float64), data.y, data.subject, ("acc_x", "acc_y", "acc_z"), data.classes)
    recipe = Recipe(
        epochs=2, batch_size=16, lr=3e-3, weight_decay=0.05, schedule="cosine", warmup=0.3, label_smoothing=0.1, scale=0.2, jitter=0.1,
        rotate=20.0, time_warp=0.2, mixup=0.4,
    )  # fmt: skip
    hp = {k: v for k, v in {"filters": 8, "dense": 10}.items() if k in get(name).hyperparameters()}
    population = build(name, 3, 3, 32, members=2, **hp).to(torch.float64)
    train_population(population, data, [3, 4], recipe)
    plain = build(name, 3, 3, 32, members=1, **hp).to(torch.float64)
    train_population(plain, data, [3], Recipe(epochs=2, batch_size=16, lr=3e-3))
    for r, seed in enumerate([3, 4]):
        alone = build(name, 3, 3, 32, members=1, **hp).to(torch.float64)
        train_population(alone, data, [seed], recipe)
        for key, value in alone.state_dict().items():
            torch.testing.assert_close(member_state(population, r)[key], value, rtol=1e-12, atol=1e-13)
    # and the ingredients do change the training
    assert not torch.allclose(member_state(population, 0)["out.weight"], plain.state_dict()["out.weight"])


def test_cosine_schedule_warms_up_and_decays_to_zero():
    recipe = Recipe(lr=1.0, schedule="cosine", warmup=0.1)
    lrs = [recipe.lr_at(s, 100) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0) and max(lrs) == pytest.approx(1.0)
    assert lrs[-1] < 0.001 and all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert Recipe(lr=0.5).lr_at(70, 100) == 0.5


def test_min_steps_grows_the_epochs_of_a_small_training_set():
    """16 windows in batches of 8 are 2 steps an epoch: min_steps = 10 makes 1 epoch 5; a larger set keeps its epochs."""
    from harcnn import HARClassifier
    from harcnn.settings import DEFAULTS
    from harcnn.train.recipe import Recipe

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2, 16)).astype(np.float32), np.arange(16) % 2
    clf = HARClassifier(epochs=1, batch_size=8, min_steps=10, filters=4, dense=8).fit(X, y)
    assert len(clf.history_.train_loss) == 5
    recipe = Recipe.from_settings({**DEFAULTS, "epochs": 20, "batch_size": 64, "min_steps": 1000})
    assert [recipe.for_windows(n).epochs for n in (40, 3200, 7352)] == [1000, 20, 20]
