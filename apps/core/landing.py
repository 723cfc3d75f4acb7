"""Where each person's work is: the page they land on after login and their navigation."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


WALL = NavItem(_("Live wall"), "core:wall")
ALERTS = NavItem(_("Alerts"), "alerts:feed")
MY_DUTY = NavItem(_("My duty"), "core:my_duty")
COVERAGE = NavItem(_("Coverage"), "core:coverage")
FACILITIES = NavItem(_("Facilities"), "places:facilities")
MY_FACILITIES = NavItem(_("My facilities"), "places:my_facilities")
OPERATIONS = NavItem(_("Operations"), "places:operations")
ADMIN = NavItem(_("Administration"), "admin:index")

# First matching role wins the landing page; the order reflects who is busiest.
_LANDING = [
    (Role.OPERATOR, WALL),
    (Role.COMMANDER, COVERAGE),
    (Role.POST_COMMANDER, MY_DUTY),
    (Role.FIELD_OFFICER, MY_DUTY),
    (Role.FACILITY_OFFICIAL, MY_FACILITIES),
    (Role.ADMINISTRATOR, ADMIN),
]

_NAV = {
    Role.OPERATOR: [WALL, ALERTS, FACILITIES, OPERATIONS],
    Role.COMMANDER: [COVERAGE, ALERTS, FACILITIES, OPERATIONS],
    Role.POST_COMMANDER: [MY_DUTY, ALERTS, FACILITIES],
    Role.FIELD_OFFICER: [MY_DUTY, FACILITIES],
    Role.FACILITY_OFFICIAL: [MY_FACILITIES, ALERTS],
    Role.ADMINISTRATOR: [FACILITIES, OPERATIONS, ADMIN],
}


def landing_url_for(user) -> str:
    roles = user.roles | ({Role.ADMINISTRATOR} if user.is_superuser else set())
    for role, item in _LANDING:
        if role in roles:
            return item.url
    return reverse("accounts:profile")


def navigation_for(user) -> list[NavItem]:
    roles = user.roles | ({Role.ADMINISTRATOR} if user.is_superuser else set())
    items: list[NavItem] = []
    for role, _item in _LANDING:
        if role in roles:
            items.extend(i for i in _NAV[role] if i not in items)
    return items
