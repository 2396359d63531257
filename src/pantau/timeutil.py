"""Time helpers: everything is stored in UTC and shown in WIB (Asia/Jakarta) unless configured.

The clock is injectable in one place: every *data* timestamp (observed_at, requested_at,
decided_at, classified_at, an export's created_at and week) comes from `utcnow()`, which reads
the module's current clock. Normally that is the wall clock; `frozen_clock` swaps in a simulated
one for a block (the demo runs its collection, review and export "during" its 2024 election):

    with frozen_clock(datetime(2024, 11, 25, 3, 0, tzinfo=UTC)):
        utcnow()   # 2024-11-25 03:00:00.000x UTC, advancing at real speed

Durations and rate limits use `time.monotonic`/`perf_counter` and are never simulated; comparing
with another machine's clock (an HTTP ``Retry-After`` date) uses `real_utcnow`.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def real_utcnow() -> datetime:
    """The machine's wall clock, whatever clock `utcnow` reads (for other machines' times)."""
    return datetime.now(UTC)


# A process-wide variable, not a ContextVar: collection fans out to worker threads, which must
# see the same simulated time as the thread that froze the clock.
_clock: Callable[[], datetime] = real_utcnow
_clock_lock = threading.Lock()


def utcnow() -> datetime:
    """Now, in UTC, on the current clock (the wall clock unless inside `frozen_clock`)."""
    return _clock()


def today(tz: tzinfo | None = None) -> date:
    """Today's date on the current clock, in `tz` (the machine's local zone when not given)."""
    return utcnow().astimezone(tz).date()


def clock_is_simulated() -> bool:
    return _clock is not real_utcnow


@contextmanager
def frozen_clock(at: datetime, *, tick: bool = True) -> Iterator[datetime]:
    """`utcnow()` starts at `at` inside the block (naive `at` is read as UTC).

    With `tick` (the default) the simulated time advances from `at` at real speed (by the
    monotonic clock), so later events still sort after earlier ones and durations stay true;
    without it, every call returns exactly `at`. Blocks nest; the previous clock is restored
    on exit. Yields `at` in UTC.
    """
    global _clock
    start = to_utc(at)
    if tick:
        origin = _time.monotonic()

        def simulated() -> datetime:
            return start + timedelta(seconds=_time.monotonic() - origin)
    else:

        def simulated() -> datetime:
            return start

    with _clock_lock:
        previous, _clock = _clock, simulated
    try:
        yield start
    finally:
        with _clock_lock:
            _clock = previous


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
