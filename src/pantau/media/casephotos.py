"""The photos of one activity as a reviewer sees them (used by `pantau.review.show_case`).

    photos = case_photos(store, activity_id)       # [CasePhoto], in the post's order
    print("\\n".join(photos[0].text_lines()))      # hands, image text, flags, archive path
    photos[0].to_html()                            # the same with an annotated thumbnail
    photos[0].annotated(960)                       # a larger annotated PIL image

Each photo item of `activities.media` is looked up in the evidence archive (re-hashed now: does
it still verify?), in `media_analyses` (the analysis of the current analyzer version, else the
newest one) and among the activity's photo flags (KE-05 / DS-07, whose ``signals.image_sha256``
names the photo). The thumbnail is made only from bytes that verify, decoded through
`images.load_image` (size and pixel limits), shrunk, and annotated with `annotate.annotate`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..errors import EvidenceError, MediaError
from ..evidence import home_of, read_evidence
from ..store import Store
from .analyze import ANALYZER_VERSION
from .annotate import THUMB_MAX_SIDE, annotate, data_uri, jpeg_bytes, thumbnail
from .hands import Hand
from .images import decode_image
from .pending import IMAGE_KINDS

# Image text longer than this is cut in the terminal view (the HTML shows it all, scrolling).
OCR_TEXT_CHARS = 400

_ANALYSES_SQL = """
SELECT sha256, analyzer_version, status, ocr_text, ocr_confidence, width, height,
       CAST(hands AS VARCHAR), error
FROM media_analyses WHERE list_contains(?, sha256)
QUALIFY row_number() OVER (
    PARTITION BY sha256 ORDER BY analyzer_version = ? DESC, analyzed_at DESC) = 1
"""
# The newest row of every case of the activity that a photo gave rise to.
_PHOTO_FLAGS_SQL = """
SELECT case_id, rule, candidate, confidence, flagged, reason_id, reason_en,
       json_extract_string(signals, '$.image_sha256') AS image_sha256
FROM flags WHERE activity_id = ?
QUALIFY row_number() OVER (
    PARTITION BY case_id ORDER BY classified_at DESC, model_version DESC) = 1
