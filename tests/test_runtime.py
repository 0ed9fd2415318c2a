"""The training runtime (`train.runtime`, `train.adam`, `fused`): a fit leaves the process as it found it
(flush-to-zero, the allocator), the private Adam kernel falls back to torch.optim, the fused kernels switch off."""

import numpy as np
import pytest
import torch

import harcnn
from harcnn.train import adam
from harcnn.train.runtime import flush_denormal_enabled
from helpers import SMALL_FIT, named_windows


@pytest.mark.parametrize("flushing", [False, True])
def test_fit_leaves_flush_to_zero_as_found(flushing):
    X, y, _ = named_windows(n=40)
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
    X, y, _ = named_windows()
    fast = harcnn.HARClassifier(**SMALL_FIT).fit(X, y)
    assert adam.private_kernel_works()

    def changed_signature(*args, **kwargs):
        raise TypeError("_fused_adam_() got an unexpected keyword argument 'beta1'")

    monkeypatch.setattr(adam, "_fused_step", changed_signature)  # how harcnn calls the kernel no longer fits
    adam.private_kernel_works.cache_clear()
    try:
        assert not adam.private_kernel_works()
        fallback = harcnn.HARClassifier(**SMALL_FIT).fit(X, y)
    finally:
        adam.private_kernel_works.cache_clear()
    for key, value in fast.net_.state_dict().items():
        assert torch.equal(value, fallback.net_.state_dict()[key]), key
    assert fallback.score(X, y) == fast.score(X, y)


@pytest.mark.slow
def test_fused_kernels_switch_off_to_the_reference_path():
    X, y, _ = named_windows()
    fast = harcnn.HARClassifier(**SMALL_FIT).fit(X, y)
    harcnn.set_fused(False)
    try:
        reference = harcnn.HARClassifier(**SMALL_FIT).fit(X, y)
    finally:
        harcnn.set_fused(True)
    # the same training up to float rounding (non-fused Adam sums in another order)
    np.testing.assert_allclose(reference.predict_proba(X), fast.predict_proba(X), atol=2e-3)
