from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.demo.builder import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    build_demo,
    demo_two_step_usernames,
)


class Command(BaseCommand):
    help = "Build (or refresh) the fictional demo world and print its logins. Demo mode only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-history", action="store_true",
            help="Leave out the two weeks of history replayed through the services (most of "
                 "the build's time): people, places, cameras, roster and checkpoints only.",
        )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo accounts have a published password; they are only built in demo mode "
                "(embedded mode, or DEMO_MODE=true)."
            )
        logins = build_demo(with_history=not options["no_history"])
        self.stdout.write(self.style.SUCCESS("Demo ready. Logins (password for all: "
                                             f"{DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.username:<24} {login.role:<36} {login.city}")
        self.stdout.write(
            "Two-step login for operators, commanders and the administrator "
            f"({', '.join(sorted(demo_two_step_usernames())[:2])}, ...): add the secret "
            f"{DEMO_TOTP_SECRET} to an authenticator app (TOTP, 6 digits, 30 s), "
            "or run `python manage.py demo_code` for the current code."
        )
