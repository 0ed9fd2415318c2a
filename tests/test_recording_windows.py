"""Your own recordings end to end with CLI commands only: recordings to windows, a study with
subject folds, a trained model that carries its pipeline, predictions with a timeline; and the
guards on the way."""

import json
from pathlib import Path

import numpy as np
import pytest

from harcnn.datasets import geotec
from harcnn.experiments.store import Store
from helpers import cli, fails, invoke

GEOTEC = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "GeoTec-sp-sw-har-dataset.zip"
TINY = 'model = "cnn"\nrepeats = {repeats}\nepochs = {epochs}\nbatch_size = 16\nstandardize = true\n[hparams]\nfilters = 8\ndense = 16\nkernel = 3\n'


def wristband(folder: Path, subjects=("m1", "f2", "m3", "f4"), rate=25.0, seconds=40, seed=0) -> Path:
    """An accelerometer-only wrist band at 25 Hz, in g, timestamps in milliseconds: one long CSV per
    subject with its subject and trial columns; 'shake' is a 3 Hz oscillation, 'rest' is still."""
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    for subject in subjects:
        n = int(seconds * rate)
        t = np.arange(n) / rate
        label = np.where((t // 10) % 2 == 0, "rest", "shake")
        motion = np.where(label == "shake", 0.6 * np.sin(2 * np.pi * 3 * t), 0.0)
        acc = np.c_[motion, 0.2 * motion, 1 + 0.1 * motion] + rng.normal(0, 0.02, (n, 3))
        lines = ["timestamp,acc_x,acc_y,acc_z,label,subject,recording"]
        lines += [f"{1.7e12 + 1000 * ti:.0f},{a:.5f},{b:.5f},{c:.5f},{y},{subject},{subject}-1" for ti, (a, b, c), y in zip(t, acc, label)]
        (folder / f"{subject}.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.slow  # cut, train and predict end to end: 5 s
def test_another_device_from_files_to_model_to_predictions(monkeypatch, capsys, tmp_path):
    """Accelerometer only, another rate, text subject ids: recordings -> windows -> study with
    subject folds -> trained model -> predictions on a new recording, with its timeline."""
    band = wristband(tmp_path / "band")
    data = tmp_path / "band.npz"
    out = invoke("data", "recordings", band, "--out", data, "--window", 2, "--overlap", 0.5, "--rate", 25, "--test-subjects", "f4")
    assert "from 4 recording(s) of 4 subjects" in out and "acc_x (g -> g)" in out and "25 Hz, windows of 50 samples (2 s)" in out
    assert "test: 39 of f4" in out
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY.format(repeats=4, epochs=3))
    code, text = cli(
        monkeypatch, capsys, "run", spec, "--data", data, "--results", tmp_path / "r", "--set", "test_folds=4", "--no-progress"
    )
    assert code == 0, text
    with Store(tmp_path / "r" / "harcnn.db") as store:
        runs = store.runs("tiny")
    tested = [set(r.per_subject) for r in runs]
    assert [len(s) for s in tested] == [1, 1, 1, 1] and set.union(*tested) == {"1", "2", "3", "4"}  # each fold one subject, all covered
    assert np.mean([r.accuracy for r in runs]) > 0.8  # a model that learns: shaking is easy
    assert "(4)" in text  # the spread across the 4 test subjects beside the spread across folds
    model = tmp_path / "model"
    invoke("train", spec, "--data", data, "--out", model)
    invoke("export", model)
    exported = json.loads((model / "model.onnx.json").read_text())["pipeline"]
    assert exported["rate"] == 25 and exported["channels"] == ["acc_x", "acc_y", "acc_z"] and exported["window"] == 50
    report = invoke("evaluate", model, "--data", data)
    assert "per test subject (1)" in report and "f4" in report
    new = wristband(tmp_path / "new", subjects=("x9",), seed=5) / "x9.csv"
    out = invoke("predict", model, new, "--plot", tmp_path / "timeline.png", "--out", tmp_path / "p.csv")
    assert "as the recording labels them" in out and (tmp_path / "timeline.png").stat().st_size > 10_000
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "start_s,end_s,activity,p_rest,p_shake,label" and rows[1].startswith("0.00,2.00,")
    correct = np.mean([r.split(",")[2] == r.split(",")[-1] for r in rows[1:]])
    assert correct > 0.8
    samples = "\n".join(",".join(line.split(",")[1:4]) for line in new.read_text().splitlines()[1:]) + "\n"
    streamed = invoke("predict", model, "--stream", input=samples).splitlines()
    assert len(streamed) == len(rows) - 1 and streamed[1].startswith("1.00,3.00,")


@pytest.mark.parametrize(
    "edit, args, message",
    [
        (lambda t: t.replace(",label", ",kind"), [], "column 'kind' holds 'rest', not a number"),
        (lambda t: t.replace(",label", ",kind"), ["--channels", "acc_x,acc_y,acc_z"], "no labels: give a label column"),
        (lambda t: t.replace(",subject,", ",person,"), ["--channels", "acc_x,acc_y,acc_z"], "no subject: give a subject column"),
        (lambda t: t, ["--units", "acc=furlongs"], "its unit must be one of ['g', 'm/s^2', 'milli-g']"),
        (lambda t: t, ["--units", "acc"], "give KEY=VALUE pairs"),
        (lambda t: t, ["--window", 0.01], "windows need 2 samples or more"),
        (lambda t: t, ["--overlap", 1], "--overlap must be in [0, 1)"),
        (lambda t: t, ["--pattern", "(?P<who>m1)"], "group 'who' means nothing to harcnn"),
        (lambda t: t, ["--labels", "vote"], "'vote' is not one of 'majority', 'centre', 'drop'"),
        (lambda t: t, ["--filter", "uci-har"], "filter 'uci-har' needs one device's three accelerometer then three gyroscope"),
        (lambda t: t, ["--test-subjects", "zz"], "test subject(s) ['zz'] not in the data"),
        (lambda t: t.replace(",rest,", ",0.25,").replace(",shake,", ",1.75,"), [], "the labels look like a continuous target"),
        (lambda t: t.replace(",shake,", ",rest,"), [], "the training split holds one class ('rest')"),
    ],
    ids=[
        "text-channel",
        "no-label",
        "no-subject",
        "unit",
        "units-syntax",
        "window",
        "overlap",
        "group",
        "policy",
        "filter",
        "test-subject",
        "continuous",
        "one-class",
    ],
)
def test_recordings_guards(monkeypatch, capsys, tmp_path, edit, args, message):
    band = wristband(tmp_path / "band")
    for f in band.iterdir():
        f.write_text(edit(f.read_text()))
    fails(monkeypatch, capsys, message, "data", "recordings", band, "--out", tmp_path / "d.npz", *args)
    assert not (tmp_path / "d.npz").exists()


def test_units_that_cannot_be_told_are_one_error(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "still"
    folder.mkdir()
    t = np.arange(500) / 50
    rows = [f"{ti:.3f},0,0,1,0.01,0.02,0.01,rest,s1" for ti in t]
    (folder / "r.csv").write_text("timestamp,ax,ay,az,gx,gy,gz,label,subject\n" + "\n".join(rows) + "\n")
    fails(monkeypatch, capsys, "cannot tell the units of gyro channel 'gx' from the signal (the device turns too little",
          "data", "recordings", folder, "--out", tmp_path / "d.npz")  # fmt: skip


def test_a_joined_trial_needs_every_device(monkeypatch, capsys, tmp_path):
    band = wristband(tmp_path / "band", subjects=("m1", "f2"))
    (band / "m1.csv").rename(band / "m1_sp.csv")
    (band / "f2.csv").rename(band / "f2_sw.csv")
    fails(monkeypatch, capsys, "has no 'sp' file to join", "data", "recordings", band, "--out", tmp_path / "d.npz",
          "--pattern", r"(?P<device>sp|sw)\.csv$")  # fmt: skip


def test_models_without_a_pipeline_say_why_they_cannot_read_recordings(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "w.npz", X=rng.normal(size=(24, 2, 16)), y=np.arange(24) % 2, subject=np.arange(24) % 4)
    invoke("data", "import", tmp_path / "w.npz", "--out", tmp_path / "d.npz")
    spec = tmp_path / "s.toml"
    spec.write_text(TINY.format(repeats=1, epochs=1))
    invoke("train", spec, "--data", tmp_path / "d.npz", "--out", tmp_path / "m")
    band = wristband(tmp_path / "band", subjects=("m1",)) / "m1.csv"
    fails(monkeypatch, capsys, "records no pipeline to cut new recordings with", "predict", tmp_path / "m", band)


def test_test_folds_rules(monkeypatch, capsys, tmp_path, tiny_zip):
    spec = tmp_path / "s.toml"
    spec.write_text(TINY.format(repeats=3, epochs=1))
    fails(monkeypatch, capsys, "must be a multiple of test_folds (2)", "run", spec, "--data", tiny_zip, "--set", "test_folds=2")
    fails(
        monkeypatch,
        capsys,
        "test_folds: cross-validation inside test folds",
        "run",
        spec,
        "--data",
        tiny_zip,
        "--set",
        "test_folds=3",
        "--set",
        "cv_folds=3",
    )
    fails(
        monkeypatch,
        capsys,
        "test_folds = 999, but the dataset has",
        "run",
        spec,
        "--data",
        tiny_zip,
        "--set",
        "test_folds=999",
        "--repeats",
        999,
    )
    spec.write_text(TINY.format(repeats=2, epochs=1).replace("[hparams]", "validation_subjects = 1\n[hparams]"))
    fails(monkeypatch, capsys, "selection chooses on the training split only", "select", spec, "--data", tiny_zip, "--set", "test_folds=2")


@pytest.mark.slow  # real recordings cut, a model trained: 1 s each
@pytest.mark.skipif(not GEOTEC.is_file(), reason="GeoTec zip not in ../shared/data")
@pytest.mark.parametrize("device", ["phone", "watch"])
def test_geotec_phone_and_watch_models_predict_held_out_recordings(tmp_path, device):
    """Real recordings: four subjects' files of one device, a model, and a held-out recording of a fifth."""
    data = tmp_path / "g.npz"
    pattern = geotec.pattern(device, subjects="s0[1-4]")
    out = invoke(
        "data", "recordings", GEOTEC, "--pattern", pattern, "--window", 1, "--overlap", 0.5, "--out", data, "--test-subjects", "s04"
    )
    assert "x_acc (m/s^2 -> g)" in out and "x_gyro (rad/s -> rad/s)" in out
    spec = tmp_path / "s.toml"
    spec.write_text(TINY.format(repeats=1, epochs=8))
    invoke("train", spec, "--data", data, "--out", tmp_path / "m")
    import zipfile

    with zipfile.ZipFile(GEOTEC) as z:
        recording = tmp_path / f"s05_01_{geotec.DEVICES[device]}.csv"
        recording.write_bytes(z.read(f"sp-sw-har-dataset/DATA/s05/{recording.name}"))
    out = invoke("predict", tmp_path / "m", recording, "--plot", tmp_path / "t.png")
    accuracy = float(out.split("; ")[-1].split("%")[0])
    assert accuracy > 40, out  # five classes: chance is 20 %


def test_windows_gathered_beyond_the_expected_count_are_all_kept_in_order():
    """`cut` sizes one buffer for the most windows the recordings' spans allow; should more come, it
    grows, and the windows come back as if joined at the end."""
    from harcnn.data.cut import Gathered

    parts = [np.full((k, 1, 3), i, np.float32) for i, k in enumerate([1, 3, 0, 2])]
    gathered = Gathered(2, (1, 3))
    for part in parts:
        gathered.add(part)
    np.testing.assert_array_equal(gathered.array(), np.concatenate(parts))
    assert gathered.filled == 6
