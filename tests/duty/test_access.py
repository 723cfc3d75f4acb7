"""Who sees and plans guard duty: the duty models in the policy table (role × object ×
same/other city), and the duty URLs for the roles the global URL table does not list
(commander, Padal, TNI and Pemda officers). V view, M manage, O operate (check in/out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.access import policy
from tests.duty.conftest import NOW, make_attendance, make_shift

A = policy.Action
LETTERS = {"V": A.VIEW, "M": A.MANAGE, "O": A.OPERATE}

# fmt: off
MATRIX = [
    # role               object          same   other
    ("admin",            "post",         "VM",  "VM"),
    ("admin",            "uncovered",    "VM",  "VM"),
    ("admin",            "draft",        "V",   "V"),
    ("admin",            "published",    "V",   "V"),
    ("admin",            "attendance",   "V",   "V"),
    ("commander",        "post",         "VM",  ""),
    ("commander",        "uncovered",    "VM",  ""),
    ("commander",        "draft",        "VM",  ""),
    ("commander",        "published",    "VM",  ""),
    ("commander",        "attendance",   "VM",  ""),
    ("padal",            "post",         "VM",  ""),
    ("padal",            "uncovered",    "",    ""),
    ("padal",            "draft",        "VM",  ""),
    ("padal",            "published",    "VM",  ""),
    ("padal",            "attendance",   "VM",  ""),
    ("operator",         "post",         "V",   ""),
    ("operator",         "uncovered",    "",    ""),
    ("operator",         "draft",        "",    ""),
    ("operator",         "published",    "V",   ""),
    ("operator",         "attendance",   "V",   ""),
    # The Polsek officer (district 1) sees the KPU office, not the warehouse (district 2)...
    ("field_polri",      "post",         "V",   ""),
    ("field_polri",      "published",    "",    ""),
    ("field_polri",      "attendance",   "",    ""),
    # ...but always their own published shift, wherever they were posted.
    ("field_polri",      "own_far",      "VO",  ""),
    ("field_tni",        "published",    "VO",  ""),  # their own shift
    ("field_tni",        "draft",        "",    ""),  # their own draft: not yet
    ("field_tni",        "attendance",   "VO",  ""),
    ("field_pemda",      "published",    "V",   ""),
    ("field_pemda",      "draft",        "",    ""),
    ("field_pemda",      "attendance",   "V",   ""),
    ("kpu",              "post",         "V",   ""),
    ("kpu",              "published",    "V",   ""),
    ("kpu",              "draft",        "",    ""),
    ("kpu",              "attendance",   "V",   ""),
    ("bawaslu",          "post",         "",    ""),
    ("bawaslu",          "published",    "",    ""),
    ("bawaslu",          "attendance",   "",    ""),
    ("norole",           "post",         "",    ""),
    ("norole",           "published",    "",    ""),
    ("kpu_as_operator",  "post",         "",    ""),
    ("kpu_as_operator",  "published",    "",    ""),
    ("kpu_as_operator",  "attendance",   "",    ""),
]
# fmt: on


@pytest.fixture
def objects(duty):
    made = {}
    for city in ("A", "B"):
        tni, polri = duty.user("field_tni", city), duty.user("field_polri", city)
        published = make_shift(duty.post(city, "warehouse"), tni, NOW - timedelta(hours=1))
        made[city] = {
            "post": duty.post(city),
            "uncovered": duty.post(city, "uncovered"),
            "draft": make_shift(duty.post(city, "warehouse"), tni, NOW + timedelta(days=1),
                                published=False),
            "published": published,
            "own_far": make_shift(duty.post(city, "warehouse"), polri, NOW),
            "attendance": make_attendance(published),
        }
    return made


@pytest.mark.parametrize(("role", "obj", "same", "other"), MATRIX)
def test_matrix(duty, objects, role, obj, same, other):
    user = duty.user(role)
    for city, allowed in (("A", same), ("B", other)):
        target = objects[city][obj]
        for letter, action in LETTERS.items():
            assert policy.can(user, action, target) == (letter in allowed), (
                f"{role} {action} {obj} in city {city}: expected {allowed or 'nothing'}")


def test_every_role_is_in_the_duty_matrix():
    from tests.cast import PEOPLE

    assert {row[0] for row in MATRIX} == {name for name, _agency, _roles in PEOPLE}


def test_planning_a_new_post_or_shift_follows_the_same_rules(duty):
    facility = duty.post("A").facility
    assert policy.may_set_up_posts_at(duty.user("padal"), facility)
    assert policy.may_set_up_posts_at(duty.user("admin"), facility)
    assert not policy.may_set_up_posts_at(duty.user("operator"), facility)
    assert not policy.may_set_up_posts_at(duty.user("padal", "B"), facility)
    assert policy.may_plan_roster_at(duty.user("commander"), facility)
    assert not policy.may_plan_roster_at(duty.user("admin"), facility)  # views, plans none
    assert not policy.may_plan_roster_at(duty.user("field_polri"), facility)


# --- the duty URLs for the roles the global table leaves out --------------------------------

ROLES = ("commander", "padal", "field_tni", "field_pemda", "commander_b")


def _user(duty, who):
    return duty.user("commander", "B") if who == "commander_b" else duty.user(who)


URLS = {
    # name: (args(objects), method, data, {role: status})
    "duty:my_duty": (None, "get", {}, dict.fromkeys(ROLES, 200)),
    "duty:posts": (None, "get", {}, dict.fromkeys(ROLES, 200)),
    "duty:coverage": (None, "get", {}, dict.fromkeys(ROLES, 200)),
    "duty:coverage_csv": (None, "get", {}, dict.fromkeys(ROLES, 200)),
    "duty:coverage_pdf": (None, "get", {}, dict.fromkeys(ROLES, 200)),
    "duty:roster": (lambda o: [o["A"]["post"].pk], "get", {},
                    {"commander": 200, "padal": 200, "field_tni": 200, "field_pemda": 200,
                     "commander_b": 404}),
    "duty:standards": (lambda o: [o["A"]["post"].pk], "get", {},
                       {"commander": 200, "padal": 200, "field_tni": 404, "field_pemda": 404,
                        "commander_b": 404}),
    "duty:shift_edit": (lambda o: [o["A"]["draft"].pk], "get", {},
                        {"commander": 200, "padal": 200, "field_tni": 404, "field_pemda": 404,
                         "commander_b": 404}),
    "duty:post_create": (lambda o: [o["A"]["post"].facility_id], "post", {"name": "Pos Baru"},
                         {"commander": 302, "padal": 302, "field_tni": 404,
                          "field_pemda": 404, "commander_b": 404}),
    "duty:roster_publish": (lambda o: [o["A"]["post"].pk], "post", {},
                            {"commander": 302, "padal": 302, "field_tni": 404,
                             "field_pemda": 404, "commander_b": 404}),
    "duty:shift_delete": (lambda o: [o["A"]["draft"].pk], "post", {},
                          {"commander": 302, "padal": 302, "field_tni": 404,
                           "field_pemda": 404, "commander_b": 404}),
    "duty:check_in": (lambda o: [o["A"]["published"].pk], "post", {},
                      {"commander": 404, "padal": 404, "field_tni": 400, "field_pemda": 404,
                       "commander_b": 404}),  # 400: field_tni already checked in
    "duty:attendance_photo": (lambda o: [o["A"]["attendance"].pk], "get", {},
                              dict.fromkeys(ROLES, 404)),  # no photo on this record
    "duty:coverage_cell": (lambda o: [o["A"]["post"].facility_id], "get",
                           {"from": 1795000000, "to": 1795003600},
                           {"commander": 200, "padal": 200, "field_tni": 200,
                            "field_pemda": 200, "commander_b": 404}),
}


@pytest.mark.parametrize("name", sorted(URLS))
@pytest.mark.parametrize("who", ROLES)
def test_duty_urls(client, duty, objects, name, who):
    args, method, data, expected = URLS[name]
    client.force_login(_user(duty, who))
    url = reverse(name, args=args(objects) if args else None)
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[who], f"{who} {name}"
