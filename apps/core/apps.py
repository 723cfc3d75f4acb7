from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from apps.core import collector, pdf, text

        text.connect()  # names stored in NFC, without control characters
        collector.pace_for_requests()
        pdf.binary_streams()
