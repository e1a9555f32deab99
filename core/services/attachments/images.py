"""Images for a vision model: scaled to a sensible size and re-encoded as PNG or JPEG.

Vision models see a few hundred to a couple of thousand tokens' worth of an image whatever its
resolution, so a 4,000-pixel photo is scaled to at most :data:`MAX_SIDE` pixels on its longer side
before it is stored and sent (a screenshot of text stays legible at that size). The format is one
every server accepts in a data URL: LM Studio refuses WebP ("'url' field must be a base64 encoded
image"), so WebP and GIF are re-encoded. Images with transparency, and drawings (PNG, GIF), become
PNG; photographs JPEG (quality :data:`JPEG_QUALITY`), which is also the fallback for a PNG that
would stay over :data:`MAX_PNG_BYTES`. A camera's EXIF orientation is applied first (the model sees
the picture the right way up), and an animated GIF sends its first frame.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InputError

MAX_SIDE: Final = 1536  # pixels on the longer side
JPEG_QUALITY: Final = 85
MAX_PNG_BYTES: Final = 2 * 1024 * 1024
IMAGE_FORMATS: Final = frozenset({"PNG", "JPEG", "WEBP", "GIF"})
_LOSSLESS_SOURCES: Final = frozenset({"PNG", "GIF"})


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    mime: str  # image/png or image/jpeg
    width: int
    height: int


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def reencode(name: str, data: bytes) -> EncodedImage:
    """``data`` (PNG, JPEG, WebP or GIF) scaled and re-encoded; InputError if it is not a
    readable image of those kinds."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            source_format = source.format or ""
            if source_format not in IMAGE_FORMATS:
                raise InputError("input.file_type_unsupported", name=name)
            source.seek(0)  # an animation's first frame
            image = ImageOps.exif_transpose(source) or source
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise InputError("input.image_unreadable", name=name) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError("input.image_unreadable", name=name) from None
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if _has_alpha(image):
        encoded, fmt = _encode(image.convert("RGBA"), "PNG"), "PNG"
    elif source_format in _LOSSLESS_SOURCES:
        encoded, fmt = _encode(image.convert("RGB"), "PNG"), "PNG"
        if len(encoded) > MAX_PNG_BYTES:
            encoded, fmt = _encode(image.convert("RGB"), "JPEG"), "JPEG"
    else:
        encoded, fmt = _encode(image.convert("RGB"), "JPEG"), "JPEG"
    width, height = image.size
    return EncodedImage(encoded, f"image/{fmt.lower()}", width, height)
