"""Photos from phones (field records, check-ins): proved to be images, bounded, re-encoded,
stripped, renamed, hashed. The one normaliser every upload of a photo goes through.

A phone sends whatever it has (JPEG, PNG, WebP, with EXIF location and serial numbers), and
an attacker sends whatever they like (polyglots, SVG, HTML, decompression bombs). What is
stored is a fresh JPEG of the pixels only under a random name: nothing the client chose
(name, metadata, appended payloads) survives. The pixel count is read from the header and
checked before anything is decoded. Only JPEG, PNG and WebP parsers are ever tried.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 4  # per field entry (a check-in carries one)
MAX_PIXELS = 40_000_000  # a 48 MP phone photo is refused; 12 MP and 24 MP pass
MAX_SIDE = 1600  # stored size: enough to read a seal number or recognise a face
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 82


@dataclass(frozen=True)
class NormalisedPhoto:
    content: ContentFile
    sha256: str
    size: int
    width: int
    height: int


def _invalid() -> ValidationError:
    return ValidationError(_("This file is not a photo we can read."), code="invalid")


def photo_normalise(upload) -> NormalisedPhoto:
    """A re-encoded JPEG of `upload` (a Django UploadedFile or file-like), or ValidationError."""
    too_large = ValidationError(_("The photo is too large (at most 8 MB)."), code="too_large")
    if getattr(upload, "size", None) and upload.size > MAX_UPLOAD_BYTES:
        raise too_large
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    if not data:
        raise _invalid()
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on huge canvases; our own limit below is lower.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
                width, height = probe.size  # from the header: nothing decoded yet
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise ValidationError(_("The photo has too many pixels."), code="pixels")
                probe.verify()  # structure check; the object cannot be used after this
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                image.load()
                image = ImageOps.exif_transpose(image)  # keep the phone's orientation
                image = image.convert("RGB")  # drops alpha, palettes and every info chunk
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                # No exif/icc arguments: the new file carries pixels only.
                image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
                width, height = image.size
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The photo has too many pixels."), code="pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, TypeError):
        raise _invalid() from None
    stored = out.getvalue()
    return NormalisedPhoto(
        content=ContentFile(stored, name=f"{uuid.uuid4().hex}.jpg"),
        sha256=hashlib.sha256(stored).hexdigest(),
        size=len(stored), width=width, height=height,
    )


def photos_normalise(uploads: list) -> list[NormalisedPhoto]:
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS},
                              code="too_many")
    return [photo_normalise(upload) for upload in uploads]
