"""Accounts, audit, API tokens and webhooks: mostly the person's own, and administrators;
the integrity page and the health inventory."""

from __future__ import annotations

from django.db.models import Q

from apps.access.policy.base import (
    EVERYTHING,
    NOTHING,
    Action,
    is_active,
    rule,
)
from apps.accounts.models import User, UserSession
from apps.api.models import ApiToken, IdempotentRequest
from apps.audit.models import AuditEntry
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.models import PushAttempt, PushSubscription
from apps.records.models import (
    ChainVerification,
)


@rule(AuditEntry)
def audit_entry_rule(user: User, action: Action) -> Q:
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


@rule(UserSession)
def user_session_rule(user: User, action: Action) -> Q:
    return NOTHING



@rule(ApiToken)
def api_token_rule(user: User, action: Action) -> Q:
    return Q(user_id=user.pk) if action in (Action.VIEW, Action.MANAGE) else NOTHING


@rule(IdempotentRequest)
def idempotent_request_rule(user: User, action: Action) -> Q:
    return NOTHING


def _administrators_only(user: User, action: Action) -> Q:
    if user.is_administrator and action in (Action.VIEW, Action.MANAGE):
        return EVERYTHING
    return NOTHING


rule(WebhookEndpoint)(_administrators_only)
rule(WebhookDelivery)(_administrators_only)


@rule(PushSubscription)
def push_subscription_rule(user: User, action: Action) -> Q:
    """A person's devices are theirs to list and remove; administrators see them all."""
    own = Q(user_id=user.pk) if action in (Action.VIEW, Action.MANAGE) else NOTHING
    return EVERYTHING if user.is_administrator and action == Action.VIEW else own


@rule(PushAttempt)
def push_attempt_rule(user: User, action: Action) -> Q:
    """The delivery record is read by administrators; nobody edits it."""
    return EVERYTHING if action == Action.VIEW and user.is_administrator else NOTHING


# Walks of the hash chain: the integrity page reads them, and asks for one (MANAGE).
rule(ChainVerification)(_administrators_only)



def may_check_record_integrity(user) -> bool:
    """The integrity page (walks of the hash chain, their problems) is for administrators,
    as the chain itself is (ChainEntry's rule)."""
    return is_active(user) and user.is_administrator


def may_see_health_details(user) -> bool:
    """The health check's inventory (workers, their queues and cameras, error names) is for
    administrators; anyone else, a load balancer included, reads the status only."""
    return is_active(user) and user.is_administrator


def may_configure_webhooks(user) -> bool:
    """Webhook endpoints and their secrets (pages, API and services ask this) are for
    administrators, as the WebhookEndpoint rule says."""
    return is_active(user) and user.is_administrator
