"""What every row-by-row import shares: bad rows kept per line, all-or-nothing, the rejects CSV.

The registry (people, accounts), platform exports and public reports import the same way.
Every row is checked and every problem is kept with its line and column. Any problem refuses
the whole import (`ImportRejected` lists them all; nothing is written) unless `skip_invalid`,
which imports the good rows and writes the bad ones, with their reasons, to a rejects CSV.

    table = read_table(path)
    require_columns(table, ("nip", "nama"))
    problems = Problems()
    for row in table.rows:
        ...  problems.add(row.line, "nip", "must be 18 digits")
    finish_checks(problems, report, file=table.path, skip_invalid=skip_invalid)  # may raise
    ...  write the rows whose line is not in `problems`
    if skip_invalid:
        report.rejects_path = write_rejects(table, problems, rejects_path)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from .csvsafe import render_csv
from .errors import ImportRejected, InputError, RowProblem
from .fsutil import write_atomic
from .tabular import TableFile


class Problems:
    """Bad rows collected while checking a file: line -> its problems, in the order found."""

    def __init__(self) -> None:
        self.by_line: dict[int, list[RowProblem]] = {}

    def add(self, line: int, column: str | None, reason: str) -> None:
        self.by_line.setdefault(line, []).append(RowProblem(line, column, reason))

    def __contains__(self, line: int) -> bool:
        return line in self.by_line

    def all(self) -> list[RowProblem]:
        """Every problem, by line, in the order they were found within a line."""
        return [p for line in sorted(self.by_line) for p in self.by_line[line]]


class ImportOutcome(Protocol):
    """The two fields every import report has for its bad rows."""

    problems: list[RowProblem]
    rejected: int


def require_columns(table: TableFile, required: Iterable[str]) -> None:
    """`InputError` naming the file, the missing columns and the header it has instead."""
    missing = [c for c in required if c not in table.headers]
    if missing:
        found = ", ".join(repr(h) for h in table.original_headers if h) or "none"
        names = ", ".join(repr(c) for c in missing)
        raise InputError(f"missing required column {names} (header has {found})",
                         file=table.path)


def finish_checks(
    problems: Problems, report: ImportOutcome, *, file: str | Path, skip_invalid: bool
) -> None:
    """Record the problems on `report`; refuse the import (`ImportRejected`) when there are
    any and bad rows are not to be skipped. Call it before anything is written."""
    report.problems = problems.all()
    report.rejected = len(problems.by_line)
    if report.problems and not skip_invalid:
        raise ImportRejected(file, report.problems)


def write_rejects(
    table: TableFile, problems: Problems, path: str | Path | None = None
) -> Path | None:
    """Write the rejected rows (original values + line + reason) to a CSV; None if none.

    The default place is beside the input: ``<stem>.rejects.csv``. The rows are personal data
    and hostile input: written owner-only and atomically, every cell spreadsheet-inert
    (`csvsafe`), so a bad row cannot become a formula in the analyst's Excel.
    """
    if not problems.by_line:
        return None
    target = Path(path) if path else table.path.with_name(f"{table.path.stem}.rejects.csv")
    headers = [h for h in table.headers if h]
    names = [o or h for o, h in zip(table.original_headers, table.headers, strict=False) if h]
    rows: list[list[Any]] = []
    for row in table.rows:
        if row.line not in problems:
            continue
        reason = "; ".join(
            f"{p.column}: {p.reason}" if p.column else p.reason
            for p in problems.by_line[row.line]
        )
        rows.append([*(row.values.get(h, "") for h in headers), row.line, reason])
    write_atomic(target, render_csv([*names, "line", "reason"], rows, ","), what="rejects file")
    return target


__all__ = ["ImportOutcome", "Problems", "finish_checks", "require_columns", "write_rejects"]
