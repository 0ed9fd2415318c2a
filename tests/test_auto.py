"""`harcnn auto`: the choice sees training subjects only, ensembles are weighed honestly, the budget
is kept, interrupted work resumes, and the model it writes is a model like any other."""

import json

import numpy as np
import pytest

import harcnn
from harcnn.data.windows import WindowSet
from harcnn.experiments import auto
from harcnn.experiments.spec import Config
from harcnn.settings import check_settings
from helpers import cli, fails, named_windows, own_npz

pytest.importorskip("aeon")
PEER = auto.PEERS[0]  # the one peer of the tiny candidates


def tiny_candidates(cnn_only: bool = False) -> dict[str, Config]:
    """A CNN that learns these windows in a second, and (unless `cnn_only`) a small MiniRocket."""
    cnn = Config(model="cnn", hparams={"filters": 8, "dense": 16}, label="cnn", **check_settings(dict(epochs=3, batch_size=16), "test"))
    peer = Config(model="minirocket", hparams={"n_kernels": 168}, label="minirocket", **check_settings({}, "test"))
    return {"cnn": cnn} if cnn_only else {"cnn": cnn, PEER: peer}


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(auto, "candidates", tiny_candidates)


def windows(n=180, seed=0) -> WindowSet:
    X, y, subject = named_windows(n=n, t=32, seed=seed)
    classes, index = np.unique(y, return_inverse=True)
    return WindowSet(X, index, subject.astype(np.int64), ("a", "b", "c"), tuple(classes))


def test_the_presets_in_the_package_are_the_specs_in_experiments():
    from pathlib import Path

    from harcnn import presets

    for name in presets.PRESETS:
        assert (Path("experiments") / f"{name}.toml").resolve() == presets.path(name).resolve()


def test_a_folds_ensemble_is_calibrated_and_weighed_on_the_other_folds_only():
    """Whatever a member scored on fold 0, the temperatures and weights fold 0 uses stay the same; the
    CNN is joined with each peer and with both."""
    rng = np.random.default_rng(0)
    y = [rng.integers(0, 3, 20) for _ in range(3)]
    first, second = auto.PEERS
    config = auto.candidates()
    scores = {n: [rng.normal(0, 1, (20, 3)) + 2 * np.eye(3)[yf] for yf in y] for n in ("best", first, second)}
    tried = {n: auto.Tried(n, config[n], scores[n], [1.0, 1.0, 1.0]) for n in scores}
    fold_acc = {n: np.array([auto._accuracy(s, yf) for s, yf in zip(scores[n], y)]) for n in scores}
    others = np.array([False, True, True])
    before = auto._weighed(tried, ("best", first), fold_acc, y, np.array([20, 20, 20]), others)
    tried["best"].scores[0] = -tried["best"].scores[0]
    fold_acc["best"][0] = 0.0
    assert auto._weighed(tried, ("best", first), fold_acc, y, np.array([20, 20, 20]), others) == before
    scored = {s.name: s for s in auto._score(tried, y)}
    assert set(scored) == {"best", first, second, f"best+{first}", f"best+{second}", f"best+{first}+{second}"}
    assert scored[f"best+{first}+{second}"].seconds == 9.0 and sum(scored[f"best+{first}+{second}"].weights) == pytest.approx(1)
    assert not scored[first].choosable and not scored[second].choosable and scored["best"].choosable


@pytest.mark.slow  # two whole runs of `harcnn auto`, MiniRocket's compilation included
def test_changing_the_test_labels_cannot_change_the_choice(tiny, monkeypatch, capsys, tmp_path):
    """The same windows with the test subject's labels shuffled: the same candidates, figures and choice."""
    mine = own_npz(tmp_path, n=120)
    with np.load(mine) as d:
        arrays = dict(d)
    test = arrays["subject"] == 5
    arrays["y"][test] = np.random.default_rng(1).permutation(arrays["y"][test][::-1])
    np.savez(tmp_path / "shuffled.npz", **arrays)
    records = []
    for name in ("mine", "shuffled"):
        data, out = tmp_path / f"{name}-data.npz", tmp_path / f"{name}-model"
        assert cli(monkeypatch, capsys, "data", "import", tmp_path / f"{name}.npz", "--out", data, "--test-subjects", "5")[0] == 0
        code, text = cli(monkeypatch, capsys, "auto", "--data", data, "--out", out, "--budget", "5", "--cache", tmp_path / name)
        assert code == 0 and "\nchose " in text, text
        records.append(json.loads((out / "auto.json").read_text()))
    assert records[0]["test_accuracy"] != records[1]["test_accuracy"]  # the test labels did change
    for r in records:
        for key in ("test_accuracy", "choose_s", "refit_s"):
            r.pop(key)
        for c in r["candidates"]:
            c.pop("seconds")
    assert records[0] == records[1]


def test_a_budget_too_small_for_any_cnn_is_refused(tiny):
    with pytest.raises(harcnn.HarcnnError, match="no candidate holding a CNN"):
        auto.choose(windows(), budget_s=1e-9)


