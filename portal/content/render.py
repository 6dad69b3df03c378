"""Render Markdown bodies to HTML once, at load, through an allow-list sanitiser."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from .text import plain_text

# CommonMark, as Hugo's Goldmark renders it, with the raw HTML that CMS-written
# bodies carry (figures, details, tables); the sanitiser decides what stays.
_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_EXTRA_TAGS = {"section", "picture", "source"}
# The page owns its layout, scripts and ids: no class, style, id, target or
# event handlers from content; links and images keep what they need.
_ATTRIBUTES = {
    "a": {"href", "hreflang", "title", "lang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes", "title"},
    "source": {"srcset", "sizes", "type", "media"},
    "th": {"colspan", "rowspan", "scope", "headers"},
    "td": {"colspan", "rowspan", "headers"},
    "ol": {"start", "type", "reversed"},
    "details": {"open"},
    "abbr": {"title"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "*": {"lang", "dir"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The page's own <h1> is the title: headings in a body start at level 2.
_H1 = re.compile(r"<(/?)h1\b", re.IGNORECASE)


def sanitise(html: str) -> str:
    """Return ``html`` with only allow-listed tags, attributes and URL schemes."""
    clean = nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return _H1.sub(r"<\1h2", clean)


def render_markdown(text: str) -> Markup:
    """Render a Markdown body (raw HTML allowed) to sanitised, template-safe HTML."""
    # Not a cross-site scripting risk: nh3 has just sanitised it.
    return Markup(sanitise(_markdown.render(text)))  # nosec B704


#: A description shorter than this many words is too short to call repeated.
SHORTEST_REPEATED_DESCRIPTION = 5
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>\s*", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_TAG_OR_ENTITY = re.compile(r"<[^>]*>|&#?\w+;")
_EMPTY_INLINE = re.compile(r"<(a|em|strong|b|i|span|code|abbr)\b[^>]*>\s*</\1>", re.IGNORECASE)
_SENTENCE_END = ".!?…"


def without_repeated_description(body_html: str, description: str) -> str:
    """Return ``body_html`` without the sentences that repeat ``description``,
    which the page already shows as its lead: the first paragraph whose text
    holds the whole description (ignoring case, spaces and markup) loses the
    sentences it spans, and goes if nothing else is left in it."""
    wanted = _folded(description)
    if len(wanted.split()) < SHORTEST_REPEATED_DESCRIPTION:
        return body_html
    for paragraph in _PARAGRAPH.finditer(body_html):
        inner_start = paragraph.start(1)
        chars = _text_positions(paragraph.group(1), inner_start)
        text = "".join(char for char, _, _ in chars)
        found = text.find(wanted)
        if found < 0:
            continue
        start = _sentence_start(text, found)
        end = found + len(wanted)
        while end < len(text) and text[end] in _SENTENCE_END:
            end += 1
        if end < len(text) and text[end - 1] not in _SENTENCE_END:
            return body_html  # it ends inside a sentence: the rest would not read on its own
        while end < len(text) and text[end] == " ":
            end += 1
        cut_from, cut_to = chars[start][1], chars[end - 1][2]
        kept_tags = "".join(_TAG.findall(body_html[cut_from:cut_to]))
        inner = body_html[inner_start:cut_from] + kept_tags + body_html[cut_to : paragraph.end(1)]
        while _EMPTY_INLINE.search(inner):
            inner = _EMPTY_INLINE.sub("", inner)
        if not _TAG.sub("", inner).strip():
            return body_html[: paragraph.start()] + body_html[paragraph.end() :]
        return body_html[:inner_start] + inner.strip() + body_html[paragraph.end(1) :]
    return body_html


def _folded(text: str) -> str:
    return " ".join(plain_text(text).casefold().split())


def _text_positions(fragment: str, offset: int) -> list[tuple[str, int, int]]:
    """Return the visible characters of an HTML fragment, case-folded and
    with runs of spaces as one, each with where it starts and ends in the
    page's HTML."""
    chars: list[tuple[str, int, int]] = []

    def add(text: str, start: int, end: int) -> None:
        for char in text.casefold():
            if char.isspace():
                if not chars or chars[-1][0] == " ":
                    continue
                char = " "
            chars.append((char, start, end))

    position = 0
    for markup in _TAG_OR_ENTITY.finditer(fragment):
        for index in range(position, markup.start()):
            add(fragment[index], offset + index, offset + index + 1)
        if markup.group(0).startswith("&"):
            add(html.unescape(markup.group(0)), offset + markup.start(), offset + markup.end())
        elif chars and chars[-1][0] != " " and markup.group(0).lower().startswith("<br"):
            chars.append((" ", offset + markup.start(), offset + markup.start()))
        position = markup.end()
    for index in range(position, len(fragment)):
        add(fragment[index], offset + index, offset + index + 1)
    while chars and chars[-1][0] == " ":
        chars.pop()
    return chars


def _sentence_start(text: str, position: int) -> int:
    """Return where the sentence holding ``position`` starts: after the
    previous ". " (or "! ", "? "), else at the start of the paragraph."""
    for index in range(position - 1, 0, -1):
        if text[index] == " " and text[index - 1] in _SENTENCE_END:
            return index + 1
    return 0


def render_body(text: str, description: str = "") -> Markup:
    """Render a document's Markdown body, without the sentences that repeat
    its ``description`` (shown once, as the page's lead)."""
    body = render_markdown(text)
    # Not a cross-site scripting risk: only sanitised text and tags are removed.
    return Markup(without_repeated_description(body, description)) if description else body  # nosec B704
