"""Analyse the archived images of collected activities and keep the results in `media_analyses`.

Images are found through `activities.media` (JSON list of {url, kind, width, height, sha256}):
every photo item with a `sha256` whose bytes are in the evidence archive and that has no
analysis for the current `ANALYZER_VERSION` yet. A corrupt or oversized image, or a damaged
archive file, is stored with status ``quarantined`` and its error; it never stops the run.
Results are written in batches with one bulk upsert each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import timeutil
from ..errors import EvidenceError, MediaError
from ..evidence import read_evidence
from ..store import Store
from .analyze import ANALYZER_VERSION, ImageAnalysis, analyze_image
from .hands import Hand, HandDetector

MEDIA_ANALYSES_SCHEMA = pa.schema([
    ("sha256", pa.string()),
    ("analyzer_version", pa.string()),
    ("ocr_text", pa.string()),
    ("ocr_confidence", pa.float64()),
    ("width", pa.int32()),
    ("height", pa.int32()),
    ("hands", pa.string()),           # JSON
    ("status", pa.string()),
    ("error", pa.string()),
    ("analyzed_at", pa.timestamp("us", tz="UTC")),
])
IMAGE_KINDS = ("photo",)
BATCH_SIZE = 50

# The actor of activity `a` is a registered ASN account: the only activities the classifier
# and the review look at (`classify.pipeline`), so the only photos they ever need.
REGISTERED_ACTOR_SQL = """EXISTS (SELECT 1 FROM accounts c WHERE c.platform = a.platform AND (
        c.handle = lower(ltrim(a.actor_handle, '@'))
        OR (c.platform_id IS NOT NULL AND c.platform_id = a.actor_id)))"""

# Photo items of activities that have archived bytes and no analysis for this version yet.
# NULL in `ocr_text` of an ok row means OCR was not run, '' that it found nothing.
_PENDING_SQL = """
WITH items AS (
    SELECT DISTINCT
        json_extract_string(item, '$.sha256') AS sha256,
        coalesce(json_extract_string(item, '$.kind'), 'photo') AS kind
    FROM (SELECT unnest(CAST(media AS JSON[])) AS item
          FROM activities a WHERE media IS NOT NULL AND media_count > 0 {actors})
)
SELECT e.sha256, e.path, e.url
FROM items i JOIN evidence e ON e.sha256 = i.sha256
WHERE i.sha256 IS NOT NULL AND i.kind IN ({kinds})
  AND NOT EXISTS (SELECT 1 FROM media_analyses m
                  WHERE m.sha256 = i.sha256 AND m.analyzer_version = ?)
ORDER BY e.sha256
"""
_MISSING_SQL = """
SELECT count(DISTINCT json_extract_string(item, '$.sha256'))
FROM (SELECT unnest(CAST(media AS JSON[])) AS item
      FROM activities a WHERE media IS NOT NULL AND media_count > 0 {actors})
WHERE json_extract_string(item, '$.sha256') IS NOT NULL
  AND coalesce(json_extract_string(item, '$.kind'), 'photo') IN ({kinds})
  AND json_extract_string(item, '$.sha256') NOT IN (SELECT sha256 FROM evidence)
"""


@dataclass(slots=True)
class PendingSummary:
    pending: int = 0              # images found to analyse
    analyzed: int = 0             # stored with status ok
    quarantined: int = 0          # stored with status quarantined
    not_archived: int = 0         # referenced by an activity but not (yet) in the archive
    errors: list[str] = field(default_factory=list)   # one line per quarantined image

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(sha256: str, now: Any, analysis: ImageAnalysis | None, error: str | None) -> dict:
    return {
        "sha256": sha256,
        "analyzer_version": ANALYZER_VERSION,
        "ocr_text": analysis.ocr_text if analysis else None,
        "ocr_confidence": analysis.ocr_confidence if analysis else None,
        "width": analysis.width if analysis else None,
        "height": analysis.height if analysis else None,
        "hands": json.dumps([h.to_dict(landmarks=True) for h in analysis.hands]) if analysis
        else None,
        "status": "ok" if analysis else "quarantined",
        "error": error,
        "analyzed_at": now,
    }


def actor_filter(registered_only: bool) -> str:
    """The SQL condition (on activities aliased ``a``) that `registered_only` asks for."""
    return f"AND {REGISTERED_ACTOR_SQL}" if registered_only else ""


def analyze_pending(
    store: Store,
    home: str | Path,
    *,
    limit: int | None = None,
    detector: HandDetector | None = None,
    ocr: bool = True,
    progress: Callable[[int, int], None] | None = None,
    registered_only: bool = False,
) -> PendingSummary:
    """Analyse archived images referenced by activities and not analysed yet; store results.

    `registered_only`: only images of activities by registered ASN accounts (what the
    classifier reads), not e.g. every poster of a watch-listed campaign account."""
    kinds = ", ".join(f"'{k}'" for k in IMAGE_KINDS)
    actors = actor_filter(registered_only)
    todo = store.rows(_PENDING_SQL.format(kinds=kinds, actors=actors), [ANALYZER_VERSION])
    if limit is not None:
        todo = todo[:limit]
    summary = PendingSummary(
        pending=len(todo),
        not_archived=store.rows(_MISSING_SQL.format(kinds=kinds, actors=actors))[0][0],
    )
    batch: list[dict] = []
    for done, (sha256, path, url) in enumerate(todo, start=1):
        analysis, error = None, None
        try:
            data = read_evidence(home, {"sha256": sha256, "path": path})
            analysis = analyze_image(data, detector=detector, ocr=ocr)
        except (MediaError, EvidenceError) as exc:
            error = f"{url} ({path}): {exc}"
            summary.errors.append(error)
        if analysis is not None:
            summary.analyzed += 1
        else:
            summary.quarantined += 1
        batch.append(_row(sha256, timeutil.utcnow(), analysis, error))
        if len(batch) >= BATCH_SIZE:
            _write(store, batch)
            batch = []
        if progress is not None:
            progress(done, len(todo))
    _write(store, batch)
    return summary


def _write(store: Store, rows: list[dict]) -> None:
    if rows:
        table = pa.Table.from_pylist(rows, schema=MEDIA_ANALYSES_SCHEMA)
        store.upsert("media_analyses", table, key=["sha256", "analyzer_version"], update=True)


def load_analyses(store: Store, sha256s: list[str]) -> dict[str, ImageAnalysis]:
    """The stored ok analyses (current analyzer version) of these images, by SHA-256."""
    if not sha256s:
        return {}
    rows = store.rows(
        "SELECT sha256, ocr_text, hands, ocr_confidence, width, height FROM media_analyses "
        "WHERE analyzer_version = ? AND status = 'ok' AND list_contains(?, sha256)",
        [ANALYZER_VERSION, list(sha256s)],
    )
    out: dict[str, ImageAnalysis] = {}
    for sha256, ocr_text, hands_json, ocr_confidence, width, height in rows:
        hands = [Hand.from_dict(h) for h in json.loads(hands_json or "[]")]
        out[sha256] = ImageAnalysis(
            sha256=sha256, hands=hands, ocr_text=ocr_text or "",
            ocr_confidence=ocr_confidence or 0.0, width=width or 0, height=height or 0,
        )
    return out
