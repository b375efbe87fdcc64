"""A resident's photo, made safe to publish: its type judged by its bytes, re-encoded, no EXIF.

A phone's photo carries where it was taken (GPS EXIF), often the resident's own door, and the
camera's serial number. Re-encoding the pixels into a new JPEG drops every piece of metadata,
whatever the original held; turning it upright first keeps it the right way round without the
orientation tag. The name and the declared content type of the upload are never trusted.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from basuracero.fleet.reports import Photo

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE_PX = 1600  # enough to see a dump; a few hundred kB on a slow connection
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


class PhotoError(ValueError):
    """Not a photo we accept; the message says why (for a 400 naming ``media``)."""


def sniff(data: bytes) -> str | None:
    """JPEG, PNG or WEBP from the first bytes (None: something else)."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_photo(data: bytes) -> Photo:
    """The photo re-encoded as a JPEG of at most MAX_SIDE_PX a side, without any metadata."""
    declared = sniff(data)
    if declared is None:
        raise PhotoError("media: only JPEG, PNG or WebP photos are accepted")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != declared:
                raise PhotoError(f"media: the file is not a valid {declared}")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("media: the photo has too many pixels")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise PhotoError(f"media: the photo cannot be read ({type(exc).__name__})") from None
    pixels = upright.convert("RGB")
    pixels.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    fresh = Image.new("RGB", pixels.size)  # a new image: no info, no EXIF, no ICC carried over
    fresh.paste(pixels)
    out = io.BytesIO()
    fresh.save(out, format="JPEG", quality=82, optimize=True)
    return Photo("image/jpeg", out.getvalue())
