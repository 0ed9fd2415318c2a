"""One reader for every dataset that comes as a folder or a zip (of any top folder, or a zip nested
in a zip, as UCI ships UCI HAR): its files by path relative to the root, read-only, every defect one
error naming the archive and the member. Dataset modules find their files in it by name."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath

from harcnn.errors import HarcnnError
from harcnn.resources import check_fits

MAX_MEMBER = 64 * 2**20  # bytes a member may inflate to, whatever its packed size
MAX_INFLATION = 100  # beyond MAX_MEMBER, how many times its packed size: text packs 3-10 times, zip bombs thousands
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError)


class Archive:
    """The files of a folder or a zip: `names` (posix paths; macOS' `__MACOSX` copies left out), `read`."""

    def __init__(self, path: Path, _zip: zipfile.ZipFile | None = None, _label: str | None = None):
        self.path, self.label = Path(path), _label or str(path)
        self._zip = _zip
        if _zip is None and self.path.is_dir():
            self.names = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())
            return
        if _zip is None and not self.path.is_file():
            raise HarcnnError(f"{self.path}: no such file or folder")
        self._zip = _zip or _open_zip(self.path, self.label)
        self.names = [n for n in self._zip.namelist() if not n.endswith("/") and "__MACOSX" not in n]
        twice = [n for n, count in Counter(self.names).items() if count > 1]
        if twice:
            raise HarcnnError(f"{self.label}: the zip holds two members named {twice[0]}; which one is meant cannot be told")

    @property
    def is_zip(self) -> bool:
        return self._zip is not None

    def ending(self, suffix: str) -> list[str]:
        """The members whose path ends with `suffix` (a base name, or a path below some folder)."""
        return [n for n in self.names if n == suffix or n.endswith("/" + suffix)]

    def by_base_name(self) -> dict[str, str]:
        """Members by their base name (for layouts whose file names are unique, as HAPT's)."""
        return {PurePosixPath(n).name: n for n in self.names}

    def read(self, name: str) -> bytes:
        if self._zip is None:
            return (self.path / name).read_bytes()
        info = self._zip.getinfo(name)
        if info.file_size > MAX_INFLATION * max(info.compress_size, MAX_MEMBER // MAX_INFLATION):
            raise HarcnnError(
                f"{self.label}: {name} would inflate from {info.compress_size:,} to {info.file_size:,} bytes; harcnn reads members of at most "
                f"{MAX_INFLATION} times their packed size beyond {MAX_MEMBER // 2**20} MiB (a zip bomb?)"
            )
        check_fits(
            3 * info.file_size,
            f"{self.label}: {name} ({info.file_size:,} bytes inflated)",
            "split the file, or unpack it and give a folder",
        )
        try:
            return self._zip.read(name)
        except ZIP_ERRORS as e:
            raise HarcnnError(f"{self.label}: {name} in the zip is corrupt ({e})") from None

    def nested(self, name: str) -> Archive:
        """The zip member `name` opened as an archive of its own."""
        label = f"{self.label}!{name}"
        return Archive(self.path, _open_zip(io.BytesIO(self.read(name)), label), label)


def _open_zip(file, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except ZIP_ERRORS as e:
        raise HarcnnError(f"{label}: not a readable zip file, corrupt or truncated ({e})") from None
