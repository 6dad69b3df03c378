"""Text forms of documents for searching: plain words, accents and case folded."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]*>")
#: The Unicode blocks of combining marks (the accents of Latin letters are the first).
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES = ("\u2019", "\u2018", "\u02bc")


def plain_text(markup: str) -> str:
    """Return the words of an HTML fragment: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def fold(text: str) -> str:
    """Return ``text`` as searches compare it: without accents, case-folded,
    typographic apostrophes made plain ("Développeur" and "developpeur" fold alike)."""
    # str.replace is many times faster than str.translate on long texts.
    for apostrophe in _APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    if text.isascii():
        return text.casefold()
    # The accents NFKD takes apart are combining marks: removed in one pass
    # (a loop over every character made loading a large tree slow).
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()
