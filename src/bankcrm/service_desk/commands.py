"""`bankcrm cases escalate`: the breach escalation job."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from bankcrm.config import get_settings
from bankcrm.kit.errors import UserError
from bankcrm.kit.runtime import open_runtime
from bankcrm.security.principal import system_principal
from bankcrm.service_desk import service

cases_app = typer.Typer(no_args_is_help=True, help="Service-desk cases: SLA and escalation.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code=2)


@cases_app.command("escalate")
def escalate(
    now: Annotated[
        str | None,
        typer.Option("--now", metavar="ISO", help="Treat this UTC time as now (default: now)."),
    ] = None,
) -> None:
    """Mark unresolved cases past their SLA due time as breached and escalate each to the
    branch manager of the customer's branch."""
    at = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now).replace(tzinfo=None)
        except ValueError:
            _fail(f"--now: not an ISO date-time: {now!r}")
    try:
        settings = get_settings()
        runtime = open_runtime(settings)
        try:
            with runtime.sessions() as session:
                report = service.escalate(session, settings, system_principal("cases escalate"), at)
                session.commit()
        finally:
            runtime.engine.dispose()
    except UserError as exc:
        _fail(str(exc))
    if report.due_times_set:
        console.print(f"gave {report.due_times_set} imported case(s) their SLA due time")
    console.print(f"escalated {report.escalated} case(s) past due")
