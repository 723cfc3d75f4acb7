"""The places the public tip form offers are one policy question (policy.tip_facilities):
the form lists exactly those, and the form and the tip service refuse any other."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.access import policy
from apps.records.models import Incident
from apps.records.services import incidents as services
from tests.records.conftest import tip_data


def test_a_tip_names_only_an_active_facility_in_an_operation(client, world,
                                                             issued_long_ago):
    covered = {f.pk for city in (world.a, world.b) for name, f in city.facilities.items()
               if name != "uncovered"}
    assert set(policy.tip_facilities().values_list("pk", flat=True)) == covered

    form = client.get(reverse("records:tip")).context["form"]
    assert {int(str(pk)) for pk, _label in form.fields["facility"].choices if pk} == covered

    outside = world.a.facilities["uncovered"]  # in no operation
    response = client.post(reverse("records:tip"),
                           tip_data(world, client, facility=outside.pk))
    assert response.status_code == 400 and "facility" in response.context["form"].errors
    with pytest.raises(ValidationError):
        services.tip_submit(facility=outside, category="suspicious_object",
                            description="Ada mobil berhenti lama di depan kantor")
    assert not Incident.objects.exists()
