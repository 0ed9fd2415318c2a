"""`HARClassifier` in scikit-learn's conventions: its estimator checks, labels returned in y's own
type, errors before training, and no model whose weights are not finite."""

import json

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from typer.testing import CliRunner

import harcnn
from conftest import without_weights_digest
from harcnn.cli import app
from harcnn.errors import HarcnnError
from helpers import NAMES, SMALL_FIT, named_windows

# 2-D data is n univariate series (as aeon reads it); scikit-learn's checks use 1-5 columns, so the
# checked estimator is an FCN of 1-step kernels, trained long enough to pass the accuracy check.
CHECKED = harcnn.HARClassifier("fcn", epochs=20, lr=1e-2, filters=8, kernels=(1,))
N_FEATURES = (
    "windows are (n, channels, steps) and n_features_in_ counts channels; a 2-D X is one channel of "
    "X.shape[1] steps, and models with global pooling accept windows of any number of steps"
)
EXPECTED = {
    "check_n_features_in_after_fitting": N_FEATURES,
    "check_n_features_in": N_FEATURES,
    "check_classifiers_train": N_FEATURES,
}


@pytest.mark.slow
@parametrize_with_checks([CHECKED], expected_failed_checks=lambda estimator: EXPECTED)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def windows(n=24, c=2, t=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, c, t)).astype(np.float32), np.arange(n) % 2


TINY = dict(epochs=1, batch_size=8, filters=4, dense=8)


@pytest.mark.parametrize(
    "y, kind",
    [(np.array([1.0, 2.0] * 12), np.floating), (np.array([True, False] * 12), np.bool_), (np.array(["a", "b"] * 12), np.str_)],
)
def test_labels_come_back_in_y_own_type(y, kind):
    X, _ = windows()
    clf = harcnn.HARClassifier(**TINY).fit(X, y)
    assert np.issubdtype(clf.predict(X).dtype, kind) and set(clf.predict(X)) <= set(y)
    assert 0 <= clf.score(X, y) <= 1


@pytest.mark.parametrize(
    "y, message",
    [
        (np.linspace(0, 1, 24), "got a continuous target"),
        (np.array([1.0, np.inf] * 12), "label 1 is NaN or infinite"),
        (np.zeros(24), "at least two classes, got one class"),
        (None, "requires y to be passed"),
    ],
)
def test_targets_that_are_not_classes_are_refused(y, message):
    with pytest.raises(HarcnnError, match=message):
        harcnn.HARClassifier(**TINY).fit(windows()[0], y)


def test_predict_before_fit_and_empty_windows():
    X, y = windows()
    with pytest.raises(NotFittedError):
        harcnn.HARClassifier().predict(X)
    with pytest.raises(HarcnnError, match="at least one channel and one step"):
        harcnn.HARClassifier(**TINY).fit(X, y).predict(np.zeros((3, 2, 0)))


def test_init_and_set_params_store_without_checking():
    clf = harcnn.HARClassifier(lr=-1, schedule="linear", members=1.7)
    assert clf.get_params()["lr"] == -1
    clf.set_params(epochs=0, filters=-3)
    with pytest.raises(HarcnnError, match="epochs: must be a whole number from 1"):
        clf.fit(*windows())


def test_numpy_scalars_as_a_grid_search_passes_them(tmp_path):
    X, y = windows()
    clf = harcnn.HARClassifier(
        epochs=np.int64(1), lr=np.float32(1e-3), batch_size=8, filters=np.int64(4), dense=8, random_state=np.int64(3)
    )
    clf.fit(X, y).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["hparams"]["filters"] == 4 and meta["training"]["epochs"] == 1 and meta["seeds"] == [3]


def test_training_that_diverges_is_an_error_not_a_model():
    X, y = windows()
    with pytest.raises(HarcnnError, match="training diverged"):
        # allowed settings whose product is not: decay multiplies the weights by 1 - lr * wd = -8.9 a step
        harcnn.HARClassifier(**{**TINY, "epochs": 3, "batch_size": 1}, lr=10.0, weight_decay=0.99).fit(X, y)


def test_a_saved_model_with_nan_weights_or_foreign_tensors_does_not_load(tmp_path):
    X, y = windows()
    harcnn.HARClassifier(**TINY).fit(X, y).save(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    state = load_file(weights)
    key = next(k for k in state if k.endswith("weight"))
    save_file({**state, key: state[key] * np.nan}, weights)
    with pytest.raises(HarcnnError, match="model.safetensors is not the file model.json was saved with"):
        harcnn.load(tmp_path / "m")
    without_weights_digest(tmp_path / "m")  # as a model saved before the digest: the checks of the weights themselves still hold
    with pytest.raises(HarcnnError, match="model.safetensors: training diverged: member"):
        harcnn.load(tmp_path / "m")
    save_file({("renamed." + key if k == key else k): v for k, v in state.items()}, weights)
    with pytest.raises(HarcnnError, match=f"tensor '{key}' is missing"):
        harcnn.load(tmp_path / "m")


def test_an_absurd_model_json_is_refused_before_allocating(tmp_path):
    X, y = windows()
    harcnn.HARClassifier(**TINY).fit(X, y).save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["hparams"].update(filters=65536, dense=65536)  # ~ 10^10 weights were it built
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(HarcnnError, match="has shape .* model.json describes"):
        harcnn.load(tmp_path / "m")


def test_an_lstm_that_sees_one_step_trains():
    X, y = windows(t=18)  # (18 - 4 convolutions * (5 - 1)) // pool 2 = 1 step
    clf = harcnn.HARClassifier("convlstm", epochs=1, batch_size=8, filters=4, hidden=4).fit(X, y)
    assert clf.predict_proba(X).shape == (24, 2)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"members": 1.7}, "members: must be a whole number from 1 to 1024, got 1.7"),
        ({"members": 0}, "members: must be a whole number from 1"),
        ({"random_state": -1}, "random_state: must be a whole number from 0"),
        ({"model": "lstm"}, "unknown model 'lstm'"),
        ({"model": "minirocket"}, "'minirocket' is a peer (aeon)"),
    ],
)
def test_estimator_parameters_are_checked_before_training(params, message):
    with pytest.raises(HarcnnError) as e:
        harcnn.HARClassifier(**{**TINY, **params}).fit(*windows())
    assert message in str(e.value)


