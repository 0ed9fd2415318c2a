"""harcnn as a library: the estimator in scikit-learn's conventions, the public names, no side effects
on the user's process, the fallback optimizer and the fused-kernel switch."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from typer.testing import CliRunner

import harcnn
from harcnn.cli import app
from harcnn.errors import HarcnnError
from harcnn.train import adam
from harcnn.train.runtime import flush_denormal_enabled

NAMES = np.array(["run", "sit", "walk"])
SMALL = dict(epochs=4, batch_size=16, lr=3e-3, filters=8, dense=16)


def windows(n=120, c=3, t=32, seed=0):
    """Separable windows: class k shifts every channel by k; 6 subjects."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.normal(0, 0.5, (n, c, t)) + y[:, None, None]).astype(np.float32)
    return X, NAMES[y], np.arange(n) % 6


def test_fit_predict_score_with_string_labels():
    X, y, groups = windows()
    clf = harcnn.HARClassifier(**SMALL).fit(X, y, groups=groups)
    assert clf.classes_.tolist() == ["run", "sit", "walk"]
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert set(clf.predict(X)) <= set(NAMES)
    assert clf.score(X, y) > 0.9
    with pytest.raises(HarcnnError, match=r"expects windows of shape \(n, 3, 32\)"):
        clf.predict(X[:, :2])


def test_parameters_clone_and_set_params():
    clf = harcnn.HARClassifier("multihead", epochs=2, kernels=[3, 5], filters=4)
    params = clf.get_params()
    assert params["kernels"] == [3, 5] and params["filters"] == 4 and params["epochs"] == 2
    twin = clone(clf)
    assert twin.get_params() == params and twin is not clf
    twin.set_params(filters=8, epochs=1)
    assert twin.get_params()["filters"] == 8 and twin.epochs == 1 and clf.get_params()["filters"] == 4
    twin.set_params(no_such_parameter=1)  # scikit-learn's rule: set_params stores, fit checks
    with pytest.raises(HarcnnError, match="has no hyperparameter 'no_such_parameter'"):
        twin.fit(*windows()[:2])


@pytest.mark.slow
def test_cross_validation_by_subject_and_pipeline():
    X, y, groups = windows()
    scores = cross_val_score(harcnn.HARClassifier(**SMALL), X, y, groups=groups, cv=GroupKFold(n_splits=3))
    assert scores.shape == (3,) and scores.min() > 0.5  # chance: 1/3
    pipe = make_pipeline(FunctionTransformer(lambda a: a * 0.5), harcnn.HARClassifier(**SMALL))
    assert pipe.fit(X, y).score(X, y) > 0.8


def test_ensemble_is_the_mean_of_its_members_and_saves_as_one_folder(tmp_path):
    X, y, groups = windows()
    clf = harcnn.HARClassifier(members=3, standardize=True, random_state=4, **SMALL).fit(X, y, groups=groups)
    members = clf.member_proba(X)
    assert members.shape == (3, 120, 3) and not np.allclose(members[0], members[1])
    np.testing.assert_allclose(clf.predict_proba(X), members.mean(0), rtol=1e-6)
    again = harcnn.load(clf.save(tmp_path / "model"))
    assert again.meta_.seeds == (4, 5, 6) and again.get_params()["members"] == 3
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_a_model_from_python_works_with_the_cli(tiny_zip, tmp_path):
    """The same folder both ways: fitted in Python, evaluated by `harcnn evaluate` (no KeyError)."""
    ds = harcnn.load_dataset(str(tiny_zip))
    clf = harcnn.HARClassifier(epochs=2, batch_size=8, filters=4, dense=8).fit(
        ds.train.X, np.array(ds.train.classes)[ds.train.y], channels=ds.train.channels
    )
    clf.save(tmp_path / "model")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "model"), "--data", str(tiny_zip)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "WALKING_UPSTAIRS" in result.output


def test_models_create_and_list_and_plain_windows():
    assert harcnn.models.list_models() == [*harcnn.models.NETWORKS, *harcnn.models.PEERS]
    one = harcnn.models.create("cnn", c_in=3, n_classes=4, seq_len=40)
    assert one(torch.randn(5, 3, 40)).shape == (5, 4)
    three = harcnn.models.create("multihead", c_in=3, n_classes=4, seq_len=40, members=3)
    assert three(torch.randn(5, 3, 40)).shape == (3, 5, 4) and three(torch.randn(3, 5, 3, 40)).shape == (3, 5, 4)
    with pytest.raises(ValueError, match=r"windows must be \(n, channels, steps\)"):
        one(torch.randn(40))


