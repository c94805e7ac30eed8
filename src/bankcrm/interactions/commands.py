"""`bankcrm tasks generate`: open the worklists' tasks from the latest scores.

Separate from `bankcrm score` on purpose: scoring writes scores only, and the bank decides
when (and with which thresholds) the scores become work for its managers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bankcrm.config import get_settings
from bankcrm.interactions.generator import generate_tasks, load_task_policy
from bankcrm.interactions.models import GENERATED_KINDS
from bankcrm.kit.errors import UserError
from bankcrm.kit.runtime import open_runtime

tasks_app = typer.Typer(no_args_is_help=True, help="Tasks and worklists of the managers.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code=2)


@tasks_app.command("generate")
def generate(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date to generate for (YYYY-MM-DD); default: today."),
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option("--policy", help="TOML file overriding the thresholds (docs/api.md)."),
    ] = None,
    min_value_at_risk: Annotated[
        float | None,
        typer.Option("--min-value-at-risk", help="Retention calls from this value at risk."),
    ] = None,
    min_expected_value: Annotated[
        float | None,
        typer.Option("--min-expected-value", help="Offers from this expected value."),
    ] = None,
) -> None:
    """Open retention calls, offers, reviews and KYC refreshes from the latest scores;
    a second run adds nothing already open."""
    try:
        day = date.fromisoformat(as_of) if as_of is not None else date.today()
    except ValueError:
        _fail(f"--as-of must be a date like 2026-09-30, not '{as_of}'")
    try:
        policy = load_task_policy(
            policy_file,
            retention_min_value_at_risk=min_value_at_risk,
            offer_min_expected_value=min_expected_value,
        )
        runtime = open_runtime(get_settings())
        try:
            with runtime.sessions() as session:
                summary = generate_tasks(session, day, policy)
                session.commit()
        finally:
            runtime.engine.dispose()
    except UserError as exc:
        _fail(str(exc))
    table = Table(title=f"Tasks as of {summary.as_of} from the scores of {summary.score_date}")
    table.add_column("kind")
    table.add_column("created", justify="right")
    table.add_column("already open or closed lately", justify="right")
    for kind in GENERATED_KINDS:
        table.add_row(kind, f"{summary.created[kind]:,}", f"{summary.kept[kind]:,}")
    console.print(table)
