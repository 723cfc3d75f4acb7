"""Evidence export pages: the list, the form, an export's status and files (with the hold
releases and the incident attachment), and the bundle as a ZIP. Every lookup asks the
policy; a guessed id is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.access import policy
from apps.cameras.records import client_address
from apps.core.private_files import PRIVATE_HEADERS, refuse_cross_site
from apps.core.streaming import streamed_body
from apps.recordings import export_selectors as selectors
from apps.recordings import exports
from apps.recordings.export_forms import AttachForm, ExportForm, ReleaseForm
from apps.recordings.models import EvidenceExport, SegmentHold
from apps.records.models import Incident

PAGE = 50


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.exports_for(user=request.user), PAGE).get_page(
        request.GET.get("halaman"))
    return render(request, "recordings/exports/list.html", {
        "page": page, "may_export": policy.reviewable_cameras(request.user).exists()})


@login_required
@require_http_methods(["GET", "POST"])
def export_create(request: HttpRequest) -> HttpResponse:
    cameras = policy.reviewable_cameras(request.user)
    form = ExportForm(request.POST or None, cameras=cameras)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = exports.export_request(
                user=request.user, cameras=data["chosen"], start=data["start"],
                end=data["end"], reason=data["reason"], legal_basis=data["legal_basis"],
                address=client_address(request),
                user_agent=request.headers.get("User-Agent", ""))
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Export asked for: the bundle is being made."))
            return redirect(export)
    return render(request, "recordings/exports/form.html", {
        "form": form, "max_cameras": exports.MAX_CAMERAS,
        "max_hours": int(exports.MAX_SPAN.total_seconds() // 3600)},
        status=400 if form.errors else 200)


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.export_detail_for(user=request.user, pk=pk)
    return render(request, "recordings/exports/detail.html", {
        "detail": detail, "export": detail.export,
        "attach_form": AttachForm(incidents=detail.incidents) if detail.incidents else None,
        "release_form": ReleaseForm() if detail.may_release else None,
    })


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    refuse_cross_site(request)
    export = policy.get_or_404(request.user, selectors.exports_for(user=request.user), pk=pk)
    if (export.status != EvidenceExport.Status.DONE
            or not policy.may_download_export(request.user, export)):
        raise Http404
    exports.export_downloaded(export=export, user=request.user,
                              address=client_address(request),
                              user_agent=request.headers.get("User-Agent", ""))
    response = StreamingHttpResponse(streamed_body(request, selectors.bundle_zip(export)),
                                     content_type="application/zip")
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    response["Content-Disposition"] = f'attachment; filename="bukti-{export.pk}.zip"'
    return response


@login_required
@require_POST
def export_attach(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.export_detail_for(user=request.user, pk=pk)
    form = AttachForm(request.POST, incidents=detail.incidents)
    if form.is_valid():
        incident = policy.get_or_404(request.user, Incident.objects.all(),
                                     pk=form.cleaned_data["incident"])
        try:
            exports.export_attach(export=detail.export, incident=incident, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Attached to the incident; its footage is held."))
    else:
        messages.error(request, _("Choose an incident you may see."))
    return redirect(detail.export)


@login_required
@require_POST
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    hold = policy.get_or_404(request.user, SegmentHold.objects.select_related("export"), pk=pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the hold is released."))
        return redirect(hold.export)
    try:
        exports.hold_release(hold=hold, user=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Hold released. The footage stays while another hold "
                                    "keeps it."))
    return redirect(hold.export)
