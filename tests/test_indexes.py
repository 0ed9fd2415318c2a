"""The indexes of experiments/ and benchmarks/ list every file there: a spec or a script added
without a line in its README fails here."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("folder, patterns", [("experiments", ["*.toml"]), ("benchmarks", ["*.py", "*.sh"])])
def test_every_file_has_a_line_in_its_folders_readme(folder, patterns):
    index = (ROOT / folder / "README.md").read_text()
    files = sorted(p.name for pattern in patterns for p in (ROOT / folder).glob(pattern))
    missing = [name for name in files if f"`{name}`" not in index]
    assert files and not missing, f"{folder}/README.md lacks {missing}"
