"""Fixtures: tiny datasets written in the exact UCI HAR file format, and the real data's location."""

import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from harcnn.data.uci_har import CHANNELS, STEPS

CLASSES = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]
REAL_ZIP = Path(os.environ.get("HARCNN_DATA", Path(__file__).parents[1] / ".." / "shared" / "data" / "UCI HAR Dataset.zip"))


def write_matrix(path: Path, values: np.ndarray) -> None:
    """The Inertial Signals format: each value as ' ' + '%15.7e' with 3-digit exponents, CRLF lines."""

    def fmt(v: float) -> str:
        mantissa, exp = f"{v:.7e}".split("e")
        return " " + f"{mantissa}e{int(exp):+04d}".rjust(15)

    path.write_bytes("".join("".join(fmt(v) for v in row) + "\r\n" for row in values).encode())


def write_uci_folder(root: Path, n_train: int = 24, n_test: int = 12, seed: int = 0) -> Path:
    """A small UCI HAR folder whose classes are separable (class k shifts body_acc_x by k)."""
    rng = np.random.default_rng(seed)
    base = root / "UCI HAR Dataset"
    (base).mkdir(parents=True)
    (base / "activity_labels.txt").write_text("".join(f"{i} {c}\n" for i, c in enumerate(CLASSES, 1)))
    for split, n, subjects in (("train", n_train, [1, 3, 5]), ("test", n_test, [2, 4])):
        (base / split / "Inertial Signals").mkdir(parents=True)
        y = np.arange(n) % 6 + 1
        (base / split / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in y))
        (base / split / f"subject_{split}.txt").write_text("".join(f"{subjects[i % len(subjects)]}\n" for i in range(n)))
        for c, channel in enumerate(CHANNELS):
            values = rng.normal(0, 0.1, (n, STEPS)) + (y[:, None] if c == 3 else 0)
            write_matrix(base / split / "Inertial Signals" / f"{channel}_{split}.txt", values)
    return base


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            z.write(p, p.relative_to(folder.parent))
    return target


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own cache folder and no dataset from the environment."""
    monkeypatch.setenv("HARCNN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HARCNN_DATA", raising=False)


@pytest.fixture
def tiny_folder(tmp_path) -> Path:
    return write_uci_folder(tmp_path / "src")


@pytest.fixture
def tiny_zip(tiny_folder, tmp_path) -> Path:
    return zip_folder(tiny_folder, tmp_path / "UCI HAR Dataset.zip")


@pytest.fixture(scope="session")
def real_dataset(tmp_path_factory):
    """The real UCI HAR data, parsed once per test session. Fails (never skips) if it is missing."""
    if not REAL_ZIP.is_file():
        pytest.fail(f"real data not found at {REAL_ZIP}: set HARCNN_DATA to the UCI HAR zip")
    home = tmp_path_factory.mktemp("realhome")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARCNN_HOME", str(home))
    from harcnn.data.uci_har import load_source

    dataset = load_source(REAL_ZIP)
    mp.undo()
    return dataset


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
