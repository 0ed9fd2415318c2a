"""Bad input, as a careless or hostile user gives it: every case ends in one line naming the file and
the problem (exit status 2), stores nothing wrong, loses nothing stored and writes nothing outside
the results folder."""

import csv
import json
import zipfile

import numpy as np
import pytest

from harcnn.experiments.store import Store
from helpers import cli, fails, synthetic, write_csv

SPEC = 'model = "cnn"\nrepeats = 2\nepochs = 1\nbatch_size = 8\n[hparams]\nfilters = 4\ndense = 8\n'


# ---- specs: names, bounds, types -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ('name = 5\n', "name must be text"),
        ('name = ""\n', "name must not be empty"),
        (f'name = "{"x" * 300}"\n', "at most 120"),
        ('name = "a\\u0000b"\n', "control character"),
        ("lr = nan\n", "lr: must be a finite number in (0, 10]"),
        ("lr = inf\n", "lr: must be a finite number in (0, 10]"),
        ("repeats = 100000000000000000\n", "repeats: must be from 1 to 1000"),
        ("epochs = 0\n", "epochs: must be a whole number from 1"),
        ("[hparams]\nfilters = 0\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nfilters = -3\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nfilters = 1000000000\n", "filters must be a whole number from 1 to 65536"),
        ("[hparams]\nkernel = 0\n", "kernel must be a whole number"),
        ("[hparams]\ndropout = 1.5\n", "dropout must be a rate in [0, 1)"),
        ('model = "multihead"\n[hparams]\nkernels = []\n', "kernels must be a non-empty list"),
        ("[grid]\nfilters = [4, 0]\n", "grid.filters"),
        pytest.param("[hparams]\nfilters = 60000\ndense = 60000\n", "GiB", marks=pytest.mark.slow),
    ],
    ids=["name-int", "name-empty", "name-long", "name-nul", "lr-nan", "lr-inf", "repeats-huge", "epochs-0", "filters-0",
         "filters-negative", "filters-huge", "kernel-0", "dropout", "kernels-empty", "grid-bad", "memory"],
)  # fmt: skip
def test_bad_specs_fail_before_training(monkeypatch, capsys, tmp_path, tiny_zip, text, message):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    results = tmp_path / "results"
    fails(monkeypatch, capsys, message, "run", spec, "--data", tiny_zip, "--results", results, "--no-progress")
    assert not (results / "harcnn.db").exists() or not Store(results / "harcnn.db").runs()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--repeats", 0], "--repeats: must be from 1"),
        (["--executor", "threads"], "'threads' is not one of 'local', 'inline', 'processes', 'ray'. (harcnn run -h for help)"),
    ],
)
def test_bad_run_options(monkeypatch, capsys, tmp_path, tiny_zip, args, message):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    fails(monkeypatch, capsys, message, "run", spec, "--data", tiny_zip, "--results", tmp_path / "r", "--no-progress", *args)


def test_a_folder_as_spec(monkeypatch, capsys, tmp_path, tiny_zip):
    fails(monkeypatch, capsys, "is a folder", "run", tmp_path, "--data", tiny_zip)


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


# ---- the store keeps populations apart ---------------------------------------------------------


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


