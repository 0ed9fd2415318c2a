"""Spec files: grids expand to configurations; every mistake is one error naming file and key."""

import re
import warnings

import numpy as np
import pytest

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError, HarcnnWarning
from harcnn.experiments.spec import check_against_data, load_spec


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
