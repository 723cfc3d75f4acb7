from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The JSON API for integrations and field devices, and the token authentication it
    accepts (the token and webhook pages, and webhooks out, are apps.integrations)."""

    name = "apps.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from apps.api import authentication  # noqa: F401  (its schema extension)