# ---- models, recordings, streams -----------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import write_uci_folder, zip_folder
    from harcnn import HARClassifier
    from harcnn.data.resolve import load_dataset

    root = tmp_path_factory.mktemp("trained")
    ds = load_dataset(str(zip_folder(write_uci_folder(root / "src"), root / "u.zip")))
    HARClassifier(epochs=1, batch_size=8, filters=4, dense=8, standardize=True).fit_windows(ds.train).save(root / "model")
    return root / "model"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.pop("classes"), "field 'classes': missing"),
        (lambda m: m.update(seq_len="128"), "field 'seq_len': must be a positive whole number"),
        (lambda m: m.update(channels=[1, 2]), "field 'channels': must be a non-empty list of names"),
        (lambda m: m.update(classes=["a", "a", "b", "c", "d", "e"]), "field 'classes': names must be unique"),
        (lambda m: m["transform"]["standardize"].update(mean=[0.0] * 3), "field 'transform': mean must list one number per channel"),
        (lambda m: m.update(model="lstm"), "field 'model': unknown model 'lstm'"),
        (lambda m: m.update(hparams={"filters": 0}), "cannot be built"),
        (lambda m: m.update(members=2), "field 'seeds'"),
        (lambda m: m["pipeline"].update(rate="50"), "pipeline field 'rate' has the wrong type"),
        (lambda m: m["pipeline"].update(filter="none"), "field 'pipeline': makes channels ['ax', 'ay', 'az', 'gx', 'gy', 'gz']"),
        (lambda m: m["pipeline"].update(units=["g"] * 6), "'gx' is gyro; its unit must be one of ['rad/s', 'deg/s']"),
    ],
    ids=[
        "no-classes",
        "seq-len-text",
        "channels-numbers",
        "classes-twice",
        "transform-length",
        "unknown-model",
        "bad-hparam",
        "members",
        "pipeline-type",
        "pipeline-channels",
        "pipeline-units",
    ],  # fmt: skip
)
def test_malformed_model_json(monkeypatch, capsys, tmp_path, trained, tiny_zip, edit, message):
    import shutil

    model = shutil.copytree(trained, tmp_path / "model")
    meta = json.loads((model / "model.json").read_text())
    edit(meta)
    (model / "model.json").write_text(json.dumps(meta))
    fails(monkeypatch, capsys, message, "evaluate", model, "--data", tiny_zip)


def phone_csv(path, t, a, g):
    rows = np.column_stack([t, a, g])
    path.write_text("timestamp,ax,ay,az,gx,gy,gz\n" + "\n".join(",".join(repr(float(v)) for v in r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(
    "change, note",
    [
        (lambda t, a, g: (t * 1000, a, g), None),
        (lambda t, a, g: (t * 1e9, a, g), None),
        (lambda t, a, g: (t, a * 9.80665, g), "acc in m/s^2, converted (the model's recordings were in g)"),
        (lambda t, a, g: (t, a * 1000, g), "acc in milli-g, converted"),
        (lambda t, a, g: (t, a, np.degrees(g)), "gyro in deg/s, converted"),
    ],
    ids=["ms", "ns", "m/s2", "milli-g", "deg/s"],
)
def test_recordings_in_other_time_units_and_units_predict_alike(monkeypatch, capsys, tmp_path, trained, change, note):
    rec = synthetic(1000)
    t = np.arange(1000) / 50.0
    code, plain = cli(monkeypatch, capsys, "predict", trained, phone_csv(tmp_path / "plain.csv", t, rec.acc, rec.gyro))
    code, text = cli(monkeypatch, capsys, "predict", trained, phone_csv(tmp_path / "phone.csv", *change(t, rec.acc, rec.gyro)))
    assert code == 0 and text.splitlines()[-15:] == plain.splitlines()[-15:], text
    assert (note in text) if note else ("note" not in text), text


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t, a, g: (t * 25, a, g), "no time unit (s, ms, us, ns) gives a sampling rate"),
        (lambda t, a, g: (t, a * 1e30, g), "line 2: ax is 1.2573e+27, beyond any acc sensor's range in any unit harcnn knows"),
        (lambda t, a, g: (t, a * 50, g), "is gravity in no unit harcnn knows (g, m/s^2, milli-g)"),
        (lambda t, a, g: (t, a, g * 1e6), "beyond any gyro sensor's range in any unit"),
        (lambda t, a, g: (t[:100], a[:100], g[:100]), "shorter than one window"),
    ],
    ids=["time", "1e30", "no-gravity", "1e6", "short"],
)
def test_recordings_refused_with_why(monkeypatch, capsys, tmp_path, trained, change, message):
    rec = synthetic(1000)
    fails(
        monkeypatch,
        capsys,
        message,
        "predict",
        trained,
        phone_csv(tmp_path / "phone.csv", *change(np.arange(1000) / 50.0, rec.acc, rec.gyro)),
    )


@pytest.mark.parametrize("smooth", [0, -1, 2, 10**9 + 1])
@pytest.mark.parametrize("stream", [False, True])
def test_smooth_is_checked_offline_and_streaming(monkeypatch, capsys, tmp_path, trained, smooth, stream):
    csv = write_csv(tmp_path / "phone.csv", synthetic(300))
    args = ["predict", trained, "--stream"] if stream else ["predict", trained, csv]
    fails(monkeypatch, capsys, "--smooth takes an odd number of windows from 1", *args, "--smooth", smooth, stdin="")


