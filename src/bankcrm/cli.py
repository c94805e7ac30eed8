"""The `bankcrm` command line: import, generate, status, database upkeep, the demo run."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bankcrm.analytics.commands import model_app
from bankcrm.config import Settings, get_settings
from bankcrm.duplicates.commands import detect as detect_duplicates_command
from bankcrm.duplicates.commands import duplicates_app
from bankcrm.ingest.service import ImportReport, run_import
from bankcrm.interactions.commands import generate as generate_tasks_command
from bankcrm.interactions.commands import tasks_app
from bankcrm.kit import migrate
from bankcrm.kit.errors import UserError
from bankcrm.kit.runtime import Runtime, connect, open_runtime
from bankcrm.lake.commands import lake_app
from bankcrm.security.commands import clients_app, users_app
from bankcrm.service_desk.commands import cases_app
from bankcrm.status.service import system_status

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database schema upkeep.")
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")
app.add_typer(tasks_app, name="tasks")
app.add_typer(cases_app, name="cases")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(lake_app, name="lake")
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"BANKCRM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        _fail(f"bad setting: {problems}")
        raise  # unreachable: _fail exits


def _runtime(settings: Settings | None = None) -> Runtime:
    try:
        return open_runtime(settings or _settings())
    except UserError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )


class RichImportProgress:
    """Drives one progress bar per file."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start_file(self, name: str, total: int) -> None:
        self.task = self.progress.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)

    def end_file(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the current version."""
    try:
        engine = connect(_settings())
    except UserError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    try:
        migrate.upgrade(engine)
    except Exception as exc:  # a user's URL or server problem, shown without a traceback
        _fail(f"cannot upgrade {engine.url.render_as_string(hide_password=True)}: {exc}")
    finally:
        engine.dispose()
    console.print(f"database at revision {migrate.head_revision()}")


def print_report(report: ImportReport, max_problems: int = 25) -> None:
    if report.already_imported:
        console.print(
            f"This extract was already imported as batch {report.batch_id}: nothing to do."
        )
        return
    table = Table(title=f"Import batch {report.batch_id} from {report.source}")
    for heading in ("file", "read", "loaded", "updated", "unchanged", "quarantined", "rows/s"):
        if heading == "file":
            table.add_column(heading, no_wrap=True, min_width=22)
        else:
            table.add_column(heading, justify="right")
    for f in report.files:
        table.add_row(
            f.file,
            f"{f.rows_read:,}",
            f"{f.loaded:,}",
            f"{f.updated:,}",
            f"{f.unchanged:,}",
            f"{f.quarantined:,}",
            f"{f.rows_per_second:,.0f}",
        )
    console.print(table)
    if report.unknown_files:
        console.print(f"[yellow]not read (unknown names):[/] {', '.join(report.unknown_files)}")
    for file, columns in report.unknown_columns.items():
        console.print(
            f"[yellow]{file}: column(s) not in the format, ignored:[/] {', '.join(columns)}"
        )
    if report.prospects_converted or report.prospects_flagged:
        console.print(
            f"prospects: {report.prospects_converted:,} converted to customers, "
            f"{report.prospects_flagged:,} flagged for review"
        )
    problems = report.problems
    if problems:
        shown = Table(title=f"Quarantined rows ({report.quarantined:,} rows, first reasons)")
        for heading in ("file", "line", "column", "value", "reason"):
            shown.add_column(heading)
        for p in problems[:max_problems]:
            shown.add_row(p.file, str(p.line), p.column or "", p.value or "", p.reason)
        console.print(shown)
        if len(problems) > max_problems:
            console.print(
                f"... {len(problems) - max_problems:,} more: "
                f"`bankcrm quarantine {report.batch_id}` lists them all"
            )
    console.print(f"done in {report.seconds:,.1f} s")


@app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="Folder holding the extract files.")],
    source_format: Annotated[
        str, typer.Option("--format", help="extract (the documented format) or berka")
    ] = "extract",
) -> None:
    """Validate and load a core-banking extract (see docs/import-format.md)."""
    if source_format not in ("extract", "berka"):
        _fail(f"--format must be 'extract' or 'berka', not '{source_format}'")
    runtime = _runtime()
    try:
        with _progress() as progress:
            watcher = RichImportProgress(progress)
            if source_format == "berka":
                from bankcrm.ingest.berka import BerkaFormatError, convert_berka

                with tempfile.TemporaryDirectory(prefix="berka-") as temp:
                    try:
                        convert_berka(directory, Path(temp))
                    except BerkaFormatError as exc:
                        _fail(str(exc))
                    report = run_import(
                        runtime.sessions,
                        runtime.lake,
                        Path(temp),
                        "berka",
                        watcher,
                        source=str(directory),
                    )
            else:
                report = run_import(runtime.sessions, runtime.lake, directory, "extract", watcher)
    except UserError as exc:
        _fail(f"{exc}\nnothing was written.")
    except Exception as exc:  # a fault of ours, not the user's: say so, keep the detail
        if os.environ.get("BANKCRM_DEBUG"):
            raise
        _fail(
            f"the import stopped on an unexpected error and was rolled back, nothing was "
            f"written: {type(exc).__name__}: {exc}\n(set BANKCRM_DEBUG=1 for the traceback)"
        )
    finally:
        runtime.engine.dispose()
    print_report(report)


@app.command()
def quarantine(batch_id: int) -> None:
    """List every row an import batch quarantined, with file, line, column and reason."""
    from bankcrm.ingest.repository import quarantine_for

    runtime = _runtime()
    with runtime.sessions() as session:
        rows = quarantine_for(session, batch_id)
    runtime.engine.dispose()
    if not rows:
        console.print(f"batch {batch_id} quarantined nothing (or does not exist)")
        return
    for r in rows:
        sys.stdout.write(f"{r.file}:{r.line}\t{r.column or '-'}\t{r.value or ''}\t{r.reason}\n")


@app.command()
def generate(
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 42,
    out: Annotated[Path, typer.Option(help="Folder to write the extract to.")] = Path(
        "./var/extract"
    ),
    duplicates: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.5,
            help="Share of customers planted with a second customer number (truth: "
            "duplicates.parquet).",
        ),
    ] = 0.01,
) -> None:
    """Write a synthetic bank as an extract in the documented format (truth kept apart)."""
    from bankcrm.synth import generate as run_generate

    with _progress() as progress:
        task = progress.add_task("generating customers", total=customers)
        summary = run_generate(
            customers,
            seed,
            out,
            progress=lambda done: progress.update(task, completed=done),
            duplicates=duplicates,
        )
    table = Table(title=f"Synthetic bank in {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"done in {summary.seconds:,.1f} s")


def _print_status(data: dict[str, Any]) -> None:
    table = Table(title="bankcrm holds")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("customers", f"{data['customers']['total']:,}")
    for kind, statuses in data["customers"]["by_kind_and_status"].items():
        for status, n in statuses.items():
            table.add_row(f"  {kind} / {status}", f"{n:,}")
    table.add_row("holdings", f"{data['holdings']['total']:,}")
    for category, v in data["holdings"]["by_category"].items():
        table.add_row(f"  {category} (open)", f"{v['holdings']:,} ({v['open']:,})")
    for status, n in data["loans_by_status"].items():
        table.add_row(f"loans {status}", f"{n:,}")
    table.add_row("cards", f"{data['holdings']['cards']:,}")
    for name in (
        "branches",
        "staff",
        "products",
        "relationships",
        "standing_orders",
        "interactions",
        "cases",
    ):
        table.add_row(name.replace("_", " "), f"{data[name]:,}")
    tx = data["transactions"]
    span = f" ({tx['first_day']} to {tx['last_day']})" if tx["rows"] else ""
    table.add_row("transactions in the lake" + span, f"{tx['rows']:,}")
    table.add_row("import batches", f"{data['import_batches']['total']:,}")
    console.print(table)
    for b in data["import_batches"]["recent"][:5]:
        console.print(
            f"batch {b['id']} {b['format']} {b['outcome']} at {b['finished_at']}: "
            f"{b['rows_loaded']:,} loaded, {b['rows_updated']:,} updated, "
            f"{b['rows_quarantined']:,} quarantined",
            highlight=False,
        )


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What the system holds: customers, holdings, loans, cards, the lake, import batches."""
    from bankcrm.ingest.service import recover

    runtime = _runtime()
    try:
        recover(runtime.sessions, runtime.lake)
        with runtime.sessions() as session:
            data = system_status(session)
    finally:
        runtime.engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        _print_status(data)


def _print_score(summary: Any) -> None:
    facts = summary.facts
    table = Table(title=f"Scores as of {summary.as_of} (run {summary.run_id})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("customers scored", f"{summary.customers:,}")
    for tier, n in facts["tiers"].items():
        table.add_row(f"  tier {tier}", f"{n:,} ({n / max(summary.customers, 1):.1%})")
    for band, n in facts["bands"].items():
        table.add_row(f"  band {band}", f"{n:,}")
    table.add_row("total contribution, 12 months", f"{facts['total_contribution']:,.0f}")
    table.add_row("customers producing 80% of profit", f"{facts['share_for_80']:.1%}")
    table.add_row("profit share of the top 20%", f"{facts['top_20_share']:.1%}")
    table.add_row("total lifetime value", f"{facts['total_clv']:,.0f}")
    table.add_row("value at risk (churn x CLV)", f"{facts['value_at_risk']:,.0f}")
    table.add_row("mean churn probability", f"{facts['mean_churn_probability']:.2%}")
    table.add_row(
        "next best offers",
        f"{facts['offers']:,} for {facts['customers_with_offers']:,} customers",
    )
    metrics = facts["churn_test_metrics"]
    if metrics:
        table.add_row(
            "churn model on its test quarter",
            f"AUC {metrics['roc_auc']:.3f}, PR AUC {metrics['pr_auc']:.3f}, "
            f"lift {metrics['top_decile_lift']:.1f}",
        )
    console.print(table)
    console.print(f"churn model: {summary.churn_model}", highlight=False)
    console.print(f"done in {summary.seconds:,.1f} s")


@app.command()
def score(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date to score as of (YYYY-MM-DD); default: last lake day."),
    ] = None,
    churn_model: Annotated[
        Path | None,
        typer.Option("--churn-model", help="Score with this model file instead of training."),
    ] = None,
) -> None:
    """Score every customer: value, tiers, lifetime value, churn risk; results into the DB."""

    from bankcrm.analytics.pipeline import run_scoring
    from bankcrm.analytics.policy import load_policy
    from bankcrm.lake.repository import totals

    settings = _settings()
    runtime = _runtime(settings)
    try:
        policy = load_policy(settings.policy_file)
        if as_of is None:
            with runtime.sessions() as session:
                last_day = totals(session, "transactions")[3]
            day = last_day if isinstance(last_day, date) else date.today()
        else:
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                _fail(f"--as-of must be a date like 2026-09-30, not '{as_of}'")
        with _progress() as progress:
            summary = run_scoring(
                settings,
                runtime.sessions,
                policy,
                day,
                RichImportProgress(progress),
                churn_model_file=churn_model,
            )
    except UserError as exc:
        _fail(str(exc))
    except ValueError as exc:  # the data cannot support a model (e.g. no churners yet)
        _fail(f"scoring stopped, nothing was written: {exc}")
    finally:
        runtime.engine.dispose()
    _print_score(summary)


@app.command()
def run(
    customers: Annotated[int, typer.Option(min=1, help="Size of the demo bank.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed of the demo bank.")] = 42,
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="End by serving the workbench.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """The main job on the embedded default: generate, import and score a demo bank on the
    first run (reused later), find its likely duplicates, create one demo login per role,
    then serve the workbench."""
    settings = _settings()
    if _scored(settings):
        console.print(
            f"reusing the scored demo bank in {settings.lake_dir.parent} "
            "(delete that folder to start over)"
        )
    else:
        extract = settings.lake_dir.parent / "extract"
        if (extract / "customers.csv").is_file():
            console.print(f"reusing the demo extract in {extract}")
        else:
            generate(customers=customers, seed=seed, out=extract)
        import_(extract, "extract")
        status(as_json=False)
        last_day = _last_lake_day(settings)
        # Two scoring dates a month apart: tier moves and "its change" have a before.
        score(as_of=(last_day - timedelta(days=30)).isoformat(), churn_model=None)
        score(as_of=last_day.isoformat(), churn_model=None)
        generate_tasks_command(as_of=last_day.isoformat())
        # The demo bank has planted second customer numbers: show them as candidates.
        detect_duplicates_command(as_json=False)
    _print_demo_logins(settings, host, port)
    if serve_app:
        serve(host=host, port=port, workers=1)


def _scored(settings: Settings) -> bool:
    """Has this database been scored already (a later `make run` reuses it)?"""
    from bankcrm.analytics.score_repository import latest_run

    runtime = _runtime(settings)
    try:
        with runtime.sessions() as session:
            return latest_run(session) is not None
    finally:
        runtime.engine.dispose()


def _last_lake_day(settings: Settings) -> date:
    from bankcrm.lake.repository import totals

    runtime = _runtime(settings)
    try:
        with runtime.sessions() as session:
            last_day = totals(session, "transactions")[3]
    finally:
        runtime.engine.dispose()
    return last_day if isinstance(last_day, date) else date.today()


def _print_demo_logins(settings: Settings, host: str, port: int) -> None:
    from bankcrm.security.demo import LOGINS_FILE, ensure_demo_logins

    folder = settings.lake_dir.parent
    runtime = _runtime(settings)
    try:
        with runtime.sessions() as session:
            logins = ensure_demo_logins(session, folder)
            session.commit()
    finally:
        runtime.engine.dispose()
    table = Table(title=f"Demo logins: http://{host}:{port}/login")
    table.add_column("role")
    table.add_column("username")
    table.add_column("password")
    for login in logins:
        password = login.password or f"unknown: {LOGINS_FILE} was removed"
        table.add_row(login.role.value, login.username, password)
    console.print(table)
    console.print(f"(kept in {folder / LOGINS_FILE}, readable by you only)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web app and the JSON API (/api/v1, OpenAPI at /openapi.json)."""
    import uvicorn

    settings = _settings()
    runtime = _runtime(settings)  # fail now, with a clear message, if the database is unusable
    runtime.engine.dispose()
    uvicorn.run(
        "bankcrm.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


if __name__ == "__main__":  # pragma: no cover
    app()
