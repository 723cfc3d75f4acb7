"""Pages that put several domains together: where a person lands, the facilities (with their
cameras, alerts, guards on duty, patrol visits and warehouse checks) and the operations."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.access import policy
from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraShare
from apps.cameras.uptime import uptime_by_camera
from apps.duty.models import Attendance
from apps.overview.landing import landing_url_for
from apps.places.models import Facility, Operation
from apps.recordings.review import replay_links
from apps.records.models import PatrolVisit, WarehouseCheck

_FACILITY_LIST = Facility.objects.select_related("region", "owner_agency")

# A page a person reads: at 50 the list of a city cost twice that of a district's 30.
FACILITIES_PER_PAGE = 25


def _with_open_alerts(facilities: list[Facility]) -> list[Facility]:
    """Each facility's count of unresolved alerts, for these facilities only: counted in the
    list's own query, every facility in scope was joined to its whole alert history and
    grouped before the page was cut (the count of the pages too)."""
    counts = dict(
        Alert.objects.filter(facility_id__in=[f.pk for f in facilities])
        .exclude(state=Alert.State.RESOLVED)
        .values_list("facility_id").annotate(n=Count("pk")).order_by()
    )
    for facility in facilities:
        facility.open_alerts = counts.get(facility.pk, 0)
    return facilities


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(landing_url_for(request.user))


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    """The facilities a person may see, by kind and name, a page at a time (a city has
    hundreds)."""
    facilities = policy.scope(request.user, _FACILITY_LIST)
    kind = request.GET.get("kind", "")
    if kind in Facility.Kind.values:
        facilities = facilities.filter(kind=kind)
    search = request.GET.get("q", "").strip()[:80]
    if search:
        facilities = facilities.filter(name__icontains=search)
    page = Paginator(facilities.order_by("region__path", "name", "pk"),
                     FACILITIES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _with_open_alerts(list(page.object_list))
    return render(
        request, "overview/facility_list.html",
        {"facilities": page, "page": page, "kinds": Facility.Kind.choices, "kind": kind,
         "search": search},
    )


@login_required
def my_facilities(request: HttpRequest) -> HttpResponse:
    """A KPU/Bawaslu official's own facilities. Their cameras, sharing and the access record
    arrive with the cameras and live issues; the page says so instead of inventing data."""
    facilities = _FACILITY_LIST.filter(pk__in=policy.owned_facilities(request.user))
    active_shares = CameraShare.objects.valid_at().select_related("grantee")
    cameras = (
        policy.scope(request.user, Camera.objects.select_related("facility", "health"))
        .filter(facility__in=facilities)
        .prefetch_related(Prefetch("shares", queryset=active_shares, to_attr="active_shares"))
    )
    return render(request, "overview/my_facilities.html",
                  {"facilities": _with_open_alerts(list(facilities)), "cameras": cameras})


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = policy.get_or_404(
        request.user, Facility.objects.select_related("region", "owner_agency"), pk=pk
    )
    open_alerts = policy.scope(request.user, facility.alerts.all()).exclude(
        state=Alert.State.RESOLVED
    )
    operations = policy.scope(request.user, facility.operations.all())
    cameras = list(policy.scope(request.user, facility.cameras.select_related("health")))
    day_end = timezone.now()
    uptime = uptime_by_camera([c.pk for c in cameras], day_end - timedelta(hours=24), day_end)
    for camera in cameras:
        camera.uptime = uptime[camera.pk]
    on_duty = policy.scope(
        request.user,
        Attendance.objects.filter(post__facility=facility, checked_out_at__isnull=True)
        .select_related("person", "post"),
    ).order_by("post__name", "checked_in_at")
    visits = policy.scope(
        request.user,
        PatrolVisit.objects.filter(facility=facility).select_related("checkpoint", "recorded_by"),
    ).order_by("-occurred_at")[:10]
    checks = policy.scope(
        request.user, WarehouseCheck.objects.filter(facility=facility)
    ).order_by("-checked_at")[:5]
    shown_alerts = redaction.for_viewer(open_alerts, request.user)
    replay_links(request.user, shown_alerts)
    return render(
        request, "overview/facility_detail.html",
        {
            "facility": facility,
            "on_duty": on_duty,
            "visits": visits,
            "checks": checks,
            "open_alerts": shown_alerts,
            "may_review": policy.reviewable_cameras(request.user).filter(
                facility=facility).exists(),
            "operations": operations,
            "cameras": cameras,
            "may_manage": policy.can(request.user, policy.Action.MANAGE, facility),
            "now": facility.local_time(),
        },
    )


@login_required
def operation_list(request: HttpRequest) -> HttpResponse:
    operations = policy.scope(
        request.user,
        Operation.objects.select_related("responsible_agency").annotate(
            facility_count=Count("facilities", distinct=True)
        ),
    )
    return render(request, "overview/operation_list.html", {"operations": operations})


@login_required
def operation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    operation = policy.get_or_404(
        request.user, Operation.objects.select_related("responsible_agency"), pk=pk
    )
    facilities = policy.scope(request.user, _FACILITY_LIST.filter(operations=operation))
    history = operation.period_changes.select_related("changed_by")
    return render(
        request, "overview/operation_detail.html",
        {"operation": operation, "facilities": facilities, "history": history},
    )
