"""The Python API's inputs, checked before use (reliability round 4): a string where a list is
expected is one item, never its characters; `predict_recording` takes a Recording's columns by name;
a model never saves what `load` refuses; teachers, protocols and datasets' pipelines are compared."""

import json
from dataclasses import replace

import numpy as np
import pytest

import harcnn
from harcnn.data.recording_windows import load_recordings
from harcnn.deploy.predict import predict_recording
from harcnn.errors import HarcnnError, HarcnnWarning
from helpers import fails, synthetic

FAST = dict(epochs=2, batch_size=16, filters=4, dense=8)


@pytest.fixture(scope="module")
def phones(tmp_path_factory):
    """Four subjects' phone recordings (g, rad/s declared by --units), walking then still."""
    root = tmp_path_factory.mktemp("phones")
    for i, subject in enumerate(("s1", "s2", "s3", "s4")):
        rec = synthetic(1500, seed=i)
        t = np.arange(len(rec)) / rec.rate
        label = np.where(t < 15, "walk", "still")
        acc = np.where((t < 15)[:, None], rec.acc, [0.0, 0.0, 1.0] + rec.acc * 0.01)
        rows = [f"{ti:.2f}," + ",".join(f"{v:.5f}" for v in (*a, *g)) + f",{y},{subject}" for ti, a, g, y in zip(t, acc, rec.gyro, label)]
        (root / f"{subject}.csv").write_text("timestamp,ax,ay,az,gx,gy,gz,label,subject\n" + "\n".join(rows) + "\n")
    return root


def test_one_path_subject_channel_or_text_units_are_lists_of_one(phones):
    ds = load_recordings(str(phones), test_subjects="s4", units="acc=g,gyro=rad/s")
    assert load_recordings(phones, test_subjects=["s4"], units={"acc": "g", "gyro": "rad/s"}).sha256 == ds.sha256
    assert [ds.subject_name(int(s)) for s in np.unique(ds.test.subject)] == ["s4"]
    with pytest.raises(HarcnnError, match=r"lacks channel column\(s\) \['ax,ay,az'\]"):
        load_recordings(phones, channels="ax,ay,az", units="acc=g")
    with pytest.raises(HarcnnError, match="sources must be a list, or one path or name, got int"):
        load_recordings(3)
    with pytest.raises(HarcnnError, match="--units 'acc': give KEY=VALUE pairs"):
        load_recordings(phones, units="acc")


@pytest.fixture(scope="module")
def model(phones):
    ds = load_recordings([phones], test_subjects=["s4"], units={"acc": "g", "gyro": "rad/s"})
    return harcnn.HARClassifier(**FAST).fit_windows(ds.train), ds


def test_a_recording_is_read_by_column_name(model, phones):
    from harcnn.data.recordings import read_sources

    clf, _ = model
    [rec] = read_sources([phones / "s4.csv"])
    by_file = predict_recording(clf, phones / "s4.csv")
    order = [5, 2, 0, 4, 1, 3]  # the same columns, permuted
    permuted = replace(rec, values=rec.values[:, order], channels=tuple(rec.channels[i] for i in order))
    assert np.allclose(predict_recording(clf, permuted).proba, by_file.proba, atol=1e-6)
    with pytest.raises(HarcnnError, match=r"has no column\(s\) \['gz'\]"):
        predict_recording(clf, replace(rec, values=rec.values[:, :5], channels=rec.channels[:5], units=rec.units[:5]))
    with pytest.raises(HarcnnError, match="'gx' is gyro; its unit must be one of"):
        predict_recording(clf, rec.with_units(("g",) * 3 + ("furlong/s",) * 3))
    with pytest.raises(HarcnnError, match="give recording files .* got ndarray"):
        predict_recording(clf, rec.values)


