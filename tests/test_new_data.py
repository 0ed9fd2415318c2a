"""Use on new data: import your own windows, predict on raw recordings (file and stream), export ONNX."""

import json

import numpy as np
import pytest

from harcnn.cli import app
from harcnn.data.importer import import_windows
from harcnn.data.options import SubjectSplit
from harcnn.data.resolve import load_dataset
from harcnn.errors import HarcnnError
from helpers import cli, invoke, runner, synthetic, write_csv


def own_npz(tmp_path, c=4, t=40, n=60, classes=("idle", "shake", "spin")):
    rng = np.random.default_rng(0)
    y = (np.arange(n) // 6) % len(classes)  # subject i % 6 has every class
    X = rng.normal(0, 1, (n, c, t)).astype(np.float32) + y[:, None, None]
    path = tmp_path / "mine.npz"
    np.savez(path, X=X, y=np.array(classes)[y], subject=np.arange(n) % 6, channels=np.array([f"s{i}" for i in range(c)]))
    return path


def test_a_rotating_recipe_trains_on_channels_without_xyz_with_a_note(tmp_path, monkeypatch, capsys):
    data = tmp_path / "mine-dataset.npz"
    invoke("data", "import", own_npz(tmp_path, c=1, n=36), "--out", data, "--test-subjects", "0")
    spec = tmp_path / "rotating.toml"
    spec.write_text('model = "cnn"\nepochs = 1\nbatch_size = 8\nrotate = 30.0\nscale = 0.2\n[hparams]\nfilters = 4\ndense = 8\n')
    code, out = cli(monkeypatch, capsys, "train", spec, "--data", data, "--out", tmp_path / "model")
    assert code == 0 and "Traceback" not in out, out
    assert "note: rotate = 30 turns x/y/z channel triplets (names ending _x, _y, _z), and the channels ['s0'] have none" in out
    assert "test accuracy" in out


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


def test_import_long_csv(tmp_path):
    path = tmp_path / "long.csv"
    lines = ["window,step,ax,ay,label,subject"]
    for w in range(8):
        for step in range(5):
            lines.append(f"w{w},{step},{w + step},{-step},{'a' if w % 2 else 'b'},{w % 4}")
    path.write_text("\n".join(lines) + "\n")
    ds = import_windows(path, test=SubjectSplit(("0",)))
    assert ds.train.X.shape == (6, 2, 5) and ds.test.X.shape == (2, 2, 5)
    assert ds.train.channels == ("ax", "ay") and ds.train.classes == ("a", "b")
    np.testing.assert_array_equal(ds.test.X[0, 0], [0, 1, 2, 3, 4])
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(HarcnnError, match="different numbers of steps"):
        import_windows(path)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"X": np.zeros((4, 2)), "y": np.zeros(4, int)}, r"X must be \(windows, channels, steps\)"),
        ({"X": np.zeros((4, 2, 5)), "y": np.zeros(3, int)}, r"4 windows but 3 labels"),
        ({"X": np.full((4, 2, 5), np.nan), "y": np.zeros(4, int)}, r"window 0 holds NaN"),
        (
            {"X": np.zeros((4, 2, 5)), "y": np.array([0, 1, 2, 5]), "classes": np.array(["a", "b", "c"])},
            r"label 5 at window 3 is not an index",
        ),
        ({"X": np.zeros((4, 2, 5)), "y": np.array(["a", "b", "a", "z"]), "classes": np.array(["a", "b"])}, r"unknown label 'z'"),
        ({"X": np.zeros((4, 2, 5))}, r"missing array 'y'"),
    ],
)
def test_import_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(HarcnnError, match=message):
        import_windows(path)


@pytest.fixture
def uci_model(tiny_zip, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('model = "cnn"\nepochs = 1\nbatch_size = 8\nstandardize = true\n[hparams]\nfilters = 4\n')
    invoke("train", spec, "--data", tiny_zip, "--out", tmp_path / "model")
    return tmp_path / "model"


def test_predict_recording_file_and_stream(uci_model, tmp_path):
    rec = synthetic(1000)
    csv = write_csv(tmp_path / "phone.csv", rec)
    invoke("predict", uci_model, csv, "--out", tmp_path / "preds.csv", "--smooth", 3)
    rows = (tmp_path / "preds.csv").read_text().splitlines()
    assert rows[0].startswith("start_s,end_s,activity,p_WALKING") and len(rows) == 1 + 14
    assert rows[1].split(",")[:2] == ["0.00", "2.56"] and rows[2].split(",")[:2] == ["1.28", "3.84"]
    probabilities = np.array([[float(v) for v in r.split(",")[3:]] for r in rows[1:]])
    assert np.allclose(probabilities.sum(1), 1, atol=1e-3)
    samples = "ax,ay,az,gx,gy,gz\n" + "\n".join(",".join(f"{v:.6f}" for v in np.r_[a, g]) for a, g in zip(rec.acc, rec.gyro)) + "\n"
    out = invoke("predict", uci_model, "--stream", input=samples).splitlines()
    assert len(out) == 14 and out[0].startswith("0.00,2.56,") and out[1].startswith("1.28,3.84,")
    result = runner.invoke(app, ["predict", str(uci_model), "--stream"], input="1,2,3\n")
    assert result.exit_code != 0 and "stdin line 1: expected 6 numbers" in str(result.exception)


@pytest.mark.slow
def test_onnx_matches_pytorch_on_real_windows(real_dataset, tmp_path):
    """A single model and a 2-member ensemble, with the standardisation folded into the graph."""
    from harcnn import HARClassifier
    from harcnn.deploy.onnx import export_onnx, onnx_predict

    train = real_dataset.train.take(np.arange(0, 7352, 8))
    for name, members in (("cnn", 1), ("multihead", 2)):
        clf = HARClassifier(name, epochs=1, members=members, standardize=True).fit_windows(train)
        X = real_dataset.test.X[:500]
        path = export_onnx(clf, tmp_path / name / "model.onnx")
        assert np.abs(onnx_predict(path, X) - clf.predict_proba(X)).max() < 1e-4
