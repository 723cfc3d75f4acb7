"""Incident reports: list, report (works offline), detail with the workflow, camera evidence
and linked alerts, corrections; and the public tip form."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.access import policy
from apps.alerts.models import Alert
from apps.cameras.models import Camera, ViewRecord
from apps.cameras.records import client_address, record_view
from apps.core.photos import photos_normalise
from apps.core.private_files import private_image
from apps.recordings.export_selectors import exports_of_incident
from apps.records import antiabuse, selectors
from apps.records.forms import (
    AttachEvidenceForm,
    IncidentAmendForm,
    IncidentForm,
    IncidentStepForm,
    LinkAlertForm,
    TipForm,
)
from apps.records.models import Category, EvidenceSource, Incident, IncidentEvidence, Source
from apps.records.services import incidents as services
from apps.records.views.common import (
    THUMBNAIL_WIDTH,
    apply_form,
    body_limited,
    error_list,
    flash_errors,
    form_errors,
)
from apps.streams import frames

_INCIDENTS = Incident.objects.select_related("facility__region")


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    source = request.GET.get("source", "")
    incidents = selectors.incidents_for(
        user=request.user, category=category if category in Category.values else "",
        source=source if source in Source.values else "")
    rows = [(i, services.incident_state(list(i.steps.all()))) for i in incidents]
    return render(request, "records/incidents.html", {
        "rows": rows, "categories": Category.choices, "sources": Source.choices,
        "filters": {"category": category, "source": source},
        "may_report": policy.incident_report_facilities(request.user).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
@body_limited
def incident_create(request: HttpRequest) -> HttpResponse:
    facilities = policy.incident_report_facilities(request.user).select_related(
        "region").order_by("name")
    form = IncidentForm(request.POST or None, facilities=facilities)
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(form_errors(form))
            photos = photos_normalise(request.FILES.getlist("photos"))
            saved = services.incident_report(
                user=request.user, facility=form.cleaned_data["facility"], entry=form.entry(),
                photos=photos)
        except (ValidationError, PermissionDenied) as error:
            if not form.errors:
                form.add_error(None, error_list(error))
        else:
            messages.success(request, _("Incident reported. The command center has been "
                                        "alerted."))
            return redirect(saved.record)
    return render(request, "records/incident_form.html", {"form": form},
                  status=400 if form.is_bound else 200)


FRAMES_PER_PAGE = 12
MAX_OFFERED_FRAMES = 500


@dataclass(frozen=True)
class FramePicker:
    """One page of the frames offered for attachment, as small thumbnails: a phone shows a
    page at a time instead of every frame of the half hour at full width."""

    frames: list
    page: Page
    cameras: list
    camera_id: int | None
    moment_index: int  # where the incident's moment falls on this page (a marker goes there)


def _frame_picker(request: HttpRequest, incident: Incident, attached: set) -> FramePicker:
    try:
        camera_id = int(request.GET.get("kamera", ""))
    except ValueError:
        camera_id = None
    frames = [f for f in services.evidence_candidates(
                  incident=incident, user=request.user, limit=MAX_OFFERED_FRAMES,
                  camera_id=camera_id)
              if (f.kind, f.id) not in attached]
    paginator = Paginator(frames, FRAMES_PER_PAGE)
    if "halaman" in request.GET:
        page = paginator.get_page(request.GET["halaman"])
    else:  # open on the page of the incident's moment, where the evidence most likely is
        before = sum(1 for f in frames if f.taken_at < incident.occurred_at)
        page = paginator.get_page(min(before, max(len(frames) - 1, 0)) // FRAMES_PER_PAGE + 1)
    shown = list(page.object_list)
    moment = sum(1 for f in shown if f.taken_at < incident.occurred_at)
    cameras = list(policy.scope(request.user, Camera.objects.filter(
        facility_id=incident.facility_id)).order_by("name").only("id", "name"))
    return FramePicker(shown, page, cameras, camera_id, moment)


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.incident_detail_for(user=request.user, pk=pk)
    incident = detail.incident
    may_operate = policy.can(request.user, policy.Action.OPERATE, incident)
    options = services.next_steps(incident=incident, steps=detail.steps) if may_operate else []
    picker = None
    if policy.may_attach_incident_evidence(request.user, incident):
        attached = {(e.source_kind, e.source_id) for e in detail.evidence}
        picker = _frame_picker(request, incident, attached)
    may_amend = incident.reporter_id == request.user.pk or may_operate
    return render(request, "records/incident_detail.html", {
        "detail": detail, "incident": incident,
        "state": services.incident_state(detail.steps),
        "step_options": [(s, dict(IncidentStepForm.base_fields["step"].choices)[s])
                         for s in options],
        "picker": picker,
        "link_form": LinkAlertForm(alerts=Alert.objects.filter(
            pk__in=[a.pk for a in detail.linkable_alerts]), viewer=request.user)
        if detail.linkable_alerts else None,
        "amend_form": IncidentAmendForm(initial=detail.current) if may_amend else None,
        "export_holds": exports_of_incident(user=request.user, incident=incident),
    })


@login_required
@require_POST
def incident_step(request: HttpRequest, pk: int) -> HttpResponse:
    incident = policy.get_or_404(request.user, _INCIDENTS, policy.Action.OPERATE, pk=pk)
    form = IncidentStepForm(request.POST)
    apply_form(
        request, form,
        lambda data: services.incident_step(incident=incident, user=request.user, **data),
        _("Step recorded."))
    return redirect(incident)


@login_required
@require_POST
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    incident = policy.get_or_404(request.user, _INCIDENTS, policy.Action.OPERATE, pk=pk)
    form = LinkAlertForm(request.POST, alerts=policy.scope(
        request.user, Alert.objects.filter(facility_id=incident.facility_id)))
    apply_form(request, form, lambda data: services.incident_link_alert(
                   incident=incident, user=request.user, alert=data["alert"]),
               _("Alert linked."))
    return redirect(incident)


@login_required
@require_POST
def incident_attach(request: HttpRequest, pk: int) -> HttpResponse:
    incident = policy.get_or_404(request.user, _INCIDENTS, pk=pk)
    if not policy.may_attach_incident_evidence(request.user, incident):
        raise Http404
    candidates = services.evidence_candidates(incident=incident, user=request.user, limit=500)
    form = AttachEvidenceForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            attached = services.incident_attach_evidence(
                incident=incident, user=request.user, frames=form.chosen(),
                note=form.cleaned_data["note"])
        except (ValidationError, PermissionDenied) as error:
            flash_errors(request, error_list(error))
        else:
            messages.success(request, _("%(n)d frames attached as evidence.") % {
                "n": len(attached)})
    else:
        flash_errors(request, form_errors(form))
    return redirect(incident)


@login_required
@require_POST
def incident_amend(request: HttpRequest, pk: int) -> HttpResponse:
    incident = policy.get_or_404(request.user, _INCIDENTS, pk=pk)
    if not policy.may_amend_incident(request.user, incident):
        raise Http404
    form = IncidentAmendForm(request.POST)
    apply_form(
        request, form,
        lambda data: services.incident_amend(incident=incident, user=request.user, **data),
        _("Correction recorded. The original stays visible."))
    return redirect(incident)


@login_required
@require_GET
def evidence_image(request: HttpRequest, pk: int) -> HttpResponse:
    """An attached camera frame: only for those who may view the camera (never an inward
    camera for the security forces); each opening is in the camera owner's access record."""
    evidence = policy.get_or_404(request.user, IncidentEvidence.objects.select_related(
        "camera"), pk=pk)
    image = frames.as_served(request.user, evidence.camera, evidence.image)
    response = private_image(request, image, f"bukti-{evidence.pk}.jpg")
    record_view(request=request, camera=evidence.camera, kind=ViewRecord.Kind.EVIDENCE)
    return response


