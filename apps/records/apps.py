from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """Field records: patrols at QR checkpoints, joint warehouse checks, incident reports.
    Append-only and tamper-evident (see apps.records.chain)."""

    name = "apps.records"
    label = "records"
    verbose_name = _("Field records")
