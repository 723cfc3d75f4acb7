"""Guard duty pages: my duty (field), rosters (Padal, commanders), coverage (commanders,
facility officials). Reads go through apps.duty.selectors (the coverage page's through
apps.duty.coverage_page), writes through apps.duty.services;
a forbidden object looks like a missing one (404)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.access import policy
from apps.core.export import CsvExport, local_time, number
from apps.core.private_files import private_image
from apps.duty import coverage_page, safety, selectors, services
from apps.duty.coverage import Interval
from apps.duty.forms import (
    CheckInForm,
    CheckOutForm,
    CoverageFilterForm,
    GenerateForm,
    PostForm,
    PublishForm,
    ShiftForm,
    StandardForm,
)
from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift
from apps.duty.report_pdf import coverage_pdf_bytes
from apps.places.models import Facility
from apps.records.selectors import active_patrols_for

_POSTS = GuardPost.objects.select_related("facility__region")
_SHIFTS = Shift.objects.select_related("post__facility__region", "person__agency")


def _errors(error: ValidationError) -> list[str]:
    return list(getattr(error, "messages", [str(error)]))


def _conflict_status(error: ValidationError) -> int:
    """409 for a clash with another shift, 400 for any other refused input."""
    codes = {getattr(e, "code", None) for e in getattr(error, "error_list", [error])}
    return 409 if "overlap" in codes else 400


# --- my duty ---------------------------------------------------------------------------------


def _my_duty_page(request: HttpRequest, *, check_in_form=None, check_out_form=None,
                  status: int = 200) -> HttpResponse:
    duty = selectors.my_duty_for(user=request.user)
    return render(request, "duty/my_duty.html", {
        "duty": duty,
        "safe": safety.safe_status(duty.current) if duty.current else None,
        # The same question /patroli/ asks, so both pages agree on the person's team.
        "patrols": active_patrols_for(user=request.user),
        "plans_rosters": policy.roster_facilities(request.user).exists(),
        "check_in_form": check_in_form or CheckInForm(),
        "check_out_form": check_out_form or CheckOutForm(),
    }, status=status)


@login_required
def my_duty(request: HttpRequest) -> HttpResponse:
    return _my_duty_page(request)


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    shift = policy.get_or_404(request.user, _SHIFTS, policy.Action.OPERATE, pk=pk)
    form = CheckInForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attendance_check_in(shift=shift, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Checked in. Have a safe shift."))
            return redirect("duty:my_duty")
    return _my_duty_page(request, check_in_form=form, status=400)


@login_required
@require_POST
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = policy.get_or_404(
        request.user, Attendance.objects.select_related("shift"), policy.Action.OPERATE,
        shift_id=pk,
    )
    form = CheckOutForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_check_out(attendance=attendance, user=request.user,
                                          **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Checked out. Your handover note is with the next shift."))
            return redirect("duty:my_duty")
    return _my_duty_page(request, check_out_form=form, status=400)


@login_required
@require_GET
def attendance_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A check-in photo, for the person, the post's planners and administrators only."""
    attendance = selectors.attendance_with_photo_for(user=request.user, pk=pk)
    return private_image(request, attendance.photo, "foto-kehadiran.jpg")


# --- posts and standards ---------------------------------------------------------------------


@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    # One small form per facility; distinct ids keep the labels pointing at their own field.
    forms = [(facility, PostForm(auto_id=f"post{facility.pk}_%s"))
             for facility in selectors.facilities_to_set_up(user=request.user)]
    return render(request, "duty/posts.html", {
        "posts": selectors.posts_for(user=request.user), "forms": forms,
    })


@login_required
@require_POST
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    facility = policy.get_or_404(
        request.user, policy.duty_setup_facilities(request.user).select_related("region"), pk=pk
    )
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            post = services.post_create(facility=facility, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(_errors(error)))
        else:
            messages.success(request, _("Post added."))
            return redirect(post)
    else:
        messages.error(request, _("The post was not saved: give it a name."))
    return redirect("duty:posts")


