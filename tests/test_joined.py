"""A CNN joined with peers (`models.joined`, the `join` setting): calibrated and weighted on held-out
training subjects only, the same model in a study and in the estimator, saved like any model."""

from dataclasses import replace

import numpy as np
import pytest

import harcnn
from harcnn.data.windows import Dataset, WindowSet
from harcnn.experiments.jobs import Job, run_job
from harcnn.experiments.spec import Config, load_spec
from harcnn.models import joined
from harcnn.models.peers import softmax
from harcnn.settings import check_settings
from helpers import NAMES, cli, own_npz, refuses


def test_temperature_recovers_the_scale_of_calibrated_scores():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 4))
    y = np.array([rng.choice(4, p=p) for p in softmax(logits)])
    assert joined.temperature(3 * logits, y) == pytest.approx(3, rel=0.1)


def test_parts_are_weighed_by_held_out_accuracy_to_the_fourth_power():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    right = 4 * np.eye(3)[y]
    good = (right + rng.normal(0, 1, (200, 3)))[None]  # one member, mostly right
    poor = right + rng.normal(0, 4, (2, 200, 3))  # two members, often wrong
    weights, temperatures = joined.weigh([good, poor], y)
    accuracy = [(good[0].argmax(1) == y).mean(), (softmax(poor / temperatures[1]).mean(0).argmax(1) == y).mean()]
    assert weights == pytest.approx(np.array(accuracy) ** 4 / (np.array(accuracy) ** 4).sum())
    assert sum(weights) == pytest.approx(1) and weights[0] > weights[1]
    assert temperatures[1] > temperatures[0]  # the noisier part's scores are softened more
    proba = joined.combine([good, poor], weights, temperatures)
    assert proba.shape == (200, 3) and np.allclose(proba.sum(1), 1)


def dataset(seed: int = 0) -> Dataset:
    """Three classes, 8 subjects (6 train, 2 test), noisy enough that neither part is perfect."""
    rng = np.random.default_rng(seed)
    n = 240
    y = rng.integers(0, 3, n)
    X = (rng.normal(0, 1.5, (n, 3, 32)) + 0.6 * y[:, None, None] + np.sin(np.arange(32) * (1 + y[:, None, None]) / 4)).astype(np.float32)
    subject = np.arange(n) % 8
    sets = [WindowSet(X[m], y[m], subject[m], ("a", "b", "c"), tuple(NAMES)) for m in (subject < 6, subject >= 6)]
    return Dataset("joined", *sets, sha256="0" * 64, source="synthetic")


def config(**settings) -> Config:
    values = {**dict(epochs=3, batch_size=16, lr=3e-3, validation_subjects=2, standardize=True, join=("minirocket",)), **settings}
    return Config(model="cnn", hparams={"filters": 8, "dense": 16}, label="joined", **check_settings(values, "test"))


@pytest.mark.slow
def test_a_studys_joined_member_is_the_estimators_model_and_never_reads_test_labels(tmp_path):
    """Member seed 3 of a study with `join` predicts the test windows as `HARClassifier` fitted with
    the same settings and seed (its peer on the windows as given, weighted on the validation subjects),
    and changing the test labels changes none of its predictions."""
    pytest.importorskip("aeon")
    data = dataset()
    job = Job("s", config(), [3])
    (run,) = run_job(job, data, tmp_path)
    clf = harcnn.HARClassifier.from_config(job.config, random_state=3).fit_windows(data.train)
    assert [p["model"] for p in clf.meta_.peers] == ["minirocket"] and 0 < clf.meta_.peer_weight < 1
    predicted = clf.predict_proba(data.test.X).argmax(1)
    confusion = np.zeros((3, 3), int)
    np.add.at(confusion, (data.test.y, predicted), 1)
    assert run.confusion == confusion.tolist()
    cnn_alone = run_job(Job("s", replace(job.config, join=()), [3]), data, tmp_path)[0]
    assert run.confusion != cnn_alone.confusion  # the peer moved some predictions
    shuffled = replace(data, test=replace(data.test, y=np.roll(data.test.y, 1)))
    (again,) = run_job(job, shuffled, tmp_path / "again")
    assert np.sum(again.confusion, 0).tolist() == np.sum(run.confusion, 0).tolist()  # what it predicted, class by class


def test_join_needs_held_out_subjects_a_cnn_and_a_peer_it_knows(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('model = "minirocket"\nvalidation_subjects = 1\njoin = ["hydra"]\n')
    refuses(f"{spec}: join: peers join a CNN (the join setting); model 'minirocket' is a peer itself", load_spec, spec)
    refuses("join: the peers and the CNN are weighted on held-out training subjects", check_settings, {"join": ["minirocket"]}, "x")
    refuses("join: must be a list of 'minirocket'", check_settings, {"join": ["ridge"], "validation_subjects": 1}, "x")
    refuses("each once", check_settings, {"join": ["hydra", "hydra"], "validation_subjects": 1}, "x")
    assert config().key != config(join=()).key and "join" not in config(join=()).to_json()  # keys without join unchanged


@pytest.mark.slow
def test_a_joined_model_trains_saves_and_evaluates_from_the_cli(monkeypatch, capsys, tmp_path):
    pytest.importorskip("aeon")
    data = tmp_path / "data.npz"
    assert cli(monkeypatch, capsys, "data", "import", own_npz(tmp_path, n=120), "--out", data)[0] == 0
    spec = tmp_path / "s.toml"
    spec.write_text("epochs = 3\nbatch_size = 16\nstandardize = true\nvalidation_subjects = 2\n[hparams]\nfilters = 8\ndense = 16\n")
    code, text = cli(monkeypatch, capsys, "train", spec, "--data", data, "--out", tmp_path / "m", "--set", 'join=["minirocket"]')
    assert code == 0 and "joined: cnn " in text and "minirocket" in text, text
    assert (tmp_path / "m" / "peer-0.skops").is_file()
    tested = float(text.split("test accuracy ")[1].split("%")[0])
    code, text = cli(monkeypatch, capsys, "evaluate", tmp_path / "m", "--data", data)
    assert code == 0 and f"accuracy: {tested:.2f}%" in text, text
