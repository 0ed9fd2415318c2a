"""The UCI HAR dataset (Anguita et al., ESANN 2013): find it, verify it, parse it once, cache it.

Accepted sources: the zip as UCI ships it (top folder `UCI HAR Dataset/`), the outer zip of the
current UCI download that nests that zip, an extracted folder (or its parent), or an http(s) URL.
Parsing 180 MB of text takes seconds, so the parsed arrays are cached as one compressed npz keyed
by the source's sha256; a cheap fingerprint (size, mtime) tells when the source must be hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from harcnn.data.archive import Archive
from harcnn.data.dataset import make_dataset
from harcnn.data.pipeline import UCI_HAR
from harcnn.data.sensors import CHANNELS, STEPS
from harcnn.data.textfiles import parse_activity_labels, parse_integers, parse_matrix
from harcnn.data.windows import Dataset, load_npz, save_npz
from harcnn.errors import HarcnnError
from harcnn.paths import harcnn_home

NAME = "uci-har"
UCI_URL = "https://archive.ics.uci.edu/static/public/240/human+activity+recognition+using+smartphones.zip"
OFFICIAL_TEST_SUBJECTS = (2, 4, 9, 10, 12, 13, 18, 20, 24)
# sha256 of the parsed arrays of the original release (see `content_sha256`): a match means the
# windows, labels and subjects are exactly the published ones, however they were packaged.
OFFICIAL_CONTENT_SHA256 = "44e906aaf3b3b6d6a37bf3569534339807c63779b958c4ef9a56abdc8f3179e0"
MARKER = "train/y_train.txt"


class _Files:
    """Read-only access to the dataset's files by path relative to the `UCI HAR Dataset` folder, in a
    folder, a zip, or a zip inside a zip (`data.archive`)."""

    def __init__(self, path: Path):
        self.path = path
        archive = Archive(path)
        prefixes = [n[: -len(MARKER)] for n in archive.ending(MARKER)]
        if not prefixes and not archive.is_zip:
            raise HarcnnError(f"{path}: no {MARKER} here or in 'UCI HAR Dataset/'; is this the UCI HAR folder?")
        if not prefixes:
            nested = archive.ending("UCI HAR Dataset.zip")
            if not nested:
                raise HarcnnError(f"{path}: the zip holds neither {MARKER} nor a nested 'UCI HAR Dataset.zip'")
            archive = archive.nested(nested[0])
            prefixes = [n[: -len(MARKER)] for n in archive.ending(MARKER)]
            if not prefixes:
                raise HarcnnError(f"{archive.label}: no {MARKER} inside")
        self._archive, self._prefix = archive, min(prefixes, key=len)
        self._names = set(archive.names)

    def read(self, rel: str) -> bytes:
        name = self._prefix + rel
        if name not in self._names:
            raise HarcnnError(f"{self.path}: missing file {rel}" + (" in the zip" if self._archive.is_zip else ""))
        return self._archive.read(name)


def parse(path: Path) -> Dataset:
    """Parse and check a UCI HAR source; any defect raises `HarcnnError` naming the file and line."""
    files = _Files(path)
    classes = _parse_activity_labels(files.read("activity_labels.txt"), f"{path}: activity_labels.txt")
    sets = {}
    for split in ("train", "test"):
        rel_y, rel_s = f"{split}/y_{split}.txt", f"{split}/subject_{split}.txt"
        y = parse_integers(files.read(rel_y), f"{path}: {rel_y}")
        bad = (y < 1) | (y > len(classes))
        if bad.any():
            row = int(np.argmax(bad))
            raise HarcnnError(f"{path}: {rel_y} line {row + 1}: label {y[row]} is not in 1..{len(classes)}")
        subject = parse_integers(files.read(rel_s), f"{path}: {rel_s}")
        if (subject < 1).any():
            row = int(np.argmax(subject < 1))
            raise HarcnnError(f"{path}: {rel_s} line {row + 1}: subject {subject[row]} is not a positive id")
        _same_rows(path, rel_s, len(subject), rel_y, len(y))
        X = np.empty((len(y), len(CHANNELS), STEPS), dtype=np.float32)
        for c, channel in enumerate(CHANNELS):
            rel = f"{split}/Inertial Signals/{channel}_{split}.txt"
            values = parse_matrix(files.read(rel), f"{path}: {rel}", columns=STEPS)
            _same_rows(path, rel, len(values), rel_y, len(y))
            X[:, c, :] = values
        sets[split] = (X, y - 1, subject)
    X, y, subject = (np.concatenate([sets["train"][i], sets["test"][i]]) for i in range(3))
    split = np.repeat(["train", "test"], [len(sets["train"][1]), len(sets["test"][1])])
    ds = make_dataset(  # the published content checksum was taken over the class names alone
        path, X, y, subject, test=split, channels=CHANNELS, classes=classes, name=NAME, checksum_names=classes
    )
    return ds.with_pipeline(UCI_HAR)


def _same_rows(path: Path, rel: str, n: int, rel_ref: str, n_ref: int) -> None:
    if n != n_ref:
        raise HarcnnError(f"{path}: {rel} has {n} rows but {rel_ref} has {n_ref}; the split's files must agree")


def _parse_activity_labels(raw: bytes, where: str) -> tuple[str, ...]:
    """UCI HAR's class names in id order: its ids must be 1..n, the labels' values minus one."""
    names = parse_activity_labels(raw, where)
    if sorted(names) != list(range(1, len(names) + 1)):
        raise HarcnnError(f"{where}: activity ids must be 1..n without gaps, got {sorted(names)}")
    return tuple(names[i] for i in range(1, len(names) + 1))


# ---- cache -------------------------------------------------------------------------------------


def _cache_dir() -> Path:
    return harcnn_home() / "uci_har"


def _index_path() -> Path:
    return _cache_dir() / "index.json"


def _read_index() -> dict:
    try:
        index = json.loads(_index_path().read_text())
    except (OSError, ValueError):
        index = None
    if not isinstance(index, dict) or not isinstance(index.get("sources"), dict) or not isinstance(index.get("default"), str | None):
        return {"sources": {}, "default": None}  # missing or damaged: rebuilt as sources are loaded again
    return index


def _write_index(index: dict) -> None:
    _cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = _index_path().with_name(f"index.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, indent=1))
    os.replace(tmp, _index_path())


def _fingerprint(path: Path) -> list:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [[str(p.relative_to(path) if path.is_dir() else p.name), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*.txt") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if path.is_dir():
            h.update(str(p.relative_to(path)).encode() + b"\0")
        with open(p, "rb") as f:
            while chunk := f.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def cached_path_for(source_sha256: str) -> Path:
    return _cache_dir() / f"{source_sha256[:16]}.npz"


def load_source(path: Path, make_default: bool = False) -> Dataset:
    """Load a zip or folder through the cache, parsing only when the source is new or changed."""
    path = path.resolve()
    index = _read_index()
    key = str(path)
    fingerprint = _fingerprint(path) if path.exists() else None
    known = index["sources"].get(key)
    if fingerprint is not None and known and known["fingerprint"] == fingerprint:
        sha = known["sha256"]
    else:
        if not path.exists():
            raise HarcnnError(f"{path}: no such file or folder")
        sha = _sha256(path)
    npz = cached_path_for(sha)
    dataset = _read_cache(npz)
    if dataset is None:
        dataset = parse(path)
        npz.parent.mkdir(parents=True, exist_ok=True)
        tmp = npz.with_name(f"{npz.stem}.{os.getpid()}.tmp.npz")  # per process: two may parse at once
        save_npz(tmp, dataset)
        os.replace(tmp, npz)
    index["sources"][key] = {"fingerprint": fingerprint, "sha256": sha}
    if make_default or index["default"] is None:
        index["default"] = sha
    _write_index(index)
    return dataset


def _read_cache(npz: Path) -> Dataset | None:
    """The cached dataset, or None when there is none or it is damaged (then it is removed, to be rebuilt)."""
    if not npz.is_file():
        return None
    try:
        return load_npz(npz).with_pipeline(UCI_HAR)  # caches of harcnn 0.6 and older do not record it
    except HarcnnError:
        npz.unlink(missing_ok=True)
        return None


def download(url: str) -> Path:
    """Download `url` into the cache once; later calls reuse the file.

    The file is keyed by the whole URL (two URLs ending in the same file name never share it), written
    to a temporary file, checked (the length the server announced, a readable zip) and only then
    renamed into place, so a broken download (a captive portal's HTML page, a cut connection) is
    never cached.
    """
    name = Path(urllib.parse.urlparse(url).path).name or "download"
    target = harcnn_home() / "downloads" / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{name}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            expected = response.headers.get("Content-Length")
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise HarcnnError(
            f'could not download {url} ({e}). Offline? Fetch from a local copy instead: harcnn data fetch --from "UCI HAR Dataset.zip"'
        ) from None
    size = tmp.stat().st_size
    problem = None
    if expected is not None and expected.isdigit() and int(expected) != size:
        problem = f"got {size} of {expected} bytes"
    elif not zipfile.is_zipfile(tmp):
        problem = f"the {size} bytes received are not a zip file (a login or error page?)"
    if problem:
        tmp.unlink(missing_ok=True)
        raise HarcnnError(f"download of {url} failed: {problem}; nothing was cached")
    os.replace(tmp, target)
    return target


def fetch(source: str | None = None) -> Dataset:
    """`harcnn data fetch`: parse a source (default: the UCI URL), cache it, make it the default."""
    source = source or UCI_URL
    path = download(source) if source.startswith(("http://", "https://")) else Path(source)
    return load_source(path, make_default=True)


def default_cached() -> Dataset | None:
    """The default dataset from the cache; a damaged cache entry is rebuilt from its source if that is still there."""
    index = _read_index()
    sha = index["default"]
    if not sha:
        return None
    dataset = _read_cache(cached_path_for(sha))
    if dataset is not None:
        return dataset
    for source, entry in index["sources"].items():
        if entry.get("sha256") == sha and Path(source).exists():
            return load_source(Path(source))
    return None


def cache_location() -> Path:
    return _cache_dir()
