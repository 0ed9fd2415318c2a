"""Windows as arrays (`data.windows`): the checks every way in shares."""

import numpy as np

from harcnn.data.windows import FINITE_CHUNK, first_nonfinite


def test_the_first_window_holding_nan_or_infinity_is_found_past_a_chunk():
    X = np.zeros((FINITE_CHUNK + 10, 2, 3), np.float32)
    assert first_nonfinite(X) is None and first_nonfinite(X[:0]) is None
    X[FINITE_CHUNK + 7, 1, 2] = np.inf
    X[FINITE_CHUNK + 9, 0, 0] = np.nan
    assert first_nonfinite(X) == FINITE_CHUNK + 7
    X[3, 0, 1] = np.nan
    assert first_nonfinite(X) == 3
