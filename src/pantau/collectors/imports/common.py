"""What activity imports and public reports share: times, handles, evidence, the bulk write."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ... import __version__
from ...evidence import archive, evidence_table
from ...records import Activity, Evidence
from ...registry import normalise_handle
from ...store import Store
from ...store.activities import activities_table
from ...timeutil import parse_iso, to_utc, utcnow
from ..base import Fetched

IMPORT_VERSION = f"pantau-import/{__version__}"


def parse_time(
    text: str, *, fmt: str | None = None, tz: ZoneInfo | None = None
) -> datetime:
    """An export's time as UTC: `fmt` (strptime) when given, else ISO 8601, a bare date (its
    first instant in `tz`) or Unix epoch seconds/milliseconds. `ValueError` says what it got."""
    text = text.strip()
    tz = tz or ZoneInfo("UTC")
    if fmt:
        try:
            return to_utc(datetime.strptime(text, fmt), tz)
        except ValueError:
            raise ValueError(f"{text!r} does not match the time format {fmt!r}") from None
    if text.isdigit() and len(text) >= 9:
        seconds = int(text) / (1000 if len(text) >= 12 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    try:
        return parse_iso(text, tz)  # a date, or a time without an offset, is read in `tz`
    except ValueError:
        raise ValueError(f"{text!r} is not a time (ISO 8601 such as 2024-11-20T14:05:00+07:00, "
                         "a date, or epoch seconds)") from None


def handle_or_raw(platform: str, value: str) -> str:
    """A handle in the registry's normal form, or the value as written when it is no handle
    (exports name forwarded accounts by display name too)."""
    try:
        return normalise_handle(platform, value)
    except ValueError:
        return value.strip()


def file_evidence(store: Store, path: Path, platform: str, url: str | None = None,
                  content: bytes | None = None) -> Evidence:
    """Archive a file (an export, a screenshot) as evidence, like a fetched response."""
    body = path.read_bytes() if content is None else content
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    fetched = Fetched(
        url=url or path.resolve().as_uri(),
        status=0,  # not an HTTP response: a file handed to pantau
        headers={"content-type": mime},
        content=body,
        requested_at=utcnow(),
        platform=platform,
    )
    return archive(store, fetched, IMPORT_VERSION)


def write(store: Store, evidence: list[Evidence], activities: list[Activity]) -> int:
    """Evidence rows and activities in one transaction; returns the activities newly written."""
    with store.transaction():
        if evidence:
            store.upsert("evidence", evidence_table(evidence), key=["sha256"])
        return store.upsert("activities", activities_table(activities), key=["activity_id"])
