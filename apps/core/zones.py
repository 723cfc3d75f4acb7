"""Indonesia's three time zones as people write them after a time (WIB, WITA, WIT)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_label(zone: ZoneInfo | str) -> str:
    """"WIB" for Asia/Jakarta; a zone without a common abbreviation by its name."""
    key = zone if isinstance(zone, str) else zone.key
    return ZONE_ABBREVIATIONS.get(key, key)
