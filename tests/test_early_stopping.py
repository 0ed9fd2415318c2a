"""`train.early_stopping`: a member stops once its validation loss has not improved for `patience`
epochs and keeps its best epoch's weights; members of a population stop independently, each as its
lone run would; never without validation subjects."""

import numpy as np
import pytest
import torch

import harcnn
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.models import build
from harcnn.models.layers import member_state
from harcnn.train.early_stopping import EarlyStopping
from harcnn.train.population import Recipe, train_population


def test_a_member_stops_after_patience_and_gets_its_best_weights_back():
    model = build("cnn", 3, 2, 16, members=2, filters=4, dense=4)
    stopping = EarlyStopping(2, model, members=2)
    losses = [[1.0, 1.0], [0.8, 0.9], [0.9, 0.8], [0.95, 0.7], [0.99, 0.6]]  # member 0 is best at epoch 1, then rises
    at_best = None
    for epoch, pair in enumerate(losses):
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(float(epoch))  # each epoch's weights are the epoch's number
        done = stopping.update(epoch, pair, model)
        assert not done
        if epoch == 1:
            at_best = member_state(model, 0)
    assert stopping.stopped == [4, 0] and stopping.best_epoch == [1, 4]
    stopping.restore(model)
    for key, value in member_state(model, 0).items():
        if value.is_floating_point():
            assert torch.equal(value, at_best[key]), key
    assert float(next(model.parameters())[1].flatten()[0]) == 4.0  # member 1 never stopped: its last (best) epoch


def noisy(n=96, seed=0) -> WindowSet:
    """Labels that are noise: training fits them and the validation loss soon rises."""
    rng = np.random.default_rng(seed)
    return WindowSet(rng.normal(size=(n, 3, 16)).astype(np.float64), rng.integers(0, 2, n), np.arange(n) % 6, ("a", "b", "c"), ("x", "y"))


def test_population_members_stop_as_their_lone_runs():
    data, validation = noisy(), noisy(48, seed=1)
    recipe = Recipe(epochs=40, batch_size=16, lr=1e-2, early_stopping=3)
    seeds = [0, 3]
    population = build("cnn", 3, 2, 16, members=2, filters=8, dense=16).double()
    history = train_population(population, data, seeds, recipe, validation=validation)
    assert all(0 < s < 40 for s in history.stopped), history.stopped  # both stopped early, each on its own epoch
    for r, seed in enumerate(seeds):
        alone = build("cnn", 3, 2, 16, members=1, filters=8, dense=16).double()
        alone_history = train_population(alone, data, [seed], recipe, validation=validation)
        assert alone_history.stopped == [history.stopped[r]]
        np.testing.assert_allclose(history.member(r)["val_loss"], alone_history.member(0)["val_loss"], rtol=1e-10)
        for key, value in alone.state_dict().items():
            torch.testing.assert_close(member_state(population, r)[key], value, rtol=1e-10, atol=1e-12)
        best = int(np.argmin(alone_history.member(0)["val_loss"]))
        assert len(alone_history.member(0)["val_loss"]) == best + 1 + 3  # stopped `patience` epochs after its best


def test_early_stopping_needs_validation_subjects():
    X, y = noisy().X.astype(np.float32), noisy().y
    with pytest.raises(HarcnnError, match="early_stopping: it watches the validation loss, so hold training subjects out"):
        harcnn.HARClassifier(early_stopping=3, epochs=5).fit(X, y, groups=np.arange(len(X)) % 6)
    clf = harcnn.HARClassifier(early_stopping=2, epochs=40, lr=1e-2, validation_subjects=2, filters=8, dense=16)
    clf.fit(X, y, groups=np.arange(len(X)) % 6)
    assert 0 < len(clf.history_.val_loss) < 40 and all(clf.history_.stopped)
