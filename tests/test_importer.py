"""Users' windows (`data.importer`, `data.dataset`): NPZ and long CSV read, checked and split into an
honest test split (whole subjects, no copies, classes seen in training), or refused in one line."""

import numpy as np
import pytest
from typer.testing import CliRunner

from harcnn.cli import app
from harcnn.data.importer import import_windows
from harcnn.data.options import SubjectSplit
from harcnn.errors import HarcnnError
from helpers import cli, fails, named_windows, refuses, windows_npz


def npz(tmp_path, **arrays):
    base = {"X": np.random.default_rng(0).normal(size=(12, 2, 16)), "y": np.array(["a", "b", "c"] * 4), "subject": np.arange(12) % 4}
    base.update(arrays)
    np.savez(tmp_path / "w.npz", **{k: v for k, v in base.items() if v is not None})
    return tmp_path / "w.npz"


@pytest.mark.parametrize(
    "arrays, test, message",
    [
        ({"X": np.full((12, 2, 16), 1e300)}, SubjectSplit(), "beyond float32's range"),
        ({"classes": np.array(["a", "a", "c"]), "y": np.arange(12) % 3}, SubjectSplit(), "class name 'a' appears twice"),
        ({"y": np.array(["a", "", "c"] * 4)}, SubjectSplit(), "class name must not be empty"),
        ({"X": np.full((12, 2, 16), "x")}, SubjectSplit(), "X must hold real numbers"),
        ({"X": np.zeros((12, 2, 16), complex)}, SubjectSplit(), "X must hold real numbers"),
        ({"split": np.array(["test"] * 12)}, SubjectSplit(), "leaves no training windows"),
        ({}, SubjectSplit(("0", "1", "2", "3")), "leaves no training windows"),
    ],
    ids=["inf-after-cast", "duplicate-class", "empty-class", "string-X", "complex-X", "split-all-test", "all-subjects-test"],
)
def test_bad_npz_windows(tmp_path, arrays, test, message):
    path = npz(tmp_path, **arrays)
    refuses(message, import_windows, path, test=test)


def test_a_refused_import_is_one_error_line_and_writes_nothing(monkeypatch, capsys, tmp_path):
    fails(monkeypatch, capsys, "class name 'a' appears twice", "data", "import", npz(tmp_path, classes=np.array(["a", "a", "c"]), y=np.arange(12) % 3),
          "--out", tmp_path / "d.npz")  # fmt: skip
    assert not (tmp_path / "d.npz").exists()


def test_truncated_npz(monkeypatch, capsys, tmp_path):
    path = npz(tmp_path)
    path.write_bytes(path.read_bytes()[:300])
    fails(monkeypatch, capsys, "truncated", "data", "import", path, "--out", tmp_path / "d.npz")
    fails(monkeypatch, capsys, "damaged", "data", "info", "--data", path)


def test_a_subject_changing_inside_a_csv_window(monkeypatch, capsys, tmp_path):
    rows = ["window,step,a,label,subject"] + [f"{w},{s},0.5,{'x' if w % 2 else 'y'},{w}" for w in range(4) for s in range(8)]
    rows[5] = rows[5].rsplit(",", 1)[0] + ",99"
    (tmp_path / "w.csv").write_text("\n".join(rows) + "\n")
    fails(monkeypatch, capsys, "changes subject from '0' to '99'", "data", "import", tmp_path / "w.csv", "--out", tmp_path / "d.npz")


@pytest.mark.parametrize(
    "test_arrays, subjects, message",
    [
        ({"y": np.array(["a", "b", "d"] * 4), "subject": np.arange(12) % 4 + 10}, (), "test class 'd' never occurs in the training split"),
        ({"subject": np.arange(12) % 4 + 3}, (), "subject 3 is in both the training and the test split"),
        ({"subject": np.arange(12) % 4 + 10}, ("1",), "give either a test file or test subjects, not both"),
    ],
    ids=["unseen-class", "shared-subject", "test-subjects-too"],
)
def test_a_test_file_must_be_an_honest_test_split(tmp_path, test_arrays, subjects, message):
    train = windows_npz(tmp_path / "train.npz")
    test = windows_npz(tmp_path / "test.npz", seed=1, **test_arrays)
    refuses(message, import_windows, train, test_path=test, test=SubjectSplit(subjects))


def test_the_same_windows_as_train_and_test_are_refused(monkeypatch, capsys, tmp_path):
    train = windows_npz(tmp_path / "train.npz")
    fails(monkeypatch, capsys, "the test file is the training file", "data", "import", train, "--test", train, "--out", tmp_path / "d.npz")
    copy = windows_npz(tmp_path / "copy.npz", subject=np.arange(12) % 4 + 10)  # other subjects, same windows
    fails(
        monkeypatch,
        capsys,
        "12 test window(s) are identical to training windows",
        "data",
        "import",
        train,
        "--test",
        copy,
        "--out",
        tmp_path / "d.npz",
    )


