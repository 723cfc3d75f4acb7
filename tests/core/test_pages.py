from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.places.models import Facility
from tests.cast import PASSWORD


def test_login_is_case_and_width_insensitive_for_usernames(client, world):
    response = client.post(reverse("accounts:login"),
                           {"username": "ＯＰＥＲＡＴＯＲ_a", "password": PASSWORD})
    assert response.status_code == 302


def test_bad_password_and_unknown_user_get_the_same_answer(client, world):
    wrong = client.post(reverse("accounts:login"), {"username": "operator_a", "password": "x"})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 200
    assert "kata sandi salah" in wrong.content.decode()
    assert "kata sandi salah" in unknown.content.decode()


def test_password_change_applies_the_policy(client, world):
    client.force_login(world.a.users["operator"])
    url = reverse("accounts:password_change")
    short = client.post(url, {"old_password": PASSWORD, "new_password1": "pendek",
                              "new_password2": "pendek"})
    assert short.status_code == 200 and short.context["form"].errors
    response = client.post(url, {"old_password": PASSWORD,
                                 "new_password1": "jaga gudang malam ini 2026",
                                 "new_password2": "jaga gudang malam ini 2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.a.users["operator"].pk).check_password(
        "jaga gudang malam ini 2026")


def test_logout_ends_the_session(client, world):
    client.force_login(world.a.users["operator"])
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("live:wall")).status_code == 302


def test_indonesian_by_default_english_one_click_away(client, world):
    client.force_login(world.a.users["operator"])
    page = client.get(reverse("live:wall")).content.decode()
    assert "Dinding Pantauan" in page and 'lang="id"' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("live:wall")).content.decode()
    assert "Live wall" in page and 'lang="en"' in page


def test_times_are_shown_in_the_facility_zone(client, world):
    from datetime import UTC, datetime

    facility = world.b.facilities["kpu_office"]  # city B is in WITA (UTC+8)
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=2, facility=facility,
                           dedup_key="tz", title="Zona")
    Alert.objects.filter(pk=alert.pk).update(
        last_raised_at=datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    client.force_login(world.b.users["operator"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "24 Nov. 2026, 0.30 WITA" in page  # 16:30 UTC is 00:30 WITA next day


def _grow(world, count: int) -> None:
    """More facilities and alerts in city A: query counts must not follow."""
    existing = Facility.objects.count()
    for i in range(count):
        facility = Facility.objects.create(
            name=f"Objek {existing + i}", kind=Facility.Kind.KPU_WAREHOUSE,
            owner_agency=world.a.agencies["kpu"], region=world.a.d1)
        world.a.operation.facilities.add(facility)
        alert_raise(kind=Alert.Kind.OTHER, severity=3, facility=facility,
                    dedup_key=f"grow:{facility.pk}", title=f"Peringatan {i}")


BOUNDED_PAGES = ["live:wall", "duty:coverage", "overview:facilities", "overview:operations",
                 "alerts:feed", "overview:my_facilities"]


@pytest.mark.parametrize("url_name", BOUNDED_PAGES)
def test_page_queries_do_not_grow_with_the_data(client, world, django_assert_max_num_queries,
                                                url_name):
    viewer = world.a.users["kpu" if url_name == "overview:my_facilities" else "commander"]
    client.force_login(viewer)
    _grow(world, 2)
    client.get(reverse(url_name))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse(url_name)).status_code == 200
    _grow(world, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200


def test_facility_page_queries_are_bounded(client, world, django_assert_max_num_queries):
    client.force_login(world.a.users["commander"])
    facility = world.a.facilities["warehouse"]
    for i in range(15):
        alert_raise(kind=Alert.Kind.OTHER, severity=3, facility=facility,
                    dedup_key=f"f:{i}", title=f"P {i}")
    # Uptime reads state changes and tamper alerts in a fixed number of window queries; the
    # recordings button asks the policy once.
    with django_assert_max_num_queries(21):
        assert client.get(facility.get_absolute_url()).status_code == 200
    for i in range(15, 45):
        alert_raise(kind=Alert.Kind.OTHER, severity=3, facility=facility,
                    dedup_key=f"f:{i}", title=f"P {i}")
    with django_assert_max_num_queries(21):
        assert client.get(facility.get_absolute_url()).status_code == 200


def test_the_facility_list_counts_the_open_alerts_of_its_page(client, world):
    """Counted for the page's facilities alone, resolved ones left out; the same counts on
    the official's own facilities."""
    from apps.alerts.services import alert_resolve

    a = world.a
    office = a.facilities["kpu_office"]
    raised = [alert_raise(kind=Alert.Kind.OTHER, severity=3, facility=office,
                          dedup_key=f"count:{i}", title=f"P {i}")[0] for i in range(3)]
    alert_resolve(alert=raised[0], user=a.users["commander"], comment="selesai")
    open_now = Alert.objects.filter(facility=office).exclude(state=Alert.State.RESOLVED).count()
    assert open_now >= 2
    client.force_login(a.users["commander"])
    page = client.get(reverse("overview:facilities")).context["page"]
    counts = {f.pk: f.open_alerts for f in page}
    assert counts[office.pk] == open_now
    for facility in page:
        assert facility.open_alerts == Alert.objects.filter(facility=facility).exclude(
            state=Alert.State.RESOLVED).count()
    client.force_login(a.users["kpu"])
    mine = client.get(reverse("overview:my_facilities")).context["facilities"]
    assert {f.pk: f.open_alerts for f in mine}[office.pk] == open_now


def test_the_facility_list_is_paged_and_searched(client, world, django_assert_max_num_queries):
    """A city has hundreds of facilities: a page of them, found by kind and name."""
    from apps.overview.views import FACILITIES_PER_PAGE

    a = world.a
    for i in range(FACILITIES_PER_PAGE + 5):
        facility = Facility.objects.create(name=f"Kantor PPK {i:03d}",
                                           kind=Facility.Kind.KPU_OFFICE,
                                           owner_agency=a.agencies["kpu"], region=a.d1)
        a.operation.facilities.add(facility)
    client.force_login(a.users["commander"])
    url = reverse("overview:facilities")
    with django_assert_max_num_queries(12):
        first = client.get(url)
    page = first.context["page"]
    assert len(page) == FACILITIES_PER_PAGE and page.paginator.count > FACILITIES_PER_PAGE
    assert "page=2" in first.content.decode()
    rest = client.get(url, {"page": 2}).context["page"]
    assert not {f.pk for f in page} & {f.pk for f in rest}
    found = client.get(url, {"q": "ppk 007"}).context["page"]
    assert [f.name for f in found] == ["Kantor PPK 007"]
