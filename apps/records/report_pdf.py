"""The daily situation report (laporan harian) as a PDF to print, sign and file (A4).

The chain head of the day is printed in every page's footer: a paper copy outside the
database that a later rewrite of the records cannot change. Every text from the database
goes through `escape`: Paragraph reads markup, and a facility called "<b>" prints as written."""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from apps.accounts.models import User
from apps.core.export import choice_label, choice_labels
from apps.core.pdf import A4Document, table
from apps.org.models import Agency
from apps.records.models import PatrolMode
from apps.records.report import DailyReport


def _local(report: DailyReport, moment) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment, report.zone)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {report.zone_label}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def daily_report_pdf_bytes(*, report: DailyReport, user: User) -> bytes:
    head = report.head
    document = A4Document(
        title=_("Daily situation report"), author=str(user),
        footer=_("Chain head %(when)s: #%(seq)d %(hash)s") % {
            "when": _local(report, report.observed_until), "seq": head.seq,
            "hash": head.entry_hash})
    styles, small, width = document.styles, document.small, document.width
    where = report.region.name if report.region else _("all regions of the operation")
    story = [
        Paragraph(escape(_("Daily situation report (laporan harian)")), styles["Title"]),
        Paragraph(escape(f"{report.operation.name} · {where}"), styles["Heading3"]),
        Paragraph(escape(_("Day: %(day)s (%(zone)s). Counted up to %(until)s. Printed by "
                           "%(user)s at %(now)s.") % {
            "day": date_format(report.day, "DATE_FORMAT"), "zone": report.zone_label,
            "until": _local(report, report.observed_until), "user": str(user),
            "now": _local(report, report.generated_at)}), small),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Facilities")), styles["Heading2"]),
    ]
    if not report.duty_available:
        story.append(Paragraph(escape(_("Guard coverage is not available: the guard duty "
                                        "records are not installed.")), small))
    rows = [[_("Facility"), _("Guard coverage"), _("Patrol visits"), _("Required"),
             _("Missed windows"), _("Checks"), _("Incidents")]]
    rows += [[line.facility.name, _pct(line.coverage_pct), line.visits, line.required,
              line.missed, line.checks, line.incidents] for line in report.facilities]
    story.extend(table(rows, [width * 0.34] + [width * 0.11] * 6, small))

    story += [Paragraph(escape(_("Patrols")), styles["Heading2"]),
              Paragraph(escape(_("%(patrols)d patrols, %(visits)d checkpoint visits, "
                                 "%(missed)d missed windows.") % {
                  "patrols": len(report.patrols), "visits": report.visits,
                  "missed": report.missed_windows}), small)]
    if report.patrols:
        rows = [[_("Team"), _("Leader"), _("Mode"), _("Started"), _("Ended"), _("Visits")]]
        modes = choice_labels(PatrolMode)
        rows += [[p.team_name, str(p.leader), modes.get(p.mode, p.mode),
                  _local(report, p.started_at),
                  _local(report, p.ending.ended_at) if hasattr(p, "ending") else "—",
                  p.visit_count] for p in report.patrols]
        story.extend(table(rows, [width * 0.22, width * 0.2, width * 0.12, width * 0.18,
                                   width * 0.18, width * 0.1], small))

    story.append(Paragraph(escape(_("Joint warehouse checks")), styles["Heading2"]))
    if report.checks:
        rows = [[_("Warehouse"), _("Checked at"), _("Discrepancy or broken seal"),
                 _("Signed by"), _("Complete")]]
        rows += [[c.check.facility.name, _local(report, c.check.checked_at),
                  _("yes") if c.check.has_discrepancy else _("no"),
                  ", ".join(choice_label(Agency.Pillar, s) for s in c.signed) or "—",
                  _("yes") if c.complete else _("no")] for c in report.checks]
        story.extend(table(rows, [width * 0.3, width * 0.2, width * 0.15, width * 0.2,
                                   width * 0.15], small))
    else:
        story.append(Paragraph(escape(_("No check this day.")), small))

    story.append(Paragraph(escape(_("Incidents")), styles["Heading2"]))
    if report.incidents:
        rows = [[_("Time"), _("Facility"), _("Category"), _("Source"), _("State")]]
        rows += [[_local(report, i.incident.occurred_at), i.incident.facility.name,
                  i.incident.get_category_display(), i.incident.get_source_display(),
                  i.state_label] for i in report.incidents]
        story.extend(table(rows, [width * 0.2, width * 0.3, width * 0.2, width * 0.15,
                                   width * 0.15], small))
    else:
        story.append(Paragraph(escape(_("No incident this day.")), small))

    story.append(Paragraph(escape(_("Camera uptime")), styles["Heading2"]))
    if report.cameras:
        rows = [[_("Camera"), _("Facility"), _("Uptime")]]
        rows += [[c.name, c.facility.name, _pct(c.uptime_pct)]
                 for c in report.cameras]
        story.extend(table(rows, [width * 0.4, width * 0.4, width * 0.2], small))
    else:
        story.append(Paragraph(escape(_("No camera available to you.")), small))

    story.append(Paragraph(escape(_("Alerts by kind")), styles["Heading2"]))
    rows = [[_("Kind"), _("Alerts")]] + [[k, n] for k, n in report.alerts_by_kind]
    story.extend(table(rows, [width * 0.7, width * 0.3], small) if report.alerts_by_kind
                 else [Paragraph(escape(_("No alert this day.")), small)])

    story += [Spacer(1, 4 * mm), Paragraph(escape(_("Record integrity")), styles["Heading2"]),
              Paragraph(escape(document.footer), small)]
    if report.anchor is not None:
        story.append(Paragraph(escape(_("Published anchor of %(day)s: #%(seq)d %(hash)s") % {
            "day": report.anchor.day, "seq": report.anchor.seq,
            "hash": report.anchor.entry_hash}), small))
        story.append(Paragraph(escape(_("Signed with anchor key %(key)s: %(signature)s") % {
            "key": report.anchor.key_id, "signature": report.anchor.signature}), small))
    return document.build(story)