def test_one_class_is_not_a_dataset(tmp_path):
    refuses("the training split holds one class ('a')", import_windows, windows_npz(tmp_path / "w.npz", y=np.array(["a"] * 12)))


def test_an_npz_in_the_tutorial_layout_is_refused_or_transposed_as_asked(monkeypatch, capsys, tmp_path):
    X = np.random.default_rng(0).normal(size=(12, 16, 2))  # (samples, timesteps, features)
    source = windows_npz(tmp_path / "w.npz", X=X)
    out = tmp_path / "d.npz"
    fails(
        monkeypatch,
        capsys,
        "look like (n, steps, channels), the tutorial's layout (16 channels of 2 steps)",
        "data",
        "import",
        source,
        "--out",
        out,
    )
    assert not out.exists()
    code, text = cli(monkeypatch, capsys, "data", "import", source, "--out", out, "--layout", "ntc")
    assert code == 0 and "windows of 2 channels x 16 steps" in text, text


def test_a_continuous_target_is_not_sixty_four_classes(tmp_path):
    y = np.array([f"{v:.3f}" for v in np.random.default_rng(0).uniform(0, 1, 12)])  # a measurement, written as text
    refuses("the labels look like a continuous target (12 distinct numbers", import_windows, windows_npz(tmp_path / "w.npz", y=y))


def test_an_import_with_a_negative_seed_is_one_error(monkeypatch, capsys, tmp_path):
    np.savez(tmp_path / "w.npz", X=np.zeros((8, 2, 16)), y=np.arange(8) % 2, subject=np.arange(8) % 4)
    fails(
        monkeypatch,
        capsys,
        "--seed must be a whole number",
        "data",
        "import",
        tmp_path / "w.npz",
        "--out",
        tmp_path / "d.npz",
        "--seed",
        "-1",
    )


def test_import_with_the_datasets_own_test_file(tmp_path):
    from harcnn.data.importer import import_windows

    X, y, _ = named_windows(n=60)
    np.savez(tmp_path / "train.npz", X=X[:40], y=y[:40])
    np.savez(tmp_path / "test.npz", X=X[40:], y=y[40:])
    ds = import_windows(tmp_path / "train.npz", test_path=tmp_path / "test.npz")
    assert (len(ds.train), len(ds.test)) == (40, 20)
    np.testing.assert_array_equal(ds.test.X, X[40:])
    np.savez(tmp_path / "split.npz", X=X, y=y, split=np.array(["train"] * 45 + ["test"] * 15))
    ds = import_windows(tmp_path / "split.npz")
    assert (len(ds.train), len(ds.test)) == (45, 15)
    result = CliRunner().invoke(
        app, ["data", "import", str(tmp_path / "train.npz"), "--test", str(tmp_path / "test.npz"), "--out", str(tmp_path / "d.npz")]
    )
    assert result.exit_code == 0 and "40 training and 20 test windows" in result.output


def test_import_long_csv(tmp_path):
    path = tmp_path / "long.csv"
    lines = ["window,step,ax,ay,label,subject"]
    for w in range(8):
        for step in range(5):
            lines.append(f"w{w},{step},{w + step},{-step},{'a' if w % 2 else 'b'},{w % 4}")
    path.write_text("\n".join(lines) + "\n")
    ds = import_windows(path, test=SubjectSplit(("0",)))
    assert ds.train.X.shape == (6, 2, 5) and ds.test.X.shape == (2, 2, 5)
    assert ds.train.channels == ("ax", "ay") and ds.train.classes == ("a", "b")
    np.testing.assert_array_equal(ds.test.X[0, 0], [0, 1, 2, 3, 4])
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(HarcnnError, match="different numbers of steps"):
        import_windows(path)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"X": np.zeros((4, 2)), "y": np.zeros(4, int)}, r"X must be \(windows, channels, steps\)"),
        ({"X": np.zeros((4, 2, 5)), "y": np.zeros(3, int)}, r"4 windows but 3 labels"),
        ({"X": np.full((4, 2, 5), np.nan), "y": np.zeros(4, int)}, r"window 0 holds NaN"),
        (
            {"X": np.zeros((4, 2, 5)), "y": np.array([0, 1, 2, 5]), "classes": np.array(["a", "b", "c"])},
            r"label 5 at window 3 is not an index",
        ),
        ({"X": np.zeros((4, 2, 5)), "y": np.array(["a", "b", "a", "z"]), "classes": np.array(["a", "b"])}, r"unknown label 'z'"),
        ({"X": np.zeros((4, 2, 5))}, r"missing array 'y'"),
    ],
)
def test_import_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(HarcnnError, match=message):
        import_windows(path)
