"""Re-encrypt every camera credential with the newest key in CAMERA_KEYS.

Rotation: put the new key first in CAMERA_KEYS (keep the old one after it), run this command,
then remove the old key. Secrets are never printed."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.cameras.models import Camera
from apps.core import credentials


class Command(BaseCommand):
    help = "Re-encrypt camera credentials with the newest configured key."

    def handle(self, *args, **options):
        box = credentials.box()
        rotated = 0
        with transaction.atomic():
            for camera in Camera.objects.select_for_update().exclude(
                username_token="", password_token=""
            ):
                tokens = [camera.username_token, camera.password_token]
                if all(not t or box.is_current(t) for t in tokens):
                    continue
                username, password = camera.credentials()
                camera.set_credentials(username, password)
                rotated += 1
        self.stdout.write(f"Re-encrypted the credentials of {rotated} camera(s).")
