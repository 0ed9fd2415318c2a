"""HAPT (`datasets.hapt`): its files read into recordings, labels matched by id, windows cut as UCI
HAR's were (`data windows`), and `data recordings` reading a RawData folder as it is."""

import numpy as np
import pytest

from harcnn.data.sensors import RATE
from harcnn.datasets import hapt
from harcnn.errors import HarcnnError
from helpers import cli, fails, synthetic


def test_unequal_acc_and_gyro_lengths_in_hapt_files(tmp_path):
    folder = tmp_path / "HAPT-RawData"
    folder.mkdir()
    (folder / "labels.txt").write_text("1 1 5 1 100\n")
    (folder / "activity_labels.txt").write_text("5 STANDING\n")
    (folder / "acc_exp01_user01.txt").write_text("0.1 0.2 0.9\n" * 120)
    (folder / "gyro_exp01_user01.txt").write_text("0.0 0.0 0.0\n" * 119)
    with pytest.raises(HarcnnError, match="acc_exp01_user01.txt has 120 samples but gyro_exp01_user01.txt has 119"):
        hapt.read(folder)
    (folder / "gyro_exp01_user01.txt").write_text("0.0 0.0 0.0\n" * 120)
    [rec] = hapt.read(folder)
    assert rec.subject == "01" and len(rec) == 120 and rec.labels[:100].tolist() == ["STANDING"] * 100 and rec.labels[100] == ""
    assert np.allclose(np.diff(rec.time), 1 / RATE)


def test_data_windows_command_cuts_labelled_hapt_windows(tmp_path):
    from typer.testing import CliRunner

    from harcnn.cli import app

    folder = tmp_path / "HAPT-RawData"
    folder.mkdir()
    rec = synthetic(1000)
    for user in (1, 2):
        np.savetxt(folder / f"acc_exp0{user}_user0{user}.txt", rec.acc, fmt="%.6f")
        np.savetxt(folder / f"gyro_exp0{user}_user0{user}.txt", rec.gyro, fmt="%.6f")
    (folder / "labels.txt").write_text("1 1 1 101 500\n1 1 7 501 560\n1 1 4 561 1000\n2 2 12 1 1000\n")
    (folder / "activity_labels.txt").write_text("".join(f"{i} C{i}\n" for i in range(1, 13)))
    out = tmp_path / "w.npz"
    result = CliRunner().invoke(app, ["data", "windows", str(folder), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with np.load(out) as z:
        assert z["X"].shape[1:] == (9, 128) and z["classes"].tolist()[11] == "C12"
        assert set(z["y"].tolist()) == {0, 3, 11} and set(z["subject"].tolist()) == {1, 2}
        assert "uci-har" in str(z["pipeline"])


# -- reliability round 4: reading, sizes, doubled data --------------------------------------------


def hapt_folder(root, labels_text):
    root.mkdir()
    rec = synthetic(1000)
    for kind, values in (("acc", rec.acc), ("gyro", rec.gyro)):
        (root / f"{kind}_exp01_user01.txt").write_text("\n".join(" ".join(f"{v:.6f}" for v in row) for row in values) + "\n")
    (root / "labels.txt").write_text("1 1 1 1 400\n1 1 4 401 1000\n")
    (root / "activity_labels.txt").write_text(labels_text)
    return root


def test_hapt_class_names_are_matched_by_id(monkeypatch, capsys, tmp_path):
    src = hapt_folder(tmp_path / "hapt", "1 WALKING\n2 WALKING_UPSTAIRS\n4 SITTING\n")  # no id 3
    assert cli(monkeypatch, capsys, "data", "windows", src, "--out", tmp_path / "w.npz")[0] == 0
    with np.load(tmp_path / "w.npz") as z:
        names = z["classes"][z["y"]]
    assert set(names.tolist()) == {"WALKING", "SITTING"}  # id 4 stays SITTING
    src = hapt_folder(tmp_path / "hapt2", "1 WALKING\n2 WALKING_UPSTAIRS\n")  # id 4 used but not named
    fails(monkeypatch, capsys, "uses activity id 4", "data", "windows", src, "--out", tmp_path / "w2.npz")


def test_data_recordings_reads_hapt_with_its_subject_numbers(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "RawData"
    folder.mkdir()
    for user in (3, 7, 12):
        rec = synthetic(2000, seed=user)
        np.savetxt(folder / f"acc_exp0{user % 10}_user{user:02d}.txt", rec.acc, fmt="%.6f")
        np.savetxt(folder / f"gyro_exp0{user % 10}_user{user:02d}.txt", rec.gyro, fmt="%.6f")
    labels = "".join(f"{user % 10} {user} 1 1 1000\n{user % 10} {user} 4 1001 2000\n" for user in (3, 7, 12))
    (folder / "labels.txt").write_text(labels)
    (folder / "activity_labels.txt").write_text("1 WALKING\n4 SITTING\n")
    (tmp_path / "other").mkdir()
    assert hapt.is_hapt(folder) and not hapt.is_hapt(tmp_path / "other")
    out = tmp_path / "d.npz"
    code, text = cli(monkeypatch, capsys, "data", "recordings", folder, "--out", out, "--test-subjects", "12")
    assert code == 0, text
    from harcnn.data.windows import load_npz

    ds = load_npz(out)
    assert sorted(set(ds.train.subject.tolist())) == [3, 7] and set(ds.test.subject.tolist()) == {12}
    assert ds.train.classes == ("SITTING", "WALKING")
    fails(monkeypatch, capsys, "read whole with its own layout", "data", "recordings", folder, "--out", out, "--pattern", "acc")
