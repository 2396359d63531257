"""`pantau.timeutil.parse_iso`: one reading of ISO dates and times for every caller."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from pantau.timeutil import WIB, parse_iso

WIT = ZoneInfo("Asia/Jayapura")


@pytest.mark.parametrize(("text", "assume", "expected"), [
    ("2024-11-20T14:05:00Z", None, "2024-11-20T14:05:00+00:00"),
    ("2024-11-20T14:05+07:00", WIT, "2024-11-20T07:05:00+00:00"),  # an offset wins
    ("2024-11-20T14:05", None, "2024-11-20T14:05:00+00:00"),        # naive: UTC by default
    ("2024-11-20T14:05", WIB, "2024-11-20T07:05:00+00:00"),         # naive: read in `assume`
    ("2024-11-20 14:05:00", WIT, "2024-11-20T05:05:00+00:00"),      # space separator
    ("2024-11-20", WIB, "2024-11-19T17:00:00+00:00"),               # a date: its first instant
    (" 2024-11-20 ", None, "2024-11-20T00:00:00+00:00"),
])
def test_parse_iso(text: str, assume: ZoneInfo | None, expected: str) -> None:
    assert parse_iso(text, assume).isoformat() == expected


@pytest.mark.parametrize("text", ["", "2024-13-01", "20 Nov 2024", "next tuesday"])
def test_parse_iso_rejects_what_is_not_iso(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text, WIB)
