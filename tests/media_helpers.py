"""Shared helpers for the photo-evidence tests: render campaign posters with real fonts.

The posters are drawn here (Pillow + DejaVu from Debian's fonts-dejavu-core) rather than
shipped, so skew, noise and resolution can be varied; hand photos are the real ones in
tests/fixtures/hands/ (Apache-2.0, see the LICENSE there).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pantau.records import Calendar, Candidate, Election

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HANDS_DIR = Path(__file__).parent / "fixtures" / "hands"


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def render_poster(
    lines: list[str],
    *,
    size: tuple[int, int] = (900, 600),
    skew: float = 0.0,
    noise: float = 0.0,
    scale: float = 1.0,
    background: tuple[int, int, int] = (200, 20, 30),
    ink: tuple[int, int, int] = (255, 255, 255),
    jpeg_quality: int | None = None,
    seed: int = 0,
) -> bytes:
    """A campaign poster: centred lines of bold text, then rotated, noised and shrunk."""
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    px = int(size[1] / (len(lines) * 2.2))
    fnt = font(px)
    while px > 8 and max(draw.textlength(line, font=fnt) for line in lines) > size[0] * 0.9:
        px -= 2
        fnt = font(px)
    heights = [draw.textbbox((0, 0), line, font=fnt) for line in lines]
    total = sum(b[3] - b[1] for b in heights) + 20 * (len(lines) - 1)
    y = (size[1] - total) / 2
    for line, box in zip(lines, heights):
        x = (size[0] - (box[2] - box[0])) / 2
        draw.text((x, y - box[1]), line, font=fnt, fill=ink)
        y += box[3] - box[1] + 20
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=background)
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(img, dtype=np.float32) + rng.normal(0, noise, (img.height, img.width, 1))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if scale != 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)),
                         Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    if jpeg_quality:
        img.save(buf, format="JPEG", quality=jpeg_quality)
    else:
        img.save(buf, format="PNG")
    return buf.getvalue()


# --- synthetic hands (hand-made landmark sets for the pure geometry) --------------------------
# Image coordinates (y grows downwards), palm facing the camera, fingers up, wrist at the
# origin, one palm length ~ 1. Proportions follow a typical adult hand.
_MCP = {"index": (-0.35, -1.0), "middle": (-0.1, -1.05), "ring": (0.13, -1.0), "pinky": (0.33, -0.9)}
_FIRST = {"index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16),
          "pinky": (17, 18, 19, 20)}


def synthetic_hand(
    raised: set[str],
    *,
    tilt: dict[str, float] | None = None,
    heart: bool = False,
    rotate: float = 0.0,
) -> np.ndarray:
    """21 (x, y, z) landmarks of a hand raising `raised` fingers (names from hands.FINGERS).

    `tilt` leans straight fingers by degrees (to spread a V), `heart` bends the index half way
    with the thumb tip on it (finger heart), `rotate` turns the whole hand (degrees, clockwise
    on screen).
    """
    tilt = tilt or {}
    p = np.zeros((21, 3))
    for name, (mcp, pip, dip, tip) in _FIRST.items():
        base = np.array([*_MCP[name], 0.0])
        p[mcp] = base
        if name in raised:
            a = np.radians(tilt.get(name, 0.0))
            d = np.array([np.sin(a), -np.cos(a), 0.0])
            p[pip], p[dip], p[tip] = base + 0.45 * d, base + 0.73 * d, base + 0.98 * d
        elif heart and name == "index":
            p[pip] = base + [0, -0.4, 0]
            p[dip] = p[pip] + [-0.2, 0.05, 0]
            p[tip] = p[dip] + [-0.15, 0.1, 0]
        else:  # curled into the palm, towards the camera
            p[pip] = base + [0, -0.4, -0.05]
            p[dip] = p[pip] + [0, 0.25, -0.15]
            p[tip] = p[dip] + [0, 0.2, 0.05]
    p[1], p[2] = [-0.25, -0.25, 0], [-0.45, -0.45, 0]
    if "thumb" in raised:
        d = np.array([-0.7071, -0.7071, 0.0])
        p[3], p[4] = p[2] + 0.3 * d, p[2] + 0.58 * d
    elif heart:
        p[4] = p[7] + [-0.02, 0.02, 0]
        p[3] = (p[2] + p[4]) / 2 + [-0.03, 0, 0]
    else:  # folded across the palm
        p[3], p[4] = [-0.2, -0.6, 0], [0.0, -0.7, 0]
    if rotate:
        a = np.radians(rotate)
        rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
        p = p @ rot.T
    return p * 100.0  # pixels


# --- elections (hand-made, after elections/*.toml) ------------------------------------------
def jakarta_2024() -> Election:
    return Election(
        id="pilkada-2024-dki-jakarta", name="Pilkada 2024 DKI Jakarta", kind="pilkada",
        timezone="Asia/Jakarta",
        calendar=Calendar(vote=date(2024, 11, 27), candidate_registration=date(2024, 8, 27),
                          candidate_determination=date(2024, 9, 22),
                          campaign_start=date(2024, 9, 25), campaign_end=date(2024, 11, 23)),
        candidates=[
            Candidate(1, ["Ridwan Kamil", "Suswono"], aliases=["RIDO"], hashtags=["#RIDO"]),
            Candidate(2, ["Dharma Pongrekun", "Kun Wardana"], aliases=["Dharma-Kun"]),
            Candidate(3, ["Pramono Anung", "Rano Karno"], aliases=["Pramono-Rano", "Bang Doel"],
                      parties=["PDI Perjuangan"], hashtags=["#PramonoRano"]),
        ],
    )


def jakarta_2017() -> Election:
    return Election(
        id="pilkada-2017-dki-jakarta", name="Pilkada 2017 DKI Jakarta", kind="pilkada",
        timezone="Asia/Jakarta", calendar=Calendar(vote=date(2017, 2, 15)),
        candidates=[
            Candidate(2, ["Basuki Tjahaja Purnama", "Djarot Saiful Hidayat"],
                      hashtags=["#AhokDjarot"]),
            Candidate(3, ["Anies Baswedan", "Sandiaga Uno"], hashtags=["#AniesSandi"]),
        ],
    )
