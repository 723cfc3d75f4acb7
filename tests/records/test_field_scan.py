"""A scan names its checkpoint and facility: the page carries the names (never the codes) of
the checkpoints at hand the person may record at, and a label URL opened by the phone's
camera app is named by the server as well."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from apps.records import tokens


def labels_in(html: str) -> dict:
    block = re.search(r'<script id="checkpoint-labels" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(block.group(1))


def test_the_field_page_carries_checkpoint_names_but_not_codes(client, world, points):
    client.force_login(world.a.users["field_polri"])
    office = world.a.facilities["kpu_office"]
    html = client.get(reverse("records:my_patrol"), {
        "objek": [office.pk, world.b.facilities["kpu_office"].pk]}).content.decode()
    labels = labels_in(html)
    assert labels[str(points.gate.pk)] == {
        "name": "Gerbang utama", "facility": points.gate.facility.name,
        "version": points.gate.token_version}
    assert str(points.b_gate.pk) not in labels  # another city's checkpoint
    assert points.gate.code not in html and points.fence.code not in html


def test_a_label_url_names_its_checkpoint_on_the_page(client, world, points):
    client.force_login(world.a.users["field_polri"])
    url = reverse("records:my_patrol")
    response = client.get(url, {"t": tokens.checkpoint_token(points.fence)})
    assert response.context["scanned_checkpoint"] == points.fence
    assert "Pojok pagar utara" in response.content.decode()
    forged = tokens.checkpoint_token(points.fence).rsplit(":", 1)[0] + ":bm90LWEtc2lnbmF0dXJl"
    assert client.get(url, {"t": forged}).context["scanned_checkpoint"] is None
    # A valid label of a checkpoint this person may not record at is not named either.
    other = client.get(url, {"t": tokens.checkpoint_token(points.b_gate)})
    assert other.context["scanned_checkpoint"] is None
