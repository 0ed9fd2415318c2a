"""The documentation site: it builds with warnings as errors, its notebooks run as committed, and
the versions and the headline figures it states agree with the package and the README."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import harcnn
from conftest import REAL_SOURCE, missing

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


@pytest.mark.slow  # mkdocs with the API reference: about 10 s
def test_the_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason='the docs extra: pip install -e ".[docs]"')
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("HARClassifier") > 3
    assert (tmp_path / "site" / "notebooks" / "tutorial" / "index.html").is_file()


@pytest.mark.slow  # each trains small models: 20-60 s
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_run_as_committed(notebook, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    if REAL_SOURCE is None:
        missing("the notebooks read the real UCI HAR data")
    monkeypatch.setenv("HARCNN_DATA", REAL_SOURCE)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert len(NOTEBOOKS) == 3


def test_the_versions_stated_agree_with_the_package():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(r"^## (\S+)", changelog, re.M)[1] == harcnn.__version__  # the newest entry is this version
    assert f'version: "{harcnn.__version__}"' in (ROOT / "CITATION.cff").read_text()
    newest = tuple(int(v) for v in harcnn.__version__.split("."))
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for stated in re.findall(r"\b(\d+)\.(\d+)\.(\d+)\b", page.read_text()):
            if stated[0] == "0":  # harcnn's versions; others (torch 2.13.0, aeon 1.6) are not
                assert tuple(map(int, stated)) <= newest, f"{page.name} names version {'.'.join(stated)}"


def test_the_readme_leads_with_the_headline_table_of_the_docs():
    headline = (ROOT / "docs" / "headline.md").read_text()
    assert headline in (ROOT / "README.md").read_text()
    assert '--8<-- "docs/headline.md"' in (ROOT / "docs" / "index.md").read_text()


RESULTS_PAGES = ["results", "across-datasets", "beyond-the-tutorial", "performance", "your-data", "using-a-model", "headline"]


def test_every_results_table_is_generated_from_the_committed_files():
    """Each table of a results page sits between the generator's markers, and regenerating it from
    benchmarks/results gives the table the page shows: no figure is typed by hand or left stale."""
    for name in RESULTS_PAGES:
        text = (ROOT / "docs" / f"{name}.md").read_text()
        outside = re.sub(r"<!-- table [\w-]+ -->\n.*?<!-- /table -->", "", text, flags=re.S)
        assert not re.search(r"^\s*\|---", outside, re.M), f"docs/{name}.md has a table outside <!-- table NAME --> markers"
    out = subprocess.run([sys.executable, "benchmarks/tables.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
