"""Subject-wise splits: a validation set is whole subjects held out of the training set.

Windows of one subject are strongly correlated, so holding out windows at random would leak the
subject into validation and flatter every model; the test split is never used for selection.
"""

import numpy as np

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError


def hold_out_subjects(train: WindowSet, n_subjects: int, seed: int = 0) -> tuple[WindowSet, WindowSet]:
    """Split `train` into (fit, validation) with `n_subjects` subjects, drawn with `seed`, held out."""
    subjects = np.unique(train.subject)
    if not 0 < n_subjects < len(subjects):
        raise HarcnnError(f"validation_subjects must be in 1..{len(subjects) - 1}, got {n_subjects}")
    held = np.random.default_rng(seed).choice(subjects, size=n_subjects, replace=False)
    is_held = np.isin(train.subject, held)
    return train.take(~is_held), train.take(is_held)


def subject_folds(subjects: np.ndarray, k: int, seed: int = 0) -> list[np.ndarray]:
    """The distinct `subjects` shuffled with `seed` and dealt into `k` folds of near-equal size."""
    distinct = np.unique(subjects)
    if not 2 <= k <= len(distinct):
        raise HarcnnError(f"cv_folds must be in 2..{len(distinct)} (the number of training subjects), got {k}")
    shuffled = np.random.default_rng(seed).permutation(distinct)
    return [np.sort(shuffled[i::k]) for i in range(k)]


def hold_out_fold(train: WindowSet, k: int, fold: int, seed: int = 0) -> tuple[WindowSet, WindowSet]:
    """Split `train` into (fit, validation) with fold `fold` of `subject_folds(k)` held out."""
    is_held = np.isin(train.subject, subject_folds(train.subject, k, seed)[fold])
    return train.take(~is_held), train.take(is_held)
