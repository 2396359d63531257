"""One call that reads everything pantau wants from an image: hands and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .hands import Hand, HandDetector, default_detector
from .images import ImageInput, load_image
from .ocr import read_text

# Stored with every analysis (media_analyses.analyzer_version): bump it when the hand geometry,
# the OCR preprocessing or a model changes, and `analyze_pending` re-analyses the archive.
ANALYZER_VERSION = "media-1"
# Marks image text when it is appended to a caption for the text classifier.
IMAGE_TEXT_MARK = "[gambar]"


@dataclass(slots=True)
class ImageAnalysis:
    sha256: str
    hands: list[Hand] = field(default_factory=list)
    ocr_text: str = ""
    ocr_confidence: float = 0.0
    width: int = 0
    height: int = 0
    analyzer_version: str = ANALYZER_VERSION

    def to_dict(self, *, landmarks: bool = False) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "hands": [h.to_dict(landmarks=landmarks) for h in self.hands],
            "ocr_text": self.ocr_text,
            "ocr_confidence": self.ocr_confidence,
            "analyzer_version": self.analyzer_version,
        }

    @property
    def image_text(self) -> str:
        """The OCR text marked as coming from the image, for the text classifier ("" if none)."""
        text = " ".join(self.ocr_text.split())
        return f"{IMAGE_TEXT_MARK} {text}" if text else ""


def analyze_image(
    image: ImageInput,
    *,
    hands: bool = True,
    ocr: bool = True,
    detector: HandDetector | None = None,
) -> ImageAnalysis:
    """Hands and text of one image (a path, raw bytes or a `LoadedImage`).

    Raises `MediaError` for a file that is not a usable image (callers quarantine it).
    """
    loaded = load_image(image)
    found: list[Hand] = (detector or default_detector()).detect(loaded.rgb) if hands else []
    text, confidence = "", 0.0
    if ocr:
        result = read_text(loaded)
        text, confidence = result.text, result.confidence
    return ImageAnalysis(
        sha256=loaded.sha256, hands=found, ocr_text=text, ocr_confidence=confidence,
        width=loaded.width, height=loaded.height,
    )


def caption_with_image_text(caption: str, analyses: list[ImageAnalysis]) -> str:
    """A caption followed by the text of its images, each marked "[gambar] ...".

    This is what the text classifier should read for a photo post, so that a shared poster
    saying "Coblos No. 2" is judged like campaign text (KE-02 / DS-02 / DS-08).
    """
    parts = [caption.strip()] if caption and caption.strip() else []
    parts += [a.image_text for a in analyses if a.image_text]
    return "\n".join(parts)
