from django.conf import settings

from apps.core.landing import navigation_for


def portal(request):
    user = getattr(request, "user", None)
    return {
        "embedded_mode": settings.EMBEDDED,
        "nav_items": navigation_for(user)
        if user is not None and user.is_authenticated
        and getattr(request, "two_factor_satisfied", True) else [],
    }
