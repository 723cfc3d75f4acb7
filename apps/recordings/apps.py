from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    """Recorded video: the index of segment files (one row per segment), their storage (the
    "recordings" storage alias) and retention. Segments are written by the stream runtime
    (apps.streams) with the Django-free writers of apps.vision.recording and
    apps.vision.jpegrecording."""

    name = "apps.recordings"
    verbose_name = _("Recordings")