def test_the_tutorial_layout_is_recognised_not_trained_on():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 32, 3)).astype(np.float32)  # (samples, timesteps, features), as Keras takes them
    y = np.arange(24) % 2
    with pytest.raises(HarcnnError, match=r"look like \(n, steps, channels\), the tutorial's layout \(32 channels of 3 steps\)"):
        harcnn.HARClassifier(**TINY).fit(X, y)
    with pytest.raises(HarcnnError, match="4 channel names count its last axis"):
        harcnn.HARClassifier(**TINY).fit(rng.normal(size=(24, 3, 4)), y, channels=["ax", "ay", "az", "gx"])
    clf = harcnn.HARClassifier(**TINY, layout="ntc").fit(X, y)
    assert clf.n_features_in_ == 3 and clf.predict_proba(X).shape == (24, 2)
    assert np.array_equal(
        clf.predict_proba(X), harcnn.HARClassifier(**TINY).fit(X.transpose(0, 2, 1), y).predict_proba(X.transpose(0, 2, 1))
    )


def test_fit_predict_score_with_string_labels():
    X, y, groups = named_windows()
    clf = harcnn.HARClassifier(**SMALL_FIT).fit(X, y, groups=groups)
    assert clf.classes_.tolist() == ["run", "sit", "walk"]
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert set(clf.predict(X)) <= set(NAMES)
    assert clf.score(X, y) > 0.9
    with pytest.raises(HarcnnError, match=r"expects windows of shape \(n, 3, 32\)"):
        clf.predict(X[:, :2])


def test_parameters_clone_and_set_params():
    clf = harcnn.HARClassifier("multihead", epochs=2, kernels=[3, 5], filters=4)
    params = clf.get_params()
    assert params["kernels"] == [3, 5] and params["filters"] == 4 and params["epochs"] == 2
    twin = clone(clf)
    assert twin.get_params() == params and twin is not clf
    twin.set_params(filters=8, epochs=1)
    assert twin.get_params()["filters"] == 8 and twin.epochs == 1 and clf.get_params()["filters"] == 4
    twin.set_params(no_such_parameter=1)  # scikit-learn's rule: set_params stores, fit checks
    with pytest.raises(HarcnnError, match="has no hyperparameter 'no_such_parameter'"):
        twin.fit(*named_windows()[:2])


@pytest.mark.slow
def test_cross_validation_by_subject_and_pipeline():
    X, y, groups = named_windows()
    scores = cross_val_score(harcnn.HARClassifier(**SMALL_FIT), X, y, groups=groups, cv=GroupKFold(n_splits=3))
    assert scores.shape == (3,) and scores.min() > 0.5  # chance: 1/3
    pipe = make_pipeline(FunctionTransformer(lambda a: a * 0.5), harcnn.HARClassifier(**SMALL_FIT))
    assert pipe.fit(X, y).score(X, y) > 0.8


def test_ensemble_is_the_mean_of_its_members_and_saves_as_one_folder(tmp_path):
    X, y, groups = named_windows()
    clf = harcnn.HARClassifier(members=3, standardize=True, random_state=4, **SMALL_FIT).fit(X, y, groups=groups)
    members = clf.member_proba(X)
    assert members.shape == (3, 120, 3) and not np.allclose(members[0], members[1])
    np.testing.assert_allclose(clf.predict_proba(X), members.mean(0), rtol=1e-6)
    again = harcnn.load(clf.save(tmp_path / "model"))
    assert again.meta_.seeds == (4, 5, 6) and again.get_params()["members"] == 3
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_a_model_from_python_works_with_the_cli(tiny_zip, tmp_path):
    """The same folder both ways: fitted in Python, evaluated by `harcnn evaluate` (no KeyError)."""
    ds = harcnn.load_dataset(str(tiny_zip))
    clf = harcnn.HARClassifier(epochs=2, batch_size=8, filters=4, dense=8).fit(
        ds.train.X, np.array(ds.train.classes)[ds.train.y], channels=ds.train.channels
    )
    clf.save(tmp_path / "model")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "model"), "--data", str(tiny_zip)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "WALKING_UPSTAIRS" in result.output
