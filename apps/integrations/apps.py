from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Systems outside Posko: webhooks out (endpoints, the outbox that delivers alert events,
    the delivery log) and the pages where people make API tokens and administrators
    configure webhooks. The REST API itself, and the token authentication, are apps.api."""

    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from apps.integrations import outbox  # noqa: F401  (the after-commit kick's receiver)