def stream_text(rec, header, columns, rate=50.0):
    t = np.arange(len(rec)) / rate
    values = {
        "timestamp": t,
        "ax": rec.acc[:, 0],
        "ay": rec.acc[:, 1],
        "az": rec.acc[:, 2],
        "gx": rec.gyro[:, 0],
        "gy": rec.gyro[:, 1],
        "gz": rec.gyro[:, 2],
    }
    lines = [",".join(f"{values[c][i]:.6f}" for c in columns) for i in range(len(rec))]
    return (",".join(columns) + "\n" if header else "") + "\n".join(lines) + "\n"


def test_stream_honours_the_header_order_and_the_rate(monkeypatch, capsys, trained):
    rec = synthetic(600)
    plain = cli(monkeypatch, capsys, "predict", trained, "--stream", stdin=stream_text(rec, False, ["ax", "ay", "az", "gx", "gy", "gz"]))
    shuffled = ["gz", "timestamp", "ay", "gx", "ax", "gy", "az"]
    reordered = cli(monkeypatch, capsys, "predict", trained, "--stream", stdin=stream_text(rec, True, shuffled))
    assert plain[0] == reordered[0] == 0 and plain[1] == reordered[1] and len(plain[1].splitlines()) == 8
    fails(
        monkeypatch,
        capsys,
        "the timestamps give 100 Hz",
        "predict",
        trained,
        "--stream",
        stdin=stream_text(rec, True, ["timestamp", "ax", "ay", "az", "gx", "gy", "gz"], 100.0),
    )
    fails(
        monkeypatch,
        capsys,
        "header lacks column(s) ['gz']",
        "predict",
        trained,
        "--stream",
        stdin="timestamp,ax,ay,az,gx,gy\n1,2,3,4,5,6\n",
    )


@pytest.mark.parametrize("command", ["train", "predict", "import"])
def test_out_into_a_missing_folder(monkeypatch, capsys, tmp_path, trained, tiny_zip, command):
    target = tmp_path / "no" / "such" / "place"
    if command == "train":
        spec = tmp_path / "s.toml"
        spec.write_text(SPEC)
        args = ["train", spec, "--data", tiny_zip, "--out", target]
    elif command == "predict":
        args = ["predict", trained, write_csv(tmp_path / "p.csv", synthetic(300)), "--out", target]
    else:
        np.savez(tmp_path / "w.npz", X=np.zeros((8, 2, 16)), y=np.arange(8) % 2, subject=np.arange(8) % 4)
        args = ["data", "import", tmp_path / "w.npz", "--out", target.with_suffix(".npz")]
    fails(monkeypatch, capsys, "does not exist", *args)


# ---- users' windows ---------------------------------------------------------------------------------


def npz(tmp_path, **arrays):
    base = {"X": np.random.default_rng(0).normal(size=(12, 2, 16)), "y": np.array(["a", "b", "c"] * 4), "subject": np.arange(12) % 4}
    base.update(arrays)
    np.savez(tmp_path / "w.npz", **{k: v for k, v in base.items() if v is not None})
    return tmp_path / "w.npz"


@pytest.mark.parametrize(
    "arrays, extra, message",
    [
        ({"X": np.full((12, 2, 16), 1e300)}, [], "beyond float32's range"),
        ({"classes": np.array(["a", "a", "c"]), "y": np.arange(12) % 3}, [], "class name 'a' appears twice"),
        ({"y": np.array(["a", "", "c"] * 4)}, [], "class name must not be empty"),
        ({"X": np.full((12, 2, 16), "x")}, [], "X must hold real numbers"),
        ({"X": np.zeros((12, 2, 16), complex)}, [], "X must hold real numbers"),
        ({"split": np.array(["test"] * 12)}, [], "leaves no training windows"),
        ({}, ["--test-subjects", "0,1,2,3"], "leaves no training windows"),
    ],
    ids=["inf-after-cast", "duplicate-class", "empty-class", "string-X", "complex-X", "split-all-test", "all-subjects-test"],
)
def test_bad_npz_windows(monkeypatch, capsys, tmp_path, arrays, extra, message):
    fails(monkeypatch, capsys, message, "data", "import", npz(tmp_path, **arrays), "--out", tmp_path / "d.npz", *extra)
    assert not (tmp_path / "d.npz").exists()


