"""Text forms of documents for searching: plain words, accents and case folded."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]*>")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def plain_text(markup: str) -> str:
    """Return the words of an HTML fragment: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def fold(text: str) -> str:
    """Return ``text`` as searches compare it: without accents, case-folded,
    typographic apostrophes made plain ("Développeur" and "developpeur" fold alike)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
