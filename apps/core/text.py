"""Names as people type them, stored one way.

Names of people, places and cameras are stored in Unicode NFC (the same name typed on a phone
or a PC compares and searches equal), without surrounding or repeated whitespace, control
characters or explicit bidirectional overrides (U+202E and friends can make a name display as
something else). Joiners (ZWJ/ZWNJ), combining marks and every script stay as typed. Applied
on save, so the portal's forms, the admin and the services all store the same thing.
"""

from __future__ import annotations

import unicodedata

from django.apps import apps
from django.db.models.signals import pre_save

# Explicit embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))

NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts.user": ("full_name", "rank"),
    "org.region": ("name",),
    "org.agency": ("name", "short_name"),
    "places.facility": ("name", "address"),
    "places.operation": ("name",),
    "cameras.camera": ("name",),
}


def clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in value
        if ch not in _BIDI_CONTROLS
    )
    return " ".join(value.split())  # also trims, and folds runs of spaces and line breaks


def _normalise(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    for field in NAME_FIELDS[f"{sender._meta.app_label}.{sender._meta.model_name}"]:
        value = getattr(instance, field)
        if isinstance(value, str):
            setattr(instance, field, clean_name(value))


def connect() -> None:
    for label in NAME_FIELDS:
        pre_save.connect(_normalise, sender=apps.get_model(label),
                         dispatch_uid=f"core.text.{label}")
