"""`pantau evidence verify|show`: thin commands over `pantau.evidence`."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .. import evidence
from ..store import Store
from ._common import err, out

evidence_app = typer.Typer(
    help="The raw evidence archive (PANTAU_HOME/raw): check it and look entries up.\n\n"
    "Example: pantau evidence verify",
    no_args_is_help=True,
)


@evidence_app.command("verify")
def verify_cmd() -> None:
    """Re-hash every archived response; exit 1 when a file is missing or altered.

    Example: pantau evidence verify
    """
    with Store.open(read_only=True) as store, Progress(
        TextColumn("[bold]verify[/]"), BarColumn(), MofNCompleteColumn(), console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("verify", total=None)
        report = evidence.verify(
            store, progress=lambda done, total: bar.update(task, completed=done, total=total))
    home = store.path.parent
    for rel in report.missing:
        err.print(f"[bold red]missing:[/] {escape(str(home / rel))}", soft_wrap=True)
    for rel in report.altered:
        err.print(f"[bold red]altered:[/] {escape(str(home / rel))} (content does not match "
                  "its SHA-256)", soft_wrap=True)
    for rel in report.unlisted:
        err.print(f"[yellow]not in the store:[/] {escape(str(home / rel))} (left by an "
                  "interrupted run; harmless)", soft_wrap=True)
    bad = len(report.missing) + len(report.altered)
    out.print(f"{report.checked} evidence file(s) checked: "
              + ("[green]all intact[/]" if report.ok else f"[bold red]{bad} problem(s)[/]"))
    if not report.ok:
        raise typer.Exit(1)


@evidence_app.command("show")
def show_cmd(
    sha: str = typer.Argument(..., help="The SHA-256 of the evidence, or its first 6+ digits."),
) -> None:
    """Show an archived response: URL, request time, status, size, file and activities.

    Example: pantau evidence show 3f2a9c1b
    """
    with Store.open(read_only=True) as store:
        rows = evidence.find(store, sha)
    if not rows:
        err.print(f"[bold red]error:[/] no evidence with a SHA-256 starting {escape(sha)}")
        raise typer.Exit(1)
    home = store.path.parent
    for row in rows:
        path = home / row["path"]
        out.print(f"[bold]{row['sha256']}[/]")
        for label, value in (
            ("platform", row["platform"]), ("url", row["url"]),
            ("requested", f"{row['requested_at']:%Y-%m-%d %H:%M:%S} UTC"),
            ("status", row["status"]), ("content type", row["content_type"]),
            ("size", f"{row['size']} bytes"), ("collector", row["collector_version"]),
            ("file", f"{path}" + ("" if path.is_file() else "  (MISSING)")),
            ("activities", row["activities"]),
        ):
            out.print(f"  {label:<13} {escape(str(value))}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
