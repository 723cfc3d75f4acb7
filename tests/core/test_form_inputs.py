"""Values rendered into HTML inputs are ones a browser accepts in every language, and saving a
form unchanged keeps its object unchanged (apps.core.widgets). Indonesian renders times as
18.00.00, which a time input drops: the camera edit form then showed no armed hours and
'Simpan' without changes wiped the warehouse camera's 18:00–06:00 arming."""

from __future__ import annotations

import importlib
import inspect
import re
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.cameras.models import Camera, Orientation
from apps.core import widgets
from apps.duty.models import GuardPost, Shift

# What browsers accept in <input type=...> (HTML's valid date/time strings).
ACCEPTED = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2})?$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"),
    "number": re.compile(r"^-?\d+(\.\d+)?$"),
}
TEMPORAL = (forms.DateField, forms.TimeField, forms.DateTimeField)
SHARED = (widgets.DateInput, widgets.TimeInput, widgets.DateTimeInput)


class _Forms(HTMLParser):
    """The fields of each <form> as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method", "get"),
                               "fields": [], "types": {}})
        elif not self.forms:
            return
        form = self.forms[-1] if self.forms else None
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            form["types"][a["name"]] = kind
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "password"):
                default = "on" if kind in ("checkbox", "radio") else ""
                form["fields"].append((a["name"], a.get("value", default)))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            form["fields"].append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            form["fields"].append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)


def form_with(body: str, field: str) -> dict:
    parser = _Forms()
    parser.feed(body)
    return next(f for f in parser.forms if any(name == field for name, _v in f["fields"]))


def assert_browser_accepts(form: dict) -> None:
    for name, value in form["fields"]:
        pattern = ACCEPTED.get(form["types"].get(name, ""))
        if pattern is not None and value:
            assert pattern.match(value), f"{name}={value!r} is dropped by a browser"


def post_data(form: dict) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    return data


# --- every form of the project uses the shared widgets ----------------------------------------


def _project_forms():
    for app in sorted(p.name for p in (Path(settings.BASE_DIR) / "apps").iterdir()
                      if (p / "forms.py").exists()):
        module = importlib.import_module(f"apps.{app}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


@pytest.mark.parametrize("form_class", list(_project_forms()), ids=lambda c: c.__qualname__)
def test_every_date_and_time_input_renders_what_browsers_accept(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, TEMPORAL) and not isinstance(field.widget, forms.HiddenInput):
            assert isinstance(field.widget, SHARED), f"{form_class.__name__}.{name}"


def test_no_hand_written_date_input_without_the_browser_format():
    for template in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        for tag in re.findall(r'<input[^>]*type="(?:date|time|datetime-local)"[^>]*>',
                              template.read_text()):
            value = re.search(r'value="([^"]*)"', tag)
            assert value is None or re.search(r"\|(date|time):'(Y-m-d|H:i|H:i:s|Y-m-d\\\\TH:i)'",
                                              value.group(1)), (template.name, tag)


@pytest.mark.parametrize("language", ["id", "en"])
def test_shared_widgets_render_the_browser_format_in_every_language(language):
    with translation.override(language):
        assert 'value="2026-12-06"' in widgets.DateInput().render("d", date(2026, 12, 6))
        assert 'value="18:00"' in widgets.TimeInput().render("t", time(18, 0))
        assert 'value="2026-12-06T18:05"' in widgets.DateTimeInput().render(
            "dt", datetime(2026, 12, 6, 18, 5))
        assert 'type="time"' in widgets.TimeInput().render("t", None)


# --- saving unchanged keeps the object --------------------------------------------------------


@pytest.fixture
def armed_camera(world):
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gudang dalam", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/room", orientation=Orientation.INWARD,
        armed_from=time(18, 0), armed_until=time(6, 0))


def _fields(camera: Camera) -> dict:
    return {f.name: getattr(camera, f.attname) for f in Camera._meta.concrete_fields
            if f.name not in ("updated_at", "modified_at")}


@pytest.mark.parametrize("language", ["id", "en"])
def test_camera_edit_saved_unchanged_keeps_its_armed_hours(client, world, armed_camera,
                                                            language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(world.a.users["kpu"])
    url = reverse("cameras:edit", args=[armed_camera.pk])
    form = form_with(client.get(url).content.decode(), "armed_from")
    assert ("armed_from", "18:00") in form["fields"] and ("armed_until", "06:00") in form["fields"]
    assert_browser_accepts(form)
    before = _fields(armed_camera)
    response = client.post(url, post_data(form))
    assert response.status_code == 302, response.content.decode()[:2000]
    armed_camera.refresh_from_db()
    assert _fields(armed_camera) == before


@pytest.fixture
def shift(world):
    post = GuardPost.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang")
    start = datetime.now(ZoneInfo("Asia/Jakarta")).replace(minute=0, second=0,
                                                           microsecond=0) + timedelta(days=2)
    return Shift.objects.create(post=post, start=start, end=start + timedelta(hours=8),
                                note="kunci di pos")


def test_roster_page_and_shift_edit_render_browser_dates_and_save_unchanged(client, world,
                                                                           shift):
    client.force_login(world.a.users["padal"])
    roster = client.get(reverse("duty:roster", args=[shift.post.pk]))
    assert roster.status_code == 200
    generate = form_with(roster.content.decode(), "first_day")
    assert_browser_accepts(generate)
    assert dict(generate["fields"])["first_day"]  # not blank in Indonesian

    url = reverse("duty:shift_edit", args=[shift.pk])
    form = form_with(client.get(url).content.decode(), "start")
    assert_browser_accepts(form)
    before = (shift.start, shift.end, shift.person_id, shift.note)
    response = client.post(url, post_data(form))
    assert response.status_code == 302, response.content.decode()[:2000]
    shift.refresh_from_db()
    assert (shift.start, shift.end, shift.person_id, shift.note) == before


def test_filter_forms_keep_their_dates_in_indonesian(client, world):
    client.force_login(world.a.users["commander"])
    coverage = client.get(reverse("duty:coverage"), {"start": "2026-12-01", "end": "2026-12-03"})
    form = form_with(coverage.content.decode(), "start")
    assert ("start", "2026-12-01") in form["fields"]
    assert_browser_accepts(form)
    daily = client.get(reverse("records:daily"), {"operation": world.a.operation.pk,
                                                  "day": "2026-12-02"})
    form = form_with(daily.content.decode(), "day")
    assert ("day", "2026-12-02") in form["fields"]
