"""A store's runs in MLflow (`report.tracking`): MLflow's own client lists every run once, with its
configuration, figures and learning curves, however often the export is repeated."""

import importlib.util

import pytest

from conftest import missing
from harcnn.experiments.store import Store
from helpers import SPEC, fails, invoke


@pytest.mark.slow  # a study of 10 tiny models, then MLflow's SQLite store: about 15 s
def test_mlflow_lists_every_run_once_with_its_configuration_figures_and_curves(monkeypatch, capsys, tiny_zip, tmp_path):
    if importlib.util.find_spec("mlflow") is None:
        missing('the MLflow export needs pip install "harcnn[mlflow]"')
    from mlflow.tracking import MlflowClient

    spec = tmp_path / "baseline.toml"
    spec.write_text(SPEC.replace("repeats = 2", "repeats = 10").replace("epochs = 1", "epochs = 2"))
    results = tmp_path / "results"
    monkeypatch.chdir(tmp_path)
    invoke("run", spec, "--data", tiny_zip, "--results", results, "--no-progress")
    assert "10 runs added" in invoke("runs", "export", "--results", results)
    assert "0 runs added" in invoke("runs", "export", "--results", results)  # again: nothing twice
    client = MlflowClient(f"sqlite:///{results / 'mlflow.db'}")
    logged = client.search_runs([client.get_experiment_by_name("baseline").experiment_id])
    with Store(results / "harcnn.db") as store:
        stored = {run.seed: run for run in store.runs("baseline")}
    assert sorted(int(r.data.params["seed"]) for r in logged) == sorted(stored) == list(range(10))
    for r in logged:
        run = stored[int(r.data.params["seed"])]
        assert r.data.params["hparams.filters"] == "4" and r.data.params["epochs"] == "2"
        assert r.data.metrics["test_accuracy"] == pytest.approx(run.accuracy)
        curve = [m.value for m in sorted(client.get_metric_history(r.info.run_id, "train_loss"), key=lambda m: m.step)]
        assert curve == pytest.approx(run.curves["train_loss"]) and len(curve) == 2
    assert (
        not (tmp_path / "mlruns").exists() and (results / "mlartifacts" / "baseline").is_dir()
    )  # artifacts beside the store, not in the working folder
    fails(monkeypatch, capsys, "no study 'other'", "runs", "export", "other", "--results", results)
