"""Tables and exports say what they computed: ensembles per population size, labels unique per configuration."""

import csv
from dataclasses import replace

from harcnn.report.study import write_study_files
from harcnn.report.tables import format_table, paired_subjects, study_rows, subject_accuracy, subject_spread, table_records
from helpers import make_run


def test_ensembles_of_different_sizes_are_never_averaged():
    pair = [replace(make_run(s), ensemble_accuracy=0.9697, ensemble_size=2) for s in (0, 1)]
    single = [replace(make_run(2), ensemble_accuracy=0.9644, ensemble_size=1)]
    rows, reference = study_rows(pair + single)
    assert [(k, round(a, 2)) for k, a in rows[0].ensembles] == [(1, 96.44), (2, 96.97)]
    [record] = [r for r in table_records(rows, reference) if r["configuration"] == rows[0].label]
    assert record["ensemble"] == "96.44/1, 96.97/2"
    assert "96.44" not in format_table("s", rows, reference)  # populations are cut by the workers: files only


def test_runs_of_two_configurations_with_one_label_are_told_apart_in_runs_csv(tmp_path):
    runs = [make_run(0, key="aaaaaa1"), make_run(1, key="aaaaaa1"), make_run(0, key="bbbbbb2")]
    write_study_files("s", runs, tmp_path / "s")
    with open(tmp_path / "s" / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    labels = {r["config_key"]: r["label"] for r in rows}
    assert labels == {"aaaaaa1": "base [config aaaaaa]", "bbbbbb2": "base [config bbbbbb]"}


def test_runs_csv_has_the_configuration_in_columns(tmp_path):
    """Every setting of every run a column of its own (nested ones dotted), empty where a run has none."""
    from dataclasses import replace

    runs = [make_run(0), replace(make_run(1, key="k2"), config={"epochs": 3, "hparams": {"filters": 8}})]
    write_study_files("s", runs, tmp_path / "s")
    with open(tmp_path / "s" / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["config.epochs"], r["config.hparams.filters"]) for r in rows] == [("1", ""), ("3", "8")]


def test_learning_curves_of_runs_with_different_epoch_counts(tmp_path):
    """min_steps gives the smaller folds of a cross-validation more epochs: the report draws them all (it raised)."""
    from harcnn.report.plots import learning_curves

    runs = [
        {"train_loss": [1.0, 0.5], "train_accuracy": [0.5, 0.7]},
        {"train_loss": [1.1, 0.6, 0.4], "train_accuracy": [0.4, 0.6, 0.8]},
    ]
    path = learning_curves({"cv": runs}, "ragged", tmp_path / "curves.png")
    assert path.stat().st_size > 1000


def test_fold_protocols_report_the_spread_across_folds_beside_the_spread_across_seeds():
    """Two folds 10 points apart, each tested by two seeds 2 points apart: the std over the four runs
    (5.10) is neither; the table gives 5.00 across the folds and 1.00 across the seeds of a fold."""
    accuracy = {0: 0.80, 1: 0.90, 2: 0.82, 3: 0.92}  # seed s tests fold s % 2
    runs = [replace(make_run(s, accuracy=a), config={"test_folds": 2}) for s, a in accuracy.items()]
    rows, reference = study_rows(runs)
    assert rows[0].folds[0] == 2 and round(rows[0].folds[1], 6) == 5.0 and round(rows[0].folds[2], 6) == 1.0
    assert round(rows[0].std, 2) == 5.10
    assert "folds 5.00, seeds 1.00 (2)" in format_table("s", rows, reference)
    one_seed_a_fold = study_rows(runs[:2])[0][0].folds
    assert one_seed_a_fold[2] is None and round(one_seed_a_fold[1], 6) == 5.0
    assert study_rows([make_run(0), make_run(1)])[0][0].folds is None  # a fixed test split: the std is the seeds'


