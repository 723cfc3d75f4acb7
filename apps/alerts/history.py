"""An alert's history as its page shows it: each line of the escalation chain says which
step told whom, and an acknowledgement says which notice the person answered (in the
reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.models import Role
from apps.alerts.models import Alert, AlertEvent


def history_for(alert: Alert) -> list[AlertEvent]:
    """The alert's events, oldest first; a notice gets `notice` (who was told), an
    acknowledgement by someone who was told gets `answered` (after which notice)."""
    events = list(AlertEvent.objects.filter(alert=alert).select_related("actor", "alert")
                  .prefetch_related("notified"))
    last_told: dict[int, AlertEvent] = {}
    for event in events:
        if event.step is not None:
            event.notice = notice_text(event)
            for person in event.notified.all():
                last_told[person.pk] = event
        elif event.action == AlertEvent.Action.ACKNOWLEDGED and event.actor_id in last_told:
            event.answered = answered_text(last_told[event.actor_id])
    return events


def _step_label(event: AlertEvent) -> str:
    label = _("Step %(step)d · %(role)s") % {"step": event.step,
                                              "role": Role(event.role).label}
    if event.repeat:
        label = _("%(step)s, repeat %(repeat)d") % {"step": label, "repeat": event.repeat}
    return label


def notice_text(event: AlertEvent) -> str:
    names = ", ".join(str(person) for person in event.notified.all())
    if event.step == 0:
        return _("Told first, on duty now: %(people)s") % {"people": names}
    if not names:
        return _("%(step)s: nobody to tell") % {"step": _step_label(event)}
    return _("%(step)s: told %(people)s") % {"step": _step_label(event), "people": names}


def answered_text(notice: AlertEvent) -> str:
    if notice.step == 0:
        return _("Answered after the first notice (on duty)")
    return _("Answered after the notice of step %(step)d · %(role)s") % {
        "step": notice.step, "role": Role(notice.role).label}