def test_a_model_of_some_channels_saves_what_load_reads(model, tmp_path):
    clf, ds = model
    keep = ds.train.channels[:3]
    subset = replace(ds.train, X=ds.train.X[:, :3], channels=keep)
    harcnn.HARClassifier(**FAST).fit_windows(subset).save(tmp_path / "m")
    loaded = harcnn.load(tmp_path / "m")
    assert loaded.pipeline_.channels == keep and loaded.pipeline_.units == ("g",) * 3
    with pytest.raises(HarcnnError, match="channel names must be distinct"):
        harcnn.HARClassifier(**FAST).fit(ds.train.X, ds.train.y, channels=["a"] * 6)
    with pytest.raises(HarcnnError, match="X: Complex data not supported") as error:
        harcnn.HARClassifier(**FAST).fit(ds.train.X.astype(np.complex64), ds.train.y)
    assert len(str(error.value)) < 80


def test_uci_har_channels_alone_save_without_a_pipeline(tmp_path):
    from harcnn.data.pipeline import UCI_HAR
    from harcnn.data.windows import WindowSet

    rng = np.random.default_rng(0)
    nine = WindowSet(
        rng.normal(size=(32, 9, 128)).astype(np.float32), np.arange(32) % 2, np.arange(32) % 4, UCI_HAR.output_channels, ("a", "b"), UCI_HAR
    )
    three = replace(nine, X=nine.X[:, 6:], channels=nine.channels[6:])
    with pytest.warns(HarcnnWarning, match="the model will predict on windows, not on recordings"):
        harcnn.HARClassifier(**FAST).fit_windows(three).save(tmp_path / "m")
    assert harcnn.load(tmp_path / "m").pipeline_ is None


def test_a_teacher_of_other_windows_is_refused(model, phones):
    clf, ds = model
    other = load_recordings([phones], test_subjects=["s4"], units={"acc": "g", "gyro": "rad/s"}, rate=25, window=5.12)
    assert other.train.X.shape[1:] == ds.train.X.shape[1:]  # the same shape: 128 steps, cut at another rate
    with pytest.raises(HarcnnError, match="teacher: its windows were cut as 50 Hz.*the training windows as 25 Hz"):
        harcnn.HARClassifier(**FAST).fit_windows(other.train, teacher=clf)


def test_test_folds_in_a_single_fit_is_refused(monkeypatch, capsys, tmp_path, model):
    with pytest.raises(HarcnnError, match="test_folds: holding test folds out is a study's protocol"):
        harcnn.HARClassifier(**FAST, test_folds=4).fit(model[1].train.X[:8], np.arange(8) % 2)
    spec = tmp_path / "s.toml"
    spec.write_text('model = "cnn"\nepochs = 1\n')
    fails(monkeypatch, capsys, "--set test_folds=0", "train", spec, "--set", "test_folds=2", "--out", tmp_path / "m", "--data", "x.npz")
    assert not (tmp_path / "m").exists()


def test_a_dataset_whose_pipeline_cuts_other_windows_is_refused(tmp_path, model):
    from harcnn.data.importer import import_windows

    _, ds = model
    pipeline = json.dumps(ds.train.pipeline.to_json())
    np.savez(
        tmp_path / "w.npz",
        X=ds.train.X[:, :, :32],
        y=ds.train.y,
        subject=ds.train.subject,
        channels=np.array(ds.train.channels),
        pipeline=np.array(pipeline),
    )
    with pytest.raises(HarcnnError, match="its pipeline makes windows of channels .* and 128 steps, its windows have .* and 32 steps"):
        import_windows(tmp_path / "w.npz")


def test_a_model_json_with_devices_its_channels_do_not_name_is_refused(model, tmp_path):
    clf, _ = model
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["pipeline"]["devices"] = ["sp", "sw"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(HarcnnError, match="pipeline: channel 'ax' is no device's; joined channels are named device:column"):
        harcnn.load(tmp_path / "m")


def test_json_nested_too_deep_is_one_error(tmp_path, model):
    clf, _ = model
    clf.save(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(HarcnnError, match="model.json: nested too deeply"):
        harcnn.load(tmp_path / "m")
