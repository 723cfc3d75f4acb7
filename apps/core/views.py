import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.access import policy
from apps.core import health
from apps.core.landing import landing_url_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(landing_url_for(request.user))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    # Past the second login step: the status page is reachable before it (middleware).
    detailed = (getattr(request, "two_factor_satisfied", False)
                and policy.may_see_health_details(request.user))
    healthy, report = health.run_checks(detailed=detailed)
    return JsonResponse(report, status=200 if healthy else 503)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    """Rendered without the request context: the failure may be the database itself, and the
    context processors would query it again. A database outage answers 503 with Retry-After
    (the next request after it returns succeeds), never a stack trace."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponse(render_to_string("errors/500.html"), status=500)
