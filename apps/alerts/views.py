import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.alerts import escalation, history, redaction, review, services
from apps.alerts.fanout import alert_payloads
from apps.alerts.forms import AlertActionForm, EscalationChainForm
from apps.alerts.models import Alert, AlertEvidence
from apps.cameras.models import ViewRecord
from apps.cameras.records import record_view
from apps.core.private_files import private_image
from apps.places.models import Facility
from apps.recordings.review import replay_links
from apps.streams import frames

_ALERTS = Alert.objects.select_related("facility__region", "assigned_to")
PER_PAGE = 50


@login_required
def feed(request: HttpRequest) -> HttpResponse:
    """The review list: filtered, per-day counts of the filtered range, a page at a time,
    and several open alerts acknowledged at once (see apps.alerts.review)."""
    filters = review.read_filters(request.user, request.GET)
    alerts = review.filtered(request.user, filters)
    page = Paginator(alerts.select_related("facility__region", "assigned_to")
                     .order_by("-first_raised_at", "-pk"), PER_PAGE).get_page(
                         request.GET.get("page"))
    page.object_list = redaction.for_viewer(page.object_list, request.user)
    replay_links(request.user, page.object_list)
    # A checkbox only on the open alerts this person may act on (one query for the page).
    operable = set(policy.scope(request.user, Alert.objects.filter(
        pk__in=[a.pk for a in page.object_list if a.state == Alert.State.OPEN]),
        policy.Action.OPERATE).values_list("pk", flat=True))
    for alert in page.object_list:
        alert.selectable = alert.pk in operable
    base = QueryDict(mutable=True)
    base.update(filters.as_query())
    return render(
        request, "alerts/feed.html",
        {
            "alerts": page.object_list, "page": page, "base": base,
            "day_counts": review.day_counts(request.user, alerts, filters),
            "facilities": policy.scope(request.user, Facility.objects.only("id", "name"))
            .order_by("name"),
            "cameras": review.camera_choices(request.user, filters),
            "kinds": Alert.Kind.choices, "states": Alert.State.choices,
            "severities": Alert.Severity.choices,
            "filters": filters.as_query(), "may_acknowledge": bool(operable),
        },
    )


@login_required
@require_POST
def acknowledge_many(request: HttpRequest) -> HttpResponse:
    """Acknowledge the checked alerts; those the person may not act on are skipped."""
    done, skipped = review.acknowledge_many(
        request.user, request.POST.getlist("alert"), request.POST.get("comment", "")[:2000])
    if done:
        messages.success(request, _("Alerts acknowledged: %(n)d.") % {"n": done})
    if skipped:
        messages.warning(request, _(
            "Not acknowledged (already answered or not yours to act on): %(n)d.") % {"n": skipped})
    # Back to the same filters: only the query string is kept, the path is ours.
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return redirect(reverse("alerts:feed") + (f"?{query}" if query else ""))


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
    frames = list(policy.scope(request.user, alert.frames.all()).order_by("taken_at"))
    # The page opens on the event itself: the first frame from the event on (else the last
    # one before it, when the frames after were not kept).
    moment = next((f for f in frames if f.offset_seconds >= 0), frames[-1] if frames else None)
    shown = redaction.for_viewer([alert], request.user)[0]
    replay_links(request.user, [shown])
    return render(
        request, "alerts/detail.html",
        {
            "alert": shown,
            "frames": frames, "moment": moment,
            "events": history.history_for(alert),
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


def _escalation_page(request: HttpRequest, form: EscalationChainForm | None) -> HttpResponse:
    return render(request, "alerts/escalation.html", {
        "chains": escalation.chains_for(request.user),
        "default_chain": escalation.DEFAULT_CHAIN, "form": form})


@login_required
def escalation_chains(request: HttpRequest) -> HttpResponse:
    """The escalation chains the person may read; who sets them up gets the form."""
    may_configure = policy.may_configure_escalation(request.user)
    regions = policy.escalation_regions(request.user)
    return _escalation_page(request, EscalationChainForm(regions=regions)
                            if may_configure else None)


@login_required
@require_POST
def escalation_save(request: HttpRequest) -> HttpResponse:
    if not policy.may_configure_escalation(request.user):
        raise Http404
    form = EscalationChainForm(request.POST, regions=policy.escalation_regions(request.user))
    if not form.is_valid():
        return _escalation_page(request, form)
    data = form.cleaned_data
    services.escalation_chain_set(user=request.user, region=data["region"],
                                  severity=data["severity"],
                                  repeat_minutes=data["repeat_minutes"], steps=data["steps"])
    messages.success(request, _("Escalation chain saved.") if data["steps"]
                     else _("Escalation chain removed: the default applies."))
    return redirect("alerts:escalation")
