from apps.overview.landing import navigation_for


def navigation(request):
    """The menu of the signed-in person (none before the second login step)."""
    user = getattr(request, "user", None)
    return {
        "nav_items": navigation_for(user)
        if user is not None and user.is_authenticated
        and getattr(request, "two_factor_satisfied", True) else [],
    }
