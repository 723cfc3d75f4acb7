"""Checkpoints (titik pantau): setting them up, and the page of QR labels to print."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.access import policy
from apps.places.models import Facility
from apps.records import selectors, tokens
from apps.records.forms import CheckpointForm
from apps.records.models import Checkpoint
from apps.records.services import patrols as services
from apps.records.views.common import apply_form


@login_required
@require_GET
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    facilities = selectors.checkpoint_facilities_for(user=request.user)
    manageable = set(policy.checkpoint_facilities(request.user).values_list("pk", flat=True))
    return render(request, "records/checkpoints.html", {
        "facilities": facilities, "manageable": manageable, "form": CheckpointForm(),
    })


@login_required
@require_POST
def checkpoint_create(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _manageable_facility(request, pk)
    form = CheckpointForm(request.POST)
    apply_form(
        request, form,
        lambda data: services.checkpoint_create(facility=facility, by=request.user, **data),
        _("Checkpoint added. Print its label."))
    return redirect("records:checkpoints")


def _manageable_facility(request: HttpRequest, pk: int) -> Facility:
    """A facility where the person may set up checkpoints; 404 otherwise (no probing)."""
    return policy.get_or_404(request.user, Facility.objects.filter(
        pk__in=policy.checkpoint_facilities(request.user).values("pk")), pk=pk)


@login_required
@require_POST
def checkpoint_relabel(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = policy.get_or_404(request.user, Checkpoint.objects.all(),
                                   policy.Action.MANAGE, pk=pk)
    services.checkpoint_relabel(checkpoint=checkpoint, by=request.user)
    messages.success(request, _("New labels made: print them; the old ones no longer work."))
    return redirect("records:checkpoint_labels", pk=checkpoint.facility_id)


def _qr_data_uri(data: str) -> str:
    """The QR as an SVG data URI for an <img>: no markup of ours to trust in the page."""
    return segno.make(data, error="m").svg_data_uri(scale=4, border=2, dark="#000")


@login_required
@require_GET
def checkpoint_labels(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable labels of a facility's checkpoints: QR (a URL of the field page with the
    signed token) and the short code to type when the camera fails."""
    facility = _manageable_facility(request, pk)
    checkpoints = policy.scope(request.user, facility.checkpoints.filter(active=True),
                               policy.Action.MANAGE).order_by("name")
    base = request.build_absolute_uri(reverse("records:my_patrol"))
    labels = []
    for checkpoint in checkpoints:
        url = f"{base}?t={tokens.checkpoint_token(checkpoint)}"
        labels.append({"checkpoint": checkpoint, "qr": _qr_data_uri(url)})
    return render(request, "records/checkpoint_labels.html",
                  {"facility": facility, "labels": labels})
