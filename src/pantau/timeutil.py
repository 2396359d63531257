"""Time helpers: everything is stored in UTC and shown in WIB (Asia/Jakarta) unless configured."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime, assume: ZoneInfo | None = None) -> datetime:
    """A naive datetime is read in `assume` (UTC when not given)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=assume or UTC)
    return value.astimezone(UTC)


def parse_iso(text: str, assume: ZoneInfo | None = None) -> datetime:
    """Parse an ISO-8601 date or time (with 'Z', an offset, or neither) into UTC.

    A time without an offset is read in `assume` (UTC when not given); a bare date such as
    2024-11-20 is the first instant of that day there. Raises `ValueError` for anything else.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return to_utc(datetime.fromisoformat(text), assume)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, in UTC."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def show(value: datetime | None, tz: ZoneInfo = WIB) -> str:
    """Format for people: '2024-11-20 14:05 WIB'."""
    if value is None:
        return ""
    local = to_utc(value).astimezone(tz)
    label = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
        str(tz), local.strftime("%Z")
    )
    return local.strftime("%Y-%m-%d %H:%M ") + label
