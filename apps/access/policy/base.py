"""The vocabulary of the access policy: actions, the rule registry, who the user is, and
the three questions every entry point asks (scope, can, get_or_404)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from django.db import models
from django.db.models import Q
from django.http import Http404

from apps.access.models import RegionGrant
from apps.accounts.models import SECURITY_ROLES, User
from apps.org.models import Agency


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # create, edit, configure
    OPERATE = "operate"  # act on operational state: acknowledge, assign, resolve


NOTHING = Q(pk__in=[])
EVERYTHING = Q()

ModelT = TypeVar("ModelT", bound=models.Model)
Rule = Callable[[User, Action], Q]
_RULES: dict[type[models.Model], Rule] = {}


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        _RULES[model] = func
        return func

    return register


def governed_models() -> frozenset[type[models.Model]]:
    return frozenset(_RULES)


# --- who the user is ------------------------------------------------------------------------


def is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_security(user: User) -> bool:
    """Staff of a security pillar (Polri, TNI, Pemda) holding a security role."""
    return (
        user.agency_id is not None
        and user.agency.pillar in Agency.SECURITY_PILLARS
        and bool(user.roles & SECURITY_ROLES)
    )


def jurisdiction_paths(user: User) -> tuple[str, ...]:
    """Region paths the user works in (own agency region and grants); cached per user object."""
    cached = getattr(user, "_jurisdiction_paths", None)
    if cached is None:
        if user.agency_id is None:
            cached = ()
        else:
            granted = RegionGrant.objects.valid_at().filter(agency_id=user.agency_id)
            cached = (
                user.agency.region.path,
                *granted.values_list("region__path", flat=True),
            )
        user._jurisdiction_paths = cached
    return cached


def within(field: str, paths: tuple[str, ...]) -> Q:
    q = NOTHING
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q



def scope(user, queryset: models.QuerySet[ModelT], action: Action = Action.VIEW):
    """The part of `queryset` this user may see (or act on)."""
    try:
        model_rule = _RULES[queryset.model]
    except KeyError:
        raise LookupError(
            f"No access rule for {queryset.model.__name__}: deny by default."
        ) from None
    if not is_active(user):
        return queryset.none()
    return queryset.filter(model_rule(user, action))


def can(user, action: Action, obj: models.Model) -> bool:
    return scope(user, type(obj)._default_manager.filter(pk=obj.pk), action).exists()


def get_or_404(user, queryset: models.QuerySet[ModelT], action: Action = Action.VIEW, **lookup):
    """One object the user may reach. Missing and forbidden look the same (404): no probing."""
    try:
        return scope(user, queryset, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
