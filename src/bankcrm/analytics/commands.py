"""`bankcrm model ...`: try the bank's learner on a labelled history before trusting it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bankcrm.kit.errors import UserError

model_app = typer.Typer(
    no_args_is_help=True,
    help="Models on labelled customer tables: how well would the bank's learner do?",
)
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True, soft_wrap=True)

METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "brier": "Brier score (lower is better)",
    "top_decile_lift": "top-decile lift",
    "capture_at_50": "capture at 50% (share of positives in the top half)",
}


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code=2)


@model_app.command("evaluate")
def evaluate(
    data: Annotated[
        Path,
        typer.Option(
            "--data", metavar="FILE", help="Labelled table: CSV, or Parquet (.parquet / .pq)."
        ),
    ],
    target: Annotated[
        str, typer.Option("--target", metavar="COLUMN", help="Column holding the outcome.")
    ],
    positive: Annotated[
        str,
        typer.Option(
            "--positive",
            metavar="VALUE",
            help="Value of the target column that counts as positive.",
        ),
    ],
    drop: Annotated[
        list[str] | None,
        typer.Option(
            "--drop", metavar="COLUMN", help="Column to leave out (ids, leaks); repeat for more."
        ),
    ] = None,
    sep: Annotated[
        str, typer.Option("--sep", metavar="CHAR", help="CSV field separator, e.g. ';' or '\\t'.")
    ] = ",",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Cross-validate the bank's learner on a labelled table (stratified 5-fold, seed 0).

    Metrics are computed on pooled out-of-fold predictions; see docs/models.md.
    """
    from bankcrm.analytics.evaluate import evaluate_file  # sklearn loads only when used

    separator = "\t" if sep in ("\\t", "tab") else sep
    try:
        with Progress(
            TextColumn("[bold]cross-validating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=not err_console.is_terminal,
        ) as progress:
            task = progress.add_task("folds", total=5)
            result = evaluate_file(
                data,
                target,
                positive,
                drop=drop or (),
                sep=separator,
                folds=5,
                seed=0,
                progress=lambda done, _total: progress.update(task, completed=done),
            )
    except UserError as exc:
        _fail(str(exc))
    except Exception as exc:  # a fault of ours, not the user's: say so, keep the detail
        if os.environ.get("BANKCRM_DEBUG"):
            raise
        _fail(
            f"the evaluation stopped on an unexpected error: {type(exc).__name__}: {exc}\n"
            "(set BANKCRM_DEBUG=1 for the traceback)"
        )

    figures = result.as_dict()
    if as_json:
        typer.echo(json.dumps(figures))
        return
    table = Table(title=escape(f"{data.name}: {target} = {positive!r}, 5-fold cross-validation"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label in METRIC_LABELS.items():
        table.add_row(label, f"{figures[key]:.4f}")
    table.add_row("rows", f"{result.n_rows:,}")
    share = result.positives / result.n_rows
    table.add_row("positives", f"{result.positives:,} ({share:.1%})")
    console.print(table)
