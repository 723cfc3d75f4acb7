"""Recorded video (see apps.recordings.apps.RecordingsConfig)."""
import logging

from django.apps import AppConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class RecordingsConfig(AppConfig):
    """Recorded video: the index of segment files (one row per segment), their storage (the
    "recordings" storage alias) and retention. Segments are written by the stream runtime
    (apps.streams) with the Django-free writers of apps.vision.recording and
    apps.vision.jpegrecording."""

    name = "apps.recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from apps.alerts.models import Alert

        post_save.connect(_alert_saved, sender=Alert, dispatch_uid="recordings-link-alert")


def _alert_saved(sender, instance, created: bool, **kwargs) -> None:
    """A new alert on a camera: link the segments already stored in its margin before
    (apps.recordings.links), once it is committed and never as part of raising it (a
    failure here must not cost the alert)."""
    if not created or instance.camera_id is None:
        return

    def link() -> None:
        from apps.recordings.links import link_raised_alert

        try:
            link_raised_alert(instance)
        except Exception:
            logger.exception("recordings of alert %s not linked", instance.pk)

    transaction.on_commit(link)
