"""The SQLite results store: atomic writes, no duplicates, several writers."""

import multiprocessing

import pytest

from harcnn.experiments.store import Store
from helpers import make_run


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
