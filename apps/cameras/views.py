from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.cameras import services
from apps.cameras.access_record import access_record_for
from apps.cameras.access_record import export as access_record_export
from apps.cameras.events import camera_events_for
from apps.cameras.forms import CameraForm, RevokeForm, ShareForm
from apps.cameras.models import Camera, CameraShare, ViewRecord
from apps.cameras.records import record_view
from apps.core.private_files import private_image, refuse_cross_site
from apps.places.models import Facility, Operation
from apps.recordings.review import review_url
from apps.streams import frames

_CAMERAS = Camera.objects.select_related("facility__region", "facility__owner_agency", "health")


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    camera = policy.get_or_404(request.user, _CAMERAS, pk=pk)
    may_manage = policy.can(request.user, policy.Action.MANAGE, camera)
    shares = policy.scope(request.user, camera.shares.select_related("grantee", "granted_by"))
    context = {"camera": camera, "may_manage": may_manage, "shares": shares,
               "events": camera_events_for(user=request.user, camera=camera)}
    if policy.reviewable_cameras(request.user).filter(pk=camera.pk).exists():
        context["review_url"] = review_url(camera)
    if policy.may_share_camera(request.user, camera):
        context["share_form"] = _share_form(request.user, camera)
    return render(request, "cameras/detail.html", context)


@login_required
def snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest frame (privacy masks already burned in), for clients without websockets.
    Authorised, recorded, served as every private image is (apps.core.private_files)."""
    refuse_cross_site(request)  # before any work for another site's page
    camera = policy.get_or_404(request.user, _CAMERAS, pk=pk)
    latest = frames.latest_for(request.user, camera)
    if latest is None:
        raise Http404
    data, modified = latest
    response = private_image(request, data, f"kamera-{camera.pk}.jpg", last_modified=modified)
    record_view(request=request, camera=camera, kind=ViewRecord.Kind.SNAPSHOT)
    return response


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    camera = policy.get_or_404(request.user, _CAMERAS, policy.Action.MANAGE, pk=pk)
    form = CameraForm(request.POST or None, instance=camera, user=request.user)
    if request.method == "POST" and _saved(form):
        messages.success(request, _("Camera saved."))
        return redirect(camera)
    may_see_frames = policy.can(request.user, policy.Action.VIEW, camera)
    return render(request, "cameras/edit.html",
                  {"form": form, "camera": camera, "may_see_frames": may_see_frames})


@login_required
def create(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = policy.get_or_404(request.user, Facility.objects.all(), policy.Action.MANAGE,
                                 pk=facility_pk)
    form = CameraForm(request.POST or None, initial={"facility": facility}, user=request.user)
    if request.method == "POST" and _saved(form):
        messages.success(request, _("Camera added."))
        return redirect(form.instance)
    return render(request, "cameras/edit.html", {"form": form, "facility": facility})


def _saved(form: CameraForm) -> bool:
    """Valid and saved; what the service refuses (a source another camera claimed a moment
    ago, an orientation this person may not set) shows on the form."""
    if not form.is_valid():
        return False
    try:
        form.save()
    except ValidationError as error:
        form.add_error(None, error)
        return False
    except PermissionDenied as error:
        form.add_error(None, str(error))
        return False
    return True


def _share_form(user, camera, data=None) -> ShareForm:
    return ShareForm(
        data,
        grantees=policy.share_grantees(user, camera).order_by("name"),
        operations=policy.scope(user, Operation.objects.filter(facilities=camera.facility_id)),
    )


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    camera = policy.get_or_404(request.user, Camera.objects.select_related("facility__region"),
                               policy.Action.MANAGE, pk=pk)
    form = _share_form(request.user, camera, request.POST)
    # A time typed without a zone is the facility's local time, not the server's.
    with timezone.override(camera.facility.zoneinfo):
        valid = form.is_valid()
    if valid:
        try:
            services.share_grant(camera=camera, by=request.user, **form.cleaned_data)
            messages.success(request, _("Camera shared."))
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.error(request, _("The share was not saved: check the form."))
    return redirect(camera)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    share_obj = policy.get_or_404(request.user, CameraShare.objects.select_related("camera"),
                                  policy.Action.MANAGE, pk=pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        services.share_revoke(share=share_obj, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Share revoked."))
    else:
        messages.error(request, _("Say why the share is revoked."))
    return redirect(share_obj.camera)


@login_required
def access_record(request: HttpRequest) -> HttpResponse:
    """The owner's transparency page: who viewed which camera, how, when, from where, one
    row per viewing session."""
    record = access_record_for(request.user, request.GET)
    if request.GET.get("format") == "csv":
        return access_record_export(record).response
    page, rows = record.page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cameras/access_record.html", {
        "form": record.form, "rows": rows, "page": page, "query": query.urlencode(),
    })
