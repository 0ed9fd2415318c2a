"""Studies on worker processes and on a local Ray instance land the same runs in the store; workers
end with the run that started them."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from harcnn.errors import HarcnnError
from harcnn.experiments.store import Store
from helpers import fails, invoke


@pytest.fixture
def grid_spec(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('model = "cnn"\nrepeats = 2\nepochs = 1\nbatch_size = 8\n[hparams]\ndense = 8\n[grid]\nfilters = [4, 6]\n')
    return path


def runs_by_key(db):
    with Store(db) as store:
        return {(r.label, r.seed): r.accuracy for r in store.runs("grid")}


@pytest.mark.slow
def test_worker_processes_give_the_same_runs_as_one_process(tiny_zip, grid_spec, tmp_path):
    invoke("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "one", "--no-progress")
    invoke("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "two", "--workers", 2, "--no-progress")
    one, two = runs_by_key(tmp_path / "one" / "harcnn.db"), runs_by_key(tmp_path / "two" / "harcnn.db")
    assert len(one) == 4 and one.keys() == two.keys()
    for key in one:
        assert one[key] == pytest.approx(two[key], abs=1e-9)


@pytest.mark.ray
@pytest.mark.slow
def test_ray_executor_on_a_local_instance(tiny_zip, grid_spec, tmp_path):
    out = invoke("run", grid_spec, "--data", tiny_zip, "--results", tmp_path / "ray", "--executor", "ray", "--workers", 2, "--no-progress")
    assert "filters=4" in out
    assert len(runs_by_key(tmp_path / "ray" / "harcnn.db")) == 4


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_worker_outlives_a_killed_run(tiny_zip, tmp_path):
    spec = tmp_path / "long.toml"
    spec.write_text('model = "cnn"\nrepeats = 2\nepochs = 5000\nbatch_size = 8\n[hparams]\nfilters = 4\n')
    cmd = [sys.executable, "-c", "from harcnn.cli import main; main()", "run", str(spec), "--data", str(tiny_zip)]
    run = subprocess.Popen(
        [*cmd, "--results", str(tmp_path / "r"), "--workers", "2", "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 60
        while len(workers := children(run.pid)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 2, "the workers did not start"
        time.sleep(1.0)  # they are training now
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.time() + 10
        while any(alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not [p for p in workers if alive(p)]
    finally:
        run.kill()


def test_memory_estimate_keeps_a_resnet_study_in_one_population():
    """The estimate bounds what training holds (a training batch's activations, not an evaluation
    batch's): ten ResNet seeds on UCI HAR's shapes fit the default budget, and it grows with the batch."""
    from dataclasses import replace

    from harcnn.data.windows import WindowSet
    from harcnn.experiments.jobs import member_bytes, members_per_chunk
    from harcnn.experiments.spec import Config

    n = 7352
    data = WindowSet(
        np.zeros((n, 9, 128), np.float32), np.arange(n) % 6, np.ones(n, np.int64), tuple(f"c{i}" for i in range(9)), tuple("abcdef")
    )
    config = Config(
        model="resnet", hparams={"filters": 32}, epochs=1, batch_size=64, lr=1e-3, standardize=True, validation_subjects=0, label="r"
    )
    assert members_per_chunk(config, data) >= 10
    assert member_bytes(replace(config, batch_size=256), data) > 2 * member_bytes(config, data)


def test_unknown_executor_is_a_library_error(tmp_path):
    from harcnn.experiments.executors import make_executor

    with pytest.raises(HarcnnError, match="unknown executor 'threads'"):
        make_executor("threads", None, tmp_path)


@pytest.mark.ray
@pytest.mark.slow  # a Ray cluster of three nodes on this machine: about 55 s
def test_a_study_on_a_ray_cluster_survives_a_lost_node(monkeypatch, capsys, tiny_zip, tmp_path):
    """A head and two worker nodes (Ray's own test cluster); a worker node killed while the study
    runs: its jobs run again on the node left, every run lands in the store exactly once, and the
    same command afterwards finds nothing to do. The checkpoint folder is asked of every node first:
    a node that sees another folder at that path refuses the study."""
    import threading

    from ray.cluster_utils import Cluster

    spec = tmp_path / "grid.toml"
    spec.write_text('model = "cnn"\nrepeats = 2\nepochs = 20\nbatch_size = 8\n[hparams]\ndense = 8\n[grid]\nfilters = [4, 6, 8, 10]\n')
    results = tmp_path / "cluster"
    lost_after = {"health_check_period_ms": 500, "health_check_failure_threshold": 4}  # a dead node noticed in 2 s, not 15 s
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "_system_config": lost_after}
    )  # the head: the driver's side only
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    killed = threading.Event()

    def kill_a_node_once_runs_land():
        db = results / "harcnn.db"
        while not killed.is_set():
            if db.exists() and runs_by_key(db):
                cluster.remove_node(workers[0], allow_graceful=False)
                killed.set()
            time.sleep(0.2)

    killer = threading.Thread(target=kill_a_node_once_runs_land, daemon=True)
    killer.start()
    try:
        shared = tmp_path / "shared" / "checkpoints"
        args = ("run", spec, "--data", tiny_zip, "--results", results, "--executor", "ray", "--address", cluster.address, "--workers", 2)
        invoke(*args, "--checkpoints", shared, "--no-progress")
        assert killed.is_set()
        with Store(results / "harcnn.db") as store:
            runs = store.runs("grid")
        assert sorted((r.label, r.seed) for r in runs) == sorted((f"filters={f}", s) for f in (4, 6, 8, 10) for s in (0, 1))
        assert "8 runs already in" in invoke(*args, "--checkpoints", shared, "--no-progress")
        assert shared.is_dir() and not list(shared.glob(".reach-*"))  # asked, and the question cleaned up

        import ray

        from harcnn.experiments import ray_executor

        ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
        (tmp_path / "probe").write_text("what the driver wrote")
        blind = ray_executor.nodes_not_seeing(ray, tmp_path / "probe", "what another host's folder holds")
        assert [line.endswith(f"({workers[1].node_ip_address})") for line in blind] == [True]  # the node left, not the head
        assert ray_executor.nodes_not_seeing(ray, tmp_path / "probe", "what the driver wrote") == []
        ray.shutdown()
        monkeypatch.setattr(ray_executor, "nodes_not_seeing", lambda ray, probe, token: ["host-b (10.0.0.2)"])
        refusal = "the checkpoint folder is not shared with the Ray node(s) host-b (10.0.0.2)"
        fails(monkeypatch, capsys, refusal, *args, "--checkpoints", shared, "--repeats", 3)  # a third seed to train: refused first
        assert len(runs_by_key(results / "harcnn.db")) == 8
    finally:
        killed.set()
        import ray

        ray.shutdown()
        cluster.shutdown()
