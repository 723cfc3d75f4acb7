"""Field pages on a phone: my patrol, recording visits (online or from the offline queue),
patrols, and the files that make the pages installable (manifest, service worker)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from apps.access import policy
from apps.core.photos import photos_normalise
from apps.core.private_files import private_image
from apps.records import selectors, tokens
from apps.records.forms import PatrolEndForm, PatrolStartForm, VisitAmendForm, VisitForm
from apps.records.models import Checkpoint, Patrol, PatrolVisit, RecordPhoto
from apps.records.services import patrols as services
from apps.records.views.common import (
    apply_form,
    body_limited,
    error_list,
    flash_errors,
    form_errors,
)


def _start_form(user, operations, data=None, offered=()) -> PatrolStartForm:
    """What the policy lets `user` plan is what the form accepts; `offered` is what it lists."""
    return PatrolStartForm(
        data, checkpoints=selectors.patrollable_checkpoints(user).order_by(
            "facility__name", "name"),
        operations=operations, offered=offered,
    )


def _chosen_facility_ids(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.GET.getlist("objek")[:50] if value.isdigit()]


@login_required
@require_GET
def my_patrol(request: HttpRequest) -> HttpResponse:
    """The field officer's page: the current patrol (planned by picking facilities, then
    their checkpoints: `?cari=` searches, `?objek=` chooses), recording a visit (QR or code,
    works offline), what is waiting to be sent, and the latest visits."""
    token = request.GET.get("t", "")[:400]
    scanned_id = _scanned_checkpoint_id(request.user, token)
    search = request.GET.get("cari", "").strip()[:80]
    my = selectors.my_patrol_for(user=request.user, search=search,
                                 chosen_ids=_chosen_facility_ids(request), scanned_id=scanned_id)
    start_form = _start_form(request.user, policy.patrol_operations(request.user).order_by("name"),
                             offered=my.offered)
    visit_form = VisitForm(initial={
        "patrol": my.active[0].pk if my.active else None,
        "token": token,
    })
    return render(request, "records/my_patrol.html", {
        "my": my, "visit_form": visit_form, "start_form": start_form,
        "end_form": PatrolEndForm(), "scanned": bool(token), "search": search,
        "planning": bool(search or my.chosen),
        "scanned_checkpoint": next((c for c in my.checkpoints if c.pk == scanned_id), None),
        "checkpoint_labels": _checkpoint_labels(my.checkpoints),
        "may_patrol": my.may_patrol,
        "found_by_region": _by_region(my.found),
    })


def _by_region(facilities) -> list[tuple[str, list]]:
    """The picker's facilities under their region's name (they come ordered by region)."""
    grouped: dict[str, list] = {}
    for facility in facilities:
        grouped.setdefault(facility.region.name, []).append(facility)
    return list(grouped.items())


def _checkpoint_labels(checkpoints: list[Checkpoint]) -> dict[int, dict]:
    """What a scan shows before it is sent (the phone may be offline): the checkpoint's name
    and facility by id, for the checkpoints at hand this person may record at. A label's
    token names its checkpoint's id openly (it is signed, not secret); the short codes are
    not shown."""
    return {c.pk: {"name": c.name, "facility": c.facility.name, "version": c.token_version}
            for c in checkpoints}


def _scanned_checkpoint_id(user, token: str) -> int | None:
    """The checkpoint of a label opened by the phone's own camera app (`?t=`), named on the
    page even without JavaScript when the person may record there; the visit itself is
    checked again when it is recorded."""
    if not token:
        return None
    try:
        return tokens.resolve_checkpoint(user_id=user.pk, token=token).checkpoint.pk
    except ValidationError:
        return None


@login_required
@require_POST
@body_limited
def visit_submit(request: HttpRequest) -> HttpResponse:
    """Record a visit from the form posted without JavaScript (the page's offline queue sends
    through the API instead: /api/sync/patrol-visits/). A resend of the same key finds the
    record made the first time."""
    form = VisitForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        photos = photos_normalise(request.FILES.getlist("photos"))
        saved = services.patrol_visit_record(user=request.user, entry=form.entry(),
                                             photos=photos)
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error_list(error))
        return redirect("records:my_patrol")
    visit = saved.record
    place = f"{visit.checkpoint.name} · {visit.checkpoint.facility.name}"
    message = (_("Visit recorded: %(place)s.") if saved.created
               else _("Already recorded: %(place)s.")) % {"place": place}
    messages.success(request, message)
    return redirect("records:my_patrol")


@login_required
@require_POST
def patrol_start(request: HttpRequest) -> HttpResponse:
    form = _start_form(request.user, policy.patrol_operations(request.user), request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.patrol_start(
                user=request.user, client_key=d["client_key"], team_name=d["team_name"],
                mode=d["mode"], member_names=form.member_names(), pillars=d["pillars"],
                planned=list(d["planned"]), operation=d["operation"],
                device_time=d["device_time"], note=d["note"])
        except (ValidationError, PermissionDenied) as error:
            flash_errors(request, error_list(error))
        else:
            messages.success(request, _("Patrol started: %(team)s.") % {
                "team": saved.record.team_name})
    else:
        flash_errors(request, form_errors(form))
    return redirect("records:my_patrol")


@login_required
@require_POST
def patrol_end(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = policy.get_or_404(request.user, Patrol.objects.all(), policy.Action.OPERATE,
                               pk=pk)
    form = PatrolEndForm(request.POST)
    if form.is_valid():
        try:
            services.patrol_end(patrol=patrol, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            flash_errors(request, error.messages)
        else:
            messages.success(request, _("Patrol ended."))
    else:
        flash_errors(request, form_errors(form))
    return redirect("records:my_patrol")


@login_required
@require_GET
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol, visits, planned = selectors.patrol_detail_for(user=request.user, pk=pk)
    visited = {v.checkpoint_id for v in visits}
    return render(request, "records/patrol_detail.html", {
        "patrol": patrol, "visits": visits, "members": patrol.members.select_related("person"),
        "planned": [(c, c.pk in visited) for c in planned],
        "ending": getattr(patrol, "ending", None),
    })


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.visit_detail_for(user=request.user, pk=pk)
    may_amend = policy.can(request.user, policy.Action.OPERATE, detail.visit)
    form = VisitAmendForm(initial={**detail.current}) if may_amend else None
    return render(request, "records/visit_detail.html",
                  {"detail": detail, "visit": detail.visit, "amend_form": form})


@login_required
@require_POST
def visit_amend(request: HttpRequest, pk: int) -> HttpResponse:
    visit = policy.get_or_404(request.user, PatrolVisit.objects.all(), policy.Action.OPERATE,
                              pk=pk)
    form = VisitAmendForm(request.POST)
    apply_form(
        request, form,
        lambda data: services.visit_amend(visit=visit, user=request.user, **data),
        _("Correction recorded. The original stays visible."))
    return redirect(visit)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A record photo, for whoever may see the record it belongs to."""
    row = policy.get_or_404(request.user, RecordPhoto.objects.all(), pk=pk)
    return private_image(request, row.image, f"foto-{row.pk}.jpg")


# --- installable field pages -----------------------------------------------------------------


@cache
def _service_worker_source() -> str:
    source = (Path(settings.BASE_DIR) / "static" / "js" / "records-sw.js").read_text()
    # The worker knows the login and logout paths (it empties its cache there).
    return (source.replace('"/akun/masuk/"', json.dumps(reverse("accounts:login")))
            .replace('"/akun/keluar/"', json.dumps(reverse("accounts:logout"))))


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site root so its scope covers every field page (a worker's scope is
    its own directory: one under /static/ could only control /static/)."""
    response = HttpResponse(_service_worker_source(),
                            content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "Posko Lapangan",
        "short_name": "Posko",
        "description": _("Patrols, checks and incident reports from the field."),
        "lang": "id",
        "start_url": reverse("records:my_patrol"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f8",
        "theme_color": "#12355b",
        "icons": [{"src": static("img/posko.svg"), "sizes": "any", "type": "image/svg+xml",
                   "purpose": "any"}],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
