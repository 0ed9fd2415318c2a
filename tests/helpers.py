"""Helpers the test modules share: the command line, run two ways; a synthetic phone recording."""

import io
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from typer.testing import CliRunner

from harcnn.cli import app, main
from harcnn.data.recordings import Recording
from harcnn.errors import HarcnnError

runner = CliRunner()


def invoke(*args, input: str | None = None) -> str:
    """`harcnn ARGS` through Typer's runner, which must succeed; its output."""
    result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cli(monkeypatch, capsys, *args, stdin: str | None = None) -> tuple[int, str]:
    """`harcnn ARGS` as the console script runs it (one-line errors, exit status 2); (status, stderr + stdout)."""
    monkeypatch.setattr(sys, "argv", ["harcnn", *map(str, args)])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out = capsys.readouterr()
    return code, out.err + out.out


def fails(monkeypatch, capsys, message: str, *args, stdin: str | None = None) -> str:
    """`cli` that must end in exactly one error line holding `message`, and no traceback."""
    code, text = cli(monkeypatch, capsys, *args, stdin=stdin)
    assert code == 2, text
    assert "Traceback" not in text and message in text, text
    assert len([line for line in text.splitlines() if line.startswith("error:")]) == 1, text
    return text


def refuses(message: str, function, *args, **kwargs) -> str:
    """`function(*args, **kwargs)` must refuse with a `HarcnnError` holding `message`: bad input tested
    where it is refused (the CLI turns the same error into one line, `fails`)."""
    try:
        function(*args, **kwargs)
    except HarcnnError as e:
        assert message in str(e), str(e)
        return str(e)
    raise AssertionError(f"{getattr(function, '__name__', function)} accepted what it should refuse ({message!r})")


@dataclass
class Phone:
    """A synthetic phone recording: acc (g, gravity included) and gyro (rad/s) at `rate`."""

    acc: np.ndarray
    gyro: np.ndarray
    rate: float

    def __len__(self) -> int:
        return len(self.acc)

    def recording(self, labels=None) -> Recording:
        t = np.arange(len(self)) / self.rate
        return Recording("phone", t, np.c_[self.acc, self.gyro], ("ax", "ay", "az", "gx", "gy", "gz"), ("",) * 6, labels, "1")


def synthetic(n=1000, rate=50.0, seed=0, turn=1.0) -> Phone:
    """A phone that tilts back and forth (up to about 0.15 rad, scaled by `turn`) and turns about its z
    axis while it shakes at 2 Hz: its gyroscope is the rotation that turns gravity in its
    accelerometer, as a real device's is, so the units of both can be recognised."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    omega = turn * np.stack(
        [0.38 * np.cos(2 * np.pi * 0.4 * t), 0.19 * np.cos(2 * np.pi * 0.3 * t + 1), 0.3 * np.sin(2 * np.pi * 0.2 * t)], 1
    )  # rad/s, in the phone's frame
    gravity = np.empty((n, 3))
    orientation = Rotation.identity()
    for k in range(n):
        gravity[k] = orientation.inv().apply([0.0, 0.0, 1.0])
        orientation = orientation * Rotation.from_rotvec(omega[k] / rate)
    shake = np.stack([0.5 * np.sin(2 * np.pi * 2 * t), 0.3 * np.cos(2 * np.pi * 1.5 * t), 0.05 * np.sin(t)], 1)
    return Phone(gravity + shake + rng.normal(0, 0.01, (n, 3)), omega + rng.normal(0, 0.01, (n, 3)), rate)


def write_csv(path, rec: Phone, header="timestamp,ax,ay,az,gx,gy,gz"):
    t = np.arange(len(rec)) / rec.rate
    rows = np.column_stack([t, rec.acc, rec.gyro])
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    return path


def tiny_uci_model(root):
    """A one-epoch model of UCI HAR's nine channels (its pipeline: it reads phone recordings), trained on a small synthetic UCI HAR folder."""
    from conftest import write_uci_folder, zip_folder
    from harcnn import HARClassifier
    from harcnn.data.resolve import load_dataset

    ds = load_dataset(str(zip_folder(write_uci_folder(root / "uci"), root / "u.zip")))
    return HARClassifier(epochs=1, batch_size=8, filters=4, dense=8, standardize=True).fit_windows(ds.train).save(root / "model")


def make_run(seed, study="s", key="k", accuracy=0.9):
    """A stored run of one seed, for the store's and the tables' tests."""
    from harcnn.experiments.store import Run

    return Run(
        study=study,
        config_key=key,
        label="base",
        config={"epochs": 1},
        seed=seed,
        data_sha256="d",
        accuracy=accuracy,
        macro_f1=0.8,
        per_class={"A": {"f1": 0.5}},
        confusion=[[1, 0], [0, 1]],
        curves={"train_loss": [1.0]},
        wall_s=1.0,
        harcnn_version="0",
        torch_version="0",
    )


# a spec small enough to train in a blink: one epoch of a 4-filter CNN
SPEC = 'model = "cnn"\nrepeats = 2\nepochs = 1\nbatch_size = 8\n[hparams]\nfilters = 4\ndense = 8\n'


def windows_npz(path, X=None, y=None, subject=None, seed=0):
    """Twelve random windows of three classes and four subjects as a users' NPZ (X, y, subject)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, 2, 16)) if X is None else X
    np.savez(path, X=X, y=np.array(["a", "b", "c"] * 4) if y is None else y, subject=np.arange(12) % 4 if subject is None else subject)
    return path


NAMES = np.array(["run", "sit", "walk"])
SMALL_FIT = dict(epochs=4, batch_size=16, lr=3e-3, filters=8, dense=16)  # a fit that learns in a second


def named_windows(n=120, c=3, t=32, seed=0):
    """Separable windows: class k shifts every channel by k; 6 subjects."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.normal(0, 0.5, (n, c, t)) + y[:, None, None]).astype(np.float32)
    return X, NAMES[y], np.arange(n) % 6


def own_npz(tmp_path, c=4, t=40, n=60, classes=("idle", "shake", "spin")):
    rng = np.random.default_rng(0)
    y = (np.arange(n) // 6) % len(classes)  # subject i % 6 has every class
    X = rng.normal(0, 1, (n, c, t)).astype(np.float32) + y[:, None, None]
    path = tmp_path / "mine.npz"
    np.savez(path, X=X, y=np.array(classes)[y], subject=np.arange(n) % 6, channels=np.array([f"s{i}" for i in range(c)]))
    return path


def in_lanes(values, fast) -> list:
    """`values` as parameters, those not in `fast` in the slow lane: the fast lane keeps a
    representative of a per-model check, the full run checks every model."""
    return [v if v in fast else pytest.param(v, marks=pytest.mark.slow) for v in values]
