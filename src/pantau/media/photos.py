"""Photo evidence for the classifier's store pipeline (`classify.pipeline.classify_pending`).

    photos = activity_photos(store, activity_ids)          # activity id -> [ImageAnalysis]
    text = caption_with_image_text(caption, photos[aid])   # what the text model reads
    flags = photo_flags_for(aid, caption, photos[aid], election, when=created_at,
                            linker=linker, model_version=model.version)

The text model and the linker read the caption followed by each image's OCR text, marked
``[gambar]`` (so a shared poster saying "COBLOS NO. 2" is judged as campaign text: KE-02 /
DS-02 / DS-08), and `photo_flags_for` adds the hand-pose and image-campaign flags (KE-05 /
DS-07) of every analysed image of the post, one per case.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime

from ..classify.linking import Linker
from ..records import Election, Flag
from ..store import Store
from .analyze import ANALYZER_VERSION, ImageAnalysis, caption_with_image_text
from .pending import IMAGE_KINDS, load_analyses
from .signals import photo_flags

_MEDIA_SQL = (
    "SELECT activity_id, media FROM activities "
    "WHERE media IS NOT NULL AND list_contains(?, activity_id)"
)


def activity_photos(store: Store, activity_ids: Sequence[str]) -> dict[str, list[ImageAnalysis]]:
    """The analysed photos (status ok, current analyzer) of these activities, in post order.

    Activities without an analysed photo are absent from the result.
    """
    if not activity_ids:
        return {}
    wanted: dict[str, list[str]] = {}
    for activity_id, raw in store.rows(_MEDIA_SQL, [list(activity_ids)]):
        shas = [item.get("sha256") for item in json.loads(raw)
                if isinstance(item, dict) and (item.get("kind") or "photo") in IMAGE_KINDS]
        shas = [s for s in shas if s]
        if shas:
            wanted[activity_id] = shas
    analyses = load_analyses(store, sorted({s for shas in wanted.values() for s in shas}))
    out: dict[str, list[ImageAnalysis]] = {}
    for activity_id, shas in wanted.items():
        found = [analyses[s] for s in dict.fromkeys(shas) if s in analyses]
        if found:
            out[activity_id] = found
    return out


def photo_flags_for(
    activity_id: str,
    caption: str,
    photos: Sequence[ImageAnalysis],
    election: Election,
    *,
    when: datetime,
    linker: Linker | None = None,
    model_version: str | None = None,
) -> list[Flag]:
    """KE-05 / DS-07 flags of all photos of one activity: per case the most confident.

    `model_version` (the classifier's, when called from its pipeline) replaces the analyzer
    version on the flags, so they are stored and reviewed with the classification run that
    wrote them; the analyzer version stays in `signals`.
    """
    linker = linker or Linker(election)
    best: dict[str, Flag] = {}
    for photo in photos:
        for flag in photo_flags(photo, caption, election, when=when, linker=linker,
                                activity_id=activity_id):
            have = best.get(flag.case_id)
            if have is None or (flag.flagged, flag.confidence) > (have.flagged, have.confidence):
                best[flag.case_id] = flag
    out = []
    for flag in best.values():
        signals = {**flag.signals, "analyzer_version": ANALYZER_VERSION}
        out.append(dataclasses.replace(flag, model_version=model_version or flag.model_version,
                                       signals=signals))
    return out


__all__ = ["activity_photos", "caption_with_image_text", "photo_flags_for"]
