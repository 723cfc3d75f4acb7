"""Private images (record and check-in photos, camera snapshots, alert and incident evidence,
timeline frames) answered to the one person a view has authorised, under one set of rules.

The view decides who may see the image (apps.access.policy); this module decides how it
travels: never from a cross-site request (an image tag on another site would carry the
person's cookies), never cached (a shared computer at a post, a proxy), never sniffed as
anything but its type, never embeddable cross-origin, and sandboxed if opened on its own.
"""

from __future__ import annotations

import io

from django.core.files import File
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from PIL import Image

# What every private image answer carries (asserted once in tests/core/test_private_files.py).
PRIVATE_HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def refuse_cross_site(request: HttpRequest) -> None:
    """404 for a request another site's page made (the browser says so in Sec-Fetch-Site);
    browsers that do not send the header still get Cross-Origin-Resource-Policy."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise Http404


def private_image(request: HttpRequest, image: File | bytes, filename: str, *,
                  content_type: str = "image/jpeg", max_width: int | None = None,
                  last_modified: float | None = None) -> HttpResponse:
    """`image` (a stored file, or bytes) for the person the view has authorised. With
    `max_width`, the same JPEG made smaller (a thumbnail), under the same rules;
    `last_modified` is a Unix time. A stored file that is gone is a 404, as for an image that
    never existed."""
    refuse_cross_site(request)
    if isinstance(image, bytes):
        response = HttpResponse(image, content_type=content_type)
    else:
        try:
            handle = image.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        if max_width is None:
            response = FileResponse(handle, content_type=content_type)
        else:
            with handle:
                response = HttpResponse(_smaller_jpeg(handle, max_width),
                                        content_type="image/jpeg")
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    return response


def _smaller_jpeg(handle, max_width: int) -> bytes:
    try:
        with Image.open(handle, formats=("JPEG",)) as image:
            image.draft("RGB", (max_width, max_width))  # libjpeg decodes at 1/2, 1/4, 1/8
            picture = image.convert("RGB")
    except (OSError, Image.DecompressionBombError):
        raise Http404 from None
    picture.thumbnail((max_width, max_width * 4))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=70)
    return out.getvalue()
