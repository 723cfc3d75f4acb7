import logging
import secrets
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.access import policy
from apps.core import health

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    # Past the second login step: the status page is reachable before it (middleware).
    detailed = (getattr(request, "two_factor_satisfied", False)
                and policy.may_see_health_details(request.user))
    healthy, report = health.run_checks(detailed=detailed)
    return JsonResponse(report, status=200 if healthy else 503)


# Error pages: in the portal's frame and the reader's language, never a debug page. The 400
# and 500 pages are rendered without the request's context: a bad Host cannot be trusted, and
# a failing server may fail again in the context processors (the database).


def error_400(request: HttpRequest, exception=None) -> HttpResponse:
    return HttpResponse(render_to_string("errors/400.html"), status=400)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with an expired or missing CSRF token (CSRF_FAILURE_VIEW)."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    return render(request, "errors/csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE},
                  status=403)


def error_500(request: HttpRequest) -> HttpResponse:
    """A database outage answers 503 with Retry-After (the next request after it returns
    succeeds); anything else 500 with a short reference, logged with the request, that the
    person can give the administrator. Never a stack trace."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
        response["Retry-After"] = "5"
        return response
    reference = secrets.token_hex(4).upper()
    logger.error("Error reference %s: %s %s", reference, request.method, request.path)
    return HttpResponse(render_to_string("errors/500.html", {"reference": reference}),
                        status=500)
