"""Text in images (campaign posters, screenshots) with Tesseract, Indonesian + English.

Tesseract is called directly as a subprocess (`tesseract stdin stdout -l ind+eng ... tsv`): no
Python wrapper to pin, and the TSV output gives per-word confidences. The Debian packages
`tesseract-ocr` and `tesseract-ocr-ind` provide it (setup.sh installs them).

Posters shared on social media are often small, re-compressed, photographed at an angle and
noisy, so before OCR the image is made grayscale, contrast-stretched, upscaled when small and
deskewed (a cheap projection-profile search on a thumbnail).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from ..errors import ConfigError, MediaError
from .images import ImageInput, load_image

LANGUAGES = "ind+eng"
# Tesseract reads best with text around 30 px high; small shared images are upscaled so that
# their shorter side reaches this (capped at 4x: past that it only magnifies blur).
TARGET_SHORT_SIDE = 1200
MAX_UPSCALE = 4.0
# Big photos are reduced first: OCR time grows with pixels and poster text is large anyway.
MAX_LONG_SIDE = 3000
DESKEW_MAX_DEGREES = 15.0
TIMEOUT_SECONDS = 60.0


@dataclass(slots=True)
class OcrResult:
    text: str                # lines joined with "\n", paragraphs with a blank line
    confidence: float        # mean word confidence, 0-1 (0 when no text was found)
    angle: float = 0.0       # deskew rotation applied, degrees


@lru_cache(maxsize=1)
def tesseract_command() -> str:
    """The tesseract executable, checked once to have the Indonesian language data."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise ConfigError(
            "OCR needs Tesseract: install the Debian packages tesseract-ocr and tesseract-ocr-ind"
        )
    langs = subprocess.run(
        [exe, "--list-langs"], capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    ).stdout.split()
    missing = [lang for lang in LANGUAGES.split("+") if lang not in langs]
    if missing:
        raise ConfigError(
            f"Tesseract ({exe}) lacks language data {', '.join(missing)}: install "
            + " ".join(f"tesseract-ocr-{m}" for m in missing)
        )
    return exe


def estimate_skew(gray: Image.Image, max_degrees: float = DESKEW_MAX_DEGREES) -> float:
    """Angle (degrees, counter-clockwise) that makes text lines horizontal.

    Text lines give a row-sum profile with sharp peaks and gaps when they are level; we rotate a
    small binarised copy through candidate angles and keep the one whose profile varies most.
    """
    thumb = gray.copy()
    thumb.thumbnail((600, 600))
    # Blur first: on a noisy photo a plain threshold turns grain into "ink" everywhere.
    arr = np.asarray(thumb.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32)
    # Ink is whichever side of the Otsu threshold is the minority (dark on light or light on dark).
    dark = arr < _otsu(arr)
    ink = dark if dark.mean() < 0.5 else ~dark
    if ink.mean() < 0.002:
        return 0.0
    mask = Image.fromarray((ink * 255).astype(np.uint8))

    def score(angle: float) -> float:
        rotated = np.asarray(mask.rotate(angle, resample=Image.Resampling.NEAREST, expand=True))
        return float(np.var(rotated.sum(axis=1, dtype=np.float64)))

    coarse = max(np.arange(-max_degrees, max_degrees + 0.1, 1.0), key=score)
    fine = max(np.arange(max(coarse - 1.0, -max_degrees), min(coarse + 1.0, max_degrees) + 0.01,
                         0.25), key=score)
    return float(fine) if abs(fine) >= 0.5 else 0.0


def _otsu(arr: np.ndarray) -> float:
    """Otsu's threshold of a grayscale array: the level best separating two classes."""
    hist = np.bincount(np.clip(arr, 0, 255).astype(np.uint8).ravel(), minlength=256).astype(float)
    levels = np.arange(256, dtype=float)
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * levels)
    mean0 = m0 / np.maximum(w0, 1)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(np.argmax(between))


def preprocess(rgb: np.ndarray, *, deskew: bool = True) -> tuple[Image.Image, float]:
    """Grayscale, contrast-stretched, resized and deskewed image for Tesseract."""
    gray = ImageOps.autocontrast(Image.fromarray(rgb).convert("L"), cutoff=1)
    w, h = gray.size
    if max(w, h) > MAX_LONG_SIDE:
        gray.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS)
    elif min(w, h) < TARGET_SHORT_SIDE:
        factor = min(MAX_UPSCALE, TARGET_SHORT_SIDE / max(min(w, h), 1))
        if factor > 1.2:
            gray = gray.resize((round(w * factor), round(h * factor)), Image.Resampling.LANCZOS)
    # Sensor grain and JPEG speckles become letters to Tesseract; a 3x3 median removes them
    # and leaves strokes of poster-sized text intact.
    gray = gray.filter(ImageFilter.MedianFilter(3))
    angle = estimate_skew(gray) if deskew else 0.0
    if angle:
        background = int(np.median(np.asarray(gray)))
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                           fillcolor=background)
    return gray, angle


def _parse_tsv(tsv: str) -> tuple[str, float]:
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs: list[tuple[float, int]] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            conf = -1.0
        if not word or conf < 0:
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(word)
        confs.append((conf, len(word)))
    out: list[str] = []
    last_par: tuple[int, int] | None = None
    for (block, par, _line), words in sorted(lines.items()):
        if last_par is not None and (block, par) != last_par:
            out.append("")
        out.append(" ".join(words))
        last_par = (block, par)
    total = sum(n for _, n in confs)
    confidence = sum(c * n for c, n in confs) / total / 100.0 if total else 0.0
    return "\n".join(out).strip(), round(confidence, 3)


def run_tesseract(image: Image.Image, *, source: str = "<image>", psm: int = 3) -> tuple[str, float]:
    """OCR a prepared PIL image; returns (text, confidence 0-1)."""
    exe = tesseract_command()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    try:
        proc = subprocess.run(
            [exe, "stdin", "stdout", "-l", LANGUAGES, "--psm", str(psm), "tsv"],
            input=buf.getvalue(), capture_output=True, timeout=TIMEOUT_SECONDS,
            # One OpenMP thread: on small machines Tesseract's threads only contend with each
            # other and with the hand detector; several images in parallel scale better.
            env={**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")},
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"OCR took longer than {TIMEOUT_SECONDS:.0f} s", source=source) from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"tesseract failed: {detail[-1] if detail else proc.returncode}",
                         source=source)
    return _parse_tsv(proc.stdout.decode("utf-8", "replace"))


def read_text(image: ImageInput, *, deskew: bool = True) -> OcrResult:
    """The text in an image (path, bytes or `LoadedImage`) and Tesseract's confidence."""
    loaded = load_image(image)
    prepared, angle = preprocess(loaded.rgb, deskew=deskew)
    text, confidence = run_tesseract(prepared, source=loaded.source)
    return OcrResult(text=text, confidence=confidence, angle=angle)
