import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from apps.demo.builder import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current two-step login code of the demo accounts. Demo mode only."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("The demo's published authenticator exists only in demo mode.")
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
        totp.time = time.time()
        left = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}  (valid for {left} s more)")
