"""The HTML report in a real headless browser (Debian's chromium): it renders, every image loads,
the console stays clean, and a screenshot is produced."""

import shutil

import pytest
from typer.testing import CliRunner

from harcnn.cli import app

runner = CliRunner()
pytestmark = [pytest.mark.browser, pytest.mark.slow]  # conftest skips it without chromium (fails in CI)


def chromium() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(tiny_zip, tmp_path):
    from playwright.sync_api import sync_playwright

    spec = tmp_path / "tiny.toml"
    spec.write_text('model = "cnn"\nrepeats = 3\nepochs = 2\nbatch_size = 8\n[hparams]\nfilters = 4\n[grid]\nkernel = [3, 5]\n')
    results = tmp_path / "results"
    for args in (["run", spec, "--no-progress", "--set", "epochs=2"], ["report"]):
        result = runner.invoke(app, [str(a) for a in args] + ["--data", str(tiny_zip), "--results", str(results)])
        assert result.exit_code == 0, result.output
    html = results / "report.html"
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri(), wait_until="load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        title = page.title()
        first_table = page.evaluate("document.querySelector('table').getBoundingClientRect().bottom")
        scrolls = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
        first_screen = page.evaluate("document.body.innerText.slice(0, 1500)")
        page.screenshot(path=str(tmp_path / "first-screen.png"))
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert title == "harcnn report"
    assert first_table < 900 and not scrolls, (first_table, scrolls)  # the results table on the first screen, no sideways scrolling
    assert "epochs 2" in first_screen and "p Holm" in first_screen, first_screen
    assert len(images) >= 6 and all(complete and width > 100 for complete, width in images), images
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 20_000
