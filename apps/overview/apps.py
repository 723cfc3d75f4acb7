from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """The top floor: pages that put several domains together (where each person lands and
    their navigation, the facility and operation pages). Nothing below imports it."""

    name = "apps.overview"
