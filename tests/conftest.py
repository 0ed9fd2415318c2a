"""Fixtures: tiny datasets written in the exact UCI HAR file format, the real data, and the test lanes.

Lanes (markers): `slow`, `realdata`, `browser`, `ray`, `gpu`, `litert`. `pytest -m "not slow"` is the fast
lane. A test whose lane's requirement is missing here (the real UCI HAR zip, Debian's chromium,
Ray) is skipped with a reason that says how to get it, unless `HARCNN_REQUIRE_ALL=1` (CI sets it),
which makes every such skip a failure. Two lanes skip even then: `gpu` without a CUDA device (CI's
machines have none), and `litert` outside the environment of its own that LiteRT's converter needs
(CI runs that lane there, after the rest).
"""

import importlib.util
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from harcnn.data.sensors import CHANNELS, STEPS

CLASSES = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]
REQUIRE_ALL = os.environ.get("HARCNN_REQUIRE_ALL") == "1"
SHARED_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "UCI HAR Dataset.zip"
GET_DATA = (
    "the real UCI HAR data was not found: set HARCNN_DATA to 'UCI HAR Dataset.zip', put it in ../shared/data/, "
    "or fetch it once with `harcnn data fetch`"
)


def _real_source() -> str | None:
    """$HARCNN_DATA, else ../shared/data, else the dataset harcnn's cache holds (read before the tests
    point HARCNN_HOME elsewhere)."""
    if os.environ.get("HARCNN_DATA"):
        return os.environ["HARCNN_DATA"]
    if SHARED_ZIP.is_file():
        return str(SHARED_ZIP)
    from harcnn.datasets import uci_har

    sha = uci_har._read_index()["default"]
    cached = uci_har.cached_path_for(sha) if sha else None
    return str(cached) if cached is not None and cached.is_file() else None


REAL_SOURCE = _real_source()


def missing(reason: str) -> None:
    """Skip for a missing requirement, or fail where every lane must run (HARCNN_REQUIRE_ALL=1)."""
    if REQUIRE_ALL:
        pytest.fail(f"HARCNN_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


FAST_TEST_CAP = 15  # seconds a fast-lane test may take (pytest-timeout), 3x the slowest here idle: the lane cannot creep


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "real_dataset" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realdata)
        if not item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(FAST_TEST_CAP))


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") and not (shutil.which("chromium") or shutil.which("chromium-browser")):
        missing("Debian's chromium is needed for this test: apt-get install chromium")
    if item.get_closest_marker("browser") and importlib.util.find_spec("playwright") is None:
        missing('playwright is needed for this test: pip install -e ".[dev]"')
    if item.get_closest_marker("litert") and importlib.util.find_spec("litert_torch") is None:
        pytest.skip('LiteRT\'s converter is not here: pip install "harcnn[litert]" in an environment of its own (CI runs this lane in one)')
    if item.get_closest_marker("gpu") and not torch_cuda():
        pytest.skip("no CUDA device here: the gpu lane runs on a machine with one (a CUDA build of torch, README)")
    if item.get_closest_marker("ray") and importlib.util.find_spec("ray") is None:
        missing('Ray is needed for this test: pip install "harcnn[ray]"')


def torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


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


@pytest.fixture(scope="session", autouse=True)
def isolated_session_home(tmp_path_factory):
    """Fixtures of a module's or the session's scope start before any test's own home: they get one
    of the session's, never the user's cache (where a tiny dataset would become their default)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HARCNN_HOME", str(tmp_path_factory.mktemp("session-home")))
    mp.delenv("HARCNN_DATA", raising=False)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own cache folder and no dataset from the environment."""
    monkeypatch.setenv("HARCNN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HARCNN_DATA", raising=False)


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory) -> tuple[Path, Path]:
    """One tiny UCI HAR folder and its zip per session (writing the text format is the slow part)."""
    root = tmp_path_factory.mktemp("tiny")
    folder = write_uci_folder(root / "src")
    return folder, zip_folder(folder, root / "UCI HAR Dataset.zip")


@pytest.fixture
def tiny_folder(tiny_template, tmp_path) -> Path:
    """A test's own copy of the tiny folder, free to change."""
    return copy_tree(tiny_template[0], tmp_path / "src" / "UCI HAR Dataset")


@pytest.fixture
def tiny_zip(tiny_template, tmp_path) -> Path:
    target = tmp_path / "UCI HAR Dataset.zip"
    shutil.copyfile(tiny_template[1], target)
    return target


@pytest.fixture(scope="session")
def real_dataset(request, tmp_path_factory):
    """The real UCI HAR data, parsed once and cached in pytest's cache folder, so that later test
    sessions load it in a few hundredths of a second."""
    if REAL_SOURCE is None:
        missing(GET_DATA)
    cache = getattr(request.config, "cache", None)
    home = cache.mkdir("harcnn-home") if cache is not None else tmp_path_factory.mktemp("realhome")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARCNN_HOME", str(home))
    from harcnn.data.resolve import load_dataset

    try:
        return load_dataset(REAL_SOURCE)
    finally:
        mp.undo()


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def without_weights_digest(folder: Path) -> Path:
    """A model folder as harcnn saved it before model.json recorded the weights' checksum."""
    import json

    meta = json.loads((folder / "model.json").read_text())
    del meta["weights_sha256"]
    (folder / "model.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny standardised CNN trained on the tiny UCI HAR folder, saved; its pipeline is UCI HAR's."""
    from harcnn import HARClassifier
    from harcnn.data.resolve import load_dataset

    root = tmp_path_factory.mktemp("trained")
    ds = load_dataset(str(zip_folder(write_uci_folder(root / "src"), root / "u.zip")))
    HARClassifier(epochs=1, batch_size=8, filters=4, dense=8, standardize=True).fit_windows(ds.train).save(root / "model")
    return root / "model"


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """A standardised 3-member ensemble of 9 channels x 32 steps, saved."""
    from harcnn import HARClassifier

    rng = np.random.default_rng(0)
    y = np.arange(48) % 3
    X = rng.normal(size=(48, 9, 32)) + y[:, None, None]
    folder = tmp_path_factory.mktemp("ensemble") / "m"
    HARClassifier(epochs=1, batch_size=8, members=3, filters=4, dense=8, standardize=True).fit(X, y).save(folder)
    return folder, X.astype(np.float32)
