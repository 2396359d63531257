"""Shared bits of the parser tests: where the captures are, and a UTC datetime shorthand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
TELEGRAM = FIXTURES / "telegram"
BLUESKY = FIXTURES / "bluesky"
MASTODON = FIXTURES / "mastodon"
OBSERVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)