def test_truncated_npz(monkeypatch, capsys, tmp_path):
    path = npz(tmp_path)
    path.write_bytes(path.read_bytes()[:300])
    fails(monkeypatch, capsys, "truncated", "data", "import", path, "--out", tmp_path / "d.npz")
    fails(monkeypatch, capsys, "damaged", "data", "info", "--data", path)


def test_a_subject_changing_inside_a_csv_window(monkeypatch, capsys, tmp_path):
    rows = ["window,step,a,label,subject"] + [f"{w},{s},0.5,{'x' if w % 2 else 'y'},{w}" for w in range(4) for s in range(8)]
    rows[5] = rows[5].rsplit(",", 1)[0] + ",99"
    (tmp_path / "w.csv").write_text("\n".join(rows) + "\n")
    fails(monkeypatch, capsys, "changes subject from '0' to '99'", "data", "import", tmp_path / "w.csv", "--out", tmp_path / "d.npz")


# ---- HAPT labels by id, cache and downloads --------------------------------------------------------


def test_a_damaged_cache_entry_is_rebuilt(monkeypatch, capsys, tiny_zip):
    from harcnn.datasets import uci_har

    assert cli(monkeypatch, capsys, "data", "fetch", "--from", tiny_zip)[0] == 0
    for npz_file in uci_har.cache_location().glob("*.npz"):
        npz_file.write_bytes(npz_file.read_bytes()[:1000])
    code, text = cli(monkeypatch, capsys, "data", "info")
    assert code == 0 and "WALKING" in text, text
    code, text = cli(monkeypatch, capsys, "data", "fetch", "--from", tiny_zip)
    assert code == 0, text


def test_a_broken_download_is_not_cached_and_urls_do_not_share_files(tmp_path, tiny_zip):
    from harcnn.datasets.uci_har import download
    from harcnn.errors import HarcnnError

    page = tmp_path / "a" / "UCI HAR Dataset.zip"
    page.parent.mkdir()
    page.write_text("<html>please log in</html>")
    with pytest.raises(HarcnnError, match="not a zip file"):
        download(page.as_uri())
    good = tmp_path / "b" / "UCI HAR Dataset.zip"
    good.parent.mkdir()
    good.write_bytes(tiny_zip.read_bytes())
    target = download(good.as_uri())
    assert zipfile.is_zipfile(target)
    page.write_bytes(b"PK" + b"0" * 100)
    with pytest.raises(HarcnnError):
        download(page.as_uri())  # same file name, another URL: not served from the good one's file


def test_names_with_mathtext_or_markup_render_as_written(tmp_path):
    """A class or study called `$x^$` would stop matplotlib's mathtext parser; `<b>` must not become markup."""
    from harcnn.report import plots

    classes = ["$x^$", "<b>walk</b>"]
    png = plots.confusion(np.array([[3, 1], [0, 4]]), classes, "study $x^$", tmp_path / "c.png")
    assert png.stat().st_size > 1000
    assert plots.boxplot({"$a_": [0.5, 0.6]}, "$", tmp_path / "b.png").stat().st_size > 1000


# ---- reliability, round 3 (issue #16) ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["../../ckpt-escaped", "/tmp/harcnn-ckpt-absolute"])
def test_checkpoints_of_any_study_name_stay_in_the_results_folder(monkeypatch, capsys, tmp_path, tiny_zip, name):
    """A real checkpoint write (every epoch, by lowering the interval) for names with ../ and absolute names."""
    from pathlib import Path

    from harcnn.train import checkpoint, population

    written = []
    save = checkpoint.save_checkpoint

    def recording_save(path, *args):
        written.append(Path(path))
        save(path, *args)

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


def test_repeats_must_cover_every_fold(monkeypatch, capsys, tmp_path, tiny_zip):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.replace("repeats = 2", "repeats = 2\ncv_folds = 2"))
    results = tmp_path / "r"
    fails(
        monkeypatch,
        capsys,
        "--repeats: must be a multiple of cv_folds (2)",
        "run",
        spec,
        "--data",
        tiny_zip,
        "--results",
        results,
        "--repeats",
        3,
    )
    assert not results.exists()


