"""Spec files: grids expand to configurations; every mistake is one error naming file and key."""

import re
import warnings

import numpy as np
import pytest

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError, HarcnnWarning
from harcnn.experiments.jobs import check_against_data
from harcnn.experiments.spec import load_spec
from harcnn.experiments.store import Store
from helpers import SPEC, cli, fails, refuses, windows_npz


def write(tmp_path, text, name="study.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_grid_expands_and_labels(tmp_path):
    spec = load_spec(write(tmp_path, 'model = "cnn"\nrepeats = 3\n[grid]\nfilters = [8, 16]\nstandardize = [false, true]\n'))
    assert spec.name == "study" and spec.repeats == 3
    assert [c.label for c in spec.configs] == [
        "filters=8, standardize=False",
        "filters=8, standardize=True",
        "filters=16, standardize=False",
        "filters=16, standardize=True",
    ]
    assert spec.configs[1].standardize and spec.configs[2].hparams == {"filters": 16}
    assert len({c.key for c in spec.configs}) == 4


CHANNELS = tuple(f"{s}_{a}" for s in ("total_acc", "body_acc", "body_gyro") for a in "xyz")
UCI_LIKE = WindowSet(np.zeros((21, 9, 128), np.float32), np.arange(21) % 6, np.arange(21), CHANNELS, tuple("abcdef"))


def test_shipped_specs_are_valid():
    from pathlib import Path

    specs = sorted((Path(__file__).parents[1] / "experiments").glob("*.toml"))
    assert {"baseline", "multihead"} <= {p.stem for p in specs}
    for path in specs:
        spec = load_spec(path)
        check_against_data(spec, UCI_LIKE)


@pytest.mark.parametrize(
    "text, message",
    [
        ("repeat = 3\n", r"study.toml: repeat: unknown key"),
        ('model = "lstm"\n', r"study.toml: model: unknown model 'lstm'"),
        ('repeats = "ten"\n', r"study.toml: repeats: must be int"),
        ("epochs = 0\n", r"study.toml: epochs: must be a whole number from 1 to"),
        ("lr = -1\n", r"study.toml: lr: must be a finite number in \(0, 10\]"),
        ("[hparams]\nfilter = 3\n", r"study.toml: hparams.filter: model 'cnn' has no such hyperparameter"),
        ("[hparams]\nfilters = 6.5\n", r"study.toml: hparams.filters: must be int"),
        ("[grid]\nkernel = 3\n", r"study.toml: grid.kernel: must be a non-empty list"),
        ("[grid]\nbogus = [1, 2]\n", r"study.toml: grid.bogus: not a training setting"),
        ('standardize = "yes"\n', r"study.toml: standardize: must be true or false"),
        ("repeats = 3\nrepeats = 4\n", r"study.toml: not valid TOML"),
    ],
)
def test_bad_specs(tmp_path, text, message):
    with pytest.raises(HarcnnError, match=message):
        load_spec(write(tmp_path, text))


def test_kernel_longer_than_input_is_caught_before_training(tmp_path):
    spec = load_spec(write(tmp_path, "[grid]\nkernel = [3, 100]\n"))
    with pytest.raises(HarcnnError, match=r"study.toml: configuration \[kernel=100\]: .*too short"):
        check_against_data(spec, UCI_LIKE)


def test_rotation_without_xyz_channels_is_a_note_before_training(tmp_path):
    spec = load_spec(write(tmp_path, "rotate = 30.0\n"))
    data = WindowSet(UCI_LIKE.X, UCI_LIKE.y, UCI_LIKE.subject, tuple(f"ch{i}" for i in range(9)), UCI_LIKE.classes)
    with pytest.warns(HarcnnWarning, match=r"rotate = 30 turns x/y/z channel triplets .* have none: the windows are not rotated"):
        check_against_data(spec, data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_against_data(spec, UCI_LIKE)


def test_missing_spec(tmp_path):
    with pytest.raises(HarcnnError, match="no such spec file"):
        load_spec(tmp_path / "nope.toml")


def test_set_overrides_are_checked_as_the_spec_own_keys(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text('model = "cnn"\nepochs = 10\n[grid]\nlr = [0.001, 0.01]\n')
    spec = load_spec(path, ["epochs=3", 'schedule="cosine"'])
    assert {c.epochs for c in spec.configs} == {3} and {c.schedule for c in spec.configs} == {"cosine"}
    for item, message in [
        ("epochs=0", "study.toml: epochs: must be a whole number from 1"),
        ("filters=8", "'filters' is not a training setting"),
        ("lr=0.1", "varies lr in its grid"),
        ("schedule=cosine", "is not a TOML value"),
    ]:
        with pytest.raises(HarcnnError, match=re.escape(message)):
            load_spec(path, [item])


@pytest.mark.parametrize(
    "text, message",
    [
        ('name = 5\n', "name must be text"),
        ('name = ""\n', "name must not be empty"),
        (f'name = "{"x" * 300}"\n', "at most 120"),
        ('name = "a\\u0000b"\n', "control character"),
        ("lr = nan\n", "lr: must be a finite number in (0, 10]"),
        ("lr = inf\n", "lr: must be a finite number in (0, 10]"),
        ("repeats = 100000000000000000\n", "repeats: must be from 1 to 1000"),
        ("epochs = 0\n", "epochs: must be a whole number from 1"),
        ("[hparams]\nfilters = 0\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nfilters = -3\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nfilters = 1000000000\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nkernel = 0\n", "kernel must be a whole number"),
        ("[hparams]\ndropout = 1.5\n", "dropout must be a rate in [0, 1)"),
        ('model = "multihead"\n[hparams]\nkernels = []\n', "kernels must be a non-empty list"),
        ("[grid]\nfilters = [4, 0]\n", "grid.filters"),
    ],
    ids=["name-int", "name-empty", "name-long", "name-nul", "lr-nan", "lr-inf", "repeats-huge", "epochs-0", "filters-0",
         "filters-negative", "filters-huge", "kernel-0", "dropout", "kernels-empty", "grid-bad"],
)  # fmt: skip
def test_bad_specs_are_refused(tmp_path, text, message):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    assert str(spec) in refuses(message, load_spec, spec)


@pytest.mark.parametrize(
    "text, message",
    [
        ("lr = nan\n", "lr: must be a finite number in (0, 10]"),
        pytest.param("[hparams]\nfilters = 60000\ndense = 60000\n", "GiB", marks=pytest.mark.slow),  # refused by the run, against the data
    ],
    ids=["lr-nan", "memory"],
)
def test_bad_specs_fail_before_training(monkeypatch, capsys, tmp_path, tiny_zip, text, message):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    results = tmp_path / "results"
    fails(monkeypatch, capsys, message, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress")
    assert not (results / "harcnn.db").exists() or not Store(results / "harcnn.db").runs()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--repeats", 0], "--repeats: must be from 1"),
        (["--executor", "threads"], "'threads' is not one of 'local', 'inline', 'processes', 'ray'. (harcnn run -h for help)"),
    ],
)
def test_bad_run_options(monkeypatch, capsys, tmp_path, tiny_zip, args, message):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    fails(monkeypatch, capsys, message, "run", spec, "--data", tiny_zip, "--results", tmp_path / "r", "--no-progress", *args)


def test_a_folder_as_spec(monkeypatch, capsys, tmp_path, tiny_zip):
    fails(monkeypatch, capsys, "is a folder", "run", tmp_path, "--data", tiny_zip)


def test_repeats_must_cover_every_fold(monkeypatch, capsys, tmp_path, tiny_zip):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("repeats = 2", "repeats = 2\ncv_folds = 2"))
    results = tmp_path / "r"
    fails(
        monkeypatch,
        capsys,
        "--repeats: must be a multiple of cv_folds (2)",
        "run",
        spec,
        "--data",
        tiny_zip,
        "--results",
        results,
        "--repeats",
        3,
    )
    assert not results.exists()


@pytest.mark.parametrize("name", ["rotation-refit", "rotation-candidates", "rotation-candidates-test"])
def test_a_user_study_cannot_take_a_selection_name(monkeypatch, capsys, tmp_path, tiny_zip, name):
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = "{name}"\n' + SPEC)
    fails(
        monkeypatch, capsys, "are reserved for the studies of `harcnn select`", "run", spec, "--data", tiny_zip, "--results", tmp_path / "r"
    )


@pytest.mark.parametrize(
    "spec, message",
    [
        ('model = "minirocket"\n[hparams]\nn_kernels = 84\n', "minirocket: windows of 8 steps are shorter than its kernels (9 steps)"),
        ('model = "fcn"\n[hparams]\nkernels = [9, 5]\n', "fcn: kernel 9 is longer than the 8 steps"),
        ('model = "resnet"\n[hparams]\npool = 9\nkernels = [3]\n', "resnet: pooling by 9 is longer than the 8 steps"),
        ('model = "inception"\n', "inception: kernel 39 is longer than the 8 steps"),
    ],
)
def test_kernels_and_pooling_longer_than_the_window_fail_before_training(monkeypatch, capsys, tmp_path, spec, message):
    data = tmp_path / "d.npz"
    code, text = cli(
        monkeypatch,
        capsys,
        "data",
        "import",
        windows_npz(tmp_path / "w.npz", X=np.random.default_rng(0).normal(size=(12, 2, 8))),
        "--out",
        data,
    )
    assert code == 0, text
    path = tmp_path / "s.toml"
    path.write_text("repeats = 1\n" + spec)
    fails(monkeypatch, capsys, message, "run", path, "--data", data, "--results", tmp_path / "r")
    assert not (tmp_path / "r" / "harcnn.db").exists() or not Store(tmp_path / "r" / "harcnn.db").studies()


def test_a_spec_or_dataset_nested_too_deep_is_one_error(monkeypatch, capsys, tmp_path):
    spec = tmp_path / "deep.toml"
    spec.write_text("a = " + "[" * 100_000 + "1" + "]" * 100_000 + "\n")
    fails(monkeypatch, capsys, "deep.toml: nested too deeply", "run", spec)
    deep = np.array("[" * 100_000 + "]" * 100_000)
    X = np.random.default_rng(0).normal(size=(8, 2, 16))
    np.savez(tmp_path / "w.npz", X=X, y=np.arange(8) % 2, subject=np.arange(8) % 4, pipeline=deep)
    fails(monkeypatch, capsys, "w.npz: pipeline: nested too deeply", "data", "import", tmp_path / "w.npz", "--out", tmp_path / "d.npz")
