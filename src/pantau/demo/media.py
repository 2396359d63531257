"""The demo world's images: rendered campaign/innocent posters and real hand photos.

Posters are drawn with Pillow's bundled scalable font (no system fonts needed) in large black
capitals on white, so OCR reads them ("COBLOS / NO. 2"). Hand photos are the real, labelled
photos in ``assets/hands`` (Apache-2.0, see the README there). Both are deterministic: the same
image key always gives the same bytes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont

from .world import DemoImage


@lru_cache(maxsize=64)
def poster_jpeg(text: str, width: int = 800, height: int = 600) -> bytes:
    lines = text.split("\n")
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((12, 12, width - 13, height - 13), outline="black", width=6)
    size = min(110, int((height - 80) / max(1, len(lines)) * 0.7))
    while True:
        font = ImageFont.load_default(size=size)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if widest <= width - 80 or size <= 20:
            break
        size -= 6
    line_h = int(size * 1.3)
    y = (height - line_h * len(lines)) // 2
    for line in lines:
        w = draw.textlength(line, font=font)
        draw.text(((width - w) / 2, y), line, fill="black", font=font)
        y += line_h
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


@lru_cache(maxsize=16)
def hand_jpeg(name: str) -> bytes:
    return resources.files("pantau.demo").joinpath("assets/hands", name).read_bytes()


def image_bytes(image: DemoImage) -> bytes:
    if image.kind == "hand":
        return hand_jpeg(image.source)
    return poster_jpeg(image.source, image.width, image.height)
