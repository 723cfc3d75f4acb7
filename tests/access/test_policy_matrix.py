"""The access policy as a table: role × object × same/other city → allowed actions.

Letters: V = view, M = manage, O = operate (acknowledge/assign/resolve alerts). The "other"
column is what a person of city A may do to the same object in city B. Nobody crosses cities
without a RegionGrant; administrators see everything."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from apps.access import policy
from apps.access.models import RegionGrant
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from tests.cast import City

A = policy.Action
LETTERS = {"V": A.VIEW, "M": A.MANAGE, "O": A.OPERATE}

# fmt: off
MATRIX = [
    # role               object            same   other
    ("operator",         "kpu_office",     "V",   ""),
    ("operator",         "bawaslu_office", "V",   ""),
    ("operator",         "warehouse",      "V",   ""),
    ("operator",         "uncovered",      "",    ""),
    ("operator",         "operation",      "V",   ""),
    ("operator",         "alert",          "VO",  ""),
    ("operator",         "polres",         "V",   ""),
    ("operator",         "kpu_person",     "",    ""),
    ("commander",        "kpu_office",     "V",   ""),
    ("commander",        "bawaslu_office", "V",   ""),
    ("commander",        "warehouse",      "V",   ""),
    ("commander",        "uncovered",      "V",   ""),
    ("commander",        "operation",      "VM",  ""),
    ("commander",        "alert",          "VO",  ""),
    ("commander",        "polres",         "V",   ""),
    ("commander",        "kpu_person",     "V",   ""),
    ("padal",            "kpu_office",     "V",   ""),
    ("padal",            "warehouse",      "V",   ""),
    ("padal",            "uncovered",      "",    ""),
    ("padal",            "operation",      "V",   ""),
    ("padal",            "alert",          "VO",  ""),
    ("padal",            "kpu_person",     "V",   ""),
    # A Polsek officer works in district 1 only: the warehouse in district 2 is out of reach.
    ("field_polri",      "kpu_office",     "V",   ""),
    ("field_polri",      "bawaslu_office", "",    ""),
    ("field_polri",      "warehouse",      "",    ""),
    ("field_polri",      "uncovered",      "",    ""),
    ("field_polri",      "operation",      "V",   ""),
    ("field_polri",      "alert",          "V",   ""),
    ("field_polri",      "polres",         "V",   ""),
    ("field_polri",      "kpu_person",     "",    ""),
    ("field_tni",        "warehouse",      "V",   ""),
    ("field_tni",        "uncovered",      "",    ""),
    ("field_tni",        "alert",          "V",   ""),
    ("field_pemda",      "bawaslu_office", "V",   ""),
    ("field_pemda",      "alert",          "V",   ""),
    # KPU and Bawaslu are separate institutions: neither sees the other's facilities.
    ("kpu",              "kpu_office",     "VM",  ""),
    ("kpu",              "bawaslu_office", "",    ""),
    ("kpu",              "warehouse",      "VM",  ""),
    ("kpu",              "uncovered",      "VM",  ""),
    ("kpu",              "operation",      "V",   ""),
    ("kpu",              "alert",          "V",   ""),
    ("kpu",              "polres",         "V",   ""),
    ("kpu",              "kpu_person",     "V",   ""),  # themselves
    ("bawaslu",          "kpu_office",     "",    ""),
    ("bawaslu",          "bawaslu_office", "VM",  ""),
    ("bawaslu",          "warehouse",      "",    ""),
    ("bawaslu",          "alert",          "",    ""),
    ("bawaslu",          "operation",      "V",   ""),
    ("admin",            "kpu_office",     "VM",  "VM"),
    ("admin",            "uncovered",      "VM",  "VM"),
    ("admin",            "operation",      "VM",  "VM"),
    ("admin",            "alert",          "V",   "V"),
    ("admin",            "polres",         "VM",  "VM"),
    ("admin",            "kpu_person",     "VM",  "VM"),
    # Deny by default: no role, or a role that does not fit the agency's pillar.
    ("norole",           "kpu_office",     "",    ""),
    ("norole",           "operation",      "",    ""),
    ("norole",           "alert",          "",    ""),
    ("norole",           "polres",         "",    ""),
    ("kpu_as_operator",  "warehouse",      "",    ""),
    ("kpu_as_operator",  "alert",          "",    ""),
    ("kpu_as_operator",  "operation",      "",    ""),
]
# fmt: on


def _target(city: City, name: str):
    if name == "operation":
        return city.operation
    if name == "alert":
        return Alert.objects.get(facility=city.facilities["kpu_office"])
    if name == "polres":
        return city.agencies["polres"]
    if name == "kpu_person":
        return city.users["kpu"]
    return city.facilities[name]


@pytest.fixture
def world_with_alerts(world):
    for city in (world.a, world.b):
        alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                    facility=city.facilities["kpu_office"], dedup_key=f"test:{city.key}",
                    title="Test")
    return world


@pytest.mark.parametrize(("role", "obj", "same", "other"), MATRIX)
def test_matrix(world_with_alerts, role, obj, same, other):
    user = world_with_alerts.a.users[role]
    for city, allowed in ((world_with_alerts.a, same), (world_with_alerts.b, other)):
        target = _target(city, obj)
        for letter, action in LETTERS.items():
            assert policy.can(user, action, target) == (letter in allowed), (
                f"{role} {action} {obj} in city {city.key}: expected {allowed or 'nothing'}"
            )


def test_every_role_and_object_kind_is_in_the_matrix():
    from tests.cast import PEOPLE

    roles = {row[0] for row in MATRIX}
    assert roles == {name for name, _agency, _roles in PEOPLE}
    assert {row[1] for row in MATRIX} >= {"kpu_office", "operation", "alert", "polres",
                                          "kpu_person"}


def test_anonymous_and_deactivated_see_nothing(world_with_alerts):
    world = world_with_alerts
    deactivated = world.a.users["commander"]
    deactivated.is_active = False
    deactivated.save()
    for user in (AnonymousUser(), deactivated):
        for obj in ("kpu_office", "operation", "alert", "polres"):
            for action in A:
                assert not policy.can(user, action, _target(world.a, obj))


def test_region_grant_opens_another_city_to_security_staff_only(world_with_alerts):
    world = world_with_alerts
    operator = world.a.users["operator"]
    target = world.b.facilities["kpu_office"]
    assert not policy.can(operator, A.VIEW, target)
    RegionGrant.objects.create(agency=world.a.agencies["polres"], region=world.b.city,
                               basis="Surat Kapolda 01/2026")
    operator = type(operator).objects.get(pk=operator.pk)  # fresh: jurisdiction is cached
    assert policy.can(operator, A.VIEW, target)
    assert not policy.can(operator, A.VIEW, world.b.facilities["uncovered"])


def test_expired_or_revoked_grant_opens_nothing(world_with_alerts):
    from datetime import timedelta

    from django.utils import timezone

    world = world_with_alerts
    now = timezone.now()
    RegionGrant.objects.create(agency=world.a.agencies["polres"], region=world.b.city,
                               basis="expired", valid_from=now - timedelta(days=2),
                               valid_until=now - timedelta(days=1))
    RegionGrant.objects.create(agency=world.a.agencies["polres"], region=world.b.city,
                               basis="revoked", revoked_at=now)
    assert not policy.can(world.a.users["operator"], A.VIEW, world.b.facilities["kpu_office"])


def test_inverse_query_agrees_with_can_for_every_person(world_with_alerts):
    """Alert fan-out uses the inverse query; it must pick exactly the people `can()` allows."""
    from apps.accounts.models import User

    world = world_with_alerts
    RegionGrant.objects.create(agency=world.b.agencies["kodim"], region=world.a.d2,
                               basis="BKO")
    people = list(User.objects.all())
    for city in (world.a, world.b):
        for facility in city.facilities.values():
            expected = {u.pk for u in people if policy.can(u, A.VIEW, facility)}
            actual = set(policy.users_who_may_view_facility(facility).values_list("pk",
                                                                                  flat=True))
            assert actual == expected, facility.name


def test_every_model_of_the_portal_has_an_access_rule():
    """A new model without a policy decision fails here."""
    ours = {m for m in apps.get_models() if m.__module__.startswith("apps.")}
    missing = sorted(m.__name__ for m in ours - policy.governed_models())
    assert not missing, f"models without an access rule: {missing}"


def test_a_model_without_a_rule_is_denied_not_allowed(db, world):
    from django.contrib.sessions.models import Session

    with pytest.raises(LookupError):
        policy.scope(world.a.users["admin"], Session.objects.all())
