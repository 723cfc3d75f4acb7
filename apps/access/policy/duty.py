"""Guard duty (apps.duty): posts, standards, shifts and attendance, and who plans them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    Rule,
    is_active,
    is_security,
    rule,
    scope,
)
from apps.access.policy.jurisdiction import visible_facilities
from apps.accounts.models import SECURITY_ROLES, Role, RoleAssignment, User
from apps.duty.models import (
    Attendance,
    CoverageStandard,
    GuardPost,
    PanicPress,
    SafetyConfirmation,
    Shift,
)
from apps.org.models import Agency
from apps.places.models import Facility


def _plans_rosters(user: User) -> bool:
    return is_security(user) and user.has_role(Role.COMMANDER, Role.POST_COMMANDER)


def _duty_setup_rule(facility_field: str) -> Rule:
    def duty_setup(user: User, action: Action) -> Q:
        if user.is_administrator:
            return EVERYTHING if action in (Action.VIEW, Action.MANAGE) else NOTHING
        in_view = Q(**{f"{facility_field}__in": visible_facilities(user)})
        if action == Action.VIEW or (action == Action.MANAGE and _plans_rosters(user)):
            return in_view
        return NOTHING

    return duty_setup


rule(GuardPost)(_duty_setup_rule("facility"))
rule(CoverageStandard)(_duty_setup_rule("post__facility"))


@rule(Shift)
def shift_rule(user: User, action: Action) -> Q:
    """OPERATE is checking in and out: only the person on the shift, once it is published."""
    published = Q(published_at__isnull=False)
    if action == Action.OPERATE:
        return Q(person_id=user.pk) & published
    planned_here = (
        Q(post__facility__in=visible_facilities(user)) if _plans_rosters(user) else NOTHING
    )
    if action == Action.MANAGE:
        return planned_here
    if user.is_administrator:
        return EVERYTHING
    return (
        planned_here
        | (published & Q(person_id=user.pk))
        | (published & Q(post__facility__in=visible_facilities(user)))
    )


@rule(Attendance)
def attendance_rule(user: User, action: Action) -> Q:
    """VIEW: the presence record. MANAGE: review it with its photo (planners of the post).
    OPERATE: check out (the person themselves). Written by the check-in services only."""
    own = Q(person_id=user.pk)
    if action == Action.OPERATE:
        return own
    if action == Action.MANAGE:
        if _plans_rosters(user):
            return Q(post__facility__in=visible_facilities(user))
        return NOTHING
    if user.is_administrator:
        return EVERYTHING
    return own | Q(post__facility__in=visible_facilities(user))


def duty_setup_facilities(user) -> models.QuerySet[Facility]:
    """Where `user` may add guard posts: the GuardPost MANAGE rule for posts not created yet."""
    if not is_active(user):
        return Facility.objects.none()
    if user.is_administrator:
        return Facility.objects.all()
    return visible_facilities(user) if _plans_rosters(user) else Facility.objects.none()


def roster_facilities(user) -> models.QuerySet[Facility]:
    """Where `user` may plan shifts: the Shift MANAGE rule for shifts not created yet."""
    if is_active(user) and _plans_rosters(user):
        return visible_facilities(user)
    return Facility.objects.none()


def rosterable_people(user) -> models.QuerySet[User]:
    """Whom `user` may put on a shift: active staff of a security pillar holding a security
    role, among the people `user` may see (a commander's or Padal's area, of every pillar).
    The roster forms offer exactly these and the roster services accept exactly these."""
    security_staff = RoleAssignment.objects.filter(role__in=SECURITY_ROLES).values("user_id")
    return scope(user, User.objects.filter(
        is_active=True, agency__pillar__in=Agency.SECURITY_PILLARS, pk__in=security_staff))


def may_set_up_posts_at(user, facility: Facility) -> bool:
    return duty_setup_facilities(user).filter(pk=facility.pk).exists()


def may_plan_roster_at(user, facility: Facility) -> bool:
    return roster_facilities(user).filter(pk=facility.pk).exists()


def check_in_photos(user) -> models.QuerySet[Attendance]:
    """Presence records whose photo `user` may open: the person's own, the post's planners'
    and administrators' (not everyone who may see the presence record, such as facility
    officials and operators)."""
    with_photo = Attendance.objects.exclude(photo="")
    if is_active(user) and user.is_administrator:
        return scope(user, with_photo)
    return with_photo.filter(Q(pk__in=scope(user, with_photo, Action.OPERATE).values("pk"))
                             | Q(pk__in=scope(user, with_photo, Action.MANAGE).values("pk")))


@rule(SafetyConfirmation)
def safety_confirmation_rule(user: User, action: Action) -> Q:
    """Seen like the presence records; written by apps.duty.safety only."""
    if action != Action.VIEW:
        return NOTHING
    if user.is_administrator:
        return EVERYTHING
    return Q(person_id=user.pk) | Q(post__facility__in=visible_facilities(user))


@rule(PanicPress)
def panic_press_rule(user: User, action: Action) -> Q:
    """The person's own presses, and those of the facilities they see (their alert says the
    same); written by apps.duty.safety only."""
    if action != Action.VIEW:
        return NOTHING
    if user.is_administrator:
        return EVERYTHING
    return Q(person_id=user.pk) | Q(facility__in=visible_facilities(user))


def lone_check_shifts(user, *, now=None) -> models.QuerySet[Shift]:
    """The shifts `user` may confirm "I am safe" for: their own published shift, checked in
    (early check-ins too) and not out, still running, at a post with a lone-post check.
    Nobody confirms for anyone else, nor for a post they are not standing at."""
    if not is_active(user):
        return Shift.objects.none()
    now = now or timezone.now()
    return scope(user, Shift.objects.all(), Action.OPERATE).filter(
        post__lone_check_minutes__isnull=False, attendance__isnull=False,
        attendance__checked_out_at__isnull=True, end__gt=now)


def may_press_panic(user) -> bool:
    """The panic button is for security staff (whoever may be out in the field)."""
    return is_active(user) and is_security(user)
