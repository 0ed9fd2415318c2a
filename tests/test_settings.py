"""The training settings are declared once (`harcnn.settings`); everything else is derived from that
declaration, and every entry point refuses the same values with the same message."""

import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.experiments.spec import Config, parse_spec
from harcnn.settings import RECIPE, SETTINGS, check_settings, markdown_table
from harcnn.train.recipe import Recipe

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_reaches_every_place_with_its_default():
    config = {f.name: f.default for f in fields(Config)}
    recipe = {f.name: f.default for f in fields(Recipe)}
    params = HARClassifier().get_params()
    for name, s in SETTINGS.items():
        assert config[name] == s.default and params[name] == s.default, name
        assert (name in recipe) == (name in RECIPE) and (name not in recipe or recipe[name] == s.default), name
    assert set(recipe) == set(RECIPE) | {"eps"}
    assert set(config) == set(SETTINGS) | {"model", "hparams", "label"}


def test_the_readme_table_is_the_declaration():
    assert markdown_table() in README.read_text(), "regenerate the README's settings table from harcnn.settings.markdown_table()"


def bad_values(s):
    """Values every setting of its kind must refuse."""
    if s.kind is bool:
        return ["yes", 1]
    if s.kind is str:
        return ["linear", 3]
    out = [math.nan, math.inf, -1, 1e12, "3", True]
    if s.kind is int:
        out += [1.5, 2**64]
    if s.skip is not None:
        out.append(s.skip)
    return out


CASES = [(name, v) for name, s in SETTINGS.items() for v in bad_values(s)]


@pytest.mark.parametrize("name, value", CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_spec_estimator_and_checker_refuse_alike(name, value, tmp_path):
    message = f"{name}: must be {SETTINGS[name].allowed}"
    with pytest.raises(HarcnnError, match=f"x.toml: {name}: must be"):
        parse_spec({name: value}, tmp_path / "x.toml")
    with pytest.raises(HarcnnError) as e:
        HARClassifier(**{name: value}).fit(np.zeros((4, 1, 8)), [0, 1, 0, 1])
    assert message in str(e.value)
    with pytest.raises(HarcnnError):
        check_settings({name: value}, "here")


def test_numpy_scalars_are_the_numbers_they_hold():
    typed = check_settings({"epochs": np.int64(3), "lr": np.float32(0.5), "standardize": np.bool_(True)}, "here")
    assert typed["epochs"] == 3 and type(typed["epochs"]) is int and type(typed["lr"]) is float and typed["standardize"] is True


def test_settings_that_exclude_each_other():
    with pytest.raises(HarcnnError, match="either cv_folds or validation_subjects"):
        check_settings({"cv_folds": 2, "validation_subjects": 1}, "here")
    with pytest.raises(HarcnnError, match="not a training setting"):
        check_settings({"epoch": 3}, "here")
