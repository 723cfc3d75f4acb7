from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The JSON API for integrations and field devices, its tokens, and webhooks out."""

    name = "apps.api"
    label = "api"
    verbose_name = _("API and integrations")

    def ready(self) -> None:
        from apps.api import authentication, webhooks  # noqa: F401  (schema extension, receiver)
