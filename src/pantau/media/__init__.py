"""Photo evidence: text (OCR) and partisan hand poses in images (issue 10; KE-05 / DS-07).

    from pantau.media import analyze_image, photo_flags
    analysis = analyze_image("post.jpg")             # hands + OCR text, or MediaError
    flags = photo_flags(analysis, caption, election, when=post_time)
    text_for_classifier = caption_with_image_text(caption, [analysis])   # "... [gambar] ..."

Modules: `images` (safe loading, limits), `ocr` (Tesseract), `hands` (MediaPipe landmarks ->
finger count and pose), `analyze` (both), `context` (election context: the classifier's linker
adapted to the photo rule), `signals` (the flag rule). The store side, imported from their
modules: `download` (photos of activities -> evidence archive, sha256 written back),
`pending` (archived images -> `media_analyses`), `stage` (both, for flows), `photos` (what
`classify.pipeline.classify_pending` reads: analyses per activity, photo flags). For people:
`annotate` (hands drawn on an image, bounded JPEG previews) and `casephotos` (a case's photos
with archive check, hands, text and flags, for `pantau.review.show_case`). MediaPipe is
imported only when a detector is first made. Faces are never identified.
"""

from __future__ import annotations

from .analyze import (
    ANALYZER_VERSION,
    IMAGE_TEXT_MARK,
    ImageAnalysis,
    analyze_image,
    caption_with_image_text,
)
from .annotate import annotate
from .hands import Hand, HandDetector, classify_landmarks, detect_hands
from .images import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, LoadedImage, load_image
from .ocr import OcrResult, read_text
from .signals import photo_flags


__all__ = [
    "ANALYZER_VERSION",
    "IMAGE_TEXT_MARK",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "Hand",
    "HandDetector",
    "ImageAnalysis",
    "LoadedImage",
    "OcrResult",
    "analyze_image",
    "annotate",
    "caption_with_image_text",
    "classify_landmarks",
    "detect_hands",
    "load_image",
    "photo_flags",
    "read_text",
]
