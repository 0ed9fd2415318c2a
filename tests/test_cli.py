"""The command line end to end on a tiny dataset: run (and resume), train, evaluate, data info."""

import csv
import json

import numpy as np
import pytest

from harcnn import load
from harcnn.cli import app
from harcnn.data.resolve import load_dataset
from harcnn.experiments.store import Store
from helpers import SPEC, fails, invoke, own_npz, runner


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(
        'model = "cnn"\nrepeats = 3\nepochs = 2\nbatch_size = 8\n[hparams]\nfilters = 4\ndense = 8\n[grid]\nstandardize = [false, true]\n'
    )
    return path


@pytest.mark.slow
def test_run_writes_results_and_resumes_without_duplicates(tiny_zip, spec, tmp_path):
    results = tmp_path / "results"
    out = invoke("run", spec, "--data", tiny_zip, "--results", results, "--repeats", 2, "--no-progress")
    assert "standardize=False" in out and "p Welch" in out
    with Store(results / "harcnn.db") as store:
        assert len(store.runs("tiny")) == 4
    out = invoke("run", spec, "--data", tiny_zip, "--results", results, "--no-progress")
    assert "4 runs already in" in out
    with Store(results / "harcnn.db") as store:
        runs = store.runs("tiny")
    assert sorted((r.label, r.seed) for r in runs) == sorted((f"standardize={s}", k) for s in (False, True) for k in range(3))
    assert (results / "tiny" / "boxplot.png").stat().st_size > 1000
    rows = (results / "tiny" / "runs.csv").read_text().splitlines()
    assert len(rows) == 7 and rows[0].startswith("study,label,seed,accuracy")
    run = json.loads((results / "tiny" / "runs.json").read_text())[0]
    assert len(run["curves"]["train_loss"]) == 2 and run["data_sha256"] and run["torch_version"]


