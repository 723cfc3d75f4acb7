from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CamerasConfig(AppConfig):
    name = "apps.cameras"
    verbose_name = _("Cameras")

    def ready(self) -> None:
        from celery.signals import worker_shutting_down

        from apps.cameras.watcher import shutdown

        # Watchers in a stopping worker release their leases at once instead of letting
        # them expire, so another worker takes over without waiting.
        worker_shutting_down.connect(lambda **_: shutdown.set(), weak=False)
