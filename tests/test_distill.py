"""Distillation: a model fitting a teacher's probabilities instead of the labels (issue #19).
The soft targets reach the loss (labels as one-hot probabilities train the same model; a student of
a teacher taught the opposite labels learns the teacher), and teachers that do not fit are refused."""

import json

import numpy as np
import pytest
import torch

import harcnn
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.train.fit import fit_population, split
from helpers import invoke

SMALL = dict(epochs=3, batch_size=16, lr=3e-3, filters=8, dense=16, label_smoothing=0.0)


def windows(n=96, c=3, t=32, seed=0):
    """Two separable classes: class 1 shifts every channel up; 4 subjects."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return (rng.normal(0, 0.5, (n, c, t)) + y[:, None, None]).astype(np.float32), y, np.arange(n) % 4


@pytest.mark.parametrize("mixup", [0.0, 0.4])
def test_labels_as_one_hot_probabilities_train_the_same_members(mixup):
    X, y, groups = windows()
    settings, hparams, seeds = harcnn.HARClassifier(members=2, mixup=mixup, **SMALL).checked_params()
    train = WindowSet(X, y.astype(np.int64), groups.astype(np.int64), ("a", "b", "c"), ("0", "1"))
    hard = fit_population("cnn", hparams, settings, train, seeds)
    soft = fit_population("cnn", hparams, settings, train, seeds, teacher=lambda windows: np.eye(2, dtype=np.float32)[y])
    for (name, a), b in zip(hard.net.state_dict().items(), soft.net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    assert hard.history.train_accuracy == soft.history.train_accuracy


def test_a_student_learns_its_teacher_not_the_labels(tmp_path):
    X, y, groups = windows()
    plain = harcnn.HARClassifier(**SMALL).fit(X, y)
    assert plain.score(X, y) > 0.9  # the student's recipe learns these labels on its own
    contrary = harcnn.HARClassifier(members=2, **SMALL).fit(X, 1 - y)  # a teacher taught the opposite
    student = harcnn.HARClassifier(**SMALL).fit(X, y, teacher=contrary)
    assert contrary.score(X, 1 - y) > 0.9 and student.score(X, 1 - y) > 0.75  # chance: 1/2
    meta = json.loads((student.save(tmp_path / "student") / "model.json").read_text())
    assert meta["training"]["teacher"] == {"model": "cnn", "members": 2, "seeds": [0, 1]} and meta["members"] == 1


def test_teachers_that_do_not_fit_the_windows_are_refused_before_training():
    X, y, groups = windows()
    teacher = harcnn.HARClassifier(**{**SMALL, "epochs": 1}).fit(X, y)
    with pytest.raises(HarcnnError, match=r"teacher: its classes \[0, 1\] differ from the training windows' \['a', 'b'\]"):
        harcnn.HARClassifier(**SMALL).fit(X, np.array(["a", "b"])[y], teacher=teacher)
    with pytest.raises(HarcnnError, match=r"teacher: its channels .* differ"):
        harcnn.HARClassifier(**SMALL).fit(X, y, channels=["x", "y", "z"], teacher=teacher)
    with pytest.raises(HarcnnError, match="teacher: it reads windows of 32 steps, the training windows have 16"):
        harcnn.HARClassifier(**SMALL).fit(X[:, :, :16], y, teacher=teacher)
    with pytest.raises(HarcnnError, match="teacher must be a fitted HARClassifier"):
        harcnn.HARClassifier(**SMALL).fit(X, y, teacher="model/")


@pytest.mark.parametrize(
    "soft, message",
    [(np.full((96, 3), 1 / 3), r"must be \(96, 2\) class probabilities"), (np.full((96, 2), 0.7), "each row summing to 1")],
)
def test_soft_targets_must_be_probabilities_of_every_window(soft, message):
    X, y, groups = windows()
    settings, hparams, seeds = harcnn.HARClassifier(**SMALL).checked_params()
    train = WindowSet(X, y.astype(np.int64), groups.astype(np.int64), ("a", "b", "c"), ("0", "1"))
    with pytest.raises(HarcnnError, match=message):
        fit_population("cnn", hparams, settings, train, seeds, teacher=lambda windows: soft)


def test_a_teacher_with_a_split_already_made_is_an_error_not_ignored():
    X, y, groups = windows()
    settings, hparams, seeds = harcnn.HARClassifier(**SMALL).checked_params()
    made = split(settings, WindowSet(X, y.astype(np.int64), groups.astype(np.int64), ("a", "b", "c"), ("0", "1")))
    with pytest.raises(ValueError, match="a teacher reads the training windows"):
        fit_population("cnn", hparams, settings, made, seeds, teacher=lambda windows: np.eye(2)[y])


@pytest.mark.slow
def test_train_with_a_teacher_folder(tiny_zip, tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text('model = "cnn"\nepochs = 2\nbatch_size = 8\n[hparams]\nfilters = 4\ndense = 8\n')
    invoke("train", spec, "--data", tiny_zip, "--out", tmp_path / "teacher", "--members", 2)
    out = invoke("train", spec, "--data", tiny_zip, "--out", tmp_path / "student", "--teacher", tmp_path / "teacher")
    assert "saved" in out
    meta = json.loads((tmp_path / "student" / "model.json").read_text())
    teacher = json.loads((tmp_path / "teacher" / "model.json").read_text())
    assert meta["members"] == 1 and meta["training"]["teacher"] == {
        "model": teacher["model"],
        "members": 2,
        "seeds": [0, 1],
        "path": str(tmp_path / "teacher"),
        "test_accuracy": teacher["test_accuracy"],
    }
