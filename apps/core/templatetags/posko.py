from django import template
from django.utils import timezone
from django.utils.formats import date_format, number_format

from apps.core.origins import origin_allowed
from apps.core.zones import zone_label

register = template.Library()


@register.filter
def in_zone(moment, zone_owner) -> str:
    """Format an aware datetime in a facility's (or region's) own zone, with WIB/WITA/WIT."""
    if not moment:  # None, or "" from a missing related row in a template
        return "—"
    zone = zone_owner.zoneinfo
    local = timezone.localtime(moment, zone)
    label = zone_label(zone)
    return f"{date_format(local, 'DATETIME_FORMAT')} {label}"


@register.filter
def severity_class(severity: int) -> str:
    return {1: "sev-low", 2: "sev-medium", 3: "sev-high", 4: "sev-critical"}.get(severity, "")


@register.simple_tag(takes_context=True)
def page_origin(context) -> str:
    """The origin this page was loaded from: what the browser sends when it opens the live
    websocket (behind a proxy, as the proxy passes the host and scheme on)."""
    request = context["request"]
    return f"{request.scheme}://{request.get_host()}"


@register.filter
def is_site_origin(origin: str) -> bool:
    """Whether websockets from `origin` are accepted (SITE_ORIGINS, exactly)."""
    return origin_allowed(origin)


@register.filter
def thousands(value) -> str:
    """A count or quantity as people read it: 412.500 in Indonesian, 412,500 in English.
    Templates do not group every number (USE_THOUSAND_SEPARATOR): ids in links and data
    attributes would be grouped too."""
    if value is None or value == "":
        return "—"
    return number_format(value, force_grouping=True)


@register.simple_tag(takes_context=True)
def page_url(context, param: str, number: int, base=None) -> str:
    """This page's address with `param` set to `number`, every other choice kept (a page
    with several paged tables keeps the others' pages). `base`: the choices to keep when
    they are not the request's own (a page opened on a default choice)."""
    query = (base or context["request"].GET).copy()
    query[param] = number
    return "?" + query.urlencode()
