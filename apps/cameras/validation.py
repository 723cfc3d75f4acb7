"""Camera URL checks for forms and models; the worker checks again before connecting."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.core.netguard import UrlPolicy, UrlRejected, check_url

_SCHEMES = {
    "rtsp": frozenset({"rtsp", "rtsps"}),
    "mjpeg": frozenset({"http", "https"}),
    "jpeg": frozenset({"http", "https"}),
    "file": frozenset({"file"}),
}


def url_policy(source_kind: str) -> UrlPolicy:
    return UrlPolicy.from_strings(
        settings.CAMERA_NETWORKS,
        schemes=_SCHEMES.get(source_kind, frozenset()),
        allow_file=settings.CAMERA_ALLOW_FILE_SOURCES and source_kind == "file",
        denied_ports=frozenset(settings.CAMERA_DENIED_PORTS),
    )


def validate_camera_url(url: str, source_kind: str, *, field: str = "url") -> None:
    try:
        check_url(url, url_policy(source_kind))
    except UrlRejected as rejected:
        # The reason is a fixed phrase: the URL itself is never echoed back.
        raise ValidationError({field: _("This camera address is not allowed: %(reason)s")
                               % {"reason": rejected.reason}}) from None
