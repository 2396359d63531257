"""`pantau review list|show|decide`, `pantau audit verify`, `pantau export`: thin commands over
`pantau.review` and `pantau.export`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from .. import export as exporting
from .. import review
from ..csvsafe import printable
from ..config import get_settings
from ..errors import ReviewError, StoreError
from ..timeutil import show
from ._common import err, out


def _text(value: object) -> str:
    """Stored text (names, posts, notes) for the terminal: no markup, no escape sequences."""
    return escape(printable(value))

review_app = typer.Typer(
    help="Work the review queue: list cases, show one, record a decision.\n\n"
    "Example: pantau review list --agency 'Dinas Pendidikan' --min-confidence 0.7",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="The audit trail of review decisions.\n\nExample: pantau audit verify",
    no_args_is_help=True,
)


@review_app.command("list")
def list_cmd(
    election: str | None = typer.Option(None, help="Election id, e.g. pilkada-2024-dki-jakarta."),
    agency: str | None = typer.Option(None, help="Agency (instansi), any part, any case."),
    region: str | None = typer.Option(None, help="Region (wilayah), any part, any case."),
    platform: str | None = typer.Option(None, help="telegram, bluesky, mastodon, ..."),
    rule: str | None = typer.Option(None, help="Rule code, e.g. DS-06."),
    min_confidence: float | None = typer.Option(None, min=0, max=1, help="Lowest confidence."),
    status: str = typer.Option(
        "open", help="open | confirmed | dismissed | needs_more_info | awaiting_second | all."),
    limit: int | None = typer.Option(50, min=0, help="At most this many cases (0: all)."),
) -> None:
    """List cases, most confident first (times in WIB).

    Example: pantau review list --status all --platform telegram --limit 20
    """
    with review.open_store() as store:
        df = review.queue(
            store, election=election, agency=agency, region=region, platform=platform,
            rule=rule, min_confidence=min_confidence, status=status, limit=limit or None,
        )
    if df.empty:
        out.print(f"no {status if status != 'all' else ''} cases match".replace("  ", " "))
        return
    table = Table(show_lines=False, header_style="bold")
    # Ten characters of the id are enough for `show` and `decide` (they take a prefix).
    for name in ("case", "rule", "cand", "conf", "acted (WIB)", "platform", "ASN", "status"):
        table.add_column(name, no_wrap=name in {"case", "rule", "conf"})
    table.add_column("text", ratio=1)
    for r in df.itertuples():
        table.add_row(
            r.case_id[:10], r.rule, "" if pd.isna(r.candidate) else f"{int(r.candidate):02d}",
            f"{r.confidence:.2f}",
            "" if pd.isna(r.acted_at) else r.acted_at.strftime("%Y-%m-%d %H:%M"),
            r.platform or "", _text(r.nama or f"@{r.actor_handle} (not registered)"),
            r.status, _text(review.excerpt(r.excerpt, 80)),
        )
    out.print(table)
    out.print(f"{len(df)} case(s)")


@review_app.command("show")
def show_cmd(case_id: str = typer.Argument(..., help="Case id or its first 6+ characters.")) -> None:
    """Show one case: the act, the ASN, reasons, evidence check, photos (hands, text in the
    image, archived path) and earlier decisions.

    Example: pantau review show 4412d535
    """
    with review.open_store() as store:
        # A terminal shows no pictures: skip decoding and drawing the previews.
        case = review.show_case(store, case_id, thumbnails=False)
    out.print(_text(case), soft_wrap=True, highlight=False)


@review_app.command("decide")
def decide_cmd(
    case_id: str = typer.Argument(..., help="Case id or its first 6+ characters."),
    verdict: str = typer.Option(..., help="confirmed | dismissed | needs_more_info."),
    reviewer: str = typer.Option(..., help="Your name, as it should stand in the record."),
    note: str = typer.Option("", help="Why: what you saw, what is missing."),
) -> None:
    """Record a decision on a case (appended to the audit chain; never edited afterwards).

    Example: pantau review decide 4412d535 --verdict confirmed --reviewer "Sari" --note "ajakan memilih 01"
    """
    with review.open_store(read_only=False) as store:
        decision = review.decide(store, case_id, verdict, reviewer, note)
        # Only the standing verdict is printed: its decisions, not the whole case page.
        state = review.case_states(store, [decision.case_id])[decision.case_id]
    out.print(
        f"decision #{decision.seq} recorded: case {decision.case_id} {decision.verdict} by "
        f"{_text(decision.reviewer)} at {show(decision.decided_at)}; case is now {state.status}"
        + (" (exportable)" if state.exportable else ""),
        soft_wrap=True,
    )


@audit_app.command("verify")
def verify_cmd() -> None:
    """Re-hash the decision chain; exit 1 if a decision was altered, deleted or reordered.

    Example: pantau audit verify
    """
    with review.open_store() as store:
        report = review.verify_audit(store)
    (out if report.ok else err).print(_text(report), soft_wrap=True, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def export_cmd(
    week: str | None = typer.Option(
        None, help="ISO week, e.g. 2024-W47, or 'last' (the previous week)."),
    recipient: list[str] | None = typer.Option(
        None, "--recipient", "-r",
        help="Recipient layout (bkn, kasn, bawaslu, ...); repeatable. Default: export.recipients."),
    out_dir: Path | None = typer.Option(
        None, "--out", "-o", help="Directory for the files (default PANTAU_HOME/exports/<recipient>)."),
    fields: bool = typer.Option(False, "--fields", help="List the columns a layout may use and exit."),
) -> None:
    """Write the cases confirmed during an ISO week (Mon–Sun, WIB) as Excel-safe CSV + manifest.

    Example: pantau export --week 2024-W47 --recipient bkn -o ./out
    """
    if fields:
        for name, meaning in exporting.FIELDS.items():
            out.print(f"{name:<22} {meaning}", highlight=False)
        return
    if not week:
        raise ReviewError("give the week to export: --week 2024-W47 (or --week last)")
    settings = get_settings()
    db = settings.db_path
    if settings.store.backend == "duckdb" and not db.exists():
        # Exporting nothing from a database that does not exist would only create an empty one.
        raise StoreError(f"{db}: no database yet (import a registry and collect first)")
    with review.open_store(read_only=False) as store:
        results = exporting.export_all(store, week, recipient or None, out_dir)
    for result in results:
        out.print(_text(result), soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.add_typer(audit_app, name="audit")
    app.command("export")(export_cmd)
