"""`pantau import` (platform exports) and `pantau report` (public reports): thin commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..collectors.imports import PublicReport, add_report, import_activities, import_reports
from ..store import Store
from ._common import (
    ENCODING_HELP,
    REJECTS_HELP,
    SKIP_HELP,
    out,
    print_rejected,
    print_warnings,
    run_import,
)

report_app = typer.Typer(
    help="Public reports: a URL, what was seen, who reported it (and a screenshot).\n\n"
    "Example: pantau report add --url https://x.com/budi/status/1 --description 'ajakan "
    "memilih paslon 02' --reporter warga@example.org --screenshot bukti.png",
    no_args_is_help=True,
)


def import_cmd(
    file: Path = typer.Argument(..., help="The export: .csv, .xlsx or .jsonl."),
    platform: str | None = typer.Option(
        None, "--platform", help="x, instagram, facebook, tiktok, youtube, ... (default: the "
                                 "mapping file's `platform`)."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="Column-mapping TOML (examples in config/mappings/); default: "
                                "columns named like pantau's fields."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=REJECTS_HELP),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import activities from an export (all-or-nothing unless --skip-invalid).

    Example: pantau import tweets.csv --platform x --mapping config/mappings/x-generic.toml
    """
    report = run_import([file, mapping], lambda store: import_activities(
        store, file, platform=platform, mapping=mapping, encoding=encoding,
        skip_invalid=skip_invalid, rejects_path=rejects))
    print_warnings(report.warnings)
    out.print(
        f"{escape(str(file))}: {report.rows_read} row(s) read; {report.new} new "
        f"{report.platform} activities, {report.unchanged} already imported"
        + (f", {report.duplicates} repeated row(s)" if report.duplicates else "")
        + (f", [red]{report.rejected} rejected[/]" if report.rejected else "")
        + (f"; evidence {report.evidence_id[:12]}" if report.evidence_id else ""),
        soft_wrap=True,
    )
    print_rejected(file, report.problems, report.rejects_path)


@report_app.command("add")
def report_add_cmd(
    url: str = typer.Option(..., "--url", help="The reported post or account."),
    description: str = typer.Option(..., "--description", help="What the reporter saw."),
    reporter: str = typer.Option(..., "--reporter", help="The reporter's contact."),
    screenshot: Path | None = typer.Option(None, "--screenshot", help="A capture (archived)."),
    platform: str | None = typer.Option(None, "--platform", help="Default: from the URL."),
    actor: str | None = typer.Option(None, "--actor", help="The account; default: from the URL."),
    at: str | None = typer.Option(None, "--at", help="When it happened: 2024-11-20 (WIB) or "
                                                     "2024-11-20T14:05+07:00."),
    kind: str = typer.Option("post", "--type", help="post, comment, share, quote, like, follow."),
) -> None:
    """Record one public report as an activity (source public_report).

    Example: pantau report add --url https://t.me/kanal/12 --description "ajakan memilih"
    --reporter 0812-0000-0000 --screenshot bukti.png --at 2024-11-20
    """
    with Store.open() as store:
        activity, new = add_report(store, PublicReport(
            url=url, description=description, reporter=reporter, screenshot=screenshot,
            platform=platform, actor=actor, at=at, type=kind))
    state = "recorded" if new else "already recorded"
    out.print(f"report {state}: {activity.id} ({activity.platform}"
              f"{', ' + activity.actor_handle if activity.actor_handle else ''}); "
              f"evidence {activity.evidence_id[:12] if activity.evidence_id else '-'}",
              markup=False, soft_wrap=True)


@report_app.command("import")
def report_import_cmd(
    file: Path = typer.Argument(..., help="CSV/XLSX/JSONL: url, description, reporter"
                                          "[, screenshot, platform, actor, at, type]."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=REJECTS_HELP),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import public reports from a file (screenshots relative to the file's folder).

    Example: pantau report import laporan.csv --skip-invalid
    """
    result = run_import([file], lambda store: import_reports(
        store, file, encoding=encoding, skip_invalid=skip_invalid, rejects_path=rejects))
    print_warnings(result.warnings)
    out.print(f"{escape(str(file))}: {result.rows_read} report(s) read; {result.new} new, "
              f"{result.unchanged} already recorded"
              + (f", [red]{result.rejected} rejected[/]" if result.rejected else ""),
              soft_wrap=True)
    print_rejected(file, result.problems, result.rejects_path)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.add_typer(report_app, name="report")
