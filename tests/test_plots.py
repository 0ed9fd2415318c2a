"""Figures (`report.plots`): names from users' files are drawn as written, never as markup."""

import numpy as np


def test_names_with_mathtext_or_markup_render_as_written(tmp_path):
    """A class or study called `$x^$` would stop matplotlib's mathtext parser; `<b>` must not become markup."""
    from harcnn.report import plots

    classes = ["$x^$", "<b>walk</b>"]
    png = plots.confusion(np.array([[3, 1], [0, 4]]), classes, "study $x^$", tmp_path / "c.png")
    assert png.stat().st_size > 1000
    assert plots.boxplot({"$a_": [0.5, 0.6]}, "$", tmp_path / "b.png").stat().st_size > 1000
