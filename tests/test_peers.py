"""The peers (aeon's MiniRocket, Hydra, MultiRocket-Hydra) go through the same runner, store, tables and report as the CNNs."""

import importlib.util

import pytest
from typer.testing import CliRunner

from conftest import missing
from harcnn.cli import app
from harcnn.experiments.store import Store


@pytest.mark.slow
@pytest.mark.parametrize("peer", ["minirocket", "hydra", "multirocket-hydra", "quant"])
def test_a_peer_beside_a_cnn_in_one_study(tiny_zip, tmp_path, peer):
    if importlib.util.find_spec("aeon") is None:
        missing('the minirocket baseline needs aeon: pip install "harcnn[rocket]"')
    spec = tmp_path / "side.toml"
    spec.write_text(f'repeats = 2\nepochs = 1\nbatch_size = 8\n[grid]\nmodel = ["cnn", "{peer}"]\n')
    runner = CliRunner()
    results = tmp_path / "r"
    out = runner.invoke(
        app, ["run", str(spec), "--data", str(tiny_zip), "--results", str(results), "--no-progress"], catch_exceptions=False
    )
    assert out.exit_code == 0, out.output
    assert f"model={peer}" in out.output and "model=cnn" in out.output
    with Store(results / "harcnn.db") as store:
        rocket = [r for r in store.runs("side") if r.config["model"] == peer]
    assert len(rocket) == 2 and all(r.wall_s > 0 and r.ensemble_size == 1 for r in rocket)
    # seed 0's run, whichever worker stored it first; twice chance: the tiny set differs by a shift, which Hydra's
    # zero-mean kernels barely see
    assert next(r for r in rocket if r.seed == 0).accuracy > 2 / 6
    report = runner.invoke(app, ["report", "--data", str(tiny_zip), "--results", str(results)], catch_exceptions=False)
    assert report.exit_code == 0, report.output


def test_the_peers_names_in_choices_are_the_registered_peers():
    """`choices.PEER_NAMES` (what `join` takes, importable before torch) names the registry's peers, in its order."""
    from harcnn.choices import PEER_NAMES
    from harcnn.models import PEERS

    assert PEER_NAMES == tuple(PEERS)
