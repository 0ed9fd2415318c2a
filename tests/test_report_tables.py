"""Tables and exports say what they computed: ensembles per population size, labels unique per configuration."""

import csv
from dataclasses import replace

from harcnn.report.study import write_study_files
from harcnn.report.tables import format_table, study_rows
from test_store import make_run


def test_ensembles_of_different_sizes_are_never_averaged():
    pair = [replace(make_run(s), ensemble_accuracy=0.9697, ensemble_size=2) for s in (0, 1)]
    single = [replace(make_run(2), ensemble_accuracy=0.9644, ensemble_size=1)]
    rows, reference = study_rows(pair + single)
    assert [(k, round(a, 2)) for k, a in rows[0].ensembles] == [(1, 96.44), (2, 96.97)]
    table = format_table("s", rows, reference)
    assert "96.44/1, 96.97/2" in table and "96.80" not in table


def test_runs_of_two_configurations_with_one_label_are_told_apart_in_runs_csv(tmp_path):
    runs = [make_run(0, key="aaaaaa1"), make_run(1, key="aaaaaa1"), make_run(0, key="bbbbbb2")]
    write_study_files("s", runs, tmp_path / "s")
    with open(tmp_path / "s" / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    labels = {r["config_key"]: r["label"] for r in rows}
    assert labels == {"aaaaaa1": "base [config aaaaaa]", "bbbbbb2": "base [config bbbbbb]"}
