"""`harcnn runs`: a results store's runs for the tools people already use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from harcnn.choices import TRACKERS
from harcnn.cli.options import HELP, DbOpt, ResultsOpt

runs_app = typer.Typer(context_settings=HELP, no_args_is_help=True, help="A results store's runs in other tools (MLflow, TensorBoard).")


@runs_app.command("export")
def runs_export(
    studies: Annotated[Optional[list[str]], typer.Argument(help="Studies to export (default: all in the store).")] = None,
    to: Annotated[Literal[TRACKERS], typer.Option("--to", help="The tool to write the runs to.")] = "mlflow",
    uri: Annotated[
        Optional[str],
        typer.Option(
            help="Where to: an MLflow tracking URI (default sqlite:///RESULTS/mlflow.db, MLflow's own SQLite store), "
            "or TensorBoard's log folder (default RESULTS/tensorboard)."
        ),
    ] = None,
    results: ResultsOpt = Path("results"),
    db: DbOpt = None,
) -> None:
    """One tracked run per stored run (configuration as parameters, figures and learning curves as
    metrics); repeat it after more runs: only the new ones are added."""
    from harcnn.report.tracking import to_mlflow, to_tensorboard

    store = db or results / "harcnn.db"
    if to == "tensorboard":
        target = Path(uri) if uri else results / "tensorboard"
        added = to_tensorboard(store, target, studies, typer.echo)
        typer.echo(f"{added} runs added to {target}; look at them with: tensorboard --logdir {target}")
        return
    target = uri or f"sqlite:///{(results / 'mlflow.db').resolve()}"
    added = to_mlflow(store, target, studies, typer.echo)
    typer.echo(f"{added} runs added to {target}; look at them with: mlflow ui --backend-store-uri {target}")
