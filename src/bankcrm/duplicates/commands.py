"""`bankcrm duplicates detect`: the batch duplicate detection over the whole bank."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bankcrm.config import get_settings
from bankcrm.duplicates import service
from bankcrm.kit.errors import UserError
from bankcrm.kit.runtime import open_runtime
from bankcrm.security.principal import system_principal

duplicates_app = typer.Typer(no_args_is_help=True, help="Duplicate customers and prospects.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class _Bar:
    """Drives one Rich bar per step of the job."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: object = None

    def start_file(self, name: str, total: int) -> None:
        self.task = self.progress.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)  # type: ignore[arg-type]

    def end_file(self) -> None:
        self.task = None


@duplicates_app.command("detect")
def detect(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Find likely duplicates among all customers and open prospects (blocked, never all
    pairs) and store them as candidates; decided pairs stay as they were."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
    )
    try:
        settings = get_settings()
        runtime = open_runtime(settings)
        try:
            with progress, runtime.sessions() as session:
                report = service.detect_all(
                    session, system_principal("duplicates detect"), _Bar(progress)
                )
                session.commit()
        finally:
            runtime.engine.dispose()
    except UserError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict()) + "\n")
        return
    table = Table(title="Duplicate detection")
    table.add_column("blocking rule")
    table.add_column("keys", justify="right")
    table.add_column("blocks", justify="right")
    table.add_column("skipped (too large)", justify="right")
    table.add_column("pairs", justify="right")
    for b in report.blocks:
        table.add_row(b.rule, f"{b.keys:,}", f"{b.blocks:,}", f"{b.skipped:,}", f"{b.pairs:,}")
    console.print(table)
    console.print(
        f"{report.records:,} records, {report.pairs_compared:,} distinct pairs compared, "
        f"{report.candidates:,} candidates ({report.created:,} new, {report.rescored:,} "
        f"rescored, {report.kept:,} already decided) in {report.seconds:,.1f} s"
    )
