"""Where and how harcnn writes: the one check of every output path a user names (`--out`), the one
way every file is written, and the one CSV writer.

Nothing is overwritten that the user did not name as output: an output equal to one of the
command's inputs, or one of a model folder's own files (through symlinks too), is refused, as are
outputs whose folder does not exist or cannot be written, and files named where a folder is (and the
other way round). Checked before any work.

Every file is written to a temporary file in its target's folder and renamed onto the target when
complete, so a crash, a kill or a full disk leaves the old file as it was, never half a file; a
failure to write is one `HarcnnError` naming the file. Files get the user's umask, as `open` gives.

CSV cells that hold text from users' files (class names, labels) are escaped for spreadsheets: a
cell that is not a number and begins with `= + - @`, a tab or a carriage return would be read as a
formula, so it gets a leading apostrophe (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harcnn.errors import HarcnnError

MODEL_FILES = ("model.json", "model.safetensors")  # what a model folder holds (`saved`)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula


def _same(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.samefile(b) or a.resolve() == b.resolve()


def check_output_file(out: Path, inputs: tuple[Path, ...] = (), suffix: str | None = None) -> Path:
    """`out` as a file to write: its folder exists and is writable, it is not a folder, not an input,
    not a model's own file (after following symlinks)."""
    out = Path(out)
    real = out.resolve()
    if real.name in MODEL_FILES and (real.parent / MODEL_FILES[0]).is_file():
        via = f" (through the link {out})" if real != out.absolute() else ""
        raise HarcnnError(f"{real}: is one of the model folder {real.parent}'s own files{via}; writing it would destroy the model")
    if out.is_dir():
        raise HarcnnError(f"{out}: is a folder; give a file name to write")
    if suffix is not None and out.suffix != suffix:
        raise HarcnnError(f"{out}: the output file must end in {suffix}")
    _common(out, inputs)
    return out


def check_output_package(out: Path, inputs: tuple[Path, ...], suffix: str) -> Path:
    """`out` as a package to write whole (Core ML's `.mlpackage` is a folder): as a file, except that
    a package already there (it has a Manifest.json) is replaced; any other folder is refused."""
    out = Path(out)
    if out.suffix != suffix:
        raise HarcnnError(f"{out}: the output must end in {suffix}")
    if out.exists() and not (out / "Manifest.json").is_file():
        raise HarcnnError(f"{out}: exists and is not a {suffix} package; give another name")
    _common(out, inputs)
    return out


def check_output_folder(out: Path, inputs: tuple[Path, ...] = ()) -> Path:
    """`out` as a folder to write into: its parent exists, it is not a file, not an input, and it (or
    its parent, where it does not exist yet) can be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise HarcnnError(f"{out}: is a file; give a folder to write into")
    _common(out, inputs)
    if out.is_dir():
        _check_writable(out, out)
    return out


def _common(out: Path, inputs: tuple[Path, ...]) -> None:
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write there, the folder {out.parent} does not exist")
    for source in inputs:
        if source is not None and _same(out, Path(source)):
            raise HarcnnError(f"{out}: is also an input of this command ({source}); writing it would destroy that input")
    _check_writable(out.parent, out)


def _check_writable(folder: Path, out: Path) -> None:
    """Try it: `os.access` says yes to root on a read-only file system."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise HarcnnError(f"{out}: cannot write in {folder} ({e.strerror or e})") from None


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` (same suffix, so writers that read it choose the same format)
    to write the whole file to; renamed onto `target` when the block ends, removed if it fails."""
    target = Path(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    except OSError as e:
        raise HarcnnError(f"{target}: cannot write ({e.strerror or e})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise HarcnnError(f"{target}: cannot write ({e.strerror or e}); the file there before, if any, is unchanged") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_package(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write a whole package folder to; it replaces `target`
    (an earlier package of that name) when the block ends, and is removed if it fails."""
    target = Path(target)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as e:
        raise HarcnnError(f"{target}: cannot write ({e.strerror or e})") from None
    try:
        yield folder / target.name
        if target.exists():
            os.replace(target, folder / "replaced")
        os.replace(folder / target.name, target)
    except OSError as e:
        raise HarcnnError(f"{target}: cannot write ({e.strerror or e}); the package there before, if any, is unchanged") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode())


def spreadsheet_safe(cell: object) -> object:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe; numbers and
    other text as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not is_number(cell):
        return "'" + cell
    return cell


def is_number(text: str) -> bool:
    """Whether text reads as a number (Python's float syntax): the one test, for CSV cells read and written."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_line(cells: Iterable[object]) -> str:
    """One CSV line (no line end), quoted where needed and escaped for spreadsheets."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([spreadsheet_safe(c) for c in cells])  # quotes cells holding line ends
    return buffer.getvalue().removesuffix("\r\n")


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> Path:
    """Every harcnn CSV: written whole or not at all, each cell escaped for spreadsheets."""
    return write_text(path, "".join(csv_line(row) + "\r\n" for row in [header, *rows]))
