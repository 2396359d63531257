"""What every platform parser returns and what the HTTP layer hands to parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..records import Activity


@dataclass(slots=True)
class ItemProblem:
    """One item of a response that could not be parsed; the rest of the response still counts."""

    item_ref: str                   # e.g. 'data-post=channel/123' or 'feed[4]'
    error: str


@dataclass(slots=True)
class Parsed:
    """The result of parsing one raw response."""

    activities: list[Activity] = field(default_factory=list)
    problems: list[ItemProblem] = field(default_factory=list)
    cursor: str | None = None       # where the next (older) page starts; None: no more pages
    info: dict[str, object] = field(default_factory=dict)  # e.g. resolved DID, account id


@dataclass(slots=True)
class Fetched:
    """One HTTP response as the HTTP layer returns it (already size-checked)."""

    url: str                        # final URL, query included
    status: int
    headers: dict[str, str]
    content: bytes
    requested_at: datetime
    platform: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")
