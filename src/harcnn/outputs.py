"""Where harcnn may write: the one check of every output path a user names (`--out`).

Nothing is overwritten that the user did not name as output: an output equal to one of the
command's inputs, or one of a model folder's own files, is refused, as are outputs whose folder does
not exist and files named where a folder is (and the other way round). Checked before any work.
"""

from __future__ import annotations

from pathlib import Path

from harcnn.errors import HarcnnError

MODEL_FILES = ("model.json", "model.safetensors")  # what a model folder holds (`models.saved`)


def _same(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.samefile(b) or a.resolve() == b.resolve()


def check_output_file(out: Path, inputs: tuple[Path, ...] = (), suffix: str | None = None) -> Path:
    """`out` as a file to write: its folder exists, it is not a folder, not an input, not a model's own file."""
    out = Path(out)
    if out.name in MODEL_FILES and (out.parent / MODEL_FILES[0]).is_file():
        raise HarcnnError(f"{out}: is one of the model folder {out.parent}'s own files; writing it would destroy the model")
    if out.is_dir():
        raise HarcnnError(f"{out}: is a folder; give a file name to write")
    if suffix is not None and out.suffix != suffix:
        raise HarcnnError(f"{out}: the output file must end in {suffix}")
    _common(out, inputs)
    return out


def check_output_folder(out: Path, inputs: tuple[Path, ...] = ()) -> Path:
    """`out` as a folder to write into: its parent exists, it is not a file, not an input."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise HarcnnError(f"{out}: is a file; give a folder to write into")
    _common(out, inputs)
    return out


def _common(out: Path, inputs: tuple[Path, ...]) -> None:
    if not out.parent.is_dir():
        raise HarcnnError(f"{out}: cannot write there, the folder {out.parent} does not exist")
    for source in inputs:
        if source is not None and _same(out, Path(source)):
            raise HarcnnError(f"{out}: is also an input of this command ({source}); writing it would destroy that input")
