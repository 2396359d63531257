"""Draw what the hand detector saw onto a photo, and make small previews for reviewers.

    from pantau.media.annotate import annotate, thumbnail, jpeg_bytes
    preview = annotate(thumbnail(load_image(data)), analysis.hands)   # PIL image
    html_img = f'<img src="{data_uri(jpeg_bytes(preview))}">'

`annotate` draws each hand's 21 landmarks joined as a skeleton, a box around them and a label
with the pose, the raised-finger count and the confidence. Landmarks are stored as fractions of
the upright image (`Hand.landmarks`), so they can be drawn on the full photo or on a thumbnail
alike. Hands without landmarks (older analyses) only get their label in the corner.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .hands import Hand
from .images import ImageInput, LoadedImage, load_image

# MediaPipe's hand skeleton (mp.solutions.hands.HAND_CONNECTIONS), spelled out so drawing does
# not import MediaPipe: palm, then thumb, index, middle, ring and pinky from knuckle to tip.
HAND_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 5), (0, 17), (5, 9), (9, 13), (13, 17),
    (1, 2), (2, 3), (3, 4),
    (5, 6), (6, 7), (7, 8),
    (9, 10), (10, 11), (11, 12),
    (13, 14), (14, 15), (15, 16),
    (17, 18), (18, 19), (19, 20),
)
FINGERTIPS = (4, 8, 12, 16, 20)
# One colour per hand (cycled), chosen to stand out on skin and on typical poster reds.
HAND_COLOURS = ((0, 200, 255), (255, 220, 0), (120, 255, 80), (255, 80, 200))

# Previews: at most this many pixels on the long side and this many bytes of JPEG. A case page
# shows a few photos; 480 px is enough to see a hand, and base64 in a notebook stays small.
THUMB_MAX_SIDE = 480
THUMB_MAX_BYTES = 120_000


def _as_pil(image: Image.Image | np.ndarray | ImageInput) -> Image.Image:
    """An RGB copy: the caller's image is never drawn on."""
    if isinstance(image, Image.Image):
        return image.convert("RGB") if image.mode != "RGB" else image.copy()
    if isinstance(image, np.ndarray):
        return Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).convert("RGB")
    loaded = image if isinstance(image, LoadedImage) else load_image(image)
    return Image.fromarray(loaded.rgb)


def _label(hand: Hand) -> str:
    return f"{hand.pose} · {hand.fingers} jari · {hand.confidence:.2f}"


def annotate(image: Image.Image | np.ndarray | ImageInput, hands: Sequence[Hand]) -> Image.Image:
    """The image (PIL, RGB array, path, bytes or `LoadedImage`) with its hands drawn on it.

    Returns a new RGB image of the same size; paths and bytes go through `load_image`, so the
    size and pixel limits apply and EXIF rotation matches the one the landmarks were found on.
    """
    out = _as_pil(image)
    width, height = out.size
    short = max(1, min(width, height))
    line = max(1, round(short / 160))
    dot = max(2, round(short / 110))
    font = ImageFont.load_default(size=max(10, round(short / 22)))
    draw = ImageDraw.Draw(out)
    corner_y = 2
    for i, hand in enumerate(hands):
        colour = HAND_COLOURS[i % len(HAND_COLOURS)]
        label = f"{i + 1}: {_label(hand)}"
        points = [(x * width, y * height) for x, y, *_ in hand.landmarks]
        if len(points) != 21:
            # No geometry stored: say what was found, in the corner.
            corner_y = _text_box(draw, (2, corner_y), label, font, colour) + 2
            continue
        for a, b in HAND_CONNECTIONS:
            draw.line([points[a], points[b]], fill=colour, width=line)
        for k, (x, y) in enumerate(points):
            r = dot * 1.4 if k in FINGERTIPS else dot
            fill = (255, 255, 255) if k in FINGERTIPS and _raised_tip(hand, k) else colour
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=(0, 0, 0))
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        pad = 0.08 * max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
        box = (max(0.0, min(xs) - pad), max(0.0, min(ys) - pad),
               min(width - 1.0, max(xs) + pad), min(height - 1.0, max(ys) + pad))
        draw.rectangle(box, outline=colour, width=line + 1)
        # The label sits on the box's top edge, inside the image even for a hand at the top.
        text_h = draw.textbbox((0, 0), label, font=font)[3] + 4
        top = box[1] - text_h if box[1] - text_h >= 0 else box[1]
        _text_box(draw, (box[0], top), label, font, colour)
    return out


_TIP_FINGER = {4: "thumb", 8: "index", 12: "middle", 16: "ring", 20: "pinky"}


def _raised_tip(hand: Hand, landmark: int) -> bool:
    return _TIP_FINGER[landmark] in hand.raised


def _text_box(draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str,
              font: ImageFont.ImageFont | ImageFont.FreeTypeFont, colour: tuple[int, int, int]
              ) -> float:
    """Text on a filled box in the hand's colour; returns the box's bottom edge."""
    left, top, right, bottom = draw.textbbox(at, text, font=font)
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=colour)
    draw.text(at, text, fill=(0, 0, 0), font=font)
    return bottom + 2


def thumbnail(image: Image.Image | np.ndarray | ImageInput,
              max_side: int = THUMB_MAX_SIDE) -> Image.Image:
    """A copy no larger than `max_side` on its long side (never enlarged), aspect kept."""
    out = _as_pil(image)
    out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return out


def jpeg_bytes(image: Image.Image, *, max_bytes: int = THUMB_MAX_BYTES,
               quality: int = 82) -> bytes:
    """The image as JPEG, within `max_bytes`: lower quality first, then smaller, until it fits."""
    img = image.convert("RGB")
    while True:
        for q in (quality, 65, 45):
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=q, optimize=True)
            if buf.tell() <= max_bytes:
                return buf.getvalue()
        if min(img.size) <= 16:
            # Cannot shrink further; a 16 px JPEG is a few hundred bytes, so only an absurdly
            # small limit gets here.
            return buf.getvalue()
        img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)),
                         Image.Resampling.LANCZOS)


def data_uri(jpeg: bytes) -> str:
    """A ``data:image/jpeg;base64,...`` URI for an <img> tag."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


__all__ = ["FINGERTIPS", "HAND_CONNECTIONS", "THUMB_MAX_BYTES", "THUMB_MAX_SIDE", "annotate",
           "data_uri", "jpeg_bytes", "thumbnail"]
