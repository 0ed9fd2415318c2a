"""Selection uses training subjects only: the test split scores the refit once and chooses nothing."""

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from harcnn.cli import app
from harcnn.data.resolve import load_dataset
from harcnn.data.splits import subject_folds
from harcnn.errors import HarcnnError
from harcnn.experiments.runner import plan
from harcnn.experiments.select import REFIT_SEED_OFFSET, select
from harcnn.experiments.spec import load_spec
from harcnn.experiments.store import Store
from harcnn.experiments.units import prepare

GRID = 'model = "cnn"\nrepeats = 2\nepochs = 2\nbatch_size = 8\nvalidation_subjects = 1\n[hparams]\ndense = 8\n[grid]\nfilters = [2, 8]\n'


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID)
    return load_spec(path)


@pytest.mark.slow
@pytest.mark.parametrize("validation", ["validation_subjects = 1", "cv_folds = 2"])
def test_permuting_the_test_labels_changes_nothing_that_is_chosen(validation, tiny_zip, tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID.replace("validation_subjects = 1", validation))
    spec = load_spec(path)
    ds = load_dataset(str(tiny_zip))
    shuffled_test = replace(ds.test, y=np.random.default_rng(1).permutation(ds.test.y))
    shuffled = replace(ds, test=shuffled_test, sha256="0" * 64)
    outcomes = []
    for name, data in (("real", ds), ("shuffled", shuffled)):
        with Store(tmp_path / f"{name}.db") as store:
            ranking, refit = select(spec, data, store, tmp_path / "ck", progress=False)
            outcomes.append(
                ([c.config.label for c in ranking], [c.validation.tolist() for c in ranking], [c.test.tolist() for c in ranking])
            )
            assert store.selection(spec.name, data.sha256)["label"] == ranking[0].config.label
            assert {r.seed for r in refit} == {REFIT_SEED_OFFSET, REFIT_SEED_OFFSET + 1}
            assert all(r.config["validation_subjects"] == 0 and "cv_folds" not in r.config for r in refit)
    assert outcomes[0] == outcomes[1]  # the choice, and the validation figures it was made from


def test_select_needs_validation_subjects(tmp_path, tiny_zip):
    path = tmp_path / "novalidation.toml"
    path.write_text(GRID.replace("validation_subjects = 1\n", ""))
    with Store(tmp_path / "s.db") as store, pytest.raises(HarcnnError, match="selection needs validation_subjects or cv_folds"):
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
    units = plan(spec.name, [(config, list(spec.seeds))], load_dataset(str(tiny_zip)).train)
    assert sorted(u.seeds for u in units) == [[0, 3], [1, 4], [2, 5]]
    ds = load_dataset(str(tiny_zip))
    held = [set(np.unique(prepare(config, ds, fold).validation.subject).tolist()) for fold in range(3)]
    assert held == [set(f.tolist()) for f in subject_folds(ds.train.subject, 3)]
    assert set().union(*held) == set(np.unique(ds.train.subject).tolist())
    for fold in range(3):
        p = prepare(config, ds, fold)
        assert not set(np.unique(p.train.subject)) & set(np.unique(p.validation.subject))


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
