"""`harcnn data`: get, check, import and cut datasets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from harcnn.choices import FILTERS, LABEL_POLICIES, LAYOUTS
from harcnn.cli.options import HELP, DataOpt, TestFractionOpt, TestSubjectsOpt, TimeUnitOpt, dataset
from harcnn.data.options import DEFAULT_TEST_SHARE, SubjectSplit, Windowing

data_app = typer.Typer(context_settings=HELP, no_args_is_help=True, help="Get, check, import and cut datasets.")


@data_app.command("fetch")
def data_fetch(
    source: Annotated[Optional[str], typer.Option("--from", help="Local zip or folder, or a URL (default: UCI's download URL).")] = None,
) -> None:
    """Fetch, verify, parse and cache UCI HAR; it becomes the default dataset."""
    from harcnn.datasets import uci_har

    t0 = time.perf_counter()
    ds = uci_har.fetch(source)
    typer.echo(
        f"cached {ds.name} from {ds.source} in {time.perf_counter() - t0:.1f} s (content sha256 {ds.sha256[:16]})\ncache: {uci_har.cache_location()}"
    )


@data_app.command("info")
def data_info(data: DataOpt = None) -> None:
    """Shapes, class counts and subjects per split, channel order, cache location."""
    from harcnn.datasets import uci_har
    from harcnn.report.text import dataset_summary

    typer.echo(dataset_summary(dataset(data), uci_har.cache_location()))


@data_app.command("sample")
def data_sample(
    out: Annotated[Path, typer.Option(help="The CSV file to write.")] = Path("my_phone.csv"),
    seed: int = 0,
) -> None:
    """Write a synthetic labelled phone recording (72 s, 50 Hz, g and rad/s) to try `harcnn predict` on."""
    from harcnn.data.sample import sample_recording
    from harcnn.outputs import check_output_file

    typer.echo(f"wrote {sample_recording(check_output_file(out, suffix='.csv'), seed)}: timestamp,ax,ay,az,gx,gy,gz,label")


@data_app.command("import")
def data_import(
    source: Annotated[Path, typer.Argument(help="Your windows: NPZ (X, y[, subject, channels, classes]) or long-format CSV.")],
    out: Annotated[Path, typer.Option(help="The harcnn dataset file to write (.npz); use it with --data.")],
    name: Annotated[Optional[str], typer.Option(help="Dataset name (default: the file name).")] = None,
    test_subjects: TestSubjectsOpt = None,
    test_fraction: TestFractionOpt = DEFAULT_TEST_SHARE,
    seed: int = 0,
    test: Annotated[Optional[Path], typer.Option(help="The dataset's own test windows, in a second file of the same format.")] = None,
    layout: Annotated[
        Literal[LAYOUTS], typer.Option(help="Axes of an NPZ's X: nct (n, channels, steps), ntc (n, steps, channels).")
    ] = "auto",
) -> None:
    """Bring your own windowed dataset in: any number of channels, steps and classes."""
    from harcnn.data.importer import import_windows
    from harcnn.data.windows import save_npz
    from harcnn.outputs import check_output_file
    from harcnn.report.text import dataset_line

    check_output_file(out, (source, test), suffix=".npz")
    ds = import_windows(source, test=_test_split(test_subjects, test_fraction, seed), test_path=test, name=name, layout=layout)
    save_npz(out, ds)
    typer.echo(f"{dataset_line(ds)}\nwrote {out}; use it with --data {out}")


@data_app.command("windows")
def data_windows(
    source: Annotated[Path, typer.Argument(help="HAPT RawData zip or folder (acc/gyro files and labels.txt).")],
    out: Annotated[Path, typer.Option(help="NPZ of labelled windows in the `data import` format.")],
) -> None:
    """HAPT's recordings cut as UCI HAR's windows were, with all 12 classes (`data recordings` reads HAPT too)."""
    from harcnn.datasets import hapt
    from harcnn.outputs import check_output_file

    typer.echo(hapt.write_windows(source, check_output_file(out, (source,), suffix=".npz")) + f"\nwrote {out}")


@data_app.command("recordings")
def data_recordings(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Long CSV files, or folders and zips of them (time column, channels, label[, subject, recording]); or HAPT's RawData."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The harcnn dataset file to write (.npz); use it with --data.")],
    window: Annotated[float, typer.Option(help="Window length in seconds.")] = Windowing.window,
    overlap: Annotated[float, typer.Option(help="Share of a window the next one overlaps, in [0, 1).")] = Windowing.overlap,
    rate: Annotated[float, typer.Option(help="Sampling rate (Hz) everything is resampled to.")] = Windowing.rate,
    pattern: Annotated[
        Optional[str],
        typer.Option(
            help="Regular expression the files' paths must match; groups (?P<subject>), (?P<recording>), (?P<device>), (?P<label>) name them."
        ),
    ] = None,
    channels: Annotated[
        Optional[str],
        typer.Option(help="Comma-separated channel columns to use (default: every column but time, label, subject, recording)."),
    ] = None,
    units: Annotated[
        Optional[str],
        typer.Option(help="Units where the signal cannot tell: acc=g|m/s^2|milli-g, gyro=rad/s|deg/s, or CHANNEL=UNIT (comma-separated)."),
    ] = None,
    time_unit: TimeUnitOpt = None,
    labels: Annotated[
        Literal[LABEL_POLICIES],
        typer.Option(help="A window across a label change gets the label of half its samples or more, its centre's, or is dropped."),
    ] = Windowing.labels,
    filter: Annotated[
        Literal[FILTERS], typer.Option(help="uci-har: UCI HAR's noise filters and gravity split (3 acc + 3 gyro channels -> 9).")
    ] = Windowing.filter,
    max_gap: Annotated[
        float, typer.Option(help="Cut a recording where samples are more than this many seconds apart.")
    ] = Windowing.max_gap,
    test_subjects: TestSubjectsOpt = None,
    test_fraction: TestFractionOpt = DEFAULT_TEST_SHARE,
    seed: int = 0,
    name: Annotated[Optional[str], typer.Option(help="Dataset name (default: the output file's name).")] = None,
) -> None:
    """Cut labelled recordings into windows: any sensors, rates, units and layouts; devices joined on time."""
    from harcnn.data.recording_windows import recordings_dataset
    from harcnn.data.recordings import Layout
    from harcnn.data.units import parse_units
    from harcnn.data.windows import save_npz
    from harcnn.outputs import check_output_file

    check_output_file(out, tuple(sources), suffix=".npz")
    ds, made = recordings_dataset(
        sources,
        windowing=Windowing(rate=rate, window=window, overlap=overlap, labels=labels, filter=filter, max_gap=max_gap),
        layout=Layout(tuple(channels.split(",")) if channels else None, parse_units(units), time_unit),
        pattern=pattern,
        test=_test_split(test_subjects, test_fraction, seed),
        name=name or out.stem,
    )
    save_npz(out, ds)
    typer.echo(f"{made}\nwrote {out}; use it with --data {out}")


def _test_split(subjects: str | None, share: float, seed: int) -> SubjectSplit:
    """`--test-subjects`, `--test-fraction` and `--seed` as the test split they make."""
    return SubjectSplit(tuple(subjects.split(",")) if subjects else (), share, seed)
