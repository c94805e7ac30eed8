"""`bankcrm users create` and `bankcrm clients create`: people and channel systems that may
call the API. Passwords come on standard input, never on the command line."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from bankcrm.config import get_settings
from bankcrm.kit.errors import UserError
from bankcrm.kit.runtime import open_runtime
from bankcrm.security import service
from bankcrm.security.principal import system_principal
from bankcrm.security.roles import SERVICE_SCOPES, Role

users_app = typer.Typer(no_args_is_help=True, help="Users of the web app and the API.")
clients_app = typer.Typer(
    no_args_is_help=True, help="Channel systems (online and mobile banking, call centre)."
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code=2)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Option("--username", metavar="U")],
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help=", ".join(r.value for r in Role))
    ],
    staff_id: Annotated[
        str | None,
        typer.Option("--staff-id", metavar="ID", help="The staff record (account managers)."),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", metavar="ID", help="The branch id (branch code).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with an argon2-hashed password."""
    if not password_stdin:
        _fail("pass the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        runtime = open_runtime(get_settings())
        try:
            with runtime.sessions() as session:
                user = service.create_user(
                    session,
                    system_principal("users create"),
                    username=username,
                    role=role,
                    password=password,
                    staff_code=staff_id,
                    branch_code=branch,
                )
                session.commit()
                console.print(f"created user [bold]{escape(user.username)}[/] ({user.role})")
        finally:
            runtime.engine.dispose()
    except UserError as exc:
        _fail(str(exc))


@clients_app.command("create")
def create_client(
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="e.g. mobile-banking")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", metavar="SCOPE", help=", ".join(sorted(SERVICE_SCOPES))),
    ],
    days: Annotated[int, typer.Option("--days", help="Days until the token expires.")] = 365,
) -> None:
    """Create a service token for a channel system; it is printed once, only its hash kept."""
    try:
        runtime = open_runtime(get_settings())
        try:
            with runtime.sessions() as session:
                issued = service.create_service_token(
                    session, system_principal("clients create"), name, scope, days
                )
                session.commit()
        finally:
            runtime.engine.dispose()
    except UserError as exc:
        _fail(str(exc))
    err_console.print(f"service token for {escape(name)}, expires {issued.expires_at:%Y-%m-%d}:")
    print(issued.token)