@pytest.mark.parametrize(
    "budget, peer", [(45, "not tried: the budget was spent"), (65, "stopped after 2 of 3 folds: would end at ")]
)  # fmt: skip
def test_the_budget_stops_what_would_not_fit(tiny, monkeypatch, budget, peer):
    """Each reading of the clock 10 s later, each fold 1 s of training: the CNN's three folds end at
    40 s. With 45 s the peer is not started; with 65 s its second fold ends at 70 s and projects past
    the budget, so it stops."""
    clock = iter(range(0, 10_000, 10))
    monkeypatch.setattr(auto, "perf_counter", lambda: next(clock))
    fold = auto._fold
    monkeypatch.setattr(auto, "_fold", lambda *args: (fold(*args)[0], 1.0, False))
    choice = auto.choose(windows(), budget_s=budget, echo=lambda line: None)
    found = {s.name: s.status for s in choice.scored} | dict(choice.skipped)
    assert found["cnn"] == "" and found[PEER].startswith(peer), found
    assert choice.winner.name == "cnn"


def test_an_interrupted_choice_resumes_from_its_cache(tiny, monkeypatch, tmp_path):
    train = windows()
    first = auto.choose(train, budget_s=600, cache=tmp_path, echo=lambda line: None)
    assert len(list(tmp_path.glob("*.npz"))) == 2 * auto.AUTO_FOLDS

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr("harcnn.train.fit.train_and_predict", no_training)
    again = auto.choose(train, budget_s=600, cache=tmp_path, echo=lambda line: None)
    assert [(s.name, s.fold_accuracy) for s in again.scored] == [(s.name, s.fold_accuracy) for s in first.scored]


def test_the_estimator_chooses_and_its_model_saves_loads_and_predicts(tiny, tmp_path):
    X, y, subject = named_windows(n=180, t=32)
    clf = harcnn.HARClassifier(model="auto", budget=5).fit(X, y, groups=subject)
    assert clf.auto_["choice"]["name"] in {c["name"] for c in clf.auto_["candidates"]}
    assert clf.score(X, y) > 0.9
    clf.save(tmp_path / "m")
    again = harcnn.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(epochs=3), "epochs cannot be set"),
        (dict(filters=8), "filters cannot be set"),
        (dict(budget=0), "budget: must be"),
    ],
)
def test_auto_takes_a_budget_and_nothing_else(params, message):
    X, y, subject = named_windows(n=60, t=32)
    with pytest.raises(harcnn.HarcnnError, match=message):
        harcnn.HARClassifier(model="auto", **params).fit(X, y, groups=subject)


def test_auto_needs_subjects_to_fold(monkeypatch, capsys, tmp_path):
    X, y, _ = named_windows(n=60, t=32)
    with pytest.raises(harcnn.HarcnnError, match="at least 3 subjects"):
        harcnn.HARClassifier(model="auto").fit(X, y)
    fails(monkeypatch, capsys, "budget: must be", "auto", "--data", str(own_npz(tmp_path)), "--out", str(tmp_path / "m"), "--budget", "-1")


def test_cnn_only_makes_a_model_every_export_format_holds(tiny, monkeypatch, capsys, tmp_path):
    pytest.importorskip("onnx")
    data, out = tmp_path / "data.npz", tmp_path / "model"
    assert cli(monkeypatch, capsys, "data", "import", own_npz(tmp_path, n=120), "--out", data, "--test-subjects", "5")[0] == 0
    code, text = cli(monkeypatch, capsys, "auto", "--data", data, "--out", out, "--cnn-only", "--cache", tmp_path / "c")
    assert code == 0, text
    assert json.loads((out / "auto.json").read_text())["choice"]["parts"] == ["cnn"]
    code, text = cli(monkeypatch, capsys, "export", out, "--out", tmp_path / "m.onnx")
    assert code == 0 and (tmp_path / "m.onnx").is_file(), text


def test_asked_candidates_are_made_of_the_singles_they_name_and_checked_before_training(monkeypatch, capsys, tmp_path):
    singles = auto.candidates()
    first, second = auto.PEERS
    assert list(auto.asked(singles, [f"best+{first}+{second}"])) == ["best", first, second]
    assert list(auto.asked(singles, ["quick", f"best+{second}"])) == ["quick", "best", second]
    with pytest.raises(harcnn.HarcnnError, match=f"a peer alone cannot be chosen .*: best\\+{first}"):
        auto.asked(singles, [first])
    fails(monkeypatch, capsys, "auto: no candidate 'best+nope'; the candidates: quick, best,", "auto", "--data", str(tmp_path / "absent.npz"),
          "--out", str(tmp_path / "m"), "--candidate", "best+nope")  # fmt: skip


def test_only_the_asked_candidates_can_win(tiny):
    """Asked for the ensemble only: it wins, and the CNN alone is reported beside it, not chosen."""
    choice = auto.choose(windows(), budget_s=600, choose_from=[f"cnn+{PEER}"], echo=lambda line: None)
    assert choice.winner.name == f"cnn+{PEER}"
    assert {s.name: s.status for s in choice.scored}["cnn"] == "not among the candidates asked for"
