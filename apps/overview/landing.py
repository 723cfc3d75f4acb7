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


WALL = NavItem(_("Live wall"), "live:wall")
ALERTS = NavItem(_("Alerts"), "alerts:feed")
MY_DUTY = NavItem(_("My duty"), "duty:my_duty")
COVERAGE = NavItem(_("Coverage"), "duty:coverage")
ROSTERS = NavItem(_("Rosters"), "duty:posts")
FACILITIES = NavItem(_("Facilities"), "overview:facilities")
MY_FACILITIES = NavItem(_("My facilities"), "overview:my_facilities")
OPERATIONS = NavItem(_("Operations"), "overview:operations")
ADMIN = NavItem(_("Administration"), "admin:index")
WEBHOOKS = NavItem(_("Webhooks"), "integrations:webhooks")

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
    Role.COMMANDER: [COVERAGE, ROSTERS, ALERTS, FACILITIES, OPERATIONS],
    Role.POST_COMMANDER: [MY_DUTY, ROSTERS, COVERAGE, ALERTS, FACILITIES],
    Role.FIELD_OFFICER: [MY_DUTY, FACILITIES],
    Role.FACILITY_OFFICIAL: [MY_FACILITIES, COVERAGE, ALERTS],
    Role.ADMINISTRATOR: [FACILITIES, OPERATIONS, WEBHOOKS, ADMIN],
}


# --- field records (apps.records): added to the roles' navigation, landing pages unchanged.
MY_PATROL = NavItem(_("My patrol"), "records:my_patrol")
INCIDENTS = NavItem(_("Incidents"), "records:incidents")
CHECKS = NavItem(_("Warehouse checks"), "records:checks")
COMPLIANCE = NavItem(_("Patrol compliance"), "records:compliance")
DAILY_REPORT = NavItem(_("Daily report"), "records:daily")
INTEGRITY = NavItem(_("Record integrity"), "records:integrity")
for _role, _items in {
    Role.OPERATOR: [INCIDENTS, DAILY_REPORT],
    Role.COMMANDER: [COMPLIANCE, INCIDENTS, CHECKS, DAILY_REPORT],
    Role.POST_COMMANDER: [MY_PATROL, COMPLIANCE, INCIDENTS, CHECKS],
    Role.FIELD_OFFICER: [MY_PATROL, INCIDENTS, CHECKS],
    Role.FACILITY_OFFICIAL: [INCIDENTS, CHECKS, DAILY_REPORT],
    Role.ADMINISTRATOR: [INTEGRITY],
}.items():
    _NAV[_role] = [*_NAV[_role], *_items]
# --- end of field records

# --- recorded footage (apps.recordings.review): for the roles that review cameras' footage.
RECORDINGS = NavItem(_("Recordings"), "review:index")
for _role in (Role.OPERATOR, Role.COMMANDER, Role.POST_COMMANDER, Role.FACILITY_OFFICIAL,
              Role.ADMINISTRATOR):
    _NAV[_role] = [*_NAV[_role], RECORDINGS]
# --- end of recorded footage

# --- evidence exports (apps.recordings.exports): beside recordings, for those who export.
EXPORTS = NavItem(_("Evidence exports"), "exports:list")
for _role in (Role.OPERATOR, Role.COMMANDER, Role.POST_COMMANDER, Role.FACILITY_OFFICIAL):
    _NAV[_role] = [*_NAV[_role], EXPORTS]
# --- end of evidence exports

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
