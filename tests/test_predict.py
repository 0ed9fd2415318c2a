"""Predictions on whole recordings (`deploy.predict`): units and time units recognised or declared,
recordings refused with why, outputs safe to open in a spreadsheet."""

import numpy as np
import pytest

from harcnn.cli import app
from helpers import cli, fails, invoke, runner, synthetic, write_csv


def phone_csv(path, t, a, g):
    rows = np.column_stack([t, a, g])
    path.write_text("timestamp,ax,ay,az,gx,gy,gz\n" + "\n".join(",".join(repr(float(v)) for v in r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(
    "change, note",
    [
        (lambda t, a, g: (t * 1000, a, g), None),
        (lambda t, a, g: (t * 1e9, a, g), None),
        (lambda t, a, g: (t, a * 9.80665, g), "acc in m/s^2, converted (the model's recordings were in g)"),
        (lambda t, a, g: (t, a * 1000, g), "acc in milli-g, converted"),
        (lambda t, a, g: (t, a, np.degrees(g)), "gyro in deg/s, converted"),
    ],
    ids=["ms", "ns", "m/s2", "milli-g", "deg/s"],
)
def test_recordings_in_other_time_units_and_units_predict_alike(monkeypatch, capsys, tmp_path, trained, change, note):
    rec = synthetic(1000)
    t = np.arange(1000) / 50.0
    code, plain = cli(monkeypatch, capsys, "predict", trained, phone_csv(tmp_path / "plain.csv", t, rec.acc, rec.gyro))
    code, text = cli(monkeypatch, capsys, "predict", trained, phone_csv(tmp_path / "phone.csv", *change(t, rec.acc, rec.gyro)))
    assert code == 0 and text.splitlines()[-15:] == plain.splitlines()[-15:], text
    assert (note in text) if note else ("note" not in text), text


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t, a, g: (t * 25, a, g), "no time unit (s, ms, us, ns) gives a sampling rate"),
        (lambda t, a, g: (t, a * 1e30, g), "line 2: ax is 1.2573e+27, beyond any acc sensor's range in any unit harcnn knows"),
        (lambda t, a, g: (t, a * 50, g), "is gravity in no unit harcnn knows (g, m/s^2, milli-g)"),
        (lambda t, a, g: (t, a, g * 1e6), "beyond any gyro sensor's range in any unit"),
        (lambda t, a, g: (t[:100], a[:100], g[:100]), "shorter than one window"),
    ],
    ids=["time", "1e30", "no-gravity", "1e6", "short"],
)
def test_recordings_refused_with_why(monkeypatch, capsys, tmp_path, trained, change, message):
    rec = synthetic(1000)
    fails(
        monkeypatch,
        capsys,
        message,
        "predict",
        trained,
        phone_csv(tmp_path / "phone.csv", *change(np.arange(1000) / 50.0, rec.acc, rec.gyro)),
    )


def test_recording_csv_as_spreadsheets_write_it(monkeypatch, capsys, tmp_path, trained):
    """A byte-order mark, trailing commas, blank lines: read as the user meant; a NaN at its own line number."""
    rec = synthetic(300)
    plain = write_csv(tmp_path / "plain.csv", rec)
    code, expected = cli(monkeypatch, capsys, "predict", trained, plain)
    assert code == 0, expected
    lines = plain.read_text().splitlines()
    excel = tmp_path / "excel.csv"
    excel.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(line + "," for line in lines).encode() + b"\r\n")
    code, text = cli(monkeypatch, capsys, "predict", trained, excel)
    assert code == 0 and text.replace("excel.csv", "plain.csv") == expected, text
    header_only = tmp_path / "header.csv"
    header_only.write_text(lines[0] + "\n")
    fails(monkeypatch, capsys, "holds 0 sample line(s) after its header", "predict", trained, header_only)
    gappy = tmp_path / "gappy.csv"
    body = lines[1:]
    body[100] = ",".join(["nan"] * 7)
    gappy.write_text("\n".join([lines[0], "", ""] + body) + "\n")  # header, two blank lines: row 100 is line 104
    fails(monkeypatch, capsys, "line 104 holds NaN", "predict", trained, gappy)


def test_predict_takes_the_time_unit_its_errors_suggest(monkeypatch, capsys, tmp_path, trained):
    rec = synthetic(1000)
    path = phone_csv(tmp_path / "p.csv", np.arange(1000) * 0.5, rec.acc, rec.gyro)  # 2 Hz in seconds, 2000 Hz in ms: neither
    text = fails(monkeypatch, capsys, "give the unit (--time-unit)", "predict", trained, path)
    code, out = cli(monkeypatch, capsys, "predict", trained, path, "--time-unit", "ms", "--help")
    assert code == 0 and "--time-unit" in out, text


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
