"""The people a roster form offers are one policy question (policy.rosterable_people): the
form lists exactly them, and the form and the service refuse anyone else."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.access import policy
from apps.duty import services
from apps.duty.models import Shift

WIB = ZoneInfo("Asia/Jakarta")


def test_the_shift_form_offers_and_accepts_only_rosterable_people(client, duty):
    padal, post = duty.user("padal"), duty.post("A")
    audience = set(policy.rosterable_people(padal).values_list("pk", flat=True))
    outsiders = [duty.user("field_polri", "B"), duty.user("kpu"), duty.user("norole")]
    assert duty.user("field_tni").pk in audience
    assert audience.isdisjoint(o.pk for o in outsiders)

    client.force_login(padal)
    page = client.get(reverse("duty:roster", args=[post.pk]))
    for form in (page.context["shift_form"], page.context["generate_form"]):
        field = form.fields.get("person") or form.fields["people"]
        assert {int(str(pk)) for pk, _label in field.choices if pk} == audience

    for outsider in outsiders:
        response = client.post(reverse("duty:shift_create", args=[post.pk]), {
            "start": "2026-12-01T08:00", "end": "2026-12-01T16:00", "person": outsider.pk})
        assert response.status_code == 400
        assert not Shift.objects.filter(person=outsider).exists()
        with pytest.raises(ValidationError):
            services.shift_create(post=post, by=padal, person=outsider,
                                  start=datetime(2026, 12, 1, 8, tzinfo=WIB),
                                  end=datetime(2026, 12, 1, 16, tzinfo=WIB))
