"""English that must not show on an Indonesian page: the msgids of the portal's catalogue
(locale/id/LC_MESSAGES/django.po) whose Indonesian translation says something else.

A msgid counts when its literal text (placeholders and markup taken out) is longer than
MIN_LENGTH characters: shorter ones ("Status", "Email") are too often the same word in both
languages or part of names. Untranslated and fuzzy entries count too: a page shows their
English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "id" / "LC_MESSAGES" / "django.po"
MIN_LENGTH = 12

# %(name)s, %s, {name}, {0}, and HTML tags inside blocktranslate texts.
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}|<[^>]+>")


@dataclass(frozen=True)
class EnglishText:
    msgid: str
    longest_piece: str  # lowercase, for a cheap substring test before the regex
    pattern: re.Pattern


def normalise(text: str) -> str:
    return " ".join(text.split())


def english_text(msgid: str) -> EnglishText | None:
    pieces = [normalise(p) for p in _PLACEHOLDER.split(msgid)]
    pieces = [p for p in pieces if p]
    if sum(len(p) for p in pieces) <= MIN_LENGTH:
        return None
    pattern = r".{1,80}?".join(re.escape(p).replace(r"\ ", r"\s+") for p in pieces)
    return EnglishText(msgid, max(pieces, key=len).lower(), re.compile(pattern, re.I))


def load_english_texts(path: Path = CATALOGUE) -> list[EnglishText]:
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    texts: dict[str, EnglishText] = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings or msgid in texts:
                continue
            text = english_text(msgid)
            if text is not None:
                texts[msgid] = text
    return list(texts.values())


def english_on_page(visible_text: str, texts: list[EnglishText]) -> list[str]:
    """The msgids whose English shows in `visible_text`."""
    text = normalise(visible_text)
    lowered = text.lower()
    return [t.msgid for t in texts if t.longest_piece in lowered and t.pattern.search(text)]
