"""What a user sees while a study or a model trains: a bar that moves every epoch on a terminal,
with every executor's workers; no carriage returns in a log; `epoch k/N` with the N really
trained, and one note when min_steps raises it."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from helpers import cli, invoke

SPEC = 'model = "cnn"\nrepeats = 4\nepochs = 4\nbatch_size = 32\n[hparams]\nfilters = 64\n'


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("progress")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 1500)
    X = rng.normal(size=(1500, 9, 128)).astype(np.float32) + y[:, None, None]
    np.savez(root / "w.npz", X=X, y=y, subject=np.arange(1500) % 6)
    invoke("data", "import", root / "w.npz", "--out", root / "d.npz")
    (root / "s.toml").write_text(SPEC)
    return root


def harcnn_line(*args) -> str:
    return " ".join([sys.executable, "-m", "harcnn.cli", *map(str, args)])


@pytest.mark.slow
def test_the_bar_moves_every_epoch_with_worker_processes(data, tmp_path):
    command = harcnn_line("run", data / "s.toml", "--data", data / "d.npz", "--results", tmp_path / "r", "--workers", 2)
    shown = subprocess.run(
        ["script", "-qec", command, "/dev/null"], capture_output=True, text=True, timeout=300, env=os.environ | {"COLUMNS": "100"}
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    percents = {int(p) for p in re.findall(r"epochs of 4 seeds:\s+(\d+)%", shown.stdout)}
    assert any(0 < p < 100 for p in percents), shown.stdout  # seen between the start and the end, not only 0 and 100
    assert "member-epoch" not in shown.stdout


@pytest.mark.slow
def test_a_log_file_gets_plain_lines(data, tmp_path):
    log = tmp_path / "log"
    command = harcnn_line("run", data / "s.toml", "--data", data / "d.npz", "--results", tmp_path / "r", "--workers", 2, "--repeats", 2)
    with open(log, "w") as out:
        subprocess.run(command, shell=True, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=300)
    text = log.read_text()
    assert "\r" not in text and text.count(">[s] seed") == 2, text


def test_epochs_raised_by_min_steps_are_said_once_and_counted(monkeypatch, capsys, data, tmp_path):
    code, text = cli(
        monkeypatch, capsys, "train", data / "s.toml", "--data", data / "d.npz", "--out", tmp_path / "m",
        "--set", "epochs=1", "--set", "min_steps=60", "--set", "batch_size=64",
    )  # fmt: skip
    assert code == 0, text
    epochs = [tuple(map(int, m)) for m in re.findall(r"epoch (\d+)/(\d+):", text)]
    assert epochs == [(1, 4), (2, 4), (3, 4), (4, 4)], text  # 1125 training windows: 18 steps an epoch, 4 epochs for 60
    assert text.count("note: min_steps = 60: 4 epochs instead of 1") == 1, text


@pytest.mark.slow
def test_a_signal_to_the_parent_stops_the_study_and_says_how_to_resume(data, tmp_path):
    """SIGINT to the parent alone (a shell may have started it ignoring SIGINT); SIGTERM takes the same path."""
    import signal
    import time

    (tmp_path / "long.toml").write_text(SPEC.replace("epochs = 4", "epochs = 200"))
    command = [sys.executable, "-m", "harcnn.cli", "run", tmp_path / "long.toml", "--data", data / "d.npz", "--results", tmp_path / "r"]
    child = subprocess.Popen([*map(str, command), "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(15)  # the workers have started and are training
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=30)
    assert time.perf_counter() - sent < 5, out
    assert child.returncode == 130 and "runs of long are in" in out and "the same command resumes" in out, out
    assert "Traceback" not in out, out
