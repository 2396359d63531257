"""Safe image loading: every image pantau looks at passes through `load_image`.

Images come from platforms and from the public, so they are untrusted input. Before any pixel is
decoded we check the byte size and read the header for the pixel count (a 50 kB PNG can claim
40 000 x 40 000 pixels: a decompression bomb). Anything that is not a decodable image raises
`MediaError` naming the source, so a caller can quarantine it and carry on.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import MediaError

# 20 MiB: the HTTP layer's default response limit; nothing bigger reaches the archive anyway.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# 40 megapixels: above any phone camera photo or poster scan we expect, far below a bomb.
MAX_IMAGE_PIXELS = 40_000_000
# Formats a social-media image arrives in. Others (EPS, PSD, ...) bring their own parsers and
# risks and are refused.
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"})


@dataclass(slots=True)
class LoadedImage:
    """A decoded image, upright (EXIF orientation applied), as 8-bit RGB."""

    rgb: np.ndarray          # (height, width, 3) uint8
    sha256: str              # of the file's bytes, as archived
    format: str              # JPEG, PNG, ...
    source: str              # file path or label, for messages

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


ImageInput = str | Path | bytes | LoadedImage


def read_bytes(path: str | Path, *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """Read an image file, refusing one over `max_bytes` before reading it whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaError("file not found", source=str(path)) from None
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror}", source=str(path)) from None
    if not path.is_file():
        raise MediaError("not a regular file", source=str(path))
    if size > max_bytes:
        raise MediaError(
            f"image is {size} bytes, over the {max_bytes}-byte limit", source=str(path)
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror}", source=str(path)) from None


def decode_image(
    data: bytes,
    *,
    source: str = "<bytes>",
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> LoadedImage:
    """Decode image bytes into upright RGB, enforcing the byte and pixel limits."""
    if len(data) > max_bytes:
        raise MediaError(f"image is {len(data)} bytes, over the {max_bytes}-byte limit", source=source)
    if not data:
        raise MediaError("empty file", source=source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past 2x its own limit raises) on huge images; we apply our
            # own limit below from the header, before any decoding, so silence its warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or "?"
                width, height = probe.size
        if fmt not in ALLOWED_FORMATS:
            raise MediaError(f"unsupported image format {fmt}", source=source)
        if width <= 0 or height <= 0:
            raise MediaError(f"image claims a size of {width}x{height}", source=source)
        if width * height > max_pixels:
            raise MediaError(
                f"image is {width}x{height} = {width * height} pixels, over the "
                f"{max_pixels}-pixel limit (decompression bomb?)",
                source=source,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # full decode: a truncated or corrupt file fails here
                upright = ImageOps.exif_transpose(img)
                rgb = np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except MediaError:
        raise
    except UnidentifiedImageError:
        raise MediaError("not an image (unrecognised format)", source=source) from None
    except Image.DecompressionBombError as exc:
        raise MediaError(f"decompression bomb refused: {exc}", source=source) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated/corrupt data as OSError or SyntaxError depending on format.
        raise MediaError(f"corrupt image: {exc}", source=source) from None
    return LoadedImage(rgb=np.ascontiguousarray(rgb), sha256=digest, format=fmt, source=source)


def load_image(
    image: ImageInput,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> LoadedImage:
    """Load a path, raw bytes or an already loaded image; see `decode_image` for the checks."""
    if isinstance(image, LoadedImage):
        return image
    if isinstance(image, (bytes, bytearray, memoryview)):
        return decode_image(bytes(image), max_bytes=max_bytes, max_pixels=max_pixels)
    data = read_bytes(image, max_bytes=max_bytes)
    return decode_image(data, source=str(image), max_bytes=max_bytes, max_pixels=max_pixels)
