"""`pantau election …`: thin commands over `pantau.elections`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from .. import elections, timeutil
from ..records import Election, Stage
from ..store import Store
from ._common import out, parse_at

election_app = typer.Typer(
    help="Election files (watchlists): candidates, accounts, keywords and the calendar that "
    "decides the stage (KE before candidates are determined, DS after).\n\n"
    "Example: pantau election load elections/pilkada-2024-dki-jakarta.toml",
    no_args_is_help=True,
)

_FAMILY = {"KE": "KE rules: ethics, bakal calon", "DS": "DS rules: discipline, calon"}


def _stage_text(stage: Stage) -> str:
    family = elections.rule_family(stage)
    return f"{stage.value} ({_FAMILY[family]})" if family else f"{stage.value} (no neutrality rule)"


def print_election(election: Election, *, at: datetime | None = None,
                   details: bool = False) -> None:
    """Candidates, calendar with the stage at `at`, and counts (or full lists with `details`)."""
    at = at or timeutil.utcnow()
    where = f" — {election.region}" if election.region else ""
    out.print(f"[bold]{election.name}[/] ({election.id}, {election.kind}{where}, "
              f"{election.timezone})", soft_wrap=True)

    people = Table(title="Candidates", title_justify="left")
    for name in ("no.", "names", "aliases", "parties", "slogans / hashtags"):
        people.add_column(name, overflow="fold")
    for c in election.candidates:
        people.add_row(str(c.number), " – ".join(c.names), ", ".join(c.aliases),
                       ", ".join(c.parties), ", ".join(c.slogans + c.hashtags))
    out.print(people)

    window = elections.stage_window(election)
    calendar = Table(title="Calendar (dates are whole days in the election's time zone)",
                     title_justify="left")
    calendar.add_column("event")
    calendar.add_column("date")
    for key in elections.CALENDAR_KEYS:
        day = getattr(election.calendar, key)
        calendar.add_row(key.replace("_", " "), day.isoformat() if day else "[dim]—[/]")
    out.print(calendar)
    tz = ZoneInfo(election.timezone)
    out.print(f"KE from {timeutil.show(window.start, tz)}, DS from "
              f"{timeutil.show(window.determination, tz)}, ends before "
              f"{timeutil.show(window.end, tz)}", soft_wrap=True)
    stage = elections.stage_at(election, at)
    out.print(f"stage at {timeutil.show(at, tz)}: [bold]{_stage_text(stage)}[/]", soft_wrap=True)

    if not details:
        out.print(f"{len(election.accounts)} watch-listed account(s), "
                  f"{len(election.keywords)} keyword(s)")
        return
    accounts = Table(title=f"Watch-listed accounts ({len(election.accounts)})",
                     title_justify="left")
    for name in ("platform", "handle", "role", "candidate"):
        accounts.add_column(name, overflow="fold")
    for a in election.accounts:
        accounts.add_row(a.platform, a.handle, a.role,
                         "" if a.candidate is None else str(a.candidate))
    out.print(accounts)
    keywords = Table(title=f"Keywords ({len(election.keywords)})", title_justify="left")
    keywords.add_column("phrase", overflow="fold")
    keywords.add_column("candidate")
    for k in election.keywords:
        keywords.add_row(k.phrase, "" if k.candidate is None else str(k.candidate))
    out.print(keywords)


@election_app.command("load")
def load_cmd(
    file: Annotated[Path, typer.Argument(help="The election file (TOML).")],
) -> None:
    """Validate an election file and save it, replacing that election's previous watchlist.

    Example: pantau election load elections/pemilu-2024-presiden.toml
    """
    with Store.open() as store:
        election = elections.import_election_file(store, file)
    out.print(f"[green]loaded[/] {file}", soft_wrap=True)
    print_election(election)


@election_app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="The election file (TOML).")],
) -> None:
    """Validate an election file without saving it (exit code 2 and the line if it is wrong).

    Example: pantau election check elections/pilkada-2024-dki-jakarta.toml
    """
    election = elections.load_election_file(file)
    out.print(f"[green]ok[/] {file}: {election.id}, {len(election.candidates)} candidate(s), "
              f"{len(election.accounts)} account(s), {len(election.keywords)} keyword(s)",
              soft_wrap=True)


@election_app.command("list")
def list_cmd() -> None:
    """List the loaded elections with their vote day, stage today and watchlist sizes.

    Example: pantau election list
    """
    with Store.open() as store:
        frame = elections.list_elections(store)
    if frame.empty:
        out.print("no election loaded yet (pantau election load FILE.toml)")
        return
    table = Table(title="Elections", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("vote", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    for name in ("cand.", "acc.", "kw."):
        table.add_column(name, justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(row.election_id, row.vote.date().isoformat(), row.stage,
                      str(row.candidates), str(row.accounts), str(row.keywords))
    out.print(table)


@election_app.command("show")
def show_cmd(
    election_id: str = typer.Argument(..., metavar="ID", help="The election id, e.g. "
                                                             "pilkada-2024-dki-jakarta."),
) -> None:
    """Show a loaded election: candidates, calendar, stage today, accounts and keywords.

    Example: pantau election show pilkada-2024-dki-jakarta
    """
    with Store.open() as store:
        election = elections.load_election(store, election_id)
    print_election(election, details=True)


@election_app.command("stage")
def stage_cmd(
    ref: str = typer.Argument(..., metavar="ID|FILE",
                              help="A loaded election's id or an election file."),
    at: str | None = typer.Option(None, "--at", help="When (ISO 8601). Without an offset, or a "
                                  "bare date, it is read in the election's time zone. "
                                  "Default: now."),
) -> None:
    """Print the election's stage at a moment and the rule family that applies.

    Example: pantau election stage pilkada-2024-dki-jakarta --at 2024-11-20T10:00+07:00
    """
    election = elections.election_from_file_or_store(ref, Store.open)
    when = parse_at(at, election)
    stage = elections.stage_at(election, when)
    out.print(f"{election.id} at {timeutil.show(when, ZoneInfo(election.timezone))}: "
              f"{_stage_text(stage)}", soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(election_app, name="election")
