"""Commanders' and administrators' pages: patrol compliance, the daily situation report
(page, CSV, PDF) and the integrity check of the records."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.access import policy
from apps.core.export import CsvExport, choice_label, choice_labels, local_time, number
from apps.org.models import Agency, Region
from apps.places.models import Facility, Operation
from apps.records import selectors
from apps.records.forms import DailyReportForm
from apps.records.models import PatrolMode
from apps.records.report import DailyReport, daily_report
from apps.records.report_pdf import daily_report_pdf_bytes
from apps.records.services import integrity as integrity_services


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


# The page of each of the compliance page's tables, by its query parameter.
COMPLIANCE_PAGES = {"facilities": "fpage", "teams": "tpage", "anomalies": "apage"}


@login_required
@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    """Patrol compliance per facility, team and night, with the exceptions."""
    view = selectors.compliance_view(
        user=request.user, operation_id=_int(request.GET.get("operation")),
        first_night=_date(request.GET.get("from")),
        nights=_int(request.GET.get("nights")) or 7,
        pages={table: request.GET.get(param) for table, param in COMPLIANCE_PAGES.items()})
    return render(request, "records/compliance.html", {"view": view})



# --- daily report ----------------------------------------------------------------------------


def _report_form(request: HttpRequest, *, opening: bool = False) -> DailyReportForm:
    operations = policy.scope(request.user, Operation.objects.select_related(
        "responsible_agency__region").order_by("-starts_on", "name"))
    visible = policy.scope(request.user, Facility.objects.all())
    regions = Region.objects.filter(Q(pk__in=visible.values("region_id"))
                                    | Q(pk__in=visible.values("region__parent_id"))
                                    ).order_by("path")
    data = request.GET or (_opening_choice(operations) if opening else None)
    return DailyReportForm(data or None, operations=operations, regions=regions)


def _opening_choice(operations) -> QueryDict:
    """The page opened without a choice: yesterday's report (the last whole day, with its
    anchor) of the most recent operation running now, when there is one."""
    for operation in operations:
        today = timezone.localtime(timezone.now(),
                                   operation.responsible_agency.region.zoneinfo).date()
        if operation.is_active_on(today):
            return QueryDict(urlencode({"operation": operation.pk,
                                        "day": (today - timedelta(days=1)).isoformat()}))
    return QueryDict()


def _report(request: HttpRequest, *, opening: bool = False, everything: bool = True
            ) -> tuple[DailyReportForm, DailyReport | None]:
    form = _report_form(request, opening=opening)
    if not form.is_bound or not form.is_valid():
        return form, None
    operation, region = form.cleaned_data["operation"], form.cleaned_data["region"]
    zone = region.zoneinfo if region else operation.responsible_agency.region.zoneinfo
    day = form.cleaned_data["day"] or timezone.localtime(timezone.now(), zone).date()
    return form, daily_report(user=request.user, operation=operation, day=day, region=region,
                              page=request.GET.get("page"), everything=everything)


@login_required
@require_GET
def daily(request: HttpRequest) -> HttpResponse:
    form, report = _report(request, opening=True, everything=False)
    context = {"form": form, "report": report,
               "query": form.data.urlencode() if form.is_bound else ""}
    if report is not None:
        context["page"], context["page_cameras"] = report.facility_page, report.page_cameras
        context["patrol_page"] = Paginator(report.patrols, PAGE_PATROLS).get_page(
            request.GET.get("ppage"))
        context["page_base"] = form.data  # the opening choice too, when the query has none
    return render(request, "records/daily.html", context,
                  status=400 if form.is_bound and not form.is_valid() else 200)


PAGE_PATROLS = 25  # the day's patrols on the page (a city has ~300 a day; the exports list all)


def _filename(report: DailyReport, ext: str) -> str:
    return f"laporan-harian-{report.operation.pk}-{report.day.isoformat()}.{ext}"


@login_required
@require_GET
def daily_csv(request: HttpRequest) -> HttpResponse:
    _form, report = _report(request)
    if report is None:
        raise Http404
    export = CsvExport(_filename(report, "csv"))
    row, zone = export.row, report.zone
    row(_("Operation"), report.operation.name)
    row(_("Region"), report.region.name if report.region else "")
    row(_("Day"), report.day, report.zone_label)
    row(_("Counted until"), local_time(report.observed_until, zone))
    row(_("Chain head (sequence)"), report.head.seq)
    row(_("Chain head (hash)"), report.head.entry_hash)
    row()
    row(_("Facility"), _("Guard coverage (%)"), _("Patrol visits"), _("Required visits"),
        _("Missed windows"), _("Warehouse checks"), _("Incidents"))
    for line in report.facilities:
        row(line.facility.name, number(line.coverage_pct), line.visits, line.required,
            line.missed, line.checks, line.incidents)
    row()
    row(_("Patrol"), _("Leader"), _("Mode"), _("Started"), _("Ended"), _("Visits"))
    modes = choice_labels(PatrolMode)
    for p in report.patrols:
        ending = getattr(p, "ending", None)
        row(p.team_name, str(p.leader), modes.get(p.mode, p.mode), local_time(p.started_at, zone),
            local_time(ending.ended_at, zone) if ending else "", p.visit_count)
    row()
    row(_("Warehouse check"), _("Checked at"), _("Discrepancy"), _("Signed by"), _("Complete"))
    for c in report.checks:
        facility = c.check.facility
        row(facility.name, local_time(c.check.checked_at, facility), c.check.has_discrepancy,
            ", ".join(choice_label(Agency.Pillar, pillar) for pillar in c.signed), c.complete)
    row()
    row(_("Time"), _("Facility"), _("Category"), _("Source"), _("State"))
    for i in report.incidents:
        incident = i.incident
        row(local_time(incident.occurred_at, incident.facility), incident.facility.name,
            incident.get_category_display(), incident.get_source_display(), i.state_label)
    row()
    row(_("Camera"), _("Facility"), _("Uptime (%)"))
    for c in report.cameras:
        row(c.name, c.facility.name, number(c.uptime_pct))
    row()
    row(_("Kind of alert"), _("Count"))
    for kind, count in report.alerts_by_kind:
        row(kind, count)
    return export.response


@login_required
@require_GET
def daily_pdf(request: HttpRequest) -> HttpResponse:
    _form, report = _report(request)
    if report is None:
        raise Http404
    response = HttpResponse(daily_report_pdf_bytes(report=report, user=request.user),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "pdf")}"'
    return response


# --- integrity -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def integrity(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the hash chain: the latest background walk (the first
    row changed, deleted or inserted behind the application's back), the chain head now,
    and the published anchors. POST asks for a walk now, photos and evidence re-hashed
    when `files` is set; the walk grows with the history, so it never runs in the request."""
    if not policy.may_check_record_integrity(request.user):
        raise Http404
    if request.method == "POST":
        integrity_services.verification_request_now(user=request.user,
                                                    files=request.POST.get("files") == "1")
        messages.success(request, _("The check has started; its result appears here when it "
                                    "is done."))
        return redirect("records:integrity")
    return render(request, "records/integrity.html", selectors.integrity_summary(request.user))