@pytest.mark.parametrize("name", ["rotation-refit", "rotation-candidates", "rotation-candidates-test"])
def test_a_user_study_cannot_take_a_selection_name(monkeypatch, capsys, tmp_path, tiny_zip, name):
    spec = tmp_path / "s.toml"
    spec.write_text(f'name = "{name}"\n' + SPEC)
    fails(
        monkeypatch, capsys, "are reserved for the studies of `harcnn select`", "run", spec, "--data", tiny_zip, "--results", tmp_path / "r"
    )


def windows_npz(path, X=None, y=None, subject=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, 2, 16)) if X is None else X
    np.savez(path, X=X, y=np.array(["a", "b", "c"] * 4) if y is None else y, subject=np.arange(12) % 4 if subject is None else subject)
    return path


@pytest.mark.parametrize(
    "test_arrays, extra, message",
    [
        ({"y": np.array(["a", "b", "d"] * 4), "subject": np.arange(12) % 4 + 10}, [], "test class 'd' never occurs in the training split"),
        ({"subject": np.arange(12) % 4 + 3}, [], "subject 3 is in both the training and the test split"),
        ({"subject": np.arange(12) % 4 + 10}, ["--test-subjects", "1"], "give either a test file or test subjects, not both"),
    ],
    ids=["unseen-class", "shared-subject", "test-subjects-too"],
)
def test_a_test_file_must_be_an_honest_test_split(monkeypatch, capsys, tmp_path, test_arrays, extra, message):
    train = windows_npz(tmp_path / "train.npz")
    test = windows_npz(tmp_path / "test.npz", seed=1, **test_arrays)
    out = tmp_path / "d.npz"
    fails(monkeypatch, capsys, message, "data", "import", train, "--test", test, "--out", out, *extra)
    assert not out.exists()


def test_the_same_windows_as_train_and_test_are_refused(monkeypatch, capsys, tmp_path):
    train = windows_npz(tmp_path / "train.npz")
    fails(monkeypatch, capsys, "the test file is the training file", "data", "import", train, "--test", train, "--out", tmp_path / "d.npz")
    copy = windows_npz(tmp_path / "copy.npz", subject=np.arange(12) % 4 + 10)  # other subjects, same windows
    fails(
        monkeypatch,
        capsys,
        "12 test window(s) are identical to training windows",
        "data",
        "import",
        train,
        "--test",
        copy,
        "--out",
        tmp_path / "d.npz",
    )


def test_one_class_is_not_a_dataset(monkeypatch, capsys, tmp_path):
    source = windows_npz(tmp_path / "w.npz", y=np.array(["a"] * 12))
    fails(monkeypatch, capsys, "the training split holds one class ('a')", "data", "import", source, "--out", tmp_path / "d.npz")


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
        "predict": ["predict", model, write_csv(tmp_path / "p.csv", synthetic(300))],
        "evaluate": ["evaluate", model],
    }[command]
    fails(monkeypatch, capsys, message, *args, "--out", model / target if target != "." else tmp_path)
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before


def test_train_checks_its_output_and_options_before_training(monkeypatch, capsys, tmp_path, tiny_zip):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    existing = tmp_path / "a-file"
    existing.write_text("mine")
    fails(monkeypatch, capsys, "is a file; give a folder", "train", spec, "--data", tiny_zip, "--out", existing)
    assert existing.read_text() == "mine"
    base = ["train", spec, "--data", tiny_zip, "--out", tmp_path / "m"]
    fails(monkeypatch, capsys, "random_state: must be a whole number", *base, "--seed", 2**64)
    fails(monkeypatch, capsys, "members: must be a whole number from 1", *base, "--members", 0)
    rocket = tmp_path / "r.toml"
    rocket.write_text('model = "minirocket"\nrepeats = 1\n')
    fails(monkeypatch, capsys, "'minirocket' is a peer (aeon)", "train", rocket, "--data", tiny_zip, "--out", tmp_path / "m")
    huge = tmp_path / "h.toml"
    huge.write_text('model = "resnet"\nrepeats = 1\nbatch_size = 65536\n[hparams]\nfilters = 65536\n')
    fails(monkeypatch, capsys, "GiB", "train", huge, "--data", tiny_zip, "--out", tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "spec, message",
    [
        ('model = "minirocket"\n[hparams]\nn_kernels = 84\n', "minirocket: windows of 8 steps are shorter than its kernels (9 steps)"),
        ('model = "fcn"\n[hparams]\nkernels = [9, 5]\n', "fcn: kernel 9 is longer than the 8 steps"),
        ('model = "resnet"\n[hparams]\npool = 9\nkernels = [3]\n', "resnet: pooling by 9 is longer than the 8 steps"),
        ('model = "inception"\n', "inception: kernel 39 is longer than the 8 steps"),
    ],
)
def test_kernels_and_pooling_longer_than_the_window_fail_before_training(monkeypatch, capsys, tmp_path, spec, message):
    data = tmp_path / "d.npz"
    code, text = cli(
        monkeypatch,
        capsys,
        "data",
        "import",
        windows_npz(tmp_path / "w.npz", X=np.random.default_rng(0).normal(size=(12, 2, 8))),
        "--out",
        data,
    )
    assert code == 0, text
    path = tmp_path / "s.toml"
    path.write_text("repeats = 1\n" + spec)
    fails(monkeypatch, capsys, message, "run", path, "--data", data, "--results", tmp_path / "r")
    assert not (tmp_path / "r" / "harcnn.db").exists() or not Store(tmp_path / "r" / "harcnn.db").studies()