@pytest.mark.parametrize("flushing", [False, True])
def test_fit_leaves_flush_to_zero_as_found(flushing):
    X, y, _ = windows(n=40)
    torch.set_flush_denormal(flushing)
    try:
        assert flush_denormal_enabled() is flushing
        harcnn.HARClassifier(epochs=1, batch_size=16, filters=4, dense=8).fit(X, y)
        assert flush_denormal_enabled() is flushing
    finally:
        torch.set_flush_denormal(False)


MALLOC_CHECK = """
import ctypes, numpy as np, harcnn

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p

def mmapped(size):  # does glibc serve a block of `size` bytes with its own mmap (its default above 32 MiB)?
    before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    during = libc.mallinfo2().hblks
    libc.free(ctypes.c_void_p(block))
    return during - before == 1

rng = np.random.default_rng(0)
X, y = rng.normal(size=(40, 3, 32)).astype(np.float32), rng.integers(0, 2, 40)
before = mmapped(64 << 20)
harcnn.HARClassifier(epochs=1, batch_size=16, filters=4, dense=8).fit(X, y)
print(before, mmapped(64 << 20))
"""


@pytest.mark.slow
def test_fit_leaves_the_allocator_as_found():
    """glibc cannot report its thresholds, so this checks their effect, in a fresh process."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", MALLOC_CHECK], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"]


@pytest.mark.slow
def test_without_the_private_adam_kernel_training_falls_back_to_torch_optim(monkeypatch):
    """Where the private kernel fails (here: a changed signature), the step is torch.optim.Adam(fused=True)'s,
    the same kernel: the same weights, bit for bit."""
    X, y, _ = windows()
    fast = harcnn.HARClassifier(**SMALL).fit(X, y)
    assert adam.private_kernel_works()

    def changed_signature(*args, **kwargs):
        raise TypeError("_fused_adam_() got an unexpected keyword argument 'beta1'")

    monkeypatch.setattr(adam, "_fused_step", changed_signature)  # how harcnn calls the kernel no longer fits
    adam.private_kernel_works.cache_clear()
    try:
        assert not adam.private_kernel_works()
        fallback = harcnn.HARClassifier(**SMALL).fit(X, y)
    finally:
        adam.private_kernel_works.cache_clear()
    for key, value in fast.net_.state_dict().items():
        assert torch.equal(value, fallback.net_.state_dict()[key]), key
    assert fallback.score(X, y) == fast.score(X, y)


@pytest.mark.slow
def test_fused_kernels_switch_off_to_the_reference_path():
    X, y, _ = windows()
    fast = harcnn.HARClassifier(**SMALL).fit(X, y)
    harcnn.set_fused(False)
    try:
        reference = harcnn.HARClassifier(**SMALL).fit(X, y)
    finally:
        harcnn.set_fused(True)
    # the same training up to float rounding (non-fused Adam sums in another order)
    np.testing.assert_allclose(reference.predict_proba(X), fast.predict_proba(X), atol=2e-3)


def test_import_with_the_datasets_own_test_file(tmp_path):
    from harcnn.data.importer import import_windows

    X, y, _ = windows(n=60)
    np.savez(tmp_path / "train.npz", X=X[:40], y=y[:40])
    np.savez(tmp_path / "test.npz", X=X[40:], y=y[40:])
    ds = import_windows(tmp_path / "train.npz", test_path=tmp_path / "test.npz")
    assert (len(ds.train), len(ds.test)) == (40, 20)
    np.testing.assert_array_equal(ds.test.X, X[40:])
    np.savez(tmp_path / "split.npz", X=X, y=y, split=np.array(["train"] * 45 + ["test"] * 15))
    ds = import_windows(tmp_path / "split.npz")
    assert (len(ds.train), len(ds.test)) == (45, 15)
    result = CliRunner().invoke(
        app, ["data", "import", str(tmp_path / "train.npz"), "--test", str(tmp_path / "test.npz"), "--out", str(tmp_path / "d.npz")]
    )
    assert result.exit_code == 0 and "40 training and 20 test windows" in result.output


def test_unknown_executor_is_a_library_error(tmp_path):
    from harcnn.experiments.executors import make_executor

    with pytest.raises(HarcnnError, match="unknown executor 'threads'"):
        make_executor("threads", None, tmp_path)


def test_import_harcnn_is_light():
    import subprocess
    import sys

    code = "import sys, harcnn; print('torch' in sys.modules, harcnn.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", harcnn.__version__]
