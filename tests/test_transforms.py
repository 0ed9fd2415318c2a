"""Standardisation (`data.transforms`): the one formula, and for float32 windows one new array only."""

import tracemalloc

import numpy as np

from harcnn.data.transforms import Standardize, standardize
from harcnn.data.windows import WindowSet


def fitted(X: np.ndarray) -> Standardize:
    n, c, _ = X.shape
    return Standardize.fit(WindowSet(X, np.zeros(n, np.int64), np.zeros(n, np.int64), tuple(f"c{i}" for i in range(c)), ("a",)))


def test_apply_gives_the_formulas_numbers_in_one_new_array():
    rng = np.random.default_rng(0)
    X = rng.normal(3, 2, (2000, 9, 128)).astype(np.float32)
    t = fitted(X)
    expected = standardize(X, t.mean[None, :, None], t.std[None, :, None]).astype(np.float32)
    tracemalloc.start()
    out = t.apply(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out.dtype == np.float32 and np.array_equal(out, expected) and not np.shares_memory(out, X)
    assert peak < 1.2 * X.nbytes, peak / X.nbytes  # one array the size of the windows (it was four)
    wide = t.apply(X.astype(np.float64))  # other dtypes: standardised in their precision, then float32
    assert wide.dtype == np.float32 and np.abs(wide - expected).max() < 1e-5
