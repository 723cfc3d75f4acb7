from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "apps.live"
    verbose_name = _("Live command center")

    def ready(self) -> None:
        from apps.live import signals  # noqa: F401  (connects the revocation signals)
