"""Safe image loading: non-images, corrupt files and bombs are refused with MediaError."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from media_helpers import HANDS_DIR
from pantau.errors import MediaError, PantauError
from pantau.media.images import decode_image, load_image


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, format="PNG")
    return buf.getvalue()


def test_loads_real_photo_as_rgb():
    img = load_image(HANDS_DIR / "5_pic00004.jpg")
    assert (img.width, img.height, img.format) == (800, 600, "JPEG")
    assert img.rgb.shape == (600, 800, 3) and img.rgb.dtype.name == "uint8"
    assert len(img.sha256) == 64


def test_exif_orientation_is_applied():
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    Image.new("RGB", (40, 20)).save(buf, format="JPEG", exif=exif)
    img = decode_image(buf.getvalue())
    assert (img.width, img.height) == (20, 40)


def test_grayscale_and_alpha_become_rgb():
    assert decode_image(_png((10, 10), "LA")).rgb.shape == (10, 10, 3)
    assert decode_image(_png((10, 10), "P")).rgb.shape == (10, 10, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"%PDF-1.7 this is a document", "not an image"),
        (b"<html><body>404</body></html>", "not an image"),
    ],
)
def test_non_images_are_refused(data, message):
    with pytest.raises(MediaError, match=message):
        decode_image(data, source="upload.jpg")


def test_truncated_jpeg_is_refused_naming_the_file(tmp_path):
    good = (HANDS_DIR / "5_pic00004.jpg").read_bytes()
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(good[: len(good) // 3])
    with pytest.raises(MediaError) as info:
        load_image(bad)
    assert str(bad) in str(info.value) and "corrupt" in str(info.value)
    assert isinstance(info.value, PantauError)


def test_oversized_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(_png((50, 50)) + b"\0" * 3000)
    with pytest.raises(MediaError, match="over the 2000-byte limit"):
        load_image(big, max_bytes=2000)


def test_decompression_bomb_is_refused_from_the_header():
    bomb = _png((9000, 9000), "1")  # 81 Mpx in a few kB
    assert len(bomb) < 100_000
    with pytest.raises(MediaError, match="pixel limit"):
        decode_image(bomb, source="bomb.png")


def test_missing_file():
    with pytest.raises(MediaError, match="file not found"):
        load_image("/nonexistent/photo.jpg")
