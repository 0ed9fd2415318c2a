"""A model folder with a fitted peer (`models.peer_files`, `saved`): it saves and loads without
pickle, predicts the weighted mean, and refuses a peer file that is not the one saved, or that
names classes a fitted peer does not hold."""

import json

import numpy as np
import pytest

import harcnn
from harcnn.models.peers import PEERS
from helpers import SMALL_FIT, named_windows

pytest.importorskip("aeon")
pytest.importorskip("skops")


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """A small CNN joined by a small MiniRocket at weight 0.25, saved."""
    X, y, subject = named_windows(n=90, t=32)
    clf = harcnn.HARClassifier(model="cnn", **SMALL_FIT).fit(X, y, groups=subject)
    cnn_only = clf.predict_proba(X)
    peer = PEERS["minirocket"]
    fitted = peer.fit({"n_kernels": 168}, X, np.unique(y, return_inverse=True)[1], seed=0)
    clf.with_peers([("minirocket", {"n_kernels": 168}, 0, fitted)], [3.0, 1.0], [1.0, 0.5])
    folder = clf.save(tmp_path_factory.mktemp("joined") / "model")
    return X, clf, cnn_only, peer.calibrated(fitted, X, 3, 0.5), folder


def test_a_model_with_a_peer_predicts_the_weighted_mean_and_loads_the_same(joined):
    X, clf, cnn_only, peer_only, folder = joined
    np.testing.assert_allclose(clf.predict_proba(X), 0.75 * cnn_only + 0.25 * peer_only, atol=1e-6)
    meta = json.loads((folder / "model.json").read_text())
    assert meta["format_version"] == 4 and meta["peers"][0]["weight"] == 0.25 and meta["peers"][0]["temperature"] == 0.5
    assert 0.01 < peer_only.max(1).mean() < 0.99  # calibrated scores, not MiniRocket's one-hot probabilities
    again = harcnn.load(folder)
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_a_model_with_two_peers_saves_each_and_loads_the_same(joined, tmp_path):
    """Two peers beside the population (as auto's three-part ensembles): a file each, the weighted mean
    of all three, the same after loading."""
    import copy

    X, clf, cnn_only, minirocket_only, _ = joined
    clf = copy.deepcopy(clf)
    y = named_windows(n=90, t=32)[1]  # the fixture's
    hydra = PEERS["hydra"].fit(TORCH_PEERS["hydra"], X, np.unique(y, return_inverse=True)[1], seed=1)
    minirocket = clf.peers_[0]
    clf.with_peers(
        [("minirocket", {"n_kernels": 168}, 0, minirocket), ("hydra", TORCH_PEERS["hydra"], 1, hydra)], [2, 1, 1], [1.0, 0.5, 2.0]
    )
    expected = 0.5 * cnn_only + 0.25 * minirocket_only + 0.25 * PEERS["hydra"].calibrated(hydra, X, 3, 2.0)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=1e-6)
    folder = clf.save(tmp_path / "two")
    assert (folder / "peer-0.skops").is_file() and (folder / "peer-1.skops").is_file()
    np.testing.assert_allclose(harcnn.load(folder).predict_proba(X), expected, atol=1e-6)


def test_a_peer_file_that_is_not_the_one_saved_is_refused(joined, tmp_path):
    import shutil

    folder = shutil.copytree(joined[4], tmp_path / "m")
    (folder / "peer-0.skops").write_bytes((folder / "peer-0.skops").read_bytes()[:-10])
    with pytest.raises(harcnn.HarcnnError, match="peer-0.skops: is not the file model.json was saved with"):
        harcnn.load(folder)
    (folder / "peer-0.skops").unlink()
    with pytest.raises(harcnn.HarcnnError, match="missing peer-0.skops"):
        harcnn.load(folder)


class Foreign:
    """A class of nobody's model: a file that names it must not be loaded."""


