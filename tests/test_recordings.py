"""Raw recordings (HAPT files, CSV) and the raw-signal preprocessing."""

import numpy as np
import pytest

from harcnn.data.preprocess import RATE, Stream, channels, resample, window_labels, windows
from harcnn.data.recordings import Recording, Segment, read_csv, read_hapt
from harcnn.errors import HarcnnError


def synthetic(n=1000, rate=50.0, seed=0) -> Recording:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    acc = np.stack([np.sin(2 * np.pi * 2 * t), np.cos(2 * np.pi * 1.5 * t), 1 + 0.1 * np.sin(t)], 1) + rng.normal(0, 0.01, (n, 3))
    gyro = rng.normal(0, 0.1, (n, 3))
    return Recording("synthetic", acc, gyro, rate, 1, (Segment(1, 100, 500), Segment(7, 500, 560), Segment(4, 560, 1000)))


def write_csv(path, rec: Recording, header="timestamp,ax,ay,az,gx,gy,gz"):
    t = np.arange(len(rec)) / rec.rate
    rows = np.column_stack([t, rec.acc, rec.gyro])
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    return path


def test_channels_shapes_and_body_is_total_minus_gravity():
    rec = synthetic()
    x = channels(rec)
    assert x.shape == (1000, 9)
    # gravity (~1 g on z) goes to total_acc and stays out of body_acc once the filter has settled
    assert abs(x[500:, 2].mean() - 1) < 0.05 and abs(x[500:, 5].mean()) < 0.05
    w, starts = windows(x)
    assert w.shape == (14, 9, 128) and starts.tolist() == list(range(0, 14 * 64, 64))


def test_stream_equals_offline_one_sample_later():
    """Causal median = centred median one sample later; the Butterworths are the same forward filters."""
    rec = synthetic(2000)
    offline = channels(rec)
    stream = Stream(RATE)
    got = []
    for chunk in np.array_split(np.arange(2000), 37):  # uneven chunks
        got += stream.push(rec.acc[chunk], rec.gyro[chunk])
    assert [s for s, _ in got] == list(range(0, 2000 - 127, 64))
    start, window = got[5]
    np.testing.assert_allclose(window[:, 1:], offline[start : start + 127].T, atol=2e-3)


def test_resample_to_50_hz():
    rec = synthetic(2000, rate=100.0)
    assert resample(rec.acc, 100.0).shape == (1000, 3)
    assert channels(rec).shape == (1000, 9)


def test_window_labels_majority_and_full_cover():
    rec = synthetic()
    starts = np.array([0, 64, 128, 448, 512, 576])
    assert window_labels(rec, starts).tolist() == [0, 1, 1, 0, 4, 4]  # 448: no segment covers half
    assert window_labels(rec, starts, min_cover=1.0).tolist() == [0, 0, 1, 0, 0, 4]


def test_csv_round_trip_and_errors(tmp_path):
    rec = synthetic(300)
    back = read_csv(write_csv(tmp_path / "r.csv", rec))
    assert back.rate == pytest.approx(50.0) and np.allclose(back.acc, rec.acc, atol=1e-5)
    with pytest.raises(HarcnnError, match=r"header lacks column\(s\) \['gz'\]"):
        read_csv(write_csv(tmp_path / "h.csv", rec, header="timestamp,ax,ay,az,gx,gy,gyro_z"))
    bad = tmp_path / "order.csv"
    lines = (tmp_path / "r.csv").read_text().splitlines()
    lines[5], lines[6] = lines[6], lines[5]
    bad.write_text("\n".join(lines))
    with pytest.raises(HarcnnError, match=r"line 7: timestamps must increase strictly \(0.1 then 0.08\)"):
        read_csv(bad)
    gap = tmp_path / "gap.csv"
    gap.write_text("\n".join((tmp_path / "r.csv").read_text().splitlines()[:50] + (tmp_path / "r.csv").read_text().splitlines()[60:]))
    with pytest.raises(HarcnnError, match="line 51: gap of 0.220 s"):
        read_csv(gap)
    short = tmp_path / "short.csv"
    short.write_text("timestamp,ax,ay,az,gx,gy,gz\n0,1,2,3,4,5\n")
    with pytest.raises(HarcnnError, match="line 2 has 6 fields"):
        read_csv(short)


def test_unequal_acc_and_gyro_lengths_in_hapt_files(tmp_path):
    folder = tmp_path / "HAPT-RawData"
    folder.mkdir()
    (folder / "labels.txt").write_text("1 1 5 1 100\n")
    (folder / "acc_exp01_user01.txt").write_text("0.1 0.2 0.9\n" * 120)
    (folder / "gyro_exp01_user01.txt").write_text("0.0 0.0 0.0\n" * 119)
    with pytest.raises(HarcnnError, match="acc_exp01_user01.txt has 120 samples but gyro_exp01_user01.txt has 119"):
        read_hapt(folder)
    (folder / "gyro_exp01_user01.txt").write_text("0.0 0.0 0.0\n" * 120)
    [rec] = read_hapt(folder)
    assert rec.subject == 1 and rec.segments == (Segment(5, 0, 100),) and len(rec) == 120


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
