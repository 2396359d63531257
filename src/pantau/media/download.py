"""Download the photos attached to collected activities into the evidence archive.

    from pantau.media.download import download_pending_media
    with Store.open() as store:
        summary = download_pending_media(store, get_settings())

Work list: every distinct URL of a ``photo`` item in `activities.media` that has no ``sha256``
yet and is not quarantined. Each URL is fetched once through `pantau.http.HttpClient` as
platform ``"media"`` (so the media rate limit, the response size limit and the allowed-hosts
list apply: `settings.platforms.media_hosts` plus the configured platform hosts), checked by
`images.decode_image` (a real image, within the byte and pixel limits), and archived
content-addressed with `evidence.archive`. Its SHA-256 is then written back into the
``media`` JSON of every activity that carries the URL, so `pending.analyze_pending` reads it.

What cannot be used is recorded in `quarantine` (``item_ref = 'media'``) with the URL and the
reason and never stops the run: a host that is not allowed (recorded, never fetched), an HTTP
error status, a body over the size limit, a file that is not an image, corrupt, or too many
pixels. Quarantined URLs are not tried again unless ``retry_quarantined=True`` (after adding
a media host, say). A network failure that outlasts the HTTP layer's retries is only counted:
the next run tries that URL again.

Writes are batched: per `BATCH_SIZE` URLs one transaction with the evidence rows, the
quarantine rows and one bulk update of the affected activities' ``media`` column.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from .. import __version__
from ..config import Settings
from ..errors import FetchError, HostNotAllowed, MediaError, ResponseTooLarge
from ..evidence import archive, evidence_table
from ..http import HttpClient
from ..records import Evidence, stable_id
from ..store import Store
from ..store.quarantine import QUARANTINE_SCHEMA
from ..timeutil import utcnow
from .images import decode_image
from .pending import IMAGE_KINDS, actor_filter

log = logging.getLogger("pantau.media")

MEDIA_VERSION = f"pantau-media/{__version__}"
QUARANTINE_REF = "media"
BATCH_SIZE = 50

# Distinct image URLs still to download, with the platform of (one of) the posts carrying them.
_PENDING_SQL = """
WITH items AS (
    SELECT platform,
           json_extract_string(item, '$.url') AS url,
           coalesce(json_extract_string(item, '$.kind'), 'photo') AS kind,
           json_extract_string(item, '$.sha256') AS sha256
    FROM (SELECT platform, unnest(CAST(media AS JSON[])) AS item
          FROM activities a WHERE media IS NOT NULL {actors})
)
SELECT url, min(platform) AS platform
FROM items
WHERE sha256 IS NULL AND coalesce(url, '') <> '' AND kind IN ({kinds})
  AND (? OR NOT EXISTS (SELECT 1 FROM quarantine q
                        WHERE q.item_ref = '{ref}' AND q.url = items.url))
GROUP BY url
ORDER BY url
"""
# Activities whose media list carries one of the given URLs.
_CARRIERS_SQL = """
SELECT activity_id, media FROM activities
WHERE activity_id IN (
    SELECT activity_id FROM (
        SELECT activity_id, unnest(CAST(media AS JSON[])) AS item
        FROM activities WHERE media IS NOT NULL)
    WHERE list_contains(?, json_extract_string(item, '$.url')))
