"""Options several commands share, declared once, and the dataset they name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from harcnn.data.sensors import TIME_UNITS

HELP = {"help_option_names": ["-h", "--help"]}
DataOpt = Annotated[
    Optional[str], typer.Option("--data", help="Dataset: UCI HAR zip/folder/URL or a harcnn .npz (default: $HARCNN_DATA, then the cache).")
]
CHECKPOINTS = ".checkpoints"  # the epoch checkpoints' folder under RESULTS, unless `run --checkpoints` names another
ResultsOpt = Annotated[Path, typer.Option(help="Folder for the store and per-study files.")]
DbOpt = Annotated[Optional[Path], typer.Option(help="Results store (default: RESULTS/harcnn.db).")]
RepeatsOpt = Annotated[Optional[int], typer.Option(help="Override the spec's number of repeats.")]
ProgressOpt = Annotated[bool, typer.Option(help="Show a progress bar.")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a training setting of the spec: KEY=VALUE (repeatable).")]
WorkersOpt = Annotated[
    int,
    typer.Option(min=0, help="Parallel worker processes, each with an equal share of the cores (0: one per core on CPU, 1 with a GPU)."),
]
TestSubjectsOpt = Annotated[Optional[str], typer.Option(help="Comma-separated subjects held out for testing.")]
TimeUnitOpt = Annotated[Optional[Literal[tuple(TIME_UNITS)]], typer.Option(help="Time column unit (default: recognised from the step).")]
TestFractionOpt = Annotated[float, typer.Option(help="Else this share of subjects, drawn with --seed.")]


def dataset(ref: str | None, fetch_if_missing: bool = False):
    from harcnn.data.resolve import load_dataset, load_or_fetch

    return load_or_fetch(ref, typer.echo) if fetch_if_missing else load_dataset(ref)


ModelArg = Annotated[Path, typer.Argument(help="Model folder written by `harcnn train`, or pretrained:NAME (harcnn models --pretrained).")]