@login_required
def standards(request: HttpRequest, pk: int) -> HttpResponse:
    post = policy.get_or_404(request.user, _POSTS, policy.Action.MANAGE, pk=pk)
    form = StandardForm(request.POST or None, zone=post.facility.zoneinfo)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.standard_add(post=post, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Standard saved."))
                return redirect("duty:standards", pk=post.pk)
        status = 400
    return render(request, "duty/standards.html", {
        "post": post, "form": form,
        "standards": post.standards.order_by("-valid_from", "band_start"),
        "operations": policy.scope(request.user, post.facility.operations.all()),
    }, status=status)


@login_required
@require_POST
def standard_end(request: HttpRequest, pk: int) -> HttpResponse:
    standard = policy.get_or_404(request.user, CoverageStandard.objects.select_related("post"),
                                 policy.Action.MANAGE, pk=pk)
    services.standard_end(standard=standard, by=request.user)
    messages.success(request, _("Standard ended."))
    return redirect("duty:standards", pk=standard.post_id)


# --- rosters ---------------------------------------------------------------------------------


def _plannable_post(request: HttpRequest, pk: int) -> GuardPost:
    return policy.get_or_404(
        request.user, _POSTS.filter(facility__in=policy.roster_facilities(request.user)), pk=pk
    )


def _roster_page(request: HttpRequest, post: GuardPost, *, generate_form=None,
                 shift_form=None, status: int = 200) -> HttpResponse:
    zone = post.facility.zoneinfo
    today = selectors.local_today(zone)
    first = _date_param(request.GET.get("from")) or today - timedelta(days=1)
    days = min(max(_int_param(request.GET.get("days"), 7), 1), 31)
    view = selectors.roster_for(user=request.user, post=post, first_day=first,
                                last_day=first + timedelta(days=days - 1))
    people = selectors.rosterable_people(user=request.user) if view.may_plan else None
    if view.may_plan:
        generate_form = generate_form or GenerateForm(people=people, initial={
            "first_day": today, "last_day": today + timedelta(days=6), "pattern": "3x8"})
        shift_form = shift_form or ShiftForm(zone=zone, people=people)
    return render(request, "duty/roster.html", {
        "view": view, "post": post, "generate_form": generate_form, "shift_form": shift_form,
        "publish_form": PublishForm(initial={"first_day": view.first_day,
                                             "last_day": view.last_day}),
        "days": days, "prev": first - timedelta(days=days), "next": first + timedelta(days=days),
    }, status=status)


def _date_param(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int_param(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and len(value) < 4 else default


@login_required
@require_GET
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    post = policy.get_or_404(request.user, _POSTS, pk=pk)
    return _roster_page(request, post)


@login_required
@require_POST
def roster_generate(request: HttpRequest, pk: int) -> HttpResponse:
    post = _plannable_post(request, pk)
    form = GenerateForm(request.POST, people=selectors.rosterable_people(user=request.user))
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            segments = data.get("segments") or services.pattern_segments(
                data["pattern"], first_start=data.get("first_start"))
            result = services.roster_generate(
                post=post, by=request.user, first_day=data["first_day"],
                last_day=data["last_day"], segments=segments, per_shift=data["per_shift"],
                people=data["people"], replace_drafts=data["replace_drafts"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            status = _conflict_status(error)
        else:
            messages.success(request, _(
                "%(created)d shifts planned as drafts (%(open)d open slots, %(busy)d people "
                "already busy, %(skipped)d times already planned). Publish them when ready."
            ) % {"created": result.created, "open": result.open_slots, "busy": result.conflicts,
                 "skipped": result.skipped})
            return redirect(f"{post.get_absolute_url()}?from={data['first_day'].isoformat()}")
    return _roster_page(request, post, generate_form=form, status=status)


@login_required
@require_POST
def shift_create(request: HttpRequest, pk: int) -> HttpResponse:
    post = _plannable_post(request, pk)
    form = ShiftForm(request.POST, zone=post.facility.zoneinfo,
                     people=selectors.rosterable_people(user=request.user))
    status = 400
    if form.is_valid():
        try:
            shift = services.shift_create(post=post, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            status = _conflict_status(error)
        else:
            messages.success(request, _("Shift added as a draft."))
            day = timezone.localtime(shift.start, post.facility.zoneinfo).date()
            return redirect(f"{post.get_absolute_url()}?from={day.isoformat()}")
    return _roster_page(request, post, shift_form=form, status=status)


@login_required
@require_POST
def roster_publish(request: HttpRequest, pk: int) -> HttpResponse:
    post = _plannable_post(request, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _roster_page(request, post, status=400)
    count = services.roster_publish(post=post, by=request.user, **form.cleaned_data)
    messages.success(request, _("%(count)d shifts published.") % {"count": count})
    first = form.cleaned_data.get("first_day")
    return redirect(post.get_absolute_url() + (f"?from={first.isoformat()}" if first else ""))


@login_required
def shift_edit(request: HttpRequest, pk: int) -> HttpResponse:
    shift = policy.get_or_404(request.user, _SHIFTS, policy.Action.MANAGE, pk=pk)
    zone = shift.post.facility.zoneinfo
    people = selectors.rosterable_people(user=request.user)
    if request.method == "POST":
        form = ShiftForm(request.POST, zone=zone, people=people)
        status = 400
        if form.is_valid():
            try:
                services.shift_update(shift=shift, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
                status = _conflict_status(error)
            else:
                messages.success(request, _("Shift saved."))
                day = timezone.localtime(shift.start, zone).date()
                return redirect(f"{shift.post.get_absolute_url()}?from={day.isoformat()}")
        shift.refresh_from_db()
    else:
        form, status = ShiftForm(zone=zone, people=people, initial={
            "start": shift.start, "end": shift.end, "person": shift.person_id,
            "note": shift.note}), 200
    return render(request, "duty/shift_edit.html", {"shift": shift, "form": form},
                  status=status)


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shift = policy.get_or_404(request.user, _SHIFTS, policy.Action.MANAGE, pk=pk)
    try:
        services.shift_delete(shift=shift, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(_errors(error)) if isinstance(
            error, ValidationError) else str(error))
        return redirect(shift)
    messages.success(request, _("Shift removed."))
    return redirect(shift.post)


# --- coverage --------------------------------------------------------------------------------


def _coverage_filters(request: HttpRequest):
    operations, regions = coverage_page.coverage_filter_choices(user=request.user)
    form = CoverageFilterForm(request.GET or None, operations=operations, regions=regions)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    return form, coverage_page.CoverageFilters(
        operation=data.get("operation"), region=data.get("region"), kind=data.get("kind") or "",
        start=data.get("start"), end=data.get("end"),
    )


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    form, filters = _coverage_filters(request)
    if filters is None:
        return render(request, "duty/coverage.html", {"form": form, "view": None}, status=400)
    view = coverage_page.coverage_page_view(user=request.user, filters=filters,
                                            page=request.GET.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    for line in view.groups:
        narrowed = query.copy()
        narrowed[line.param] = line.value
        line.href = narrowed.urlencode()
    return render(request, "duty/coverage.html", {
        "form": form, "view": view, "query": query.urlencode(),
    })


@login_required
@require_GET
def coverage_csv(request: HttpRequest) -> HttpResponse:
    _form, filters = _coverage_filters(request)
    if filters is None:
        return HttpResponse(_("Check the filters."), status=400, content_type="text/plain")
    view = coverage_page.coverage_view(user=request.user, filters=filters,
                                   limit=coverage_page.MAX_EXPORT_FACILITIES)
    export = CsvExport(f"cakupan-penjagaan-{view.local_start:%Y%m%d}.csv")
    export.row(_("Facility"), _("Kind"), _("Region"), _("Start"), _("End"), _("Status"),
               _("Required"), _("Rostered"), _("Present"), _("Shortfall (min)"))
    for row in view.rows:
        facility = row.facility
        for cell in row.cells:
            export.row(
                facility.name, facility.get_kind_display(), facility.region.name,
                local_time(cell.start, facility), local_time(cell.end, facility),
                coverage_page.CELL_STATUS_LABELS.get(cell.status, cell.status),
                cell.required, cell.rostered, cell.present, number(cell.short_minutes),
            )
    return export.response


@login_required
@require_GET
def coverage_pdf(request: HttpRequest) -> HttpResponse:
    _form, filters = _coverage_filters(request)
    if filters is None:
        return HttpResponse(_("Check the filters."), status=400, content_type="text/plain")
    view = coverage_page.coverage_view(user=request.user, filters=filters,
                                   limit=coverage_page.MAX_EXPORT_FACILITIES)
    response = HttpResponse(coverage_pdf_bytes(view=view, user=request.user),
                            content_type="application/pdf")
    stamp = view.local_start.strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="laporan-cakupan-{stamp}.pdf"'
    return response


@login_required
@require_GET
def coverage_cell(request: HttpRequest, pk: int) -> HttpResponse:
    facility = policy.get_or_404(request.user, Facility.objects.select_related("region"), pk=pk)
    period = _epoch_period(request.GET.get("from"), request.GET.get("to"))
    if period is None:
        raise Http404
    detail = coverage_page.coverage_cell_for(user=request.user, facility=facility, period=period)
    return render(request, "duty/coverage_cell.html", {"detail": detail})


def _epoch_period(start: str | None, end: str | None) -> Interval | None:
    """A cell's period from epoch seconds: at most 31 days, and within the years we keep."""
    if not (start and end and start.isdigit() and end.isdigit()):
        return None
    if len(start) > 11 or len(end) > 11:
        return None
    lo, hi = (datetime.fromtimestamp(int(v), tz=UTC) for v in (start, end))
    if not (lo < hi <= lo + timedelta(days=31)) or lo.year < 2000 or hi.year > 2100:
        return None
    return Interval(lo, hi)
