"""Images per second for hand detection and for OCR on this machine (issue 10).

    .venv/bin/python bench/media_throughput.py [--repeat 2]

Hands: the 42 real photos of tests/fixtures/hands (800x600), detector loaded once (its load
time is reported apart). OCR: rendered 900x600 campaign posters, skewed, noisy and shrunk as
shared images are, with the full preprocessing (grayscale, upscale, median, deskew).
Prints one JSON object; `measure(repeat)` returns it (bench/run.py calls that):

    from media_throughput import measure      # with bench/ on sys.path
    figures = measure(repeat=1)                # figures["ocr_images_per_second"], ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from media_helpers import HANDS_DIR, render_poster  # noqa: E402
from pantau.media.hands import HandDetector  # noqa: E402
from pantau.media.images import load_image  # noqa: E402
from pantau.media.ocr import read_text  # noqa: E402


def measure(repeat: int = 2) -> dict[str, Any]:
    """Images per second for hand detection and for OCR on this machine (for bench/run.py).

    Keys: ``hands_images_per_second``, ``ocr_images_per_second`` (the headline figures), their
    seconds per image, the detector's one-off load time, the image counts and the machine.
    """
    photos = [load_image(p) for p in sorted(HANDS_DIR.glob("*.jpg"))]
    started = time.perf_counter()
    detector = HandDetector()
    load_s = time.perf_counter() - started
    detector.detect(photos[0].rgb)  # warm-up
    started = time.perf_counter()
    for _ in range(repeat):
        for photo in photos:
            detector.detect(photo.rgb)
    hands_s = time.perf_counter() - started
    hands_n = len(photos) * repeat

    posters = [
        render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"], skew=6, noise=20, scale=0.5),
        render_poster(["#AniesSandi", "Jakarta Maju Bersama"], skew=-8),
        render_poster(["SALAM DUA JARI", "Coblos Nomor Urut 2"], noise=30, scale=0.35,
                      jpeg_quality=60),
    ]
    loaded = [load_image(p) for p in posters]
    read_text(loaded[0])  # warm-up (tesseract --list-langs check)
    started = time.perf_counter()
    for _ in range(repeat):
        for poster in loaded:
            read_text(poster)
    ocr_s = time.perf_counter() - started
    ocr_n = len(loaded) * repeat

    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "hands_images_per_second": round(hands_n / hands_s, 2),
        "hands_seconds_per_image": round(hands_s / hands_n, 3),
        "hands_detector_load_seconds": round(load_s, 2),
        "ocr_images_per_second": round(ocr_n / ocr_s, 2),
        "ocr_seconds_per_image": round(ocr_s / ocr_n, 3),
        "images": {"hands": hands_n, "ocr": ocr_n},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.repeat), indent=2))


if __name__ == "__main__":
    main()
