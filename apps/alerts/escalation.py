"""Who is told of a high-severity alert, and when: the people on duty first, then the
escalation chain of the facility's region and the alert's severity, until someone answers.

- First notice, at the raise: the people on duty now for the facility: the operators on
  watch at the command center covering its region (`CommandWatch`) and the Padal on a
  published shift at one of its guard posts (apps.duty rosters). Nobody on duty: the chain's
  first step is told at once instead.
- Then each step of the chain (`EscalationChain` of the nearest region up the tree for the
  severity, else `DEFAULT_STEPS`) tells the people of its role, `delay` after the previous
  notice; the last step repeats every `repeat` until someone acknowledges. A step that finds
  nobody to tell hands on to the next at once.

Every notice tells only people who may act on the alert (policy.alert_assignees), each as the
feed shows it to them (apps.notifications.sending redacts per person). The writes are in
apps.alerts.services (`alert_escalation_fire`, `alert_escalate_due`); the alert's due time
is scheduled here (`schedule`) and swept every SWEEP_SECONDS for what a restart lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from apps.access import policy
from apps.accounts.models import Role, User
from apps.alerts.models import Alert, CommandWatch, EscalationChain
from apps.core.background import enqueue_at
from apps.duty.models import Shift
from apps.places.models import Facility

SWEEP_SECONDS = 30.0


@dataclass(frozen=True)
class Step:
    role: str
    delay: timedelta

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def minutes(self) -> int:
        return int(self.delay.total_seconds() // 60)


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]
    repeat: timedelta

    @property
    def repeat_minutes(self) -> int:
        return int(self.repeat.total_seconds() // 60)

    def step(self, position: int) -> Step:
        """Step `position` (1…); a chain shortened since keeps repeating its last."""
        return self.steps[min(position, len(self.steps)) - 1]

    def next_position(self, position: int) -> int:
        return min(position + 1, len(self.steps))

    def wait_after(self, position: int, *, told_anyone: bool) -> timedelta:
        """How long after notice `position` (0: the people on duty) the next is due."""
        if position >= len(self.steps):
            return self.repeat
        return self.steps[position].delay if told_anyone else timedelta(0)


# Operator → Padal → commander: 10 minutes from the raise to the commander (the portal's
# escalation time before chains), then the commander again every 5 minutes.
DEFAULT_CHAIN = Chain(
    steps=(Step(Role.OPERATOR, timedelta(minutes=2)),
           Step(Role.POST_COMMANDER, timedelta(minutes=3)),
           Step(Role.COMMANDER, timedelta(minutes=5))),
    repeat=timedelta(minutes=5),
)


def escalates(alert: Alert) -> bool:
    return alert.severity >= Alert.Severity.HIGH


def chain_for(facility: Facility, severity: int) -> Chain:
    """The chain of the facility's nearest region that has one for `severity`."""
    chains = (EscalationChain.objects.filter(region_id__in=facility.region.ancestor_ids(),
                                             severity=severity)
              .select_related("region").prefetch_related("steps"))
    for chain in sorted(chains, key=lambda c: len(c.region.path), reverse=True):
        steps = tuple(Step(s.role, timedelta(minutes=s.delay_minutes)) for s in chain.steps.all())
        if steps:
            return Chain(steps, timedelta(minutes=chain.repeat_minutes))
    return DEFAULT_CHAIN


def on_duty(alert: Alert, now: datetime) -> QuerySet[User]:
    """The people on duty now for the alert's facility who may act on it."""
    facility = alert.facility
    watching = CommandWatch.objects.filter(
        region_id__in=facility.region.ancestor_ids(), start__lte=now, end__gt=now,
        person__role_assignments__role=Role.OPERATOR).values("person_id")
    padal = Shift.objects.published().filter(
        post__facility=facility, start__lte=now, end__gt=now,
        person__role_assignments__role=Role.POST_COMMANDER).values("person_id")
    return policy.alert_assignees(alert).filter(Q(pk__in=watching) | Q(pk__in=padal))


def first_told(alert: Alert, now: datetime) -> QuerySet[User]:
    """Who hears a high alert first: the people on duty for its facility. A panic press is
    told at once to every operator and Padal who may act on it as well: a guard in danger
    cannot wait for the chain's later steps to reach a Padal out on patrol."""
    people = on_duty(alert, now)
    if alert.kind != Alert.Kind.PANIC:
        return people
    responders = policy.alert_assignees(alert).filter(
        role_assignments__role__in=[Role.OPERATOR, Role.POST_COMMANDER]).values("pk")
    return policy.alert_assignees(alert).filter(
        Q(pk__in=people.values("pk")) | Q(pk__in=responders))


def step_people(alert: Alert, role: str) -> QuerySet[User]:
    """The people of `role` who may act on the alert."""
    return policy.alert_assignees(alert).filter(role_assignments__role=role)


def schedule_upcoming(now: datetime, within: timedelta) -> int:
    """Schedule again every notice due in the next `within`: after a restart of embedded
    mode (whose timers live in the process) the sweep at start puts them back on time; a
    notice scheduled twice is told once. Returns how many were scheduled."""
    upcoming = list(Alert.objects.filter(
        state=Alert.State.OPEN, escalation_due_at__gt=now,
        escalation_due_at__lte=now + within).values_list("pk", "escalation_due_at"))
    for alert_id, due in upcoming:
        schedule(alert_id, due)
    return len(upcoming)


def schedule(alert_id: int, due: datetime) -> None:
    """Run the alert's next notice at `due` (Celery's eta in cluster mode, the in-process
    runner's timer in embedded mode); the sweep runs it if this is lost."""
    enqueue_at(due, "alerts.escalate_step", alert_id, due.isoformat())


def chains_for(user: User) -> QuerySet[EscalationChain]:
    """The chains the person may read, nearest the top of the region tree first."""
    return policy.scope(user, EscalationChain.objects.select_related("region")
                        .prefetch_related("steps")).order_by("region__path", "severity")
