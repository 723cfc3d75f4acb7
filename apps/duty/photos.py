"""Check-in photos: proved to be images, bounded, re-encoded, stripped, renamed.

A phone uploads whatever it has (JPEG, PNG, WebP, with EXIF location and serial numbers).
What is stored is a fresh JPEG of the pixels only, under a random name, so nothing the
client chose (name, metadata, embedded payloads) survives; it is served by an authorising
view only."""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Checked before decoding: a small file can declare a huge canvas (decompression bomb).
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600  # stored size: enough to recognise a post and a face
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
JPEG_QUALITY = 82


def photo_normalise(upload) -> ContentFile:
    """A re-encoded JPEG of `upload` (a Django UploadedFile), or ValidationError."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The photo is too large (at most 8 MB)."), code="too_large")
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The photo is too large (at most 8 MB)."), code="too_large")
    try:
        # The size comes from the header: the pixel limit holds before anything is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("Send a JPEG, PNG or WebP photo."), code="format")
            width, height = probe.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="pixels")
            probe.verify()  # structure check; the image cannot be used after this
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the phone's orientation
            image = image.convert("RGB")  # drops alpha, palettes and every info chunk
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # No exif/icc arguments: the new file carries pixels only.
            image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError):
        raise ValidationError(_("This file is not a photo we can read."), code="invalid") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
