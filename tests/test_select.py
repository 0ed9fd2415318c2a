"""Selection uses training subjects only: the test split scores the refit once and chooses nothing."""

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from harcnn.cli import app
from harcnn.data.importer import import_windows
from harcnn.data.options import SubjectSplit
from harcnn.data.resolve import load_dataset
from harcnn.data.splits import subject_folds
from harcnn.data.windows import Dataset
from harcnn.errors import HarcnnError
from harcnn.experiments.jobs import prepare
from harcnn.experiments.runner import plan
from harcnn.experiments.select import REFIT_SEED_OFFSET, Candidate, choose, select
from harcnn.experiments.spec import load_spec
from harcnn.experiments.store import Store

GRID = 'model = "cnn"\nrepeats = 2\nepochs = 2\nbatch_size = 8\nvalidation_subjects = 1\n[hparams]\ndense = 8\n[grid]\nfilters = [2, 8]\n'


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID)
    return load_spec(path)


LEARNS = 'model = "cnn"\nrepeats = 2\nepochs = 4\nbatch_size = 16\nstandardize = true\n{validation}\n[hparams]\nfilters = 8\ndense = 16\n[grid]\nlr = [3e-3, 1e-7]\n'


def learnable(tmp_path) -> Dataset:
    """Three classes any CNN tells apart (a class's windows oscillate at its own frequency), every
    subject holding all three: validation and test accuracy measure learning."""
    rng = np.random.default_rng(0)
    y = np.arange(360) % 3
    t = np.arange(32) / 32
    X = np.sin(2 * np.pi * (1 + 2 * y)[:, None, None] * t + rng.uniform(0, 6, (360, 2, 1))) + rng.normal(0, 0.3, (360, 2, 32))
    np.savez(tmp_path / "w.npz", X=X, y=np.array(["a", "b", "c"])[y], subject=(np.arange(360) // 3) % 12)
    return import_windows(tmp_path / "w.npz", test=SubjectSplit(("9", "10", "11")))


@pytest.mark.slow
@pytest.mark.parametrize("validation", ["validation_subjects = 3", "cv_folds = 2"])
def test_test_data_reaches_no_choice(validation, tmp_path):
    """The test windows made noisier and their labels turned round (the models that learn score
    far below chance on them, the one that does not stays at chance): a choice that looked at them
    would flip. Nothing about it changes: the ranking, the validation figures, the winner."""
    path = tmp_path / "grid.toml"
    path.write_text(LEARNS.format(validation=validation))
    spec = load_spec(path)
    ds = learnable(tmp_path)
    noise = np.random.default_rng(1).normal(0, 0.1, ds.test.X.shape).astype(np.float32)
    turned = replace(ds.test, X=ds.test.X + noise, y=(ds.test.y + 1) % 3)
    perturbed = replace(ds, test=turned, sha256="0" * 64)
    outcomes = []
    for name, data in (("real", ds), ("perturbed", perturbed)):
        with Store(tmp_path / f"{name}.db") as store:
            ranking, refit = select(spec, data, store, tmp_path / "ck", progress=False)
            outcomes.append(([c.config.label for c in ranking], [c.validation.tolist() for c in ranking]))
            assert all(c.test is None for c in ranking)  # not scored on the test split at all
            assert store.runs(spec.name + "-candidates-test") == [] and store.runs(spec.name) == []
            assert store.selection(spec.name, data.sha256)["label"] == ranking[0].config.label
            assert {r.seed for r in refit} == {REFIT_SEED_OFFSET, REFIT_SEED_OFFSET + 1}
            assert all(r.config["validation_subjects"] == 0 and "cv_folds" not in r.config for r in refit)
            refit_accuracy = np.mean([r.accuracy for r in refit])
            assert (refit_accuracy > 0.8) if name == "real" else (refit_accuracy < 0.2)  # the refit is the one test figure
    assert outcomes[0] == outcomes[1]  # the choice, and the validation figures it was made from
    assert outcomes[0][0][0] == "lr=0.003" and np.mean(outcomes[0][1][0]) > 0.5 > 0.45 > np.mean(outcomes[0][1][1])  # learns; chance is 1/3


@pytest.mark.slow
def test_show_test_scores_the_candidates_apart(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(LEARNS.format(validation="validation_subjects = 3"))
    spec, ds = load_spec(path), learnable(tmp_path)
    with Store(tmp_path / "s.db") as store:
        plain, _ = select(spec, ds, store, tmp_path / "ck", progress=False)
        shown, _ = select(spec, ds, store, tmp_path / "ck", progress=False, show_test=True)
        tested = store.runs(spec.name + "-candidates-test")
    assert [c.validation.tolist() for c in plain] == [c.validation.tolist() for c in shown]
    assert len(tested) == 4 and all(c.test is not None and len(c.test) == 2 for c in shown)
    assert summary_has_test(shown) and not summary_has_test(plain)


def summary_has_test(ranking) -> bool:
    from harcnn.report.text import selection_summary

    return "test % (asked for, not used)" in selection_summary("s", "m", ranking, ranking[0].config.label, [ranking_run()])


def ranking_run():
    from harcnn.experiments.store import Run

    return Run("s", "k", "l", {}, 0, "d", 0.5, 0.5, {}, [], {}, 1.0, "v", "t")


def test_select_needs_validation_subjects(tmp_path, tiny_zip):
    path = tmp_path / "novalidation.toml"
    path.write_text(GRID.replace("validation_subjects = 1\n", ""))
    with Store(tmp_path / "s.db") as store, pytest.raises(HarcnnError, match="selection needs validation_subjects or cv_folds"):
        select(load_spec(path), load_dataset(str(tiny_zip)), store, tmp_path / "ck", progress=False)


def test_select_refuses_a_joined_cnn(tmp_path, tiny_zip):
    """Its parts are weighed on the validation subjects selection would score it on."""
    path = tmp_path / "joined.toml"
    path.write_text(GRID.replace("validation_subjects = 1\n", 'validation_subjects = 1\njoin = ["minirocket"]\n'))
    with Store(tmp_path / "s.db") as store, pytest.raises(HarcnnError, match="join .* weighs its parts on the validation subjects"):
        select(load_spec(path), load_dataset(str(tiny_zip)), store, tmp_path / "ck", progress=False)


@pytest.mark.slow
def test_select_command(spec, tiny_zip, tmp_path):
    result = CliRunner().invoke(app, ["select", str(spec.path), "--data", str(tiny_zip), "--results", str(tmp_path / "r"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "ranked by mean validation accuracy" in result.output and "chosen: [filters=" in result.output
    assert "test accuracy of the refit" in result.output and "ensembles:" in result.output


def test_cross_validation_folds_hold_out_every_subject_once():
    subjects = np.repeat(np.arange(1, 22), 3)
    folds = subject_folds(subjects, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(1, 22))
    assert sorted(len(f) for f in folds) == [4, 4, 4, 4, 5]
    assert [f.tolist() for f in folds] == [f.tolist() for f in subject_folds(subjects[::-1], 5)]  # by subject, not by order


def test_each_population_trains_on_one_fold(tmp_path, tiny_zip):
    path = tmp_path / "cv.toml"
    path.write_text(GRID.replace("validation_subjects = 1", "cv_folds = 3").replace("repeats = 2", "repeats = 6"))
    spec = load_spec(path)
    config = spec.configs[0]
    jobs = plan(spec.name, [(config, list(spec.seeds))], load_dataset(str(tiny_zip)).train)
    assert sorted(u.seeds for u in jobs) == [[0, 3], [1, 4], [2, 5]]
    ds = load_dataset(str(tiny_zip))
    held = [set(np.unique(prepare(config, ds, fold).validation.subject).tolist()) for fold in range(3)]
    assert held == [set(f.tolist()) for f in subject_folds(ds.train.subject, 3)]
    assert set().union(*held) == set(np.unique(ds.train.subject).tolist())
    for fold in range(3):
        p = prepare(config, ds, fold)
        assert not set(np.unique(p.train.subject)) & set(np.unique(p.validation.subject))


def test_a_split_seed_deals_validation_and_test_subjects_afresh(tmp_path, tiny_zip):
    """split_seed 0 is the fixed split every stored run used (same configuration key); another seed deals other
    subjects into the validation folds and the test folds alike."""
    path = tmp_path / "cv.toml"
    path.write_text(GRID.replace("validation_subjects = 1", "cv_folds = 3").replace("repeats = 2", "repeats = 6"))
    config = load_spec(path).configs[0]
    fresh = replace(config, split_seed=1)
    assert replace(config, split_seed=0).key == config.key != fresh.key
    ds = load_dataset(str(tiny_zip))
    held = [np.unique(prepare(fresh, ds, fold).validation.subject).tolist() for fold in range(3)]
    assert held == [f.tolist() for f in subject_folds(ds.train.subject, 3, 1)] != [f.tolist() for f in subject_folds(ds.train.subject, 3)]
    tested = [replace(config, cv_folds=0, test_folds=3, split_seed=seed) for seed in (0, 1)]
    pooled = ds.train.concat(ds.test).subject
    for c, seed in zip(tested, (0, 1), strict=True):
        assert [np.unique(prepare(c, ds, fold).test.subject).tolist() for fold in range(3)] == [
            f.tolist() for f in subject_folds(pooled, 3, seed)
        ]


@pytest.mark.parametrize(
    "settings, problem",
    [
        ("cv_folds = 2\nvalidation_subjects = 1", "either cv_folds or validation_subjects"),
        ("cv_folds = 1", "cv_folds: must be a whole number from 0 to 10000, not 1"),
        ("cv_folds = 3", "repeats: must be a multiple of cv_folds"),
    ],
)
def test_bad_cross_validation_settings(tmp_path, settings, problem):
    path = tmp_path / "cv.toml"
    path.write_text(GRID.replace("validation_subjects = 1", settings))
    with pytest.raises(HarcnnError, match=problem):
        load_spec(path)


def test_more_folds_than_subjects_fails_before_training(tmp_path, tiny_zip):
    path = tmp_path / "cv.toml"
    path.write_text(GRID.replace("validation_subjects = 1", "cv_folds = 4").replace("repeats = 2", "repeats = 4"))
    with Store(tmp_path / "s.db") as store, pytest.raises(HarcnnError, match="cv_folds = 4, but the training split has 3 subjects"):
        select(load_spec(path), load_dataset(str(tiny_zip)), store, tmp_path / "ck", progress=False)
    with Store(tmp_path / "s.db") as store:
        assert store.runs("grid") == []


@pytest.mark.parametrize(
    "rule, validation, chosen",
    [
        ("best", {"cheap": [0.90, 0.92], "dear": [0.92, 0.94]}, "dear"),
        ("one-se", {"cheap": [0.92, 0.93], "dear": [0.92, 0.94]}, "cheap"),  # the leader 0.93, its standard error 0.01
        ("one-se", {"cheap": [0.90, 0.92], "dear": [0.92, 0.94]}, "dear"),  # 0.91 < 0.93 - 0.01
        ("one-se", {"cheap": [0.95, 0.96], "dear": [0.92, 0.94]}, "cheap"),  # the leader itself
    ],
)
def test_choose_rules(tmp_path, rule, validation, chosen):
    path = tmp_path / "cost.toml"
    path.write_text(f'choose = "{rule}"\nvalidation_subjects = 2\n[grid]\nfilters = [8, 16]\n')
    spec = load_spec(path)
    labels = dict(zip(["cheap", "dear"], spec.configs))
    ranking = sorted((Candidate(labels[k], np.array(v), None) for k, v in validation.items()), key=lambda c: -c.validation.mean())
    assert choose(spec, ranking) is labels[chosen]


def test_choose_must_be_a_known_rule(tmp_path):
    path = tmp_path / "cost.toml"
    path.write_text('choose = "cheapest"\n')
    with pytest.raises(HarcnnError, match="choose: must be one of"):
        load_spec(path)
