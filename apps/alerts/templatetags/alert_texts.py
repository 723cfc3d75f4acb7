from django import template

from apps.alerts import texts

register = template.Library()


@register.filter
def tamper_label(kind: str) -> str:
    """A tamper kind stored by the camera watcher ("covered"), as people say it."""
    return texts.tamper_label(kind) if kind else ""
