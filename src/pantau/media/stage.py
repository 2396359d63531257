"""The media stage of a run, between collection and classification: download, then analyse.

    from pantau.media.stage import process_pending_media
    with Store.open() as store:
        summary = process_pending_media(store, settings)      # then classify_pending(store)

`classify_pending` reads the analyses it finds; a photo analysed after its post was classified
makes that post pending again, so running this stage late (or again) is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..http import HttpClient
from ..store import Store
from .download import DownloadSummary, download_pending_media
from .hands import HandDetector
from .pending import PendingSummary, analyze_pending


@dataclass(slots=True)
class MediaStageSummary:
    download: DownloadSummary
    analysis: PendingSummary

    def to_dict(self) -> dict[str, Any]:
        return {"download": self.download.to_dict(), "analysis": self.analysis.to_dict()}


def process_pending_media(
    store: Store,
    settings: Settings,
    *,
    http: HttpClient | None = None,
    download: bool = True,
    limit: int | None = None,
    ocr: bool = True,
    detector: HandDetector | None = None,
    registered_only: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> MediaStageSummary:
    """Download the pending photos (unless `download` is false), then analyse every archived
    photo not analysed yet. `registered_only`: only photos of registered ASN accounts'
    activities (what the classifier reads), not every poster of the watch-listed accounts.
    `progress(step, done, total)` with step "download" / "analyze"."""
    fetched = (
        download_pending_media(
            store, settings, http=http, limit=limit, registered_only=registered_only,
            progress=(lambda d, t: progress("download", d, t)) if progress else None)
        if download else DownloadSummary()
    )
    analysed = analyze_pending(
        store, settings.home, limit=limit, detector=detector, ocr=ocr,
        registered_only=registered_only,
        progress=(lambda d, t: progress("analyze", d, t)) if progress else None)
    return MediaStageSummary(fetched, analysed)


__all__ = ["MediaStageSummary", "process_pending_media"]
