"""A store's runs in MLflow and TensorBoard (`report.tracking`): each tool's own reader lists every
run once, with its configuration, figures and learning curves, however often the export is repeated."""

import importlib.util
import shutil

import pytest

from conftest import missing
from harcnn.experiments.store import Store
from helpers import SPEC, fails, invoke


@pytest.fixture(scope="module")
def baseline(tiny_template, tmp_path_factory):
    """A results folder holding a baseline study of 10 tiny models (2 epochs each): about 10 s."""
    root = tmp_path_factory.mktemp("tracking")
    data = root / "UCI HAR Dataset.zip"
    shutil.copyfile(tiny_template[1], data)
    spec = root / "baseline.toml"
    spec.write_text(SPEC.replace("repeats = 2", "repeats = 10").replace("epochs = 1", "epochs = 2"))
    invoke("run", spec, "--data", data, "--results", root / "results", "--no-progress")
    with Store(root / "results" / "harcnn.db") as store:
        return root / "results", {run.seed: run for run in store.runs("baseline")}


@pytest.mark.slow  # the baseline study, then MLflow's SQLite store: about 15 s
def test_mlflow_lists_every_run_once_with_its_configuration_figures_and_curves(monkeypatch, capsys, baseline, tmp_path):
    if importlib.util.find_spec("mlflow") is None:
        missing('the MLflow export needs pip install "harcnn[mlflow]"')
    from mlflow.tracking import MlflowClient

    source, stored = baseline
    results = tmp_path / "results"
    shutil.copytree(source, results)
    monkeypatch.chdir(tmp_path)
    assert "10 runs added" in invoke("runs", "export", "--results", results)
    assert "0 runs added" in invoke("runs", "export", "--results", results)  # again: nothing twice
    client = MlflowClient(f"sqlite:///{results / 'mlflow.db'}")
    logged = client.search_runs([client.get_experiment_by_name("baseline").experiment_id])
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


@pytest.mark.slow  # the baseline study, then reading 10 runs' event files back: about 12 s
def test_tensorboard_reads_every_run_once_with_its_hparams_figures_and_curves(baseline, tmp_path):
    if importlib.util.find_spec("tensorboard") is None:
        missing('the TensorBoard export needs pip install "harcnn[tensorboard]"')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    source, stored = baseline
    logdir = tmp_path / "tb"
    assert "10 runs added" in invoke("runs", "export", "--to", "tensorboard", "--uri", logdir, "--results", source)
    assert "0 runs added" in invoke("runs", "export", "--to", "tensorboard", "--uri", logdir, "--results", source)
    folders = sorted((logdir / "baseline").iterdir())
    assert len(folders) == 10 and not list(logdir.rglob("*.partial"))
    seen = []
    for folder in folders:
        events = EventAccumulator(str(folder))
        events.Reload()
        session = plugin_data_pb2.HParamsPluginData.FromString(events.PluginTagToContent("hparams")["_hparams_/session_start_info"])
        hparams = session.session_start_info.hparams
        run = stored[int(hparams["seed"].number_value)]
        seen.append(run.seed)
        assert hparams["hparams.filters"].number_value == 4 and hparams["epochs"].number_value == 2
        assert events.Scalars("test_accuracy")[0].value == pytest.approx(run.accuracy)
        curve = [e.value for e in events.Scalars("train_loss")]
        assert curve == pytest.approx(run.curves["train_loss"]) and [e.step for e in events.Scalars("train_loss")] == [1, 2]
    assert sorted(seen) == list(range(10))