def _offered_frame(request: HttpRequest, pk: int, kind: str, frame_id: int):
    incident = policy.get_or_404(request.user, _INCIDENTS, pk=pk)
    if kind not in EvidenceSource.values or not policy.may_attach_incident_evidence(request.user,
                                                                              incident):
        raise Http404
    frame = services.evidence_candidate(incident=incident, user=request.user, kind=kind,
                                        frame_id=frame_id)
    if frame is None:
        raise Http404
    return frame


@login_required
@require_GET
def candidate_frame(request: HttpRequest, pk: int, kind: str, frame_id: int) -> HttpResponse:
    """A frame offered for attachment (near the incident's time, of a camera the person may
    view), opened in full: recorded in the camera's access record like any other view."""
    frame = _offered_frame(request, pk, kind, frame_id)
    response = private_image(request, frames.as_served(request.user, frame.camera, frame.image),
                             f"bingkai-{frame.id}.jpg")
    record_view(request=request, camera=frame.camera,
                kind=ViewRecord.Kind.TIMELINE if kind == EvidenceSource.TIMELINE
                else ViewRecord.Kind.EVIDENCE)
    return response


@login_required
@require_GET
def candidate_thumbnail(request: HttpRequest, pk: int, kind: str, frame_id: int
                        ) -> HttpResponse:
    """The same frame, as small as the picker shows it, under the same checks. Not a view of
    the camera: a row of thumbnails only helps choose which frame to open, and recording
    each would fill the owner's access record with frames nobody looked at."""
    frame = _offered_frame(request, pk, kind, frame_id)
    return private_image(request, frames.as_served(request.user, frame.camera, frame.image),
                         f"bingkai-{frame.id}-kecil.jpg",
                         max_width=THUMBNAIL_WIDTH)


# --- the public tip form ---------------------------------------------------------------------


def _tip_facilities():
    return policy.tip_facilities().only("id", "name").order_by("name")


@require_http_methods(["GET", "POST"])
def tip(request: HttpRequest) -> HttpResponse:
    """A citizen's report, without login. It creates an unverified incident for the command
    center and shows nothing back but a thank-you: no camera, no record, no status."""
    facilities = _tip_facilities()
    if request.method == "GET":
        form = TipForm(initial={"form_token": antiabuse.tip_form_token()},
                       facilities=facilities)
        return render(request, "records/tip.html", {"form": form})
    if antiabuse.tip_rate_limited(client_address(request)):
        return render(request, "records/tip.html", {"limited": True}, status=429)
    form = TipForm(request.POST, facilities=facilities)
    errors: list[str] = []
    if form.is_valid():
        if form.cleaned_data["website"]:
            # The honeypot was filled in: a bot. Thank it like anyone else, keep nothing.
            return render(request, "records/tip.html", {"thanks": True})
        d = form.cleaned_data
        try:
            antiabuse.tip_form_check(d["form_token"])
            services.tip_submit(facility=d["facility"], category=d["category"],
                                description=d["description"],
                                location_detail=d["location_detail"], contact=d["contact"],
                                address=client_address(request))
        except ValidationError as error:
            errors = error_list(error)
        else:
            return render(request, "records/tip.html", {"thanks": True})
    # Shown again with what was typed, its errors, and a fresh form token.
    data = request.POST.copy()
    data["form_token"] = antiabuse.tip_form_token()
    form = TipForm(data, facilities=facilities)
    form.is_valid()
    return render(request, "records/tip.html", {"form": form, "errors": errors}, status=400)
