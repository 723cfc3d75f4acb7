from django import template

from apps.records.models import Criterion, Step

register = template.Library()


@register.filter
def criterion_label(key: str) -> str:
    return Criterion(key).label if key in Criterion.values else key


@register.filter
def step_label(step: str) -> str:
    return Step(step).label if step in Step.values else step
