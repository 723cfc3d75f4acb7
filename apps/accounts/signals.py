"""A deactivated or deleted person loses every session at once, websockets included."""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from apps.accounts import sessions
from apps.accounts.models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.end_sessions_of_deactivated")
def end_sessions_of_deactivated(sender, instance: User, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        sessions.end_all_sessions(instance)


@receiver(pre_delete, sender=User, dispatch_uid="accounts.end_sessions_of_deleted")
def end_sessions_of_deleted(sender, instance: User, **kwargs) -> None:
    sessions.end_all_sessions(instance)