def test_int8_export_checks_the_data_it_compares_on(monkeypatch, capsys, tmp_path, tiny_zip):
    from harcnn import HARClassifier

    rng = np.random.default_rng(0)
    HARClassifier(epochs=1, batch_size=8, filters=4, dense=8).fit(rng.normal(size=(16, 2, 16)), np.arange(16) % 2).save(tmp_path / "m")
    fails(
        monkeypatch, capsys, "give --data the dataset it was trained on", "export", tmp_path / "m", "--quantize", "int8", "--data", tiny_zip
    )
    assert not (tmp_path / "m" / "model.onnx").exists()


def test_recording_csv_as_spreadsheets_write_it(monkeypatch, capsys, tmp_path, trained):
    """A byte-order mark, trailing commas, blank lines: read as the user meant; a NaN at its own line number."""
    rec = synthetic(300)
    plain = write_csv(tmp_path / "plain.csv", rec)
    code, expected = cli(monkeypatch, capsys, "predict", trained, plain)
    assert code == 0, expected
    lines = plain.read_text().splitlines()
    excel = tmp_path / "excel.csv"
    excel.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(line + "," for line in lines).encode() + b"\r\n")
    code, text = cli(monkeypatch, capsys, "predict", trained, excel)
    assert code == 0 and text.replace("excel.csv", "plain.csv") == expected, text
    header_only = tmp_path / "header.csv"
    header_only.write_text(lines[0] + "\n")
    fails(monkeypatch, capsys, "holds 0 sample line(s) after its header", "predict", trained, header_only)
    gappy = tmp_path / "gappy.csv"
    body = lines[1:]
    body[100] = ",".join(["nan"] * 7)
    gappy.write_text("\n".join([lines[0], "", ""] + body) + "\n")  # header, two blank lines: row 100 is line 104
    fails(monkeypatch, capsys, "line 104 holds NaN", "predict", trained, gappy)


def test_a_stream_with_a_byte_order_mark_keeps_its_timestamps(monkeypatch, capsys, trained):
    text = stream_text(synthetic(600), True, ["timestamp", "ax", "ay", "az", "gx", "gy", "gz"], 100.0)
    fails(monkeypatch, capsys, "the timestamps give 100 Hz", "predict", trained, "--stream", stdin="\ufeff" + text)


def test_an_npz_in_the_tutorial_layout_is_refused_or_transposed_as_asked(monkeypatch, capsys, tmp_path):
    X = np.random.default_rng(0).normal(size=(12, 16, 2))  # (samples, timesteps, features)
    source = windows_npz(tmp_path / "w.npz", X=X)
    out = tmp_path / "d.npz"
    fails(
        monkeypatch,
        capsys,
        "look like (n, steps, channels), the tutorial's layout (16 channels of 2 steps)",
        "data",
        "import",
        source,
        "--out",
        out,
    )
    assert not out.exists()
    code, text = cli(monkeypatch, capsys, "data", "import", source, "--out", out, "--layout", "ntc")
    assert code == 0 and "windows of 2 channels x 16 steps" in text, text


