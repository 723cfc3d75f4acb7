"""Rosters: generation from patterns in the facility's zone, single shifts, publishing, and
the rule that nobody is ever on two overlapping shifts (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.duty import services
from apps.duty.models import Shift
from tests.duty.conftest import NOW, make_attendance, make_shift

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")


def test_patterns():
    assert services.pattern_segments("3x8", first_start=time(6)) == [
        (time(6), time(14)), (time(14), time(22)), (time(22), time(6))]
    assert services.pattern_segments("2x12", first_start=time(7, 30)) == [
        (time(7, 30), time(19, 30)), (time(19, 30), time(7, 30))]
    assert services.pattern_segments("custom", custom=[(time(8), time(20))]) == [
        (time(8), time(20))]
    with pytest.raises(ValidationError):
        services.pattern_segments("custom")
    with pytest.raises(ValidationError):
        services.pattern_segments("4x6")


def test_generation_crosses_midnight_in_the_facility_zone(duty):
    """3 × 8 h from 07:00 at a WITA facility: the night shift ends at 07:00 WITA next day."""
    padal = duty.user("padal", "B")
    post = duty.post("B", "warehouse")
    people = [duty.user(n, "B") for n in ("field_polri", "field_tni", "field_pemda")]
    result = services.roster_generate(
        post=post, by=padal, first_day=date(2026, 12, 1), last_day=date(2026, 12, 2),
        segments=services.pattern_segments("3x8", first_start=time(7)), per_shift=1,
        people=people,
    )
    assert result == services.GenerateResult(created=6, open_slots=0, conflicts=0, skipped=0)
    shifts = list(Shift.objects.filter(post=post).order_by("start"))
    local = [(s.start.astimezone(WITA).strftime("%d %H:%M"), s.end.astimezone(WITA).strftime(
        "%d %H:%M")) for s in shifts]
    assert local == [("01 07:00", "01 15:00"), ("01 15:00", "01 23:00"),
                     ("01 23:00", "02 07:00"), ("02 07:00", "02 15:00"),
                     ("02 15:00", "02 23:00"), ("02 23:00", "03 07:00")]
    # 23:00 WITA (UTC+8) is 15:00 UTC; stored in UTC.
    assert shifts[2].start == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    # Teams in turn: with three teams of one, each person keeps a time of day.
    assert [s.person for s in shifts] == people * 2
    assert [s.pillar for s in shifts[:3]] == ["polri", "tni", "pemda"]
    assert all(s.published_at is None for s in shifts)  # drafts until published


def test_the_same_wall_clock_is_a_different_instant_in_another_zone(duty):
    segments = [(time(22), time(6))]
    for city in ("A", "B"):
        services.roster_generate(post=duty.post(city), by=duty.user("padal", city),
                                 first_day=date(2026, 12, 1), last_day=date(2026, 12, 1),
                                 segments=segments, per_shift=1)
    a = Shift.objects.get(post=duty.post("A"))
    b = Shift.objects.get(post=duty.post("B"))
    assert a.start.astimezone(WIB).hour == b.start.astimezone(WITA).hour == 22
    assert a.start - b.start == timedelta(hours=1)
    assert a.person is None and b.person is None  # no people given: open slots


def test_generation_leaves_a_busy_persons_slot_open_and_skips_planned_times(duty):
    padal = duty.user("padal")
    officer = duty.user("field_tni")
    make_shift(duty.post("A", "warehouse"), officer, datetime(2026, 12, 1, 8, tzinfo=WIB), 4)
    args = dict(post=duty.post("A"), by=padal, first_day=date(2026, 12, 1),
                last_day=date(2026, 12, 1), segments=[(time(7), time(15))], per_shift=1,
                people=[officer])
    first = services.roster_generate(**args)
    assert (first.created, first.open_slots, first.conflicts) == (1, 1, 1)
    again = services.roster_generate(**args)
    assert (again.created, again.skipped) == (0, 1)  # the time is already planned
    replaced = services.roster_generate(**args, replace_drafts=True)
    assert replaced.created == 1
    assert Shift.objects.filter(post=duty.post("A")).count() == 1


def test_only_planners_of_the_facility_plan(duty):
    args = dict(first_day=date(2026, 12, 1), last_day=date(2026, 12, 1),
                segments=[(time(7), time(15))], per_shift=1)
    for who in ("operator", "field_polri", "kpu", "admin"):
        with pytest.raises(PermissionDenied):
            services.roster_generate(post=duty.post("A"), by=duty.user(who), **args)
    with pytest.raises(PermissionDenied):  # another city
        services.roster_generate(post=duty.post("B"), by=duty.user("padal"), **args)
    with pytest.raises(PermissionDenied):  # the Padal sees no uncovered facility
        services.roster_generate(post=duty.post("A", "uncovered"), by=duty.user("padal"),
                                 **args)
    services.roster_generate(post=duty.post("A", "uncovered"), by=duty.user("commander"),
                             **args)


def test_people_of_another_city_cannot_be_rostered(duty):
    """Mass assignment (T-AC-10): a person id from city B is refused, not silently used."""
    with pytest.raises(ValidationError):
        services.shift_create(post=duty.post("A"), by=duty.user("padal"),
                              start=datetime(2026, 12, 1, 7, tzinfo=WIB),
                              end=datetime(2026, 12, 1, 15, tzinfo=WIB),
                              person=duty.user("field_polri", "B"))
    for who in ("kpu", "norole"):  # not a security pillar, or no role
        with pytest.raises(ValidationError):
            services.shift_create(post=duty.post("A"), by=duty.user("padal"),
                                  start=datetime(2026, 12, 1, 7, tzinfo=WIB),
                                  end=datetime(2026, 12, 1, 15, tzinfo=WIB),
                                  person=duty.user(who))


@pytest.mark.parametrize(("start_h", "end_h"), [(8, 16), (10, 12), (6, 9), (15, 20), (7, 15)])
def test_overlapping_shifts_for_one_person_are_refused(duty, start_h, end_h):
    """Exact, containment, partial (both sides): refused at any post."""
    padal, person = duty.user("padal"), duty.user("field_tni")
    services.shift_create(post=duty.post("A", "warehouse"), by=padal, person=person,
                          start=datetime(2026, 12, 1, 8, tzinfo=WIB),
                          end=datetime(2026, 12, 1, 16, tzinfo=WIB))
    with pytest.raises(ValidationError) as error:
        services.shift_create(post=duty.post("A", "bawaslu_office"), by=padal, person=person,
                              start=datetime(2026, 12, 1, start_h, tzinfo=WIB),
                              end=datetime(2026, 12, 1, end_h, tzinfo=WIB))
    assert error.value.code == "overlap"
    assert Shift.objects.filter(person=person).count() == 1


def test_touching_shifts_do_not_overlap(duty):
    padal, person = duty.user("padal"), duty.user("field_tni")
    midnight = datetime(2026, 12, 1, 0, tzinfo=WIB)
    for start, end in ((8, 16), (16, 24), (0, 8)):  # [) bounds: end == next start is fine
        services.shift_create(post=duty.post("A", "warehouse"), by=padal, person=person,
                              start=midnight + timedelta(hours=start),
                              end=midnight + timedelta(hours=end))
    assert Shift.objects.filter(person=person).count() == 3


def test_open_slots_never_conflict(duty):
    for _ in range(3):
        services.shift_create(post=duty.post("A"), by=duty.user("padal"), person=None,
                              start=datetime(2026, 12, 1, 8, tzinfo=WIB),
                              end=datetime(2026, 12, 1, 16, tzinfo=WIB))
    assert Shift.objects.filter(person=None).count() == 3


@pytest.mark.parametrize(("start", "end", "code"), [
    (datetime(2026, 12, 1, 16, tzinfo=WIB), datetime(2026, 12, 1, 8, tzinfo=WIB), "order"),
    (datetime(2026, 12, 1, 8, tzinfo=WIB), datetime(2026, 12, 1, 8, tzinfo=WIB), "order"),
    (datetime(2026, 12, 1, 8, tzinfo=WIB), datetime(2026, 12, 2, 8, 1, tzinfo=WIB), "too_long"),
    (datetime(2026, 12, 1, 8), datetime(2026, 12, 1, 16), "naive"),
])
def test_impossible_shift_times_are_refused(duty, start, end, code):
    with pytest.raises(ValidationError) as error:
        services.shift_create(post=duty.post("A"), by=duty.user("padal"), start=start, end=end)
    assert error.value.code == code


def test_a_24_hour_shift_is_allowed(duty):
    shift = services.shift_create(post=duty.post("A"), by=duty.user("padal"),
                                  start=datetime(2026, 12, 1, 8, tzinfo=WIB),
                                  end=datetime(2026, 12, 2, 8, tzinfo=WIB))
    shift.refresh_from_db()
    assert shift.end - shift.start == timedelta(hours=24)


def test_editing_a_shift_keeps_the_overlap_rule(duty):
    padal, person = duty.user("padal"), duty.user("field_tni")
    first = services.shift_create(post=duty.post("A"), by=padal, person=person,
                                  start=datetime(2026, 12, 1, 8, tzinfo=WIB),
                                  end=datetime(2026, 12, 1, 16, tzinfo=WIB))
    second = services.shift_create(post=duty.post("A"), by=padal, person=person,
                                   start=datetime(2026, 12, 1, 16, tzinfo=WIB),
                                   end=datetime(2026, 12, 2, 0, tzinfo=WIB))
    services.shift_update(shift=first, by=padal, person=person,
                          start=datetime(2026, 12, 1, 7, tzinfo=WIB),
                          end=datetime(2026, 12, 1, 16, tzinfo=WIB), note="mulai lebih awal")
    with pytest.raises(ValidationError):
        services.shift_update(shift=second, by=padal, person=person,
                              start=datetime(2026, 12, 1, 15, tzinfo=WIB),
                              end=datetime(2026, 12, 2, 0, tzinfo=WIB))
    first.refresh_from_db()
    assert first.note == "mulai lebih awal" and first.updated_by == padal


def test_a_shift_someone_checked_in_on_stays(duty):
    shift = make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(hours=1))
    make_attendance(shift)
    with pytest.raises(ValidationError):
        services.shift_delete(shift=shift, by=duty.user("padal"))
    with pytest.raises(ValidationError):
        services.shift_update(shift=shift, by=duty.user("padal"), person=duty.user("field_tni"),
                              start=shift.start, end=shift.end)


@time_machine.travel(NOW, tick=False)
def test_unpublished_shifts_are_invisible_until_published(client, duty):
    padal, officer = duty.user("padal"), duty.user("field_polri")
    shift = services.shift_create(post=duty.post("A"), by=padal, person=officer,
                                  start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=10))
    client.force_login(officer)
    page = client.get(reverse("duty:my_duty")).content.decode()
    assert "Gerbang kpu_office" not in page
    assert client.get(reverse("duty:roster", args=[shift.post_id])).content.decode().count(
        "roster-shift") == 0
    assert services.roster_publish(post=shift.post, by=padal) == 1
    page = client.get(reverse("duty:my_duty")).content.decode()
    assert "Gerbang kpu_office" in page


# --- the same through the pages: form errors, never a 500 -----------------------------------


def _post_shift(client, post, start: str, end: str, person=None):
    return client.post(reverse("duty:shift_create", args=[post.pk]),
                       {"start": start, "end": end, "person": person.pk if person else ""})


def test_shift_form_answers_409_on_overlap_and_400_on_bad_times(client, duty):
    client.force_login(duty.user("padal"))
    post, person = duty.post("A"), duty.user("field_tni")
    ok = _post_shift(client, post, "2026-12-01T08:00", "2026-12-01T16:00", person)
    assert ok.status_code == 302
    clash = _post_shift(client, post, "2026-12-01T12:00", "2026-12-01T20:00", person)
    assert clash.status_code == 409
    assert "overlaps" in clash.content.decode() or "tumpang" in clash.content.decode()
    touching = _post_shift(client, post, "2026-12-01T16:00", "2026-12-02T00:00", person)
    assert touching.status_code == 302
    for start, end in (("2026-12-01T16:00", "2026-12-01T08:00"),
                       ("2026-12-03T08:00", "2026-12-03T08:00"),
                       ("2026-12-03T08:00", "2026-12-04T09:00")):
        assert _post_shift(client, post, start, end).status_code == 400


@pytest.mark.parametrize("value", ["2029-02-30T10:00", "2026-12-01T24:00",
                                   "2026-12-01T23:59:60", "0000-01-01T00:00",
                                   "9999-12-31T23:59", "NaN", "1700000000.5", ""])
def test_impossible_values_are_a_400(client, duty, value):
    client.force_login(duty.user("padal"))
    response = _post_shift(client, duty.post("A"), value, "2026-12-01T16:00")
    assert response.status_code == 400


def test_typed_times_are_the_facility_zone(client, duty):
    client.force_login(duty.user("padal", "B"))
    _post_shift(client, duty.post("B"), "2026-12-01T22:00", "2026-12-02T06:00")
    shift = Shift.objects.get(post=duty.post("B"))
    assert shift.start == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 WITA


def test_generate_and_publish_through_the_roster_page(client, duty):
    client.force_login(duty.user("padal"))
    post = duty.post("A", "warehouse")
    people = [duty.user(n) for n in ("field_polri", "field_tni", "field_pemda")]
    response = client.post(reverse("duty:roster_generate", args=[post.pk]), {
        "first_day": "2026-12-01", "last_day": "2026-12-07", "pattern": "2x12",
        "first_start": "06:00", "per_shift": 3, "people": [p.pk for p in people],
    })
    assert response.status_code == 302
    # One team of three, one of each pillar: the day shift gets it, the night stays open.
    assert Shift.objects.filter(post=post).count() == 42
    assert Shift.objects.filter(post=post, person=None).count() == 21
    page = client.get(response["Location"])
    assert page.status_code == 200
    response = client.post(reverse("duty:roster_publish", args=[post.pk]), {})
    assert response.status_code == 302
    assert not Shift.objects.filter(post=post, published_at=None).exists()


def test_generate_form_errors_are_400(client, duty):
    client.force_login(duty.user("padal"))
    response = client.post(reverse("duty:roster_generate", args=[duty.post("A").pk]), {
        "first_day": "2026-12-07", "last_day": "2026-12-01", "pattern": "custom",
        "custom": "25:00-07:00", "per_shift": 1})
    assert response.status_code == 400


def test_edit_page_saves_and_refuses_overlap(client, duty):
    padal, person = duty.user("padal"), duty.user("field_tni")
    client.force_login(padal)
    make_shift(duty.post("A"), person, datetime(2026, 12, 1, 16, tzinfo=WIB))
    other = make_shift(duty.post("A"), None, datetime(2026, 12, 1, 8, tzinfo=WIB))
    url = reverse("duty:shift_edit", args=[other.pk])
    assert client.get(url).status_code == 200
    clash = client.post(url, {"start": "2026-12-01T08:00", "end": "2026-12-01T17:00",
                              "person": person.pk})
    assert clash.status_code == 409
    ok = client.post(url, {"start": "2026-12-01T08:00", "end": "2026-12-01T16:00",
                           "person": person.pk})
    assert ok.status_code == 302
    other.refresh_from_db()
    assert other.person == person and other.pillar == "tni"


def test_posts_the_first_is_main_and_a_new_main_takes_over(client, world):
    padal, facility = world.a.users["padal"], world.a.facilities["warehouse"]
    first = services.post_create(facility=facility, by=padal, name="Gerbang")
    second = services.post_create(facility=facility, by=padal, name="Pintu gudang")
    assert first.is_main and not second.is_main
    third = services.post_create(facility=facility, by=padal, name="Pos baru", is_main=True)
    first.refresh_from_db()
    assert third.is_main and not first.is_main
    with pytest.raises(PermissionDenied):
        services.post_create(facility=facility, by=world.a.users["operator"], name="X")
    client.force_login(padal)
    response = client.post(reverse("duty:post_create", args=[facility.pk]), {"name": ""})
    assert response.status_code == 302 and facility.guard_posts.count() == 3


def test_standards_page_adds_and_ends_standards_in_local_time(client, duty):
    client.force_login(duty.user("padal"))
    post = duty.post("A", "warehouse")
    url = reverse("duty:standards", args=[post.pk])
    response = client.post(url, {
        "band_start": "18:00", "band_end": "06:00", "min_personnel": 3,
        "required_pillars": ["polri", "tni", "pemda"], "valid_from": "2026-11-01T00:00",
        "note": "Malam"})
    assert response.status_code == 302
    standard = post.standards.get()
    assert standard.valid_from == datetime(2026, 11, 1, tzinfo=WIB)
    assert standard.required_pillars == ["pemda", "polri", "tni"]
    bad = client.post(url, {"band_start": "06:00", "band_end": "18:00", "min_personnel": 2,
                            "valid_from": "2026-12-02T00:00", "valid_until": "2026-12-01T00:00",
                            "required_pillars": ["kpu"]})
    assert bad.status_code == 400
    assert client.post(reverse("duty:standard_end", args=[standard.pk])).status_code == 302
    standard.refresh_from_db()
    assert standard.valid_until is not None  # ended, kept as history
