import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.alerts import redaction, services
from apps.alerts.fanout import alert_payloads
from apps.alerts.forms import AlertActionForm
from apps.alerts.models import Alert, AlertEvent, AlertEvidence
from apps.cameras.models import ViewRecord
from apps.cameras.records import record_view
from apps.core.private_files import private_image
from apps.places.models import Facility
from apps.streams import frames

_ALERTS = Alert.objects.select_related("facility__region", "assigned_to")
FEED_LIMIT = 200


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    alerts = policy.scope(request.user, _ALERTS)
    state = request.GET.get("state", "unresolved")
    if state == "unresolved":
        alerts = alerts.exclude(state=Alert.State.RESOLVED)
    elif state in Alert.State.values:
        alerts = alerts.filter(state=state)
    kind = request.GET.get("kind", "")
    if kind in Alert.Kind.values:
        alerts = alerts.filter(kind=kind)
    facility_id = request.GET.get("facility", "")
    if facility_id.isdigit():
        alerts = alerts.filter(facility_id=int(facility_id))
    return render(
        request, "alerts/feed.html",
        {
            "alerts": redaction.for_viewer(
                alerts.order_by("-severity", "-last_raised_at")[:FEED_LIMIT], request.user),
            "facilities": policy.scope(request.user, Facility.objects.only("id", "name")),
            "kinds": Alert.Kind.choices,
            "states": Alert.State.choices,
            "filters": {"state": state, "kind": kind, "facility": facility_id},
        },
    )


@login_required
def events_since(request: HttpRequest, seq: int) -> JsonResponse:
    """Alert changes after sequence `seq`, for a page resyncing after a lost connection."""
    visible = policy.scope(request.user, Alert.objects.all())
    changed = (
        visible.filter(last_seq__gt=seq).select_related("facility", "camera")
        .order_by("last_seq")[:500]
    )
    return JsonResponse({"alerts": alert_payloads(changed, request.user)})


def _assignees(alert: Alert):
    return policy.alert_assignees(alert).order_by("full_name")


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = policy.get_or_404(request.user, _ALERTS, pk=pk)
    may_operate = policy.can(request.user, policy.Action.OPERATE, alert)
    return render(
        request, "alerts/detail.html",
        {
            "alert": redaction.for_viewer([alert], request.user)[0],
            "frames": policy.scope(request.user, alert.frames.all()).order_by("taken_at"),
            "events": AlertEvent.objects.filter(alert=alert).select_related("actor", "alert"),
            "form": AlertActionForm(assignees=_assignees(alert)) if may_operate else None,
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    alert = policy.get_or_404(request.user, _ALERTS, policy.Action.OPERATE, pk=pk)
    form = AlertActionForm(request.POST, assignees=_assignees(alert))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(alert)
    comment = form.cleaned_data["comment"]
    match form.cleaned_data["action"]:
        case "acknowledge":
            services.alert_acknowledge(alert=alert, user=request.user, comment=comment)
            messages.success(request, _("Alert acknowledged."))
        case "assign":
            services.alert_assign(
                alert=alert, user=request.user, assignee=form.cleaned_data["assignee"],
                comment=comment,
            )
            messages.success(request, _("Alert assigned."))
        case "resolve":
            services.alert_resolve(alert=alert, user=request.user, comment=comment)
            messages.success(request, _("Alert resolved."))
    return redirect(alert)


@login_required
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    alert = policy.get_or_404(request.user, Alert.objects.all(), pk=pk)
    alert = redaction.for_viewer([alert], request.user)[0]  # a camera's image needs the camera
    if not alert.evidence:
        raise Http404
    content_type = mimetypes.guess_type(alert.evidence.name)[0] or "application/octet-stream"
    image = alert.evidence
    if alert.camera is not None and content_type == "image/jpeg":
        image = frames.as_served(request.user, alert.camera, image)
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return private_image(request, image, f"bukti-alarm-{alert.pk}{extension}",
                         content_type=content_type)


@login_required
def evidence_frame(request: HttpRequest, pk: int) -> HttpResponse:
    """One camera frame kept as evidence: the alert and the camera must both be visible to
    this person (inward-camera frames never reach security staff), and opening it is recorded
    for the camera's owner."""
    frame = policy.get_or_404(
        request.user, AlertEvidence.objects.select_related("camera"), pk=pk)
    image = frames.as_served(request.user, frame.camera, frame.image)
    response = private_image(request, image, f"bukti-{frame.pk}.jpg")  # before it is recorded
    record_view(request=request, camera=frame.camera, kind=ViewRecord.Kind.EVIDENCE)
    return response
