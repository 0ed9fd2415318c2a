"""The README's Python section runs as written in an empty folder, on the real data (it writes the
sample recording itself)."""

import re
from pathlib import Path

import pytest

from conftest import REAL_SOURCE, missing

README = Path(__file__).parents[1] / "README.md"


def python_section_code() -> str:
    text = README.read_text()
    section = text[text.index("\n## Python\n") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
@pytest.mark.realdata
def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    if REAL_SOURCE is None:
        missing("the real UCI HAR data was not found (see tests/conftest.py)")
    monkeypatch.setenv("HARCNN_DATA", REAL_SOURCE)
    monkeypatch.chdir(tmp_path)
    assert not list(tmp_path.iterdir())
    scope: dict = {}
    exec(compile(python_section_code(), "README.md", "exec"), scope)
    assert scope["clf"].score(scope["data"].X_test, scope["data"].y_test) > 0.85
    assert (tmp_path / "model" / "model.safetensors").is_file()
    assert len(scope["predictions"]) == 55 and "test accuracy:" in capsys.readouterr().out


def test_the_fast_lane_cap_the_readme_states_is_the_one_in_force():
    from conftest import FAST_TEST_CAP

    text = " ".join(README.read_text().split())
    assert f"runs past {FAST_TEST_CAP} s fails" in text
