"""Activities <-> Arrow, in bulk: the one conversion every writer of `activities` uses.

    store.upsert("activities", activities_table(parsed.activities), key=["activity_id"])

Nested fields (media, metrics, extra) are JSON-encoded; a missing `observed_at` is "now".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import pyarrow as pa

from ..records import Activity
from ..timeutil import to_utc, utcnow

TS = pa.timestamp("us", tz="UTC")

ACTIVITIES_SCHEMA = pa.schema(
    [
        ("activity_id", pa.string()),
        ("platform", pa.string()),
        ("type", pa.string()),
        ("actor_id", pa.string()),
        ("actor_handle", pa.string()),
        ("native_id", pa.string()),
        ("target_id", pa.string()),
        ("target_author_id", pa.string()),
        ("target_author_handle", pa.string()),
        ("text", pa.string()),
        ("created_at", TS),
        ("observed_at", TS),
        ("url", pa.string()),
        ("reply_to", pa.string()),
        ("forwarded_from", pa.string()),
        ("media_count", pa.int32()),
        ("media", pa.string()),
        ("metrics", pa.string()),
        ("evidence_id", pa.string()),
        ("source", pa.string()),
        ("extra", pa.string()),
    ]
)


def _json(value: Any) -> str | None:
    if value in (None, [], {}):
        return None
    # default=str: datetimes and other scalars in `extra` become text rather than failing.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _ts(value: datetime | None) -> datetime | None:
    return to_utc(value) if value is not None else None


def activity_row(activity: Activity, observed_default: datetime) -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "platform": activity.platform,
        "type": str(activity.type),
        "actor_id": activity.actor_id,
        "actor_handle": activity.actor_handle,
        "native_id": activity.native_id,
        "target_id": activity.target_id,
        "target_author_id": activity.target_author_id,
        "target_author_handle": activity.target_author_handle,
        "text": activity.text,
        "created_at": _ts(activity.created_at),
        "observed_at": _ts(activity.observed_at) or observed_default,
        "url": activity.url,
        "reply_to": activity.reply_to,
        "forwarded_from": activity.forwarded_from,
        "media_count": max(activity.media_count, len(activity.media)),
        "media": _json([asdict(m) for m in activity.media]),
        "metrics": _json(activity.metrics),
        "evidence_id": activity.evidence_id,
        "source": activity.source,
        "extra": _json(activity.extra),
    }


def activities_table(activities: Iterable[Activity]) -> pa.Table:
    """A batch of activities as an Arrow table matching the `activities` columns."""
    now = utcnow()
    rows = [activity_row(a, now) for a in activities]
    return pa.Table.from_pylist(rows, schema=ACTIVITIES_SCHEMA)