"""
_MEDIA_UPDATE_SCHEMA = pa.schema([("activity_id", pa.string()), ("media", pa.string())])


@dataclass(slots=True)
class DownloadSummary:
    pending: int = 0              # distinct image URLs to fetch in this run
    downloaded: int = 0           # fetched, checked and archived
    quarantined: int = 0          # recorded in `quarantine` (disallowed included)
    disallowed: int = 0           # of which: host not allowed, never fetched
    failed: int = 0               # network failures after retries; tried again next run
    activities_updated: int = 0   # activities whose media JSON got a sha256
    errors: list[str] = field(default_factory=list)   # one line per URL, naming it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Batch:
    evidence: dict[str, Evidence] = field(default_factory=dict)
    # url -> (sha256, width, height) of the checked image
    images: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images) + len(self.quarantine)


def quarantine_id(url: str) -> str:
    """One quarantine row per image URL, whichever posts carry it."""
    return stable_id(QUARANTINE_REF, url)


def download_pending_media(
    store: Store,
    settings: Settings,
    *,
    http: HttpClient | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    retry_quarantined: bool = False,
    registered_only: bool = False,
) -> DownloadSummary:
    """Fetch, check and archive the images of activities; write their SHA-256 back.

    `http` defaults to a new `HttpClient(settings)` (closed at the end); pass one to share its
    rate limits with a collection run or to test with a mock transport. `registered_only`:
    only images of activities by registered ASN accounts (`pending.analyze_pending`'s option).
    """
    kinds = ", ".join(f"'{k}'" for k in IMAGE_KINDS)
    sql = _PENDING_SQL.format(kinds=kinds, ref=QUARANTINE_REF,
                              actors=actor_filter(registered_only))
    todo = store.rows(sql, [retry_quarantined])
    if limit is not None:
        todo = todo[:limit]
    summary = DownloadSummary(pending=len(todo))
    own_client = http is None
    client = http or HttpClient(settings)
    try:
        batch = _Batch()
        for done, (url, platform) in enumerate(todo, start=1):
            _fetch_one(store, client, url, platform, batch, summary)
            if len(batch) >= BATCH_SIZE:
                _write(store, batch, summary)
                batch = _Batch()
            if progress is not None:
                progress(done, len(todo))
        _write(store, batch, summary)
    finally:
        if own_client:
            client.close()
    return summary


def _fetch_one(store: Store, client: HttpClient, url: str, platform: str, batch: _Batch,
               summary: DownloadSummary) -> None:
    def quarantine(error: str) -> None:
        summary.quarantined += 1
        summary.errors.append(f"{url}: {error}")
        batch.quarantine.append({
            "quarantine_id": quarantine_id(url), "platform": platform, "evidence_id": None,
            "url": url, "item_ref": QUARANTINE_REF, "error": error, "created_at": utcnow(),
        })

    try:
        fetched = client.get(url, platform="media")
    except HostNotAllowed as exc:
        # Raised before any request (or before following a redirect): nothing was fetched.
        summary.disallowed += 1
        quarantine(_reason(exc, url))
        return
    except ResponseTooLarge as exc:
        quarantine(_reason(exc, url))
        return
    except FetchError as exc:
        summary.failed += 1
        summary.errors.append(f"{url}: {_reason(exc, url)} (tried again next run)")
        log.warning("%s", exc)
        return
    if fetched.status != 200:
        quarantine(f"HTTP {fetched.status}")
        return
    try:
        image = decode_image(fetched.content, source=url)
    except MediaError as exc:
        quarantine(exc.reason)
        return
    evidence = archive(store, fetched, MEDIA_VERSION)
    batch.evidence[evidence.sha256] = evidence
    batch.images[url] = (evidence.sha256, image.width, image.height)
    summary.downloaded += 1


def _reason(exc: FetchError, url: str) -> str:
    """The error without the URL when it is this URL (a redirect target is kept)."""
    text = str(exc)
    return text.removeprefix(f"{url}: ") if exc.url == url else text


def _write(store: Store, batch: _Batch, summary: DownloadSummary) -> None:
    if not len(batch):
        return
    with store.transaction():
        if batch.evidence:
            store.upsert("evidence", evidence_table(batch.evidence.values()), key=["sha256"])
        if batch.quarantine:
            store.upsert("quarantine", pa.Table.from_pylist(batch.quarantine,
                                                            schema=QUARANTINE_SCHEMA),
                         key=["quarantine_id"], update=True)
        if batch.images:
            # Retried URLs that now worked leave the quarantine.
            store.rows("DELETE FROM quarantine WHERE list_contains(?, quarantine_id)",
                       [[quarantine_id(u) for u in batch.images]])
            updates = _media_updates(store, batch.images)
            if updates.num_rows:
                # Updates only the `media` column of existing rows: one MERGE for the batch.
                store.upsert("activities", updates, key=["activity_id"], update=True)
            summary.activities_updated += updates.num_rows


def _media_updates(store: Store, images: dict[str, tuple[str, int, int]]) -> pa.Table:
    """(activity_id, new media JSON) for every activity carrying one of the downloaded URLs."""
    ids: list[str] = []
    media: list[str] = []
    for activity_id, raw in store.rows(_CARRIERS_SQL, [list(images)]):
        items = json.loads(raw)
        for item in items:
            hit = images.get(item.get("url") or "")
            if hit is None or item.get("sha256"):
                continue
            item["sha256"] = hit[0]
            # The platform's declared size, when it gave one, stays; else the decoded one.
            item["width"] = item.get("width") or hit[1]
            item["height"] = item.get("height") or hit[2]
        ids.append(activity_id)
        # Same encoding as `store.activities` writes (sorted keys, UTF-8 kept).
        media.append(json.dumps(items, ensure_ascii=False, sort_keys=True, default=str))
    return pa.table({"activity_id": ids, "media": media}, schema=_MEDIA_UPDATE_SCHEMA)


__all__ = ["BATCH_SIZE", "DownloadSummary", "MEDIA_VERSION", "download_pending_media",
           "quarantine_id"]
