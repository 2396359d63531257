"""Every exception pantau raises, documented in one place.

PantauError
├── ConfigError            configuration (pantau.toml, PANTAU_* variables) is invalid
├── InputError             a file given by the user is unreadable or malformed;
│   │                      names the file and, where known, the line and column
│   ├── ImportRejected     a registry/accounts/activity import had bad rows; nothing written
│   └── ElectionFileError  an election file has an unknown key or a bad value
├── StoreError             the DuckDB store cannot be used
│   ├── StoreBusyError     another process holds the database (after a bounded wait)
│   ├── SchemaTooNewError  the database was written by a newer pantau
│   └── NotInStore         a named thing (e.g. an election id) is not in the database
├── FetchError             a platform request failed for good (after the HTTP layer's retries)
│   ├── HostNotAllowed     the URL's host is not a configured platform host
│   └── ResponseTooLarge   the body exceeded the configured maximum size
├── ParseError             a platform response could not be turned into activities
├── ModelError             a classifier model is missing, altered or incompatible
├── EvidenceError          the raw evidence archive is inconsistent
├── MediaError             an image is not an image, is corrupt, or exceeds the size/pixel
│                          limits; callers quarantine it and go on
├── AuditError             the review audit chain does not verify
├── ReviewError            a review or export request was refused (unknown case, verdict,
│                          recipient or week, missing reviewer, read-only store)
├── FlowError              a scheduled flow run finished with failed parts (batches,
│                          recipients, evidence checks); its artifact lists them
└── WriteError             a file under PANTAU_HOME (evidence, export, rejects) could not be
                           written: disk full, read-only directory; nothing half-written is left

The CLI turns any PantauError into a one-line message and a non-zero exit code; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PantauError(Exception):
    """Base class of every error pantau raises on purpose."""

    exit_code = 1


class ConfigError(PantauError):
    """The configuration is invalid."""

    exit_code = 2


def _where(file: str | Path | None, line: int | None, column: str | None) -> str:
    parts = []
    if file is not None:
        parts.append(str(file))
    if line is not None:
        parts.append(f"line {line}")
    if column:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


class InputError(PantauError):
    """A user-supplied file is unreadable or malformed."""

    exit_code = 2

    def __init__(
        self,
        reason: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        where = _where(file, line, column)
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One bad row of an import: where it is and what is wrong with it."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        col = f", column {self.column!r}" if self.column else ""
        return f"line {self.line}{col}: {self.reason}"


class ImportRejected(InputError):
    """An import found bad rows; in all-or-nothing mode nothing was written."""

    def __init__(self, file: str | Path, problems: list[RowProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {file}: {p}" for p in problems)
        super().__init__(
            f"{len(problems)} bad row(s); nothing was imported\n{shown}", file=file
        )
        # The message above already names the file once per problem.
        self.args = (f"{file}: {len(problems)} bad row(s); nothing was imported\n{shown}",)


class ElectionFileError(InputError):
    """An election file has an unknown key or a bad value."""

    def __init__(
        self, reason: str, *, file: str | Path, line: int | None = None, key: str | None = None
    ) -> None:
        self.key = key
        msg = f"key {key!r}: {reason}" if key else reason
        super().__init__(msg, file=file, line=line)


class StoreError(PantauError):
    """The store cannot be opened or used."""


class StoreBusyError(StoreError):
    """Another process holds the database."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer pantau than this one."""


class NotInStore(StoreError):
    """A thing asked for by its id (an election, ...) is not in the database."""


class FetchError(PantauError):
    """A platform request failed for good."""

    def __init__(self, reason: str, *, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(f"{url}: {reason}")


class HostNotAllowed(FetchError):
    """The URL's host is not one of the configured platform hosts."""


class ResponseTooLarge(FetchError):
    """The response body exceeded the configured maximum size."""


class ParseError(PantauError):
    """A platform response could not be parsed."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class ModelError(PantauError):
    """A classifier model is missing, altered or incompatible."""


class EvidenceError(PantauError):
    """The evidence archive is inconsistent."""


class MediaError(PantauError):
    """An image cannot be analysed: not an image, corrupt, or over the size/pixel limits."""

    exit_code = 2

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class AuditError(PantauError):
    """The audit chain of review decisions does not verify."""


class ReviewError(PantauError):
    """A review decision or an export was refused; the message says why and what to give."""

    exit_code = 2


class FlowError(PantauError):
    """A flow run had failed parts; the others completed and the run's artifact lists them."""


class WriteError(PantauError):
    """A file could not be written (disk full, read-only directory); no partial file is left."""

    exit_code = 74  # EX_IOERR

    def __init__(self, reason: str, *, file: str | Path) -> None:
        self.file = str(file)
        super().__init__(f"{file}: {reason}")
