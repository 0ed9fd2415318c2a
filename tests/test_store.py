"""The SQLite results store: atomic writes, no duplicates, several writers."""

import csv
import multiprocessing

import pytest

from harcnn.experiments.store import Store
from helpers import SPEC, cli, fails, make_run


def test_round_trip_and_no_duplicates(tmp_path):
    with Store(tmp_path / "r.db") as store:
        store.add([make_run(0), make_run(1)])
        store.add([make_run(1, accuracy=0.1), make_run(2)])  # seed 1 again: kept as first written
        runs = store.runs("s")
        assert [r.seed for r in runs] == [0, 1, 2]
        assert runs[1].accuracy == 0.9 and runs[0].per_class == {"A": {"f1": 0.5}}
        assert store.seeds_done("s", "k", "d") == {0, 1, 2}
        assert store.seeds_done("s", "k", "other-data") == set()
        assert store.studies() == ["s"]


def _writer(path, offset):
    with Store(path) as store:
        for i in range(20):
            store.add([make_run(offset + i)])


@pytest.mark.slow
def test_two_processes_write_to_one_store(tmp_path):
    path = tmp_path / "r.db"
    Store(path).close()
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(path, k * 100)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Store(path) as store:
        assert len(store.runs()) == 40


@pytest.mark.slow
def test_a_study_rerun_with_another_configuration_or_dataset_is_kept_apart(monkeypatch, capsys, tmp_path, tiny_zip, tiny_folder):
    from conftest import write_uci_folder, zip_folder

    other = zip_folder(write_uci_folder(tmp_path / "other", seed=5), tmp_path / "other.zip")
    spec, results = tmp_path / "s.toml", tmp_path / "results"
    spec.write_text(SPEC)
    assert cli(monkeypatch, capsys, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress")[0] == 0
    spec.write_text(SPEC.replace("filters = 4", "filters = 6"))  # same name, same label, another configuration
    assert cli(monkeypatch, capsys, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress")[0] == 0
    code, text = cli(monkeypatch, capsys, "run", spec, "--data", other, "--results", results, "--no-progress")
    assert code == 0 and "kept apart" in text
    with Store(results / "harcnn.db") as store:
        assert len(store.runs("s")) == 6  # nothing lost
    code, text = cli(monkeypatch, capsys, "report", "--data", tiny_zip, "--results", results)
    assert code == 0, text
    table = [line for line in text.splitlines() if line.startswith("s ")][:3]  # the first block of the table (it is fitted to 80 columns)
    assert len({line.split("]")[0] for line in table}) == 3 and all(line.split("]")[1].split()[0] == "2" for line in table), (
        text
    )  # three populations of n = 2
    rows = list(csv.DictReader((results / "s" / "runs.csv").open()))
    assert len(rows) == 6 and len({r["data_sha256"] for r in rows}) == 2  # both datasets' runs kept


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b""], ids=["text", "empty-dir"])
def test_a_file_that_is_not_a_store(monkeypatch, capsys, tmp_path, tiny_zip, content):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    db = tmp_path / "store.db"
    if content:
        db.write_bytes(content)
    else:
        db.mkdir()
    fails(monkeypatch, capsys, str(db), "run", spec, "--data", tiny_zip, "--db", db, "--no-progress")
    if content:
        assert db.read_bytes() == content  # left as it was
