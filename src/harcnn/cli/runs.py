"""`harcnn runs`: a results store's runs for the tools people already use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from harcnn.choices import TRACKERS
from harcnn.cli.options import HELP, DbOpt, ResultsOpt

runs_app = typer.Typer(context_settings=HELP, no_args_is_help=True, help="A results store's runs in other tools (MLflow).")


@runs_app.command("export")
def runs_export(
    studies: Annotated[Optional[list[str]], typer.Argument(help="Studies to export (default: all in the store).")] = None,
    to: Annotated[Literal[TRACKERS], typer.Option("--to", help="The tool to write the runs to.")] = "mlflow",
    uri: Annotated[
        Optional[str], typer.Option(help="MLflow tracking URI (default: sqlite:///RESULTS/mlflow.db, MLflow's own SQLite store).")
    ] = None,
    results: ResultsOpt = Path("results"),
    db: DbOpt = None,
) -> None:
    """One MLflow run per stored run (configuration as parameters, figures and learning curves as
    metrics); repeat it after more runs: only the new ones are added."""
    from harcnn.report.tracking import to_mlflow

    target = uri or f"sqlite:///{(results / 'mlflow.db').resolve()}"
    added = to_mlflow(db or results / "harcnn.db", target, studies, typer.echo)
    typer.echo(f"{added} runs added to {target}; look at them with: mlflow ui --backend-store-uri {target}")
