"""Which dataset a command works on: `--data`, else `$HARCNN_DATA`, else the cached default."""

import os
from pathlib import Path

from harcnn.data import uci_har
from harcnn.data.windows import Dataset, load_npz
from harcnn.errors import HarcnnError

NO_DATA = (
    "no dataset found: pass --data PATH, set HARCNN_DATA, or fetch UCI HAR once with "
    "`harcnn data fetch` (online) or `harcnn data fetch --from \"UCI HAR Dataset.zip\"` (offline, a local zip)"
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
