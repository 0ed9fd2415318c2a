"""The study runner (`experiments.runner`): results and checkpoints stay in the results folder, whatever the study is called."""

import json

import pytest

from harcnn.experiments.store import Store
from helpers import SPEC, cli


@pytest.mark.slow
@pytest.mark.parametrize("name", ["../../escaped", "/tmp/harcnn-absolute-escape", "..", "a/../../b"])
def test_a_study_name_never_writes_outside_the_results_folder(monkeypatch, capsys, tmp_path, tiny_zip, name):
    work = tmp_path / "work"
    results = work / "results"
    work.mkdir()
    spec = work / "s.toml"
    spec.write_text(f"name = {json.dumps(name)}\n" + SPEC)
    before = {p for p in tmp_path.rglob("*")}
    code, text = cli(monkeypatch, capsys, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress")
    assert code == 0, text
    code, text = cli(monkeypatch, capsys, "report", "--data", tiny_zip, "--results", results)
    assert code == 0, text
    home = tmp_path / "home"  # harcnn's cache ($HARCNN_HOME), where the dataset was parsed to
    new = {p for p in tmp_path.rglob("*") if p != home and home not in p.parents} - before
    assert new and all(results in p.parents or p == results for p in new), sorted(new)
    assert not any(p.name == "escaped" for p in tmp_path.parent.rglob("escaped"))
    from pathlib import Path

    assert not Path("/tmp/harcnn-absolute-escape").exists()
    with Store(results / "harcnn.db") as store:
        assert store.studies() == [name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["../../ckpt-escaped", "/tmp/harcnn-ckpt-absolute"])
def test_checkpoints_of_any_study_name_stay_in_the_results_folder(monkeypatch, capsys, tmp_path, tiny_zip, name):
    """A real checkpoint write (every epoch, by lowering the interval) for names with ../ and absolute names."""
    from pathlib import Path

    from harcnn.train import checkpoint, population

    written = []
    save = checkpoint.save_checkpoint

    def recording_save(path, *args, **kwargs):
        written.append(Path(path))
        save(path, *args, **kwargs)

    monkeypatch.setattr(population, "CHECKPOINT_EVERY", 0.0)
    monkeypatch.setattr(population, "save_checkpoint", recording_save)
    spec = tmp_path / "s.toml"
    spec.write_text(f"name = {json.dumps(name)}\n" + SPEC.replace("epochs = 1", "epochs = 3"))
    results = tmp_path / "work" / "results"
    results.parent.mkdir()
    code, text = cli(monkeypatch, capsys, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress", "--workers", 1)
    assert code == 0, text
    assert written, "no checkpoint was written"
    assert all(results / ".checkpoints" in p.resolve().parents for p in written), written
    outside = [p for p in tmp_path.rglob("ckpt-escaped*") if results not in p.parents]
    assert not Path("/tmp/harcnn-ckpt-absolute").exists() and not outside, outside