def test_a_peer_file_naming_other_classes_is_refused_unread(joined, tmp_path):
    import shutil

    import skops.io

    from harcnn.models import peer_files

    folder = shutil.copytree(joined[4], tmp_path / "m")
    data = skops.io.dumps({"model": Foreign()})
    (folder / "peer-0.skops").write_bytes(data)
    meta = json.loads((folder / "model.json").read_text())
    meta["peers"][0]["sha256"] = peer_files.sha256(data)
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(harcnn.HarcnnError, match="test_peer_files.Foreign\\); refused unread"):
        harcnn.load(folder)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p[0].update(model="resnet"), "'resnet' is not a peer a model folder holds"),
        (lambda p: p[0].update(weight=1.5), "weight must be a number in (0, 1)"),
        (lambda p: p.extend([dict(p[0], weight=0.8)]), "weights must add up to less than 1"),
        (lambda p: p[0].pop("seed"), "must be an object with model, hparams, seed, weight, temperature and sha256"),
        (lambda p: p[0].update(temperature=0), "temperature': must be a positive finite number"),
    ],
    ids=["unsaveable", "weight", "sum", "field", "temperature"],
)
def test_malformed_peers_in_model_json(joined, tmp_path, edit, message):
    import shutil

    folder = shutil.copytree(joined[4], tmp_path / "m")
    meta = json.loads((folder / "model.json").read_text())
    edit(meta["peers"])
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(harcnn.HarcnnError, match=message.replace("(", "\\(").replace(")", "\\)")):
        harcnn.load(folder)


def test_a_model_with_a_peer_is_not_exported(joined, tmp_path):
    pytest.importorskip("onnx")
    from harcnn.deploy.onnx import export_onnx

    with pytest.raises(harcnn.HarcnnError, match="heterogeneous ensemble"):
        export_onnx(joined[1], tmp_path / "m.onnx")


TORCH_PEERS = {"hydra": {"n_kernels": 2, "n_groups": 4}, "multirocket-hydra": {"n_kernels": 2, "n_groups": 4},
               "quant": {"interval_depth": 3}}  # fmt: skip


@pytest.mark.parametrize(
    "name", ["hydra", pytest.param("multirocket-hydra", marks=pytest.mark.slow), "quant"]
)  # MultiRocket compiles its numba kernels on first use: 15 s in a fresh environment
def test_a_peer_holding_torch_tensors_saves_without_pickle_and_predicts_the_same(name, tmp_path):
    """aeon's Hydra, MultiRocket-Hydra and QUANT hold torch tensors, which skops does not write: the
    file holds their arrays and Hydra's seed, and the loaded peer predicts what the fitted one did."""
    import torch

    from harcnn.models import peer_files

    X, y, subject = named_windows(n=60, t=32)
    peer = PEERS[name]
    fitted = peer.fit(TORCH_PEERS[name], X, np.unique(y, return_inverse=True)[1], seed=3)
    before = peer.scores(fitted, X, 3)
    data = peer_files.dumps(peer, fitted)
    assert not hasattr(fitted, peer_files.TORCH_NOTES)  # the fitted peer itself is left as it was
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    loaded = peer_files.loads(peer, data, "peer-0.skops")
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), state)  # drawing Hydra again changes neither
    np.testing.assert_array_equal(peer.scores(loaded, X, 3), before)


@pytest.mark.parametrize("name", ["minirocket", "hydra", pytest.param("multirocket-hydra", marks=pytest.mark.slow), "quant"])
def test_a_peers_scores_pick_what_it_predicts_and_are_graded(name):
    """An ensemble calibrates a peer's scores: a ridge's decision values (read from aeon's fitted
    pipeline, or rebuilt as MultiRocket-Hydra's `predict` builds them), not its one-hot probabilities."""
    X, y, _ = named_windows(n=60, t=32)
    peer = PEERS[name]
    ids = np.unique(y, return_inverse=True)[1]
    fitted = peer.fit({"n_kernels": 168} if name == "minirocket" else TORCH_PEERS[name], X[1::2], ids[1::2], seed=3)
    scores = peer.scores(fitted, X[::2], 3)  # windows it did not see: QUANT's trees are one-hot on their own
    np.testing.assert_array_equal(scores.argmax(1), fitted.predict(X[::2].astype(np.float32)))
    assert np.unique(scores).size > 2 * 3  # one-hot probabilities' logs take two values


def test_hydra_kernels_that_draw_differently_from_their_seed_are_refused():
    from harcnn.models import peer_files

    X, y, _ = named_windows(n=60, t=32)
    fitted = PEERS["hydra"].fit(TORCH_PEERS["hydra"], X, np.unique(y, return_inverse=True)[1], seed=3)
    stripped = peer_files.without_torch(fitted)
    notes = json.loads(getattr(stripped, peer_files.TORCH_NOTES))
    next(n for n in notes if n["kind"] == "hydra")["sha256"] = "0" * 64  # as if another torch drew other kernels
    setattr(stripped, peer_files.TORCH_NOTES, json.dumps(notes))
    with pytest.raises(harcnn.HarcnnError, match="Hydra's kernels drawn again from seed 3 differ"):
        peer_files.with_torch(stripped, "peer-0.skops")