ORDER BY confidence DESC, case_id
"""


@dataclass(frozen=True, slots=True)
class PhotoFlag:
    """A KE-05 / DS-07 flag (or unflagged review item) that came from one photo."""

    case_id: str
    rule: str
    candidate: int | None
    confidence: float
    flagged: bool
    reason_id: str
    reason_en: str

    def line(self, current_case: str | None = None) -> str:
        cand = f" candidate {self.candidate:02d}" if self.candidate is not None else ""
        below = "" if self.flagged else " (below threshold)"
        which = "this case" if self.case_id == current_case else f"case {self.case_id[:10]}"
        return (f"{self.rule}{cand} {self.confidence:.2f}{below} [{which}]: "
                f"{self.reason_id} / {self.reason_en}")


@dataclass(slots=True)
class CasePhoto:
    """One photo of an activity: archive check, analysis, the flags it raised, a preview."""

    url: str | None
    sha256: str | None              # None: not downloaded into the archive yet
    path: Path | None               # absolute path of the archived file
    verifies: bool
    detail: str                     # "ok", or what is wrong / missing
    width: int | None
    height: int | None
    analysis_status: str | None     # ok | quarantined | None (not analysed yet)
    analyzer_version: str | None
    analysis_error: str | None
    hands: list[Hand] = field(default_factory=list)
    ocr_text: str = ""
    ocr_confidence: float = 0.0
    flags: list[PhotoFlag] = field(default_factory=list)
    thumbnail_jpeg: bytes | None = field(default=None, repr=False)   # annotated preview

    def annotated(self, max_side: int = 960) -> Image.Image | None:
        """The archived image, re-verified, at most `max_side` px, with its hands drawn.

        None when the photo is not archived; `EvidenceError` if the file no longer matches its
        hash, `MediaError` if it cannot be decoded within the limits.
        """
        if self.sha256 is None or self.path is None:
            return None
        data = read_evidence(self.path.parent, {"sha256": self.sha256, "path": self.path.name})
        return annotate(thumbnail(decode_image(data, source=str(self.path)), max_side),
                        self.hands)

    def _analysis_summary(self) -> str:
        if self.analysis_status is None:
            return "not analysed yet (pantau media pending)"
        if self.analysis_status != "ok":
            return f"{self.analysis_status}: {self.analysis_error or 'no reason recorded'}"
        old = "" if self.analyzer_version == ANALYZER_VERSION else \
            f" (analyzer {self.analyzer_version}; current is {ANALYZER_VERSION})"
        return f"analysed{old}"

    def _hand_line(self, i: int, hand: Hand) -> str:
        which = f": {', '.join(hand.raised)}" if hand.raised else ""
        side = f", {hand.handedness} hand" if hand.handedness else ""
        return (f"hand {i}: pose {hand.pose}, {hand.fingers} finger(s) raised{which}{side}, "
                f"confidence {hand.confidence:.2f}")

    def _ocr_line(self) -> str:
        text = " ".join(self.ocr_text.split())
        if not text:
            return "no text found in the image"
        if len(text) > OCR_TEXT_CHARS:
            text = text[: OCR_TEXT_CHARS - 1] + "…"
        return f"text in image (OCR, confidence {self.ocr_confidence:.2f}): {text}"

    def _size(self) -> str:
        return f"{self.width}x{self.height}" if self.width and self.height else "size unknown"

    def text_lines(self, current_case: str | None = None) -> list[str]:
        """Plain text for a terminal: archive, size, hands, OCR text, flags.

        The flag of `current_case` (the case being shown) is marked "this case".
        """
        if self.sha256 is None:
            return [f"not downloaded yet (pantau media download): {self.url or '-'}"]
        mark = "verifies" if self.verifies else f"DOES NOT VERIFY: {self.detail}"
        lines = [f"{self.path or '-'}", f"sha256 {self.sha256} — {mark}",
                 f"{self._size()}; {self._analysis_summary()}"]
        if self.url:
            lines.append(f"from {self.url}")
        if self.analysis_status == "ok":
            lines += [self._hand_line(i, h) for i, h in enumerate(self.hands, 1)] or \
                ["no hands detected"]
            lines.append(self._ocr_line())
        lines += [f"flag {f.line(current_case)}" for f in self.flags]
        return lines

    def to_html(self, current_case: str | None = None) -> str:
        """An HTML block: the annotated thumbnail beside the same facts; all text escaped."""
        esc = html.escape
        if self.thumbnail_jpeg:
            alt = "photo with detected hands: " + (
                ", ".join(h.pose for h in self.hands) or "none")
            img = (f'<img src="{data_uri(self.thumbnail_jpeg)}" alt="{esc(alt)}" '
                   f'style="max-width:{THUMB_MAX_SIDE}px;height:auto;border:1px solid #ccc">')
        else:
            img = "<i>no preview</i>"
        if self.sha256 is None:
            facts = [f"not downloaded yet (<code>pantau media download</code>): "
                     f"<code>{esc(self.url or '-')}</code>"]
        else:
            ok = ('<span style="color:green">verifies</span>' if self.verifies
                  else f'<b style="color:red">does not verify: {esc(self.detail)}</b>')
            facts = [f"<code>{esc(str(self.path or '-'))}</code>",
                     f"sha256 <code>{esc(self.sha256)}</code> {ok}",
                     esc(f"{self._size()}; {self._analysis_summary()}")]
            if self.url:
                facts.append(f"from <code>{esc(self.url)}</code>")
            if self.analysis_status == "ok":
                facts += [esc(self._hand_line(i, h)) for i, h in enumerate(self.hands, 1)] or \
                    ["no hands detected"]
                text = self.ocr_text.strip()
                facts.append(
                    f"text in image (OCR, confidence {self.ocr_confidence:.2f}):"
                    f'<div style="white-space:pre-wrap;max-height:12em;overflow:auto">'
                    f"{esc(text)}</div>" if text else "no text found in the image")
        facts += [f"<b>{esc(f.rule)}</b>{esc(f.line(current_case)[len(f.rule):])}"
                  for f in self.flags]
        items = "".join(f"<li>{x}</li>" for x in facts)
        return (f'<div style="display:flex;gap:1em;align-items:flex-start;margin:.5em 0">'
                f"<div>{img}</div><ul style='margin:0'>{items}</ul></div>")


def _photo_items(raw: str | None) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict) and (i.get("kind") or "photo") in IMAGE_KINDS]


def case_photos(
    store: Store, activity_id: str, *, thumbnails: bool = True, max_side: int = THUMB_MAX_SIDE
) -> list[CasePhoto]:
    """The photos of an activity with their archive check, analysis and flags, in post order.

    `thumbnails=False` skips decoding the images (a terminal has no use for them).
    """
    found = store.rows("SELECT media FROM activities WHERE activity_id = ?", [activity_id])
    items = _photo_items(found[0][0] if found else None)
    if not items:
        return []
    shas = sorted({i["sha256"] for i in items if i.get("sha256")})
    paths = dict(store.rows(
        "SELECT sha256, path FROM evidence WHERE list_contains(?, sha256)", [shas]))
    analyses = {r[0]: r for r in store.rows(_ANALYSES_SQL, [shas, ANALYZER_VERSION])}
    flags: dict[str, list[PhotoFlag]] = {}
    for cid, rule, cand, conf, flagged, rid, ren, sha in store.rows(
            _PHOTO_FLAGS_SQL, [activity_id]):
        if sha:
            flags.setdefault(sha, []).append(PhotoFlag(
                cid, rule, int(cand) if cand is not None else None, float(conf), bool(flagged),
                rid, ren))
    home = home_of(store)
    photos, seen = [], set()
    for item in items:
        sha = item.get("sha256")
        key = sha or item.get("url")
        if key in seen:           # the same image twice in one post is shown once
            continue
        seen.add(key)
        photos.append(_photo(home, item, sha, paths.get(sha), analyses.get(sha),
                             flags.get(sha, []), thumbnails, max_side))
    return photos


def _photo(home: Path, item: dict[str, Any], sha: str | None, rel_path: str | None,
           analysis: tuple | None, flags: list[PhotoFlag], thumbnails: bool,
           max_side: int) -> CasePhoto:
    photo = CasePhoto(
        url=item.get("url"), sha256=sha, path=home / rel_path if rel_path else None,
        verifies=False, detail="not downloaded yet" if sha is None else "ok",
        width=item.get("width"), height=item.get("height"), analysis_status=None,
        analyzer_version=None, analysis_error=None, flags=flags,
    )
    if analysis is not None:
        _, version, status, ocr_text, ocr_conf, width, height, hands_json, error = analysis
        photo.analysis_status, photo.analyzer_version, photo.analysis_error = status, version, error
        photo.ocr_text, photo.ocr_confidence = ocr_text or "", float(ocr_conf or 0.0)
        photo.hands = [Hand.from_dict(h) for h in json.loads(hands_json or "[]")]
        # The decoded (upright) size the landmarks refer to beats the platform's claim.
        photo.width, photo.height = width or photo.width, height or photo.height
    if sha is None:
        return photo
    if rel_path is None:
        photo.detail = "no evidence row in the store for this hash"
        return photo
    try:
        data = read_evidence(home, {"sha256": sha, "path": rel_path})
    except EvidenceError as exc:
        photo.detail = str(exc)
        return photo
    photo.verifies = True
    if thumbnails:
        try:
            image = decode_image(data, source=str(photo.path))
        except MediaError as exc:
            photo.detail = f"verifies, but cannot be shown: {exc}"
            return photo
        photo.width, photo.height = photo.width or image.width, photo.height or image.height
        photo.thumbnail_jpeg = jpeg_bytes(annotate(thumbnail(image, max_side), photo.hands))
    return photo


__all__ = ["CasePhoto", "PhotoFlag", "case_photos"]
