"""`pantau serve`: run the scheduled flows (or list them), thin over `pantau.serve`."""

from __future__ import annotations

import typer
from rich.table import Table

from .. import serve as serving
from ..config import get_settings
from ._common import out


def serve_cmd(
    list_only: bool = typer.Option(
        False, "--list", help="Print the schedules and exit; starts nothing, needs no server."),
) -> None:
    """Run the collect, classify, weekly-export and maintenance flows on their schedules.

    Uses Prefect's embedded server unless PREFECT_API_URL points at one. Stop with Ctrl-C.

    Example: pantau serve --list
    """
    settings = get_settings()
    if list_only:
        table = Table(title="pantau schedules", title_justify="left")
        for column in ("deployment", "flow", "schedule", "timezone", "cron", "what it does"):
            table.add_column(column, overflow="fold")
        for s in serving.schedules(settings):
            table.add_row(s.name, s.flow, s.when, s.timezone, s.cron or "-", s.does)
        out.print(table)
        return
    serving.serve(settings)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
