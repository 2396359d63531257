"""What the command modules share: the consoles, table cells, file checks, import options.

Private to `pantau.cli`: the library never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from .. import timeutil
from ..errors import ImportRejected, InputError, RowProblem
from ..records import Election
from ..store import Store

T = TypeVar("T")

# rich looks sys.stdout / sys.stderr up on every print, so one pair serves every module (and
# pytest's capture still sees the output).
out = Console()
err = Console(stderr=True)

# The options every row import (`registry import`, `accounts import`, `import`,
# `report import`) has, with one wording.
SKIP_HELP = "Import the good rows and write the bad ones, with reasons, to a rejects CSV."
REJECTS_HELP = ("Where to write rejected rows (default: beside FILE, its name without the "
                "extension + .rejects.csv: asn.xlsx -> asn.rejects.csv).")
ENCODING_HELP = "Text encoding of a CSV file (default: UTF-8, else detected with a warning)."


def cell(value: object) -> str:
    """A data value as a table cell: never read as rich markup (names may hold brackets)."""
    return escape(str(value)) if value not in (None, "") else ""


def require_file(path: Path) -> None:
    """`InputError` naming `path` when it is not a file.

    Checked before the store is opened, so a typo does not create an empty database.
    """
    if not path.is_file():
        raise InputError("file not found", file=path)


def print_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def print_problems(file: str | Path, problems: Iterable[RowProblem]) -> None:
    """One line a bad row, prefixed with the file (as the compiler-style `file: line …`)."""
    for problem in problems:
        err.print(f"  {file}: {problem}", soft_wrap=True, markup=False)


def print_rejected(file: Path, problems: Iterable[RowProblem], rejects: Path | None) -> None:
    """After an import with --skip-invalid: the bad rows, and where they were written."""
    print_problems(file, problems)
    if rejects is not None:
        out.print(f"rejected rows written to [bold]{escape(str(rejects))}[/]", soft_wrap=True)


def refused(exc: ImportRejected) -> typer.Exit:
    """Print every bad row of a refused import; return the exit to raise (nothing written)."""
    err.print(f"[bold red]refused:[/] {escape(str(exc.file))}: {len(exc.problems)} bad row(s); "
              "nothing was imported", soft_wrap=True)
    print_problems(exc.file, exc.problems)
    err.print("Fix them, or import the good rows with --skip-invalid.")
    return typer.Exit(exc.exit_code)


def run_import(files: Iterable[Path | None], do: Callable[[Store], T]) -> T:
    """Run an import on the store: the input `files` are checked first (None is skipped), and
    a refused import prints every bad row and exits non-zero (`ImportRejected` -> exit)."""
    for file in files:
        if file is not None:
            require_file(file)
    with Store.open() as store:
        try:
            return do(store)
        except ImportRejected as exc:
            raise refused(exc) from None


def parse_at(text: str | None, election: Election) -> datetime:
    """The --at option: an ISO time or date, read in the election's zone without an offset;
    now when not given."""
    if text is None:
        return timeutil.utcnow()
    try:
        return timeutil.parse_iso(text, ZoneInfo(election.timezone))
    except ValueError:
        raise InputError(f"--at {text!r} is not an ISO date or time, e.g. "
                         "2024-11-20T10:00+07:00 or 2024-11-20") from None
