"""Studies on worker processes and on a local Ray instance land the same runs in the store."""

import pytest
from typer.testing import CliRunner

from harcnn.cli import app
from harcnn.experiments.store import Store

runner = CliRunner()


@pytest.fixture
def grid_spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('model = "cnn"\nrepeats = 2\nepochs = 1\nbatch_size = 8\n[hparams]\ndense = 8\n[grid]\nfilters = [4, 6]\n')
    return path


def run_cli(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def runs_by_key(db):
    with Store(db) as store:
        return {(r.label, r.seed): r.accuracy for r in store.runs("grid")}


@pytest.mark.slow
def test_worker_processes_give_the_same_runs_as_one_process(tiny_zip, grid_spec, tmp_path):
    run_cli("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "one", "--no-progress")
    run_cli("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "two", "--workers", 2, "--no-progress")
    one, two = runs_by_key(tmp_path / "one" / "harcnn.db"), runs_by_key(tmp_path / "two" / "harcnn.db")
    assert len(one) == 4 and one.keys() == two.keys()
    for key in one:
        assert one[key] == pytest.approx(two[key], abs=1e-9)


@pytest.mark.ray
@pytest.mark.slow
def test_ray_executor_on_a_local_instance(tiny_zip, grid_spec, tmp_path):
    out = run_cli("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "ray", "--executor", "ray", "--workers", 2, "--no-progress")
    assert "filters=4" in out
    assert len(runs_by_key(tmp_path / "ray" / "harcnn.db")) == 4
