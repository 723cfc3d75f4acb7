"""Playing a recorded segment: the MP4 through the storage API (local disk or S3 alike), with
byte ranges for seeking, to a person the access policy lets review it, masked when the policy
says so (apps.recordings.renditions: made on demand, audio-free). A masked viewer may ask for
one piece of it (`?bagian=N`, what the review player plays: a piece renders in a fraction of
a second, a whole segment in several). Each playback is in the owner's access record before
the first byte is sent."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from apps.access import policy
from apps.cameras.records import record_playback
from apps.core.private_files import refuse_cross_site
from apps.core.streaming import streamed_body
from apps.recordings import selectors
from apps.recordings.ranges import MalformedRange, RangeNotSatisfiable, parse_range
from apps.recordings.renditions import (
    Piece,
    RenditionBusy,
    RenditionError,
    masked_piece_name,
    masked_segment_name,
    piece,
)
from apps.recordings.services import storage

CHUNK = 256 * 1024
PIECE = "bagian"  # the query parameter of a piece of masked footage
AHEAD = "berikutnya"  # =1: the piece is asked for ahead of being played (the player's next)
# How a segment travels: never cached (a shared computer at a post, a proxy), never sniffed,
# never embedded by another origin.
HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Accept-Ranges": "bytes",
}


def _chunks(handle, start: int, length: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        while length > 0:
            data = handle.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def _refusal(status: int, message: str, size: int | None = None) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if size is not None:
        response["Content-Range"] = f"bytes */{size}"
    for name, value in HEADERS.items():
        response[name] = value
    return response


def _piece(request: HttpRequest, found) -> Piece | None:
    """The piece asked for (`?bagian=N`), None without one or for one the segment lacks."""
    asked = request.GET.get(PIECE)
    readable = asked is not None and asked.isascii() and asked.isdigit() and len(asked) < 7
    return piece(found, int(asked)) if readable else None


@login_required
@require_safe
def segment(request: HttpRequest, pk: int) -> HttpResponse:
    refuse_cross_site(request)
    found = selectors.segment_for_playback(request.user, pk)
    masked = policy.needs_masked_recording(request.user, found.camera)
    part = _piece(request, found) if masked else None
    if request.GET.get(PIECE) is not None and part is None:
        raise Http404  # pieces are of masked footage only, and only those the segment has
    try:
        # Masked, never the stored file instead: a rendition that cannot be had is refused.
        name = (masked_piece_name(part, ahead=request.GET.get(AHEAD) == "1") if part
                else masked_segment_name(found) if masked else found.storage_name)
    except RenditionBusy:
        busy = _refusal(503, _("The masked recording is being made: try again in a minute."))
        busy["Retry-After"] = "30"
        return busy
    except RenditionError:
        return _refusal(503, _("The masked recording of this segment cannot be made."))
    store = storage()
    try:
        size = store.size(name)
        handle = store.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None  # gone behind the portal's back: verify_records reports it
    asked = request.headers.get("Range")
    try:
        wanted = parse_range(asked, size)
    except RangeNotSatisfiable:
        handle.close()
        return _refusal(416, _("The requested range %(range)s lies beyond the end of this "
                               "recording (%(size)d bytes).") % {"range": asked, "size": size},
                        size)
    except MalformedRange:
        handle.close()
        return _refusal(400, _("Unreadable range %(range)s: expected bytes=START-END.")
                        % {"range": asked[:60]})
    start, length = (wanted.start, wanted.length) if wanted else (0, size)
    if request.method == "HEAD":
        handle.close()
        body = iter(())
    else:
        record_playback(request=request, segment=found,
                        footage=(part.start, part.end) if part else None)
        body = streamed_body(request, _chunks(handle, start, length))
    response = StreamingHttpResponse(body, status=206 if wanted else 200,
                                     content_type="video/mp4")
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = wanted.content_range(size)
    stem = f"rekaman-{found.pk}" + (f"-{part.index}" if part else "")
    response["Content-Disposition"] = f'inline; filename="{stem}.mp4"'
    for header, value in HEADERS.items():
        response[header] = value
    return response
