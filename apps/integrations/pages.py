"""Pages: a person's API tokens (the API authenticates them: apps.api.tokens), and the
administrators' webhook endpoints and delivery log.

Secrets (a new token, a webhook signing secret) are shown once, in the answer to the POST
that made them, never stored in a readable form and never put in a redirect or a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.api import tokens
from apps.api.models import ApiToken
from apps.integrations import endpoints
from apps.integrations.forms import TokenForm, WebhookForm
from apps.integrations.models import WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_LIMIT = 100


def _token_page(request: HttpRequest, form: TokenForm, new_token: str | None = None,
                status: int = 200) -> HttpResponse:
    own = policy.scope(request.user, ApiToken.objects.all()).order_by("-created_at")
    return render(request, "integrations/tokens.html",
                  {"form": form, "tokens": own, "new_token": new_token}, status=status)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The person's tokens; POST makes one and shows it once."""
    if request.method != "POST":
        return _token_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _token_page(request, form, status=400)
    try:
        made = tokens.token_create(user=request.user, name=form.cleaned_data["name"],
                                   session_or_request=request)
    except ValidationError as error:
        form.add_error("name", error)
        return _token_page(request, form, status=400)
    response = _token_page(request, TokenForm(), new_token=made.plaintext)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = policy.get_or_404(request.user, ApiToken.objects.all(), policy.Action.MANAGE, pk=pk)
    tokens.token_revoke(token=token, user=request.user)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("integrations:tokens")


def _administrator(request: HttpRequest) -> None:
    if not policy.may_configure_webhooks(request.user):
        raise PermissionDenied


def _secret_page(request, endpoint, secret: str) -> HttpResponse:
    response = render(request, "integrations/webhook_secret.html", {"endpoint": endpoint,
                                                           "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    form = WebhookForm(request.POST or None, initial={"active": True, "send_alerts": True})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "active"}
        try:
            endpoint, secret = endpoints.endpoint_create(by=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _secret_page(request, endpoint, secret)
    configured = policy.scope(request.user, WebhookEndpoint.objects.select_related("region"))
    return render(request, "integrations/webhooks.html",
                  {"form": form, "endpoints": configured},
                  status=400 if form.errors else 200)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _administrator(request)
    endpoint = policy.get_or_404(request.user, WebhookEndpoint.objects.all(),
                                 policy.Action.MANAGE, pk=pk)
    form = WebhookForm(request.POST or None, instance=endpoint)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "rotate":
            secret = endpoints.endpoint_rotate_secret(endpoint=endpoint, by=request.user)
            return _secret_page(request, endpoint, secret)
        if action == "resend":
            delivery = policy.get_or_404(request.user, endpoint.deliveries.all(),
                                         policy.Action.MANAGE,
                                         pk=request.POST.get("delivery", ""))
            endpoints.delivery_resend(delivery=delivery, by=request.user)
            messages.success(request, _("The delivery is queued again."))
            return redirect("integrations:webhook", pk=endpoint.pk)
        if form.is_valid():
            try:
                endpoints.endpoint_update(endpoint=endpoint, by=request.user,
                                         **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("integrations:webhook", pk=endpoint.pk)
    deliveries = policy.scope(request.user, WebhookDelivery.objects.filter(endpoint=endpoint))
    return render(request, "integrations/webhook_detail.html",
                  {"endpoint": endpoint, "form": form,
                   "deliveries": deliveries.order_by("-created_at", "-id")[:DELIVERY_LOG_LIMIT]},
                  status=400 if form.errors else 200)
