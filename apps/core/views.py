from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.access import policy
from apps.alerts.models import Alert
from apps.core import health
from apps.core.landing import landing_url_for
from apps.places.models import Facility


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(landing_url_for(request.user))


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    """The operator's live wall. Cameras arrive with the cameras issue; until then the page
    shows the facilities in view and their open alerts, and says plainly that no camera is
    connected."""
    facilities = policy.scope(request.user, Facility.objects.select_related("region"))
    open_alerts = (
        policy.scope(request.user, Alert.objects.select_related("facility__region"))
        .exclude(state=Alert.State.RESOLVED)
        .order_by("-severity", "-last_raised_at")[:20]
    )
    return render(
        request, "core/wall.html", {"facilities": facilities, "open_alerts": open_alerts}
    )


@login_required
def my_duty(request: HttpRequest) -> HttpResponse:
    return render(request, "core/my_duty.html")


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    facilities = policy.scope(request.user, Facility.objects.select_related("region"))
    return render(request, "core/coverage.html", {"facilities": facilities})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health.run_checks()
    return JsonResponse(report, status=200 if healthy else 503)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
