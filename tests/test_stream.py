"""Streaming prediction (`deploy.stream`): the header sets the column order, the timestamps the rate;
bad lines and options are one error line."""

import numpy as np
import pytest

from helpers import cli, fails, synthetic, write_csv


@pytest.mark.parametrize("smooth", [0, -1, 2, 10**9 + 1])
@pytest.mark.parametrize("stream", [False, True])
def test_smooth_is_checked_offline_and_streaming(monkeypatch, capsys, tmp_path, trained, smooth, stream):
    csv = write_csv(tmp_path / "phone.csv", synthetic(300))
    args = ["predict", trained, "--stream"] if stream else ["predict", trained, csv]
    fails(monkeypatch, capsys, "--smooth takes an odd number of windows from 1", *args, "--smooth", smooth, stdin="")


def stream_text(rec, header, columns, rate=50.0):
    t = np.arange(len(rec)) / rate
    values = {
        "timestamp": t,
        "ax": rec.acc[:, 0],
        "ay": rec.acc[:, 1],
        "az": rec.acc[:, 2],
        "gx": rec.gyro[:, 0],
        "gy": rec.gyro[:, 1],
        "gz": rec.gyro[:, 2],
    }
    lines = [",".join(f"{values[c][i]:.6f}" for c in columns) for i in range(len(rec))]
    return (",".join(columns) + "\n" if header else "") + "\n".join(lines) + "\n"


def test_stream_honours_the_header_order_and_the_rate(monkeypatch, capsys, trained):
    rec = synthetic(600)
    plain = cli(monkeypatch, capsys, "predict", trained, "--stream", stdin=stream_text(rec, False, ["ax", "ay", "az", "gx", "gy", "gz"]))
    shuffled = ["gz", "timestamp", "ay", "gx", "ax", "gy", "az"]
    reordered = cli(monkeypatch, capsys, "predict", trained, "--stream", stdin=stream_text(rec, True, shuffled))
    assert plain[0] == reordered[0] == 0 and plain[1] == reordered[1] and len(plain[1].splitlines()) == 8
    fails(
        monkeypatch,
        capsys,
        "the timestamps give 100 Hz",
        "predict",
        trained,
        "--stream",
        stdin=stream_text(rec, True, ["timestamp", "ax", "ay", "az", "gx", "gy", "gz"], 100.0),
    )
    fails(
        monkeypatch,
        capsys,
        "header lacks column(s) ['gz']",
        "predict",
        trained,
        "--stream",
        stdin="timestamp,ax,ay,az,gx,gy\n1,2,3,4,5,6\n",
    )


def test_a_stream_with_a_byte_order_mark_keeps_its_timestamps(monkeypatch, capsys, trained):
    text = stream_text(synthetic(600), True, ["timestamp", "ax", "ay", "az", "gx", "gy", "gz"], 100.0)
    fails(monkeypatch, capsys, "the timestamps give 100 Hz", "predict", trained, "--stream", stdin="\ufeff" + text)


def test_a_stream_line_that_never_ends_is_refused(monkeypatch, capsys, trained):
    fails(
        monkeypatch,
        capsys,
        "stdin line 2: longer than 4,096 characters",
        "predict",
        trained,
        "--stream",
        stdin="ax,ay,az,gx,gy,gz\n" + "1," * 10**6,
    )
