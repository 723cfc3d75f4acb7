from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from apps.cameras.uptime import uptime_fraction

register = template.Library()


@register.simple_tag
def uptime_bar(parts):
    """A 24-hour strip: one rectangle per state segment (online, degraded, offline, unknown)."""
    if not parts:
        return ""
    start, end = parts[0].start, parts[-1].end
    total = (end - start).total_seconds() or 1
    # format_html_join escapes each argument into a SafeString before formatting, and a
    # SafeString knows no ":.2f": the numbers become text here, before they are joined.
    rects = format_html_join(
        "", '<rect class="up-{}" x="{}" y="0" width="{}" height="10"></rect>',
        ((s.state, f"{100 * (s.start - start).total_seconds() / total:.2f}",
          f"{100 * s.seconds / total:.2f}") for s in parts),
    )
    fraction = uptime_fraction(parts)
    pct = "—" if fraction is None else f"{number_format(100 * fraction, 1)}%"  # 99,5% in id
    label = _("Uptime in the last 24 hours: %(pct)s") % {"pct": pct}
    return format_html(
        '<svg class="uptime" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        'aria-label="{}">{}</svg><span class="muted">{}</span>', label, rects, pct)
