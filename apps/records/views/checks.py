"""Joint warehouse checks: the list, recording one (works offline), reading and signing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.access import policy
from apps.core.photos import photos_normalise
from apps.places.models import Facility
from apps.records import selectors
from apps.records.forms import CheckForm, SignForm
from apps.records.models import CheckItem, WarehouseCheck
from apps.records.services import checks as services
from apps.records.views.common import (
    apply_form,
    body_limited,
    error_list,
    form_errors,
)


@login_required
@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    checks = selectors.checks_for(user=request.user)
    rows = [(c, {s.pillar for s in c.signatures.all()}) for c in checks]
    return render(request, "records/checks.html", {
        "rows": rows,
        "warehouses": policy.warehouse_check_facilities(request.user).order_by("name"),
    })


@login_required
@require_http_methods(["GET", "POST"])
@body_limited
def check_create(request: HttpRequest, pk: int) -> HttpResponse:
    facility = policy.get_or_404(request.user, Facility.objects.filter(
        pk__in=policy.warehouse_check_facilities(request.user).values("pk")
    ).select_related("region"), pk=pk)
    amends = request.GET.get("koreksi", "")
    form = CheckForm(request.POST or None, initial={"amends": amends if amends.isdigit()
                                                    else None})
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(form_errors(form))
            photos = photos_normalise(request.FILES.getlist("photos"))
            saved = services.warehouse_check_record(user=request.user, facility=facility,
                                                    entry=form.entry(), photos=photos)
        except (ValidationError, PermissionDenied) as error:
            if not form.errors:
                form.add_error(None, error_list(error))
        else:
            check = saved.record
            messages.success(request, _(
                "Check recorded. Now each pillar signs it with their own login."))
            return redirect(check)
    return render(request, "records/check_form.html", {"facility": facility, "form": form},
                  status=400 if form.is_bound else 200)


@login_required
@require_GET
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = policy.get_or_404(request.user, WarehouseCheck.objects.select_related(
        "facility__region", "created_by", "creator_agency", "amends", "operation"), pk=pk)
    items = list(CheckItem.objects.filter(check_record=check).order_by("pk"))
    check._prefetched_objects_cache = {"items": items}
    signatures = list(check.signatures.select_related("signer", "signer_agency"))
    pillar = services.signer_pillar(user=request.user, check=check)
    signed = {s.pillar for s in signatures}
    return render(request, "records/check_detail.html", {
        "check": check, "items": items,
        "states": services.signature_states(check, signatures),
        "complete": services.check_is_complete(check, signatures),
        "photos": policy.scope(request.user, check.photos.all()),
        "corrections": policy.scope(request.user, check.corrections.all()),
        "sign_form": SignForm() if pillar in check.required_pillars and pillar not in signed
        else None,
        "sign_pillar": pillar,
        "may_correct": policy.warehouse_check_facilities(request.user).filter(
            pk=check.facility_id).exists(),
    })


@login_required
@require_POST
def check_sign(request: HttpRequest, pk: int) -> HttpResponse:
    check = policy.get_or_404(request.user, WarehouseCheck.objects.select_related("facility"),
                              policy.Action.OPERATE, pk=pk)
    form = SignForm(request.POST)
    apply_form(request, form, lambda data: services.check_sign(
                   check=check, user=request.user, statement=data["statement"]),
               _("Signed."))
    return redirect(check)
