from django import template
from django.utils import timezone

from apps.records.models import Criterion, Step

register = template.Library()


@register.filter
def criterion_label(key: str) -> str:
    return Criterion(key).label if key in Criterion.values else key


@register.filter
def step_label(step: str) -> str:
    return Step(step).label if step in Step.values else step


@register.filter
def clock(moment, zone_owner) -> str:
    """"09.12.05": a frame's time of day in the facility's zone, to the second (frames of one
    incident are minutes apart; the date is on the page once)."""
    if not moment:
        return "—"
    return timezone.localtime(moment, zone_owner.zoneinfo).strftime("%H.%M.%S")
