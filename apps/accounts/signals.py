"""A deactivated or deleted person loses every session and API token at once, websockets
included; a new password ends them too."""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from apps.accounts import sessions
from apps.accounts.models import User


def _password_changed(user: User) -> bool:
    # set_password() keeps the new raw password until save() reports it to the validators;
    # the hasher upgrade at login clears it first, so it is not mistaken for a change.
    return getattr(user, "_password", None) is not None


@receiver(post_save, sender=User, dispatch_uid="accounts.end_sessions_of_deactivated")
def end_sessions_of_deactivated(sender, instance: User, created: bool, **kwargs) -> None:
    if created:
        return
    if not instance.is_active or _password_changed(instance):
        from apps.api.tokens import tokens_end_all

        sessions.end_all_sessions(instance)
        tokens_end_all(user=instance)


@receiver(pre_delete, sender=User, dispatch_uid="accounts.end_sessions_of_deleted")
def end_sessions_of_deleted(sender, instance: User, **kwargs) -> None:
    sessions.end_all_sessions(instance)
