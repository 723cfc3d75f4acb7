from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Web Push to people's phones and desktops: their subscriptions per device, the sending
    of alert notifications after each raise and escalation, the record of every attempt, and
    acknowledging from the notification."""

    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from apps.notifications import sending  # noqa: F401  (the after-commit receiver)
