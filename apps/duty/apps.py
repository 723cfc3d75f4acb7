from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "apps.duty"
    verbose_name = _("Guard duty")

    def ready(self) -> None:
        # Registers the periodic tasks with the Celery app now: the in-process scheduler looks
        # them up by name and Celery's autodiscovery only runs inside a worker.
        from apps.duty import tasks  # noqa: F401