@pytest.mark.slow
def test_report_tables_and_html(tiny_zip, spec, tmp_path):
    results = tmp_path / "results"
    invoke("run", spec, "--data", tiny_zip, "--results", results, "--repeats", 3, "--no-progress")
    (results / "tiny" / "runs.csv").unlink()
    out = invoke("report", "--data", tiny_zip, "--results", results)
    assert "tiny: test accuracy" in out and "p MWU" in out and "ref" in out
    rows = list(csv.DictReader((results / "tiny" / "runs.csv").open()))  # written again by report
    assert len(rows) == 6 and {r["ensemble_size"] for r in rows} == {"3"}
    assert all(0 <= float(r["ensemble_accuracy"]) <= 1 and r["val_accuracy"] == "" for r in rows)  # no subjects held out
    page = (results / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 6 and "Per-class F1" in page and "Conv1d" in page
    for name in ("inputs.png", "tiny-boxplot.png", "tiny-curves.png", "tiny-f1.png", "tiny-confusion-0.png"):
        assert (results / "figures" / name).stat().st_size > 1000
    result = runner.invoke(app, ["report", "nosuch", "--results", str(results)])
    assert result.exit_code != 0 and "no runs of study 'nosuch'" in str(result.exception)


@pytest.mark.slow
def test_train_save_reload_predicts_identically_and_evaluate(tiny_zip, spec, tmp_path):
    model_dir = tmp_path / "model"
    out = invoke("train", spec, "--data", tiny_zip, "--out", model_dir, "--config", "standardize=True")
    assert "saved" in out
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["model"] == "cnn" and meta["hparams"] == {"filters": 4, "dense": 8}
    assert meta["channels"][0] == "total_acc_x" and meta["classes"][5] == "LAYING"
    assert len(meta["transform"]["standardize"]["mean"]) == 9 and meta["data"]["sha256"]
    from harcnn.data.resolve import load_dataset

    X = load_dataset(str(tiny_zip)).test.X
    first, second = load(model_dir), load(model_dir)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert np.allclose(first.predict_proba(X).sum(1), 1, atol=1e-5)
    out = invoke("evaluate", model_dir, "--data", tiny_zip)
    assert "macro-F1" in out and "confusion matrix" in out and "WALKING_UPSTAIRS" in out
    assert (model_dir / "confusion.png").is_file() and json.loads((model_dir / "metrics.json").read_text())["confusion"]


def test_errors_are_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    import sys

    from harcnn.cli import main

    monkeypatch.setattr(sys, "argv", ["harcnn", "data", "info", "--data", str(tmp_path / "missing.zip")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "missing.zip: no such file or folder" in err and "Traceback" not in err


def test_data_fetch_then_info(tiny_zip):
    invoke("data", "fetch", "--from", tiny_zip)
    out = invoke("data", "info")
    assert "WALKING" in out and "train subjects (3): 1, 3, 5" in out and "content differs" in out


@pytest.mark.slow  # a fresh interpreter: 2 s
def test_the_cli_runs_as_a_module():
    """`python -m harcnn.cli`, as the benchmarks time it in a child process of the same environment."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "harcnn.cli", "models"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "resnet:" in done.stdout


def test_train_checks_its_output_and_options_before_training(monkeypatch, capsys, tmp_path, tiny_zip):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    existing = tmp_path / "a-file"
    existing.write_text("mine")
    fails(monkeypatch, capsys, "is a file; give a folder", "train", spec, "--data", tiny_zip, "--out", existing)
    assert existing.read_text() == "mine"
    base = ["train", spec, "--data", tiny_zip, "--out", tmp_path / "m"]
    fails(monkeypatch, capsys, "random_state: must be a whole number", *base, "--seed", 2**64)
    fails(monkeypatch, capsys, "members: must be a whole number from 1", *base, "--members", 0)
    rocket = tmp_path / "r.toml"
    rocket.write_text('model = "minirocket"\nrepeats = 1\n')
    fails(monkeypatch, capsys, "'minirocket' is a peer (aeon)", "train", rocket, "--data", tiny_zip, "--out", tmp_path / "m")
    huge = tmp_path / "h.toml"
    huge.write_text('model = "resnet"\nrepeats = 1\nbatch_size = 65536\n[hparams]\nfilters = 65536\n')
    fails(monkeypatch, capsys, "GiB", "train", huge, "--data", tiny_zip, "--out", tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_import_npz_and_every_command_works_on_it(tmp_path):
    src = own_npz(tmp_path)
    data = tmp_path / "mine-dataset.npz"
    out = invoke("data", "import", src, "--out", data, "--test-subjects", "0,3")
    assert "40 training and 20 test windows of 4 channels x 40 steps, 3 classes" in out
    ds = load_dataset(str(data))
    assert ds.train.classes == ("idle", "shake", "spin") and ds.train.channels == ("s0", "s1", "s2", "s3")
    assert not set(ds.train.subject.tolist()) & set(ds.test.subject.tolist())
    spec = tmp_path / "mine.toml"
    spec.write_text('model = "multihead"\nrepeats = 2\nepochs = 2\nbatch_size = 8\n[hparams]\nkernels = [3, 5]\nfilters = 4\n')
    results = tmp_path / "results"
    invoke("run", spec, "--data", data, "--results", results, "--no-progress")
    invoke("report", "--data", data, "--results", results)
    invoke("train", spec, "--data", data, "--out", tmp_path / "model")
    assert "shake" in invoke("evaluate", tmp_path / "model", "--data", data)
    invoke("export", tmp_path / "model", "--data", data)
    assert json.loads((tmp_path / "model" / "model.onnx.json").read_text())["classes"] == ["idle", "shake", "spin"]
    spec.write_text('model = "cnn"\n[hparams]\nkernel = 30\n')
    result = runner.invoke(app, ["run", str(spec), "--data", str(data), "--results", str(results)])
    assert result.exit_code != 0 and "too short" in str(result.exception)


COMMANDS_REFUSING = {  # each command, given input it must refuse: (arguments, what the one error line says)
    "models": (["--pretrained-of", "x"], "No such option"),
    "run": (["{missing}.toml"], "no such spec file"),
    "select": (["{missing}.toml"], "no such spec file"),
    "report": (["--results", "{missing}"], "no results"),
    "train": (["{missing}.toml", "--out", "{tmp}/m"], "no such spec file"),
    "evaluate": (["{missing}"], "not a harcnn model folder"),
    "predict": (["{missing}", "r.csv"], "not a harcnn model folder"),
    "export": (["{missing}", "--out", "{tmp}/m.onnx"], "not a harcnn model folder"),
    "data fetch": (["--from", "{missing}"], "{missing}"),
    "data info": (["--data", "{missing}.npz"], "{missing}"),
    "data sample": (["--out", "{tmp}/s.txt"], ".csv"),
    "data import": (["{missing}.npz", "--out", "{tmp}/d.npz"], "no such file"),
    "data windows": (["{missing}", "--out", "{tmp}/w.npz"], "{missing}"),
    "data recordings": (["{missing}", "--out", "{tmp}/d.npz"], "{missing}"),
}


@pytest.mark.parametrize("command", list(COMMANDS_REFUSING))
def test_every_command_refuses_bad_input_in_one_error_line(monkeypatch, capsys, tmp_path, command):
    """The CLI's contract, command by command: exit status 2, one line that starts with `error:`, no
    traceback (the checks themselves are tested where they are made)."""
    args, message = COMMANDS_REFUSING[command]
    fill = {"missing": str(tmp_path / "missing"), "tmp": str(tmp_path)}
    fails(monkeypatch, capsys, message.format(**fill), *command.split(), *(a.format(**fill) for a in args))
