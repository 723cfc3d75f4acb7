from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from apps.accounts import sessions, signals  # noqa: F401  (connect the receivers)
