from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.live.models import WallLayout

SIZES = (1, 4, 9, 16)


# Cameras offered in the chooser at a time: a city has a thousand; a search finds the rest.
CHOICES_SHOWN = 60


def _visible_cameras(user):
    return policy.scope(
        user, Camera.objects.filter(enabled=True).select_related("facility", "health")
    ).order_by("facility__name", "name")


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    """The operator's camera wall: 1/4/9/16 tiles fed by the live websocket, and a chooser
    that lists the chosen cameras and a search's first matches (not a city's thousand)."""
    cameras = _visible_cameras(request.user)
    layouts = policy.scope(request.user, WallLayout.objects.all())
    layout = None
    if request.GET.get("layout", "").isdigit():
        layout = layouts.filter(pk=int(request.GET["layout"])).first()
    layout = layout or layouts.filter(is_default=True).first()
    size = int(request.GET.get("size") or (layout.size if layout else 4))
    size = size if size in SIZES else 4
    chosen_ids = [int(i) for i in request.GET.getlist("camera") if i.isdigit()][:max(SIZES)] \
        or (layout.camera_ids[:max(SIZES)] if layout else [])
    if chosen_ids:
        by_id = cameras.filter(pk__in=chosen_ids).in_bulk()
        chosen = [by_id[i] for i in chosen_ids if i in by_id]
    else:
        chosen = list(cameras[:size])
    search = request.GET.get("q", "").strip()[:80]
    found = cameras.exclude(pk__in=[c.pk for c in chosen])
    if search:
        found = found.filter(Q(name__icontains=search) | Q(facility__name__icontains=search))
    found = list(found[:CHOICES_SHOWN + 1])
    open_alerts = redaction.for_viewer(
        policy.scope(request.user, Alert.objects.select_related("facility__region"))
        .exclude(state=Alert.State.RESOLVED)
        .order_by("-severity", "-last_raised_at")[:30],
        request.user,
    )
    return render(request, "live/wall.html", {
        "tiles": chosen[:size], "size": size, "sizes": SIZES, "chosen": chosen,
        "found": found[:CHOICES_SHOWN], "more_found": len(found) > CHOICES_SHOWN,
        "search": search, "layouts": layouts, "layout": layout, "open_alerts": open_alerts,
    })


@login_required
@require_POST
def save_layout(request: HttpRequest) -> HttpResponse:
    visible = set(_visible_cameras(request.user).values_list("pk", flat=True))
    ids = [int(i) for i in request.POST.getlist("camera") if i.isdigit() and int(i) in visible]
    size = int(request.POST.get("size", "4")) if request.POST.get("size", "").isdigit() else 4
    name = (request.POST.get("name") or "").strip()[:60] or _("Wall")
    layout, _created = WallLayout.objects.update_or_create(
        owner=request.user, name=name,
        defaults={"size": size if size in SIZES else 4, "camera_ids": ids[:16]},
    )
    WallLayout.objects.filter(owner=request.user).update(is_default=False)
    WallLayout.objects.filter(pk=layout.pk).update(is_default=True)
    messages.success(request, _("Layout “%(name)s” saved: the wall opens with it.") % {
        "name": layout.name})
    return redirect(f"{request.path.rsplit('/', 2)[0]}/?layout={layout.pk}")
