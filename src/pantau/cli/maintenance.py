"""`pantau purge`: the retention purge, thin over `pantau.retention`."""

from __future__ import annotations

import typer
from rich.markup import escape

from ..config import get_settings
from ..retention import parse_period, purge
from ..store import Store
from ._common import out


def purge_cmd(
    older_than: str = typer.Option(
        None, "--older-than",
        help="Retention period: 90d, 12w or 6m (a month is 30 days). "
        "Default: retention_days from the configuration."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only report what would be purged; change nothing."),
) -> None:
    """Delete never-flagged activities observed before the retention period, and raw evidence
    nothing refers to any more. Flagged and decided cases are kept with their evidence; the
    purge is logged (counts and hashes, never content).

    Example: pantau purge --older-than 90d --dry-run
    """
    period = parse_period(older_than) if older_than is not None else None
    settings = get_settings()
    # A dry run reads only, so it works beside a notebook holding the store open.
    with Store.open(settings=settings, read_only=dry_run) as store:
        report = purge(store, settings, older_than=period, dry_run=dry_run)
    out.print(escape(str(report)), soft_wrap=True)
    if report.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("purge")(purge_cmd)
