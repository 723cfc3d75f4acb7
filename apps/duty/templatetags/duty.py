"""Template helpers for the duty pages: times in a facility's own zone."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from apps.core import zones

register = template.Library()


def _zone(zone_owner):
    return zone_owner if hasattr(zone_owner, "key") else zone_owner.zoneinfo


@register.filter
def local_time(moment, zone_owner) -> str:
    """"22.00" in the facility's (or region's, or a ZoneInfo's) zone."""
    if not moment:
        return "—"
    return date_format(timezone.localtime(moment, _zone(zone_owner)), "TIME_FORMAT")


@register.filter
def local_day(moment, zone_owner) -> str:
    if not moment:
        return "—"
    return date_format(timezone.localtime(moment, _zone(zone_owner)), "D, j M")


@register.filter
def zone_label(zone_owner) -> str:
    zone = _zone(zone_owner)
    return zones.zone_label(zone)


@register.filter
def hours(minutes) -> str:
    return f"{(minutes or 0) / 60:.1f}"


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value:.0f}%"


@register.filter
def pillars(values) -> str:
    return ", ".join(sorted(str(v).upper() for v in values or ())) or "—"


@register.inclusion_tag("duty/_panic.html", takes_context=True)
def panic_button(context) -> dict:
    """The panic button of the field pages, for those who have one (security staff)."""
    from apps.access import policy  # the policy imports the duty models: not at load time

    user = context["request"].user
    return {"show": policy.may_press_panic(user), "user": user,
            "csrf_token": context.get("csrf_token")}
