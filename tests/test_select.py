"""Selection uses training subjects only: the test split scores the refit once and chooses nothing."""

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from harcnn.cli import app
from harcnn.data.resolve import load_dataset
from harcnn.errors import HarcnnError
from harcnn.experiments.select import REFIT_SEED_OFFSET, select
from harcnn.experiments.spec import load_spec
from harcnn.experiments.store import Store

GRID = 'model = "cnn"\nrepeats = 2\nepochs = 2\nbatch_size = 8\nvalidation_subjects = 1\n[hparams]\ndense = 8\n[grid]\nfilters = [2, 8]\n'


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID)
    return load_spec(path)


@pytest.mark.slow
def test_permuting_the_test_labels_changes_nothing_that_is_chosen(spec, tiny_zip, tmp_path):
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
            assert all(r.config["validation_subjects"] == 0 for r in refit)
    assert outcomes[0] == outcomes[1]  # the choice, and the validation figures it was made from


def test_select_needs_validation_subjects(tmp_path, tiny_zip):
    path = tmp_path / "novalidation.toml"
    path.write_text(GRID.replace("validation_subjects = 1\n", ""))
    with Store(tmp_path / "s.db") as store, pytest.raises(HarcnnError, match="selection needs validation_subjects > 0"):
        select(load_spec(path), load_dataset(str(tiny_zip)), store, tmp_path / "ck", progress=False)


@pytest.mark.slow
def test_select_command(spec, tiny_zip, tmp_path):
    result = CliRunner().invoke(app, ["select", str(spec.path), "--data", str(tiny_zip), "--results", str(tmp_path / "r"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "ranked by mean validation accuracy" in result.output and "chosen: [filters=" in result.output
    assert "test accuracy of the refit" in result.output and "ensembles:" in result.output