def test_paired_subjects_finds_a_small_lead_that_holds_subject_by_subject():
    """Eight subjects 28 points apart; one model 1 point above the other on seven of them and half a
    point below on the eighth: the means differ by less than a tenth of the spread across subjects,
    yet pairing each subject with itself makes the lead clear (Wilcoxon p 0.016). The same
    differences with alternating signs are not."""
    base = {str(s): 0.70 + 0.04 * s for s in range(8)}

    def runs(shift):
        per_subject = {s: {"accuracy": a + shift(int(s)), "windows": 50} for s, a in base.items()}
        return [replace(make_run(0), per_subject=per_subject)]

    n, wins, losses, p = paired_subjects(runs(lambda s: 0.01 if s < 7 else -0.005), runs(lambda s: 0.0))
    assert (n, wins, losses) == (8, 7, 1) and p < 0.05
    assert paired_subjects(runs(lambda s: 0.0), runs(lambda s: 0.01 if s < 7 else -0.005))[1:3] == (1, 7)
    assert paired_subjects(runs(lambda s: 0.01 * (-1) ** s), runs(lambda s: 0.0))[3] > 0.5
    assert paired_subjects(runs(lambda s: 0.0), runs(lambda s: 0.0))[3] is None  # no difference at all
    assert paired_subjects([make_run(0)], runs(lambda s: 0.0)) is None  # no per-subject figures
    ahead, ref = runs(lambda s: 0.01 if s < 7 else -0.005)[0], runs(lambda s: 0.0)[0]
    study = [replace(ahead, label="ahead"), replace(ref, label="ref")]
    rows, reference = study_rows(study, "ref")
    assert rows[0].paired[:3] == (8, 7, 1) and rows[1].paired is None
    assert "7/1 of 8, p 0.016" in format_table("s", rows, reference)


def test_windows_without_subject_ids_are_not_reported_as_subjects():
    """Data imported without subject ids gives every window its own group; a pairing or a spread
    over those would be over single windows, so the tables give neither."""
    per_window = {str(w): {"accuracy": float(w % 2), "windows": 1} for w in range(20)}
    runs = [replace(make_run(0), per_subject=per_window, label="a"), replace(make_run(1), per_subject=per_window, label="b")]
    assert subject_accuracy(runs) == {} and subject_spread(runs) is None
    assert paired_subjects(runs[:1], runs[1:]) is None
    rows, _ = study_rows(runs, "b")
    assert rows[0].subjects is None and rows[0].paired is None


def grid_runs() -> list:
    """Three configurations of four seeds each, with per-subject figures."""
    runs = []
    for k, label in enumerate(("a", "b", "c")):
        for seed in range(4):
            run = make_run(seed, key=f"{label * 6}1")
            runs.append(replace(run, label=label, accuracy=0.90 + 0.01 * k + 0.002 * seed))
    return runs


def test_tables_fit_80_columns_with_every_column_kept():
    rows, reference = study_rows(grid_runs())
    table = format_table("grid", rows, reference, width=80)
    assert max(len(line) for line in table.splitlines()) <= 80, table
    for header in ("mean", "std", "p Welch", "p Holm", "p MWU", "min", "median", "max"):
        assert f" {header}" in table, header
    assert "folds" not in table.split("\n", 2)[-1] and "val " not in table  # nothing to say: left out
    wide = format_table("grid", rows, reference, width=400)
    assert len(wide.splitlines()) == 1 + 1 + 3  # legend, one header, three rows: one block when it fits


def test_holm_adjusts_the_grids_p_values_never_below_the_raw_ones():
    from harcnn.report.tables import holm

    raw = [None, 0.01, 0.04, 0.03, float("nan")]
    adjusted = holm(raw)
    assert adjusted[0] is None and adjusted[4] is None
    assert adjusted[1:4] == [0.03, 0.06, 0.06]  # 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 1 x 0.04)
    assert all(a >= r for a, r in zip(adjusted[1:4], raw[1:4]))
    rows, reference = study_rows(grid_runs())
    record = table_records(rows, reference)[2]
    assert float(record["p Holm"]) >= float(record["p Welch"])


def test_tables_as_csv_json_and_markdown():
    import json

    from harcnn.report.tables import render_records

    rows, reference = study_rows(grid_runs())
    records = table_records(rows, reference)
    assert json.loads(render_records(records, "json"))[1]["configuration"] == "b"
    assert render_records(records, "csv").splitlines()[0].startswith("configuration,n,mean,std")
    assert render_records(records, "md").splitlines()[1].startswith("|---|")


def test_configurations_ranked_subject_by_subject_with_a_critical_difference(tmp_path):
    from harcnn.report.plots import critical_difference
    from harcnn.report.tables import group_by_label, rank_test

    runs = []
    for k, label in enumerate(("best", "second", "third", "last")):
        per_subject = {str(s): {"accuracy": 0.9 - 0.05 * k + 0.01 * s, "windows": 10} for s in range(1, 9)}
        runs += [replace(make_run(seed, key=f"{label}1"), label=label, per_subject=per_subject) for seed in range(2)]
    test = rank_test(group_by_label(runs))
    assert test.ranks == {"best": 1.0, "second": 2.0, "third": 3.0, "last": 4.0} and test.subjects == 8
    assert abs(test.cd - 2.569 * (4 * 5 / 48) ** 0.5) < 1e-9 and test.p_friedman < 0.001
    assert rank_test(group_by_label(runs[:4])) is None  # two configurations: the paired column says it
    assert critical_difference(test, "grid", tmp_path / "cd.png").stat().st_size > 5_000
