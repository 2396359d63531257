"""`pantau collect` and `pantau errors`: thin commands over `pantau.collectors.runner`."""

from __future__ import annotations

import logging
from datetime import datetime

import typer
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..config import get_settings
from ..errors import InputError
from ..store import Store
from ..timeutil import WIB, parse_iso
from ._common import err, out


def parse_since(value: str | None) -> datetime | None:
    """A date (read in WIB, start of day) or an ISO time (naive read as UTC)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return parse_iso(value, WIB if len(value) == 10 else None)  # 10 characters: a date
    except ValueError:
        raise InputError(f"--since {value!r}: expected a date like 2024-11-01 or an ISO time "
                         "like 2024-11-01T08:00:00+07:00") from None


def collect_cmd(
    platform: list[str] = typer.Option(
        None, "--platform", "-p",
        help="Only this platform (telegram, bluesky, mastodon); repeatable."),
    account: list[str] = typer.Option(
        None, "--account", "-a", help="Only this handle (registered or watch-listed); repeatable."),
    since: str = typer.Option(
        None, "--since", help="Do not page back before this date (WIB) or ISO time."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every retry and wait."),
) -> None:
    """Collect new public activity of registered ASN accounts and watch-listed accounts.

    Resumable: a run that is interrupted continues where it stopped next time.

    Example: pantau collect --platform telegram --since 2024-09-25
    """
    from ..collectors.runner import collect

    start = parse_since(since)
    # Retries and waits are warnings (always shown); --verbose adds every redirect and page.
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, force=True,
                        format="%(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=err, show_path=False)])
    settings = get_settings()
    with Store.open(settings=settings) as store, Progress(
        TextColumn("[bold]collect[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=err, transient=True,
    ) as bar:
        task = bar.add_task("accounts", total=None, detail="")

        def progress(event: str, summary) -> None:
            detail = (f"pages {summary.pages} · new {summary.activities_new} · "
                      f"errors {len(summary.errors)} · retries {summary.retries}")
            if event == "start":
                bar.update(task, total=summary.accounts, detail=detail)
            elif event == "account":
                bar.advance(task)
            bar.update(task, detail=detail)

        summary = collect(store, settings, platforms=platform or None,
                          accounts=account or None, since=start, progress=progress)
    # Vertical (metric, value): stays readable in a narrow terminal.
    table = Table(title=f"Collection run {summary.run_id[:12]}", title_justify="left")
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in (
        ("accounts", summary.accounts), ("pages", summary.pages),
        ("activities new", summary.activities_new), ("activities seen", summary.activities_seen),
        ("quarantined", summary.quarantined), ("errors", len(summary.errors)),
        ("refused (401/403)", len(summary.refused)), ("hidden networks", len(summary.hidden)),
        ("requests", summary.requests), ("retries", summary.retries),
        ("rate-limit waits", summary.rate_limit_waits),
        ("waited", f"{summary.waited_seconds:.1f} s"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    for label, items, style in (("error", summary.errors, "red"),
                                ("refused", summary.refused, "yellow"),
                                ("hidden", summary.hidden, "yellow"),
                                ("skipped", summary.skipped, "yellow")):
        for item in items:
            err.print(f"[{style}]{label}:[/] {escape(item)}", soft_wrap=True)
    if summary.accounts == 0:
        err.print("nothing to collect: import accounts (pantau accounts import) or load an "
                  "election file with watch-listed accounts first")
    if summary.quarantined:
        out.print("quarantined items: [bold]pantau errors[/]")


def errors_cmd(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most this many."),
) -> None:
    """List quarantined items (newest first): what failed to parse, where, and its evidence.

    Example: pantau errors --limit 20
    """
    with Store.open(read_only=True) as store:
        rows = store.rows(
            "SELECT created_at, platform, evidence_id, url, item_ref, error FROM quarantine "
            "ORDER BY created_at DESC, quarantine_id LIMIT ?", [limit])
        total = store.count("quarantine")
    if not rows:
        out.print("no quarantined items")
        return
    # One block per item rather than a table: URLs and errors are long and must stay whole
    # (they are copied into `pantau evidence show` and bug reports).
    out.print(f"[bold]Quarantined items ({len(rows)} of {total}), newest first[/]")
    for created, platform, evidence_id, url, item, error in rows:
        out.print(f"{created:%Y-%m-%d %H:%M} UTC  {platform or '?'}  item {escape(item or '?')}"
                  f"  evidence {evidence_id or '-'}", soft_wrap=True)
        out.print(f"  url:   {escape(url or '-')}", soft_wrap=True)
        out.print(f"  error: {escape(error)}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("collect")(collect_cmd)
    app.command("errors")(errors_cmd)
