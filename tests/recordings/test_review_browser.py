"""The review page in Chromium at phone size (390×844), playing real segments (written by
apps.vision's writer, stored and indexed by apps.recordings, served by the segment view):
the footage plays and runs on into the next segment, a click on the timeline plays from the
moment under it, 8× plays faster, frame steps and the next event move the clock, and the page
has no console errors and no sideways scrolling. A security viewer of a masked camera plays
its masked pieces the same way, never a byte of the stored segments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.cameras import services
from apps.cameras.models import Camera, Orientation
from apps.recordings import views
from apps.recordings.models import RecordingSegment
from tests.browser import signed_in_context
from tests.cast import gate_and_inside_cameras
from tests.recordings.footage import record
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
MINUTES = 12  # wide enough on a phone's timeline (about 4 minutes a pixel) to click into


@pytest.fixture
def footage(world, tmp_path):
    """Yesterday (the facility's day) from 10:00 for MINUTES minutes, and an alert at 10:05."""
    gate = gate_and_inside_cameras(world.a)[0]
    zone = gate.facility.zoneinfo
    day = timezone.localtime(timezone.now(), zone).date() - timedelta(days=1)
    start = datetime.combine(day, time(10), zone)
    record(gate, tmp_path / "writer", start, MINUTES * 60, fps=2.0, max_seconds=60.0)
    alert_at = start + timedelta(minutes=5)
    Alert.objects.create(kind=Alert.Kind.MOTION, severity=3, facility=gate.facility,
                         camera=gate, title="Gerak di gerbang", dedup_key="g1",
                         first_raised_at=alert_at, last_raised_at=alert_at)
    return gate, day, start, alert_at


@contextmanager
def phone_page(live_server, user, monkeypatch) -> Iterator[object]:
    """A page at phone size signed in as `user`, noting its console errors."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with signed_in_context(live_server, user, viewport=PHONE) as context:
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        yield page


@pytest.fixture
def page(live_server, world, footage, monkeypatch):
    with phone_page(live_server, world.a.users["kpu"], monkeypatch) as page:
        yield page


def clock(page) -> int:
    return int(page.locator("[data-review]").get_attribute("data-clock") or 0)


def playing_at(page, at_ms: float, within_ms: float = 1000) -> bool:
    state = page.locator("[data-player]").first.get_attribute("data-state")
    return state == "playing" and abs(clock(page) - at_ms) <= within_ms


def test_footage_plays_seeks_and_speeds_up_on_a_phone(page, live_server, footage) -> None:
    gate, day, start, alert_at = footage
    start_ms = start.timestamp() * 1000
    asked = start_ms + 55_000  # 5 s before the first segment ends
    url = reverse("review:camera", args=[gate.pk]) + f"?tanggal={day}&t=10:00:55"
    page.goto(live_server.url + url)
    wait_until(lambda: playing_at(page, asked), 20, what="playing at the asked moment")

    # It plays: the footage's time advances, on into the next segment.
    wait_until(lambda: clock(page) > start_ms + 61_000, 20, what="the next segment playing")
    video_time = page.evaluate(
        "() => Array.from(document.querySelectorAll('video')).find(v => !v.hidden).currentTime")
    assert 0 < video_time < 10

    # A click on the timeline plays from the moment under it.
    page.locator('[data-timeline="day"]').scroll_into_view_if_needed()
    box = page.locator('[data-timeline="day"]').bounding_box()
    day_start = datetime.combine(day, time(0), start.tzinfo).timestamp() * 1000
    for minute in (2.5, 9.5):
        x = round(box["x"] + ((start_ms + minute * 60_000) - day_start) / 86_400_000 * box["width"])
        page.mouse.click(x, box["y"] + box["height"] / 2)
        wanted = day_start + (x - box["x"]) / box["width"] * 86_400_000
        assert start_ms < wanted < start_ms + MINUTES * 60_000
        wait_until(lambda wanted=wanted: playing_at(page, wanted), 20,
                   what=f"playing from the click at {minute} min")
        shown = page.evaluate("""() => {
            const v = Array.from(document.querySelectorAll('video')).find(v => !v.hidden);
            return v.currentTime; }""")
        segment_start = start_ms + (wanted - start_ms) // 60_000 * 60_000
        assert abs(segment_start + shown * 1000 - wanted) <= 1000

    # The hour being played, drawn below the day: a click there is about 10 s a pixel.
    hour = page.locator('[data-timeline="hour"]')
    assert page.locator("[data-labels] span").first.inner_text() == "10:00"
    hour_box = hour.bounding_box()
    x = round(hour_box["x"] + hour_box["width"] * 0.05)
    page.mouse.click(x, hour_box["y"] + hour_box["height"] / 2)
    wanted = start_ms + (x - hour_box["x"]) / hour_box["width"] * 3_600_000
    wait_until(lambda: playing_at(page, wanted), 20, what="playing from the hour's click")

    # 8×: the footage runs well ahead of the wall clock.
    page.locator("[data-speed]").select_option("8")
    before = page.evaluate("() => [Number(document.querySelector('[data-review]').dataset.clock),"
                           " performance.now()]")
    wait_until(lambda: clock(page) > before[0] + 12_000, 20, what="8× playback")
    after = page.evaluate("() => [Number(document.querySelector('[data-review]').dataset.clock),"
                          " performance.now()]")
    assert (after[0] - before[0]) / (after[1] - before[1]) > 2
    assert page.evaluate("() => Array.from(document.querySelectorAll('video'))"
                         ".find(v => !v.hidden).playbackRate") == 8

    # Paused, a frame step moves one frame; the next event is the alert at 10:05.
    page.locator('[data-action="play"]').click()
    wait_until(lambda: page.locator("[data-review]").get_attribute("data-state") == "paused",
               5, what="paused")
    paused_at = clock(page)
    page.locator('[data-action="frame-forward"]').click()
    assert clock(page) == paused_at + 100  # no frame rate known yet: 10 frames a second
    page.locator('[data-action="frame-back"]').click()
    page.locator('[data-action="frame-back"]').click()
    assert clock(page) == paused_at - 100
    page.locator("[data-speed]").select_option("1")
    page.locator('[data-action="next-event"]').click()  # from about 10:03
    assert clock(page) == round(alert_at.timestamp() * 1000)
    for strip in ("day", "hour"):  # the alert is marked on both
        assert page.locator(f'[data-timeline="{strip}"] .mark-alert').count() == 1

    # A phone: nothing wider than the screen; and no console error on the way.
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.errors == []


def test_the_facility_view_plays_its_cameras_in_sync(page, live_server, footage,
                                                     tmp_path) -> None:
    gate, day, start, _alert_at = footage
    # A second camera of the warehouse, recorded only from 10:06 (a different file layout).
    yard = Camera.objects.create(facility=gate.facility, name="Halaman", source_kind="mjpeg",
                                 url="http://127.0.0.1:8554/mjpeg/yard",
                                 orientation=Orientation.OUTWARD)
    record(yard, tmp_path / "yard", start + timedelta(minutes=6), 6 * 60, fps=2.0,
           max_seconds=60.0)
    players = page.locator("[data-player]")
    base = reverse("review:facility", args=[gate.facility_id]) + f"?tanggal={day}"

    # Nothing recorded at 03:00: playing skips ahead to the first recorded moment, where only
    # the gate has footage; the yard says it has none.
    page.goto(live_server.url + base + "&t=03:00:00")
    wait_until(lambda: playing_at(page, start.timestamp() * 1000, 2000), 20,
               what="playing from the first footage after the gap")
    assert players.nth(1).get_attribute("data-state") == "empty"
    assert players.nth(1).locator("[data-note]").is_visible()

    # Both recorded: both play, at the same moment of their footage.
    page.goto(live_server.url + base + "&t=10:07:20")
    wait_until(lambda: [players.nth(i).get_attribute("data-state") for i in (0, 1)]
               == ["playing", "playing"], 20, what="both cameras playing")
    wait_until(lambda: clock(page) > start.timestamp() * 1000 + 442_000, 20,
               what="a couple of seconds played")
    times = page.evaluate("""() => Array.from(document.querySelectorAll('[data-player]'),
        (p) => Array.from(p.querySelectorAll('video')).find(v => !v.hidden).currentTime)""")
    assert abs(times[0] - times[1]) < 1.0, times  # both segments start on the minute

    # Back to midnight: nothing anywhere, and each camera says so.
    page.locator('[data-action="play"]').click()
    page.locator('[data-timeline="day"]').focus()
    page.keyboard.press("Home")
    wait_until(lambda: [players.nth(i).get_attribute("data-state") for i in (0, 1)]
               == ["empty", "empty"], 5, what="the no-footage notes")
    assert page.locator("[data-player] [data-note]").first.inner_text()
    assert page.errors == []


def test_a_security_viewer_plays_a_masked_camera_in_masked_pieces(
        live_server, world, footage, monkeypatch, tmp_path) -> None:
    gate, day, start, alert_at = footage
    gate.privacy_masks = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]
    gate.save()
    services.share_grant(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                         by=world.a.users["kpu"], recordings=True,
                         valid_from=start - timedelta(hours=1))
    # Every file the segment view sends, by its storage name.
    sent: list[str] = []
    stored = views.storage

    class Watched:
        def __init__(self) -> None:
            self.store = stored()

        def size(self, name):
            return self.store.size(name)

        def open(self, name, mode="rb"):
            sent.append(name)
            return self.store.open(name, mode)

    monkeypatch.setattr(views, "storage", Watched)
    start_ms = start.timestamp() * 1000
    with phone_page(live_server, world.a.users["operator"], monkeypatch) as page:
        page.goto(live_server.url + reverse("review:camera", args=[gate.pk])
                  + f"?tanggal={day}&t=10:00:55")
        wait_until(lambda: page.locator("[data-masked]").first.is_visible(), 20,
                   what="the masks badge")
        wait_until(lambda: playing_at(page, start_ms + 55_000), 20,
                   what="playing at the asked moment")
        # The time advances, piece after piece, on into the next segment.
        wait_until(lambda: clock(page) > start_ms + 61_000, 20, what="the next segment playing")

        # A click on the timeline lands within a second of the moment under it.
        page.locator('[data-timeline="day"]').scroll_into_view_if_needed()
        box = page.locator('[data-timeline="day"]').bounding_box()
        day_start = datetime.combine(day, time(0), start.tzinfo).timestamp() * 1000
        x = round(box["x"] + (start_ms + 7.5 * 60_000 - day_start) / 86_400_000 * box["width"])
        page.mouse.click(x, box["y"] + box["height"] / 2)
        wanted = day_start + (x - box["x"]) / box["width"] * 86_400_000
        wait_until(lambda: playing_at(page, wanted), 20, what="playing from the click")
        shown = page.evaluate(
            "() => Array.from(document.querySelectorAll('video')).find(v => !v.hidden)"
            ".currentTime")
        piece_start = start_ms + (wanted - start_ms) // 2000 * 2000  # pieces play from 0
        assert shown < 2.5 and abs(piece_start + shown * 1000 - wanted) <= 1000

        # Faster, and on to the next event (the alert at 10:05) from the 10:07 played.
        page.locator("[data-speed]").select_option("4")
        wait_until(lambda: clock(page) > wanted + 8_000, 20, what="4× playback")
        page.locator('[data-action="previous-event"]').click()
        assert clock(page) == round(alert_at.timestamp() * 1000)
        wait_until(lambda: playing_at(page, alert_at.timestamp() * 1000, 2000), 20,
                   what="playing from the alert")

        # The facility view: the masked pieces in sync with a camera served as recorded.
        yard = Camera.objects.create(facility=gate.facility, name="Halaman",
                                     source_kind="mjpeg", url="http://127.0.0.1:8554/mjpeg/y",
                                     orientation=Orientation.OUTWARD)
        services.share_grant(camera=yard, grantee=world.a.agencies["polres"], basis="MoU",
                             by=world.a.users["kpu"], recordings=True,
                             valid_from=start - timedelta(hours=1))
        record(yard, tmp_path / "yard", start + timedelta(minutes=6), 3 * 60, fps=2.0,
               max_seconds=60.0)
        players = page.locator("[data-player]")
        page.goto(live_server.url + reverse("review:facility", args=[gate.facility_id])
                  + f"?tanggal={day}&t=10:07:20")
        wait_until(lambda: [players.nth(i).get_attribute("data-state") for i in (0, 1)]
                   == ["playing", "playing"], 20, what="both cameras playing")
        wait_until(lambda: clock(page) > start_ms + 443_000, 20, what="a few seconds played")
        # Each camera's footage time: its minute's start (both record on the minute), plus
        # the piece's place in it for the masked one, plus the video's own time.
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('[data-player]'),
            (p) => { const v = Array.from(p.querySelectorAll('video')).find(v => !v.hidden);
                     const piece = new URL(v.src).searchParams.get('bagian');
                     return [p.querySelector('figcaption').textContent,
                             piece === null ? 0 : 2 * Number(piece), v.currentTime]; })""")
        at = clock(page)
        minute = start_ms + (at - start_ms) // 60_000 * 60_000
        footage = {name.strip().split()[0]: minute + (offset + current) * 1000
                   for name, offset, current in shown}
        assert set(footage) == {"Gerbang", "Halaman"}
        assert all(abs(moment - at) < 1000 for moment in footage.values()), (footage, at)
        assert page.errors == []
    recorded = dict(RecordingSegment.objects.values_list("storage_name", "camera_id"))
    # The gate only as its masked pieces; the yard, without masks, as recorded.
    assert not {name for name, camera in recorded.items() if camera == gate.pk} & set(sent)
    assert all(name.startswith(f"renditions/{gate.pk}/") or recorded.get(name) == yard.pk
               for name in sent)
    assert any(name.startswith(f"renditions/{gate.pk}/") for name in sent)
