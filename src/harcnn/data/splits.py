"""Every subject split, in one module (as scikit-learn keeps its splitters): a dataset's test split
(named subjects, or a seeded share of them, or the file's own split), the validation subjects
held out of training, k subject folds, a protocol's test folds, and the fold a seed is held out on.

Windows of one subject are strongly correlated, so holding out windows at random would leak the
subject into validation and flatter every model: every split here is of whole subjects, and the
test split is never used for selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harcnn.data.options import SubjectSplit
from harcnn.errors import HarcnnError

if TYPE_CHECKING:
    from harcnn.data.windows import Dataset, WindowSet


def subject_split_mask(split: SubjectSplit, where: str, subject: np.ndarray) -> np.ndarray:
    """Per window, whether `split` puts it in the test split."""
    ids, index = np.unique(subject.astype(str), return_inverse=True)
    if split.subjects:
        wanted = [str(s) for s in split.subjects]
        missing = sorted(set(wanted) - set(ids))
        if missing:
            raise HarcnnError(f"{where}: test subject(s) {missing} not in the data")
        return np.isin(ids[index], wanted)
    if not 0 < split.share < 1 or len(ids) < 2:
        raise HarcnnError(f"{where}: need at least two subjects and 0 < test fraction < 1 to split")
    k = max(1, round(split.share * len(ids)))
    chosen = np.random.default_rng(split.seed).choice(len(ids), size=k, replace=False)
    return np.isin(index, chosen)


def file_split_mask(where: str, split: np.ndarray, n: int) -> np.ndarray:
    """Per window, whether a file's own `split` array ("train"/"test", any case) puts it in the test split."""
    values = np.char.lower(split.astype(str))
    if len(values) != n:
        raise HarcnnError(f"{where}: split has {len(values)} entries for {n} windows")
    bad = ~np.isin(values, ["train", "test"])
    if bad.any():
        raise HarcnnError(f"{where}: split entry {int(np.argmax(bad))} is {split[int(np.argmax(bad))]!r}; it must be 'train' or 'test'")
    return values == "test"


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


def fold_of(seed: int, folds: int) -> int | None:
    """The fold of `folds` (`cv_folds` or `test_folds`) that member `seed` is held out on: seeds take
    the folds in turn, so k consecutive seeds cover each fold once; None for no folds."""
    return seed % folds if folds else None


def split_test_fold(dataset: Dataset, k: int, fold: int | None, seed: int) -> tuple[WindowSet, WindowSet]:
    """(training, test) windows: the dataset's own split (`fold` None), or with `k` subject folds over
    all its subjects (training and test pooled, dealt with `seed`), fold `fold` tested and the rest trained."""
    if fold is None:
        return dataset.train, dataset.test
    pooled = dataset.train.concat(dataset.test)
    held = np.isin(pooled.subject, subject_folds(pooled.subject, k, seed)[fold])
    return pooled.take(~held), pooled.take(held)
