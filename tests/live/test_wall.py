import pytest
from django.conf import settings
from django.urls import reverse

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise


def test_wall_shows_shared_tiles_and_hides_inward_camera_alert_details(client, live_world):
    alert_raise(kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
                facility=live_world.a.facilities["warehouse"], camera=live_world.inside,
                dedup_key="in", title="Camera tampering: Ruang")
    client.force_login(live_world.a.users["operator"])
    page = client.get(reverse("live:wall"))
    assert page.status_code == 200
    tiles = [c.pk for c in page.context["tiles"]]
    assert tiles == [live_world.gate.pk]  # the inward camera is no tile, not even a name
    html = page.content.decode()
    assert "Ruang" not in html
    client.force_login(live_world.a.users["kpu"])
    assert "Ruang" in client.get(reverse("live:wall")).content.decode()


def test_saved_layout_keeps_only_cameras_the_person_may_view(client, live_world):
    client.force_login(live_world.a.users["operator"])
    client.post(reverse("live:save_layout"), {
        "name": "Malam", "size": "4", "camera": [live_world.gate.pk, live_world.inside.pk]})
    layout = live_world.a.users["operator"].wall_layouts.get()
    assert layout.camera_ids == [live_world.gate.pk] and layout.is_default


@pytest.mark.parametrize(("language", "name"), [("id", "Dinding"), ("en", "Wall")])
def test_an_unnamed_layout_is_named_in_the_persons_language(client, live_world, language, name):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(live_world.a.users["operator"])
    client.post(reverse("live:save_layout"), {"size": "4", "camera": [live_world.gate.pk]})
    assert live_world.a.users["operator"].wall_layouts.get().name == name
