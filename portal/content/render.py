"""Render Markdown bodies to HTML once, at load, through an allow-list sanitiser."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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
