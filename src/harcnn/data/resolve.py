"""Which dataset a command works on: `--data`, else `$HARCNN_DATA`, else the cached default."""

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from harcnn.data.windows import Dataset, load_npz
from harcnn.datasets import uci_har
from harcnn.errors import HarcnnError

NO_DATA = (
    "no dataset found: pass --data PATH, set HARCNN_DATA, or fetch UCI HAR once with "
    '`harcnn data fetch` (online) or `harcnn data fetch --from "UCI HAR Dataset.zip"` (offline, a local zip)'
)


def load_dataset(ref: str | None = None) -> Dataset:
    """Load the dataset named by `ref` (a UCI HAR zip, folder or URL, or a harcnn `.npz`)."""
    ref = ref or os.environ.get("HARCNN_DATA")
    if not ref:
        dataset = uci_har.default_cached()
        if dataset is None:
            raise HarcnnError(NO_DATA)
        return dataset
    if ref.startswith(("http://", "https://")):
        return uci_har.fetch(ref)
    path = Path(ref)
    if path.suffix == ".npz":
        if not path.is_file():
            raise HarcnnError(f"{path}: no such file")
        return load_npz(path)
    return uci_har.load_source(path)


def load_or_fetch(ref: str | None, echo) -> Dataset:
    """`load_dataset(ref)`; with nothing named and nothing cached, UCI HAR fetched from its URL."""
    try:
        return load_dataset(ref)
    except HarcnnError:
        if ref or os.environ.get("HARCNN_DATA") or uci_har.default_cached() is not None:
            raise
    echo(f"no dataset cached yet: fetching UCI HAR from {uci_har.UCI_URL}")
    return uci_har.fetch()


def load_uci_har(source: str | Path | None = None) -> Bunch:
    """UCI HAR as arrays, the way scikit-learn's dataset loaders return them.

    `X_train` `(7352, 9, 128)`, `y_train` (activity names), `subject_train`, the same for the test
    split, `channels` and `classes` (in the dataset's id order), and `dataset` (the `Dataset`). The
    source is a zip, folder or URL, else `$HARCNN_DATA`, else the dataset `harcnn data fetch` cached.
    """
    ds = load_dataset(str(source) if source is not None else None)
    names = np.array(ds.train.classes)
    return Bunch(
        X_train=ds.train.X, y_train=names[ds.train.y], subject_train=ds.train.subject,
        X_test=ds.test.X, y_test=names[ds.test.y], subject_test=ds.test.subject,
        channels=ds.train.channels, classes=ds.train.classes, dataset=ds,
    )  # fmt: skip
