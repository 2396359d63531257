"""Activities as JSON-able dicts: the one shape `pantau parse`, exports and notebooks print.

    print(json.dumps(activity_to_json(a), ensure_ascii=False))

``actor`` and ``target_author`` are the readable name (handle, else id); ``target`` is the
acted-on post or account. Times are ISO 8601 in UTC with a ``Z``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from ..records import Activity
from ..timeutil import to_utc


def iso(value: datetime | None) -> str | None:
    """'2023-02-28T07:47:53Z' (microseconds only when there are any)."""
    if value is None:
        return None
    return to_utc(value).isoformat().replace("+00:00", "Z")


def activity_to_json(a: Activity) -> dict[str, Any]:
    """Every field of an activity, plus its stable ``id`` and readable ``actor``/``target``."""
    return {
        "id": a.id,
        "platform": a.platform,
        "type": str(a.type),
        "actor": a.actor_handle or a.actor_id,
        "actor_id": a.actor_id,
        "actor_handle": a.actor_handle,
        "native_id": a.native_id,
        "target": a.target_id,
        "target_author": a.target_author_handle or a.target_author_id,
        "target_author_id": a.target_author_id,
        "target_author_handle": a.target_author_handle,
        "text": a.text,
        "created_at": iso(a.created_at),
        "observed_at": iso(a.observed_at),
        "url": a.url,
        "reply_to": a.reply_to,
        "forwarded_from": a.forwarded_from,
        "media": [asdict(m) for m in a.media],
        "media_count": max(a.media_count, len(a.media)),
        "metrics": dict(a.metrics),
        "evidence_id": a.evidence_id,
        "source": a.source,
        "extra": dict(a.extra),
    }


__all__ = ["activity_to_json", "iso"]
