"""Re-encrypt every webhook signing secret with the newest key in CAMERA_KEYS.

Run it with `rotate_camera_keys`, before the old key is removed (the secrets are sealed with
the same keys). The secrets themselves do not change and are never printed."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core import credentials
from apps.integrations.models import WebhookEndpoint
from apps.integrations.signing import endpoint_secret, seal


class Command(BaseCommand):
    help = "Re-encrypt webhook signing secrets with the newest configured key."

    def handle(self, *args, **options):
        box = credentials.box()
        rotated = 0
        with transaction.atomic():
            for endpoint in WebhookEndpoint.objects.select_for_update().exclude(secret_token=""):
                if box.is_current(endpoint.secret_token):
                    continue
                secret = endpoint_secret(endpoint)
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                    secret_token=seal(endpoint, secret))
                rotated += 1
        self.stdout.write(f"Re-encrypted the signing secrets of {rotated} webhook(s).")
