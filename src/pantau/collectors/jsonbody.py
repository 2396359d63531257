"""Reading JSON API responses (Bluesky XRPC, Mastodon REST): the body, with errors that say
where it breaks; the items one by one, so one bad item does not lose the page; their times."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ..errors import ParseError
from ..records import Activity
from ..timeutil import parse_iso
from .base import ItemProblem, Parsed


def load_json(body: bytes | str, source: str | None) -> Any:
    """The decoded body, or `ParseError` naming the source and the line/column of the fault."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         source=source) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                         source=source) from None


def each_item(
    items: Iterable[Any], parsed: Parsed, ref: str,
    make: Callable[[Any], Activity | Iterable[Activity]],
) -> None:
    """Add what `make` turns each item into (one activity or several) to `parsed`; an item it
    fails on becomes a problem named by its position, e.g. ``feed[4]``, and the rest count."""
    for i, item in enumerate(items):
        try:
            made = make(item)
            if isinstance(made, Activity):
                parsed.activities.append(made)
            else:
                parsed.activities.extend(made)
        except Exception as exc:  # noqa: BLE001 - one bad item must not lose the page
            parsed.problems.append(ItemProblem(f"{ref}[{i}]", f"{type(exc).__name__}: {exc}"))


def json_time(value: Any) -> datetime | None:
    """An ISO time field as UTC; None when missing or unreadable (clients write what they like)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None