def test_a_continuous_target_is_not_sixty_four_classes(monkeypatch, capsys, tmp_path):
    y = np.array([f"{v:.3f}" for v in np.random.default_rng(0).uniform(0, 1, 12)])  # a measurement, written as text
    source = windows_npz(tmp_path / "w.npz", y=y)
    fails(
        monkeypatch,
        capsys,
        "the labels look like a continuous target (12 distinct numbers",
        "data",
        "import",
        source,
        "--out",
        tmp_path / "d.npz",
    )


# -- reliability round 4: options and files checked before use, one error line each ----------------


@pytest.fixture
def phone_folder(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    for i, subject in enumerate(("s1", "s2")):
        rec = synthetic(1000, seed=i)
        rows = np.column_stack([np.arange(1000) / 50, rec.acc, rec.gyro])
        lines = [",".join(f"{v:.5f}" for v in r) + f",walk,{subject}" for r in rows]
        (folder / f"{subject}.csv").write_text("timestamp,ax,ay,az,gx,gy,gz,label,subject\n" + "\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "nan"], "--rate must be 5 to 1000 Hz, got nan"),
        (["--rate", "inf"], "--rate must be 5 to 1000 Hz, got inf"),
        (["--window", "nan"], "--window must be a positive number of seconds, got nan"),
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, got -1"),
        (["--filter", "uci-har", "--rate", "20"], "filter 'uci-har' low-passes at 20 Hz, which needs a rate above 40 Hz; got 20 Hz"),
        (["--time-unit", "s", "--units", "acc=g,gyro=rad/s", "--rate", "40"], None),
    ],
    ids=["rate-nan", "rate-inf", "window-nan", "seed", "filter-rate", "ok"],
)
def test_recordings_options_are_checked_before_reading(monkeypatch, capsys, tmp_path, phone_folder, args, message):
    monkeypatch.setattr("harcnn.data.recording_windows.read_sources", lambda *a: pytest.fail("read before the options were checked"))
    if message is None:
        return
    fails(monkeypatch, capsys, message, "data", "recordings", phone_folder, "--out", tmp_path / "d.npz", *args)


def test_an_import_with_a_negative_seed_is_one_error(monkeypatch, capsys, tmp_path):
    np.savez(tmp_path / "w.npz", X=np.zeros((8, 2, 16)), y=np.arange(8) % 2, subject=np.arange(8) % 4)
    fails(
        monkeypatch,
        capsys,
        "--seed must be a whole number",
        "data",
        "import",
        tmp_path / "w.npz",
        "--out",
        tmp_path / "d.npz",
        "--seed",
        "-1",
    )


def test_a_spec_or_dataset_nested_too_deep_is_one_error(monkeypatch, capsys, tmp_path):
    spec = tmp_path / "deep.toml"
    spec.write_text("a = " + "[" * 100_000 + "1" + "]" * 100_000 + "\n")
    fails(monkeypatch, capsys, "deep.toml: nested too deeply", "run", spec)
    deep = np.array("[" * 100_000 + "]" * 100_000)
    X = np.random.default_rng(0).normal(size=(8, 2, 16))
    np.savez(tmp_path / "w.npz", X=X, y=np.arange(8) % 2, subject=np.arange(8) % 4, pipeline=deep)
    fails(monkeypatch, capsys, "w.npz: pipeline: nested too deeply", "data", "import", tmp_path / "w.npz", "--out", tmp_path / "d.npz")


def test_a_stream_line_that_never_ends_is_refused(monkeypatch, capsys, trained):
    fails(
        monkeypatch,
        capsys,
        "stdin line 2: longer than 4,096 characters",
        "predict",
        trained,
        "--stream",
        stdin="ax,ay,az,gx,gy,gz\n" + "1," * 10**6,
    )


def test_predict_takes_the_time_unit_its_errors_suggest(monkeypatch, capsys, tmp_path, trained):
    rec = synthetic(1000)
    path = phone_csv(tmp_path / "p.csv", np.arange(1000) * 0.5, rec.acc, rec.gyro)  # 2 Hz in seconds, 2000 Hz in ms: neither
    text = fails(monkeypatch, capsys, "give the unit (--time-unit)", "predict", trained, path)
    code, out = cli(monkeypatch, capsys, "predict", trained, path, "--time-unit", "ms", "--help")
    assert code == 0 and "--time-unit" in out, text
