"""Render Markdown bodies to HTML once, at load, through an allow-list sanitiser."""

from __future__ import annotations

import html
import re

import markdown_it
import nh3
from markdown_it_pyrs import MarkdownIt
from markupsafe import Markup

from .text import plain_text

# CommonMark with the extensions Hugo's Markdown engine (Goldmark) turns on by
# default: tables, strikethrough, links from bare URLs, footnotes, definition
# lists, task lists and the typographer (curly quotes, dashes, ellipses); raw
# HTML stays, as the CDS site's Hugo configuration let it (``unsafe = true``),
# and the sanitiser decides what of it is kept. markdown-it-pyrs is
# markdown-it-py's Rust port, with the same plugins, about thirty times faster:
# it keeps start-up with thousands of files within Hugo's build time.
_markdown = MarkdownIt("commonmark").enable_many(
    ["table", "strikethrough", "linkify", "footnote", "deflist", "tasklist", "replacements", "smartquotes"]
)

# markdown-it-pyrs panics on a few inputs (``[`` followed by a backtick, in
# version 0.4): such a body is rendered by markdown-it-py instead, CommonMark
# with tables and strikethrough, without the other extensions.
_fallback = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_EXTRA_TAGS = {"section", "picture", "source"}
# The page owns its layout, scripts and ids: no class, style, target or event
# handlers from content, and ids only for footnotes; links and images keep what
# they need.
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
    "sup": {"id"},
    "li": {"id"},
    "*": {"lang", "dir"},
}
# Footnotes are marked up as Hugo marks them (``fnref:1`` and ``fn:1``), with
# their ARIA roles; no other id or role comes through.
_ATTRIBUTE_VALUES = {
    "a": {"role": {"doc-noteref", "doc-backlink"}},
    "div": {"role": {"doc-endnotes"}},
}
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?:\d+(?:-\d+)?")
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The page's own <h1> is the title: headings in a body start at level 2.
_H1 = re.compile(r"<(/?)h1\b", re.IGNORECASE)


def _only_footnote_ids(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _FOOTNOTE_ID.fullmatch(value) else None
    return value


def _cleaner(attribute_filter=None) -> nh3.Cleaner:
    # A Cleaner builds its allow-lists once; nh3.clean rebuilds them on every
    # call, which was most of the time it took on a body of a few kilobytes.
    return nh3.Cleaner(
        tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=attribute_filter,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_CLEANER = _cleaner()
_CLEANER_OF_IDS = _cleaner(_only_footnote_ids)


def sanitise(html: str) -> str:
    """Return ``html`` with only allow-listed tags, attributes and URL schemes."""
    clean = _CLEANER.clean(html)
    # The filter of ids calls into Python for every attribute: it runs only
    # when an id came through (nh3 writes every attribute as name="value").
    if ' id="' in clean:
        clean = _CLEANER_OF_IDS.clean(html)
    return _H1.sub(r"<\1h2", clean)


def render_markdown(text: str) -> Markup:
    """Render a Markdown body (raw HTML allowed) to sanitised, template-safe HTML."""
    rendered = _render(text.replace("\r\n", "\n"))
    rendered = _as_hugo_footnotes(_task_boxes(_link_www_and_email(rendered)))
    # Struck-out text is a deletion, as Hugo marks it (markdown-it says <s>).
    if "<s>" in rendered:
        rendered = rendered.replace("<s>", "<del>").replace("</s>", "</del>")
    # Not a cross-site scripting risk: nh3 has just sanitised it.
    return Markup(sanitise(rendered))  # nosec B704


def _render(text: str) -> str:
    try:
        return _markdown.render(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a Rust panic (pyo3's PanicException) is not an Exception
        return _fallback.render(text)


# Links markdown-it's linkify leaves out and Goldmark makes (GitHub's extended
# autolinks): "www." addresses and email addresses in running text.
_TAG_SPLIT = re.compile(r"(<[^>]*>)")
_NOT_LINKED_IN = re.compile(r"<(/?)(a|code|pre|kbd|samp|script|style|textarea)\b", re.IGNORECASE)
_WWW_OR_EMAIL = re.compile(
    r"(?<![\w.+\-@/])(?:"
    r"(?P<www>www\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*[^\s<]*)"
    r"|(?P<email>[A-Za-z0-9.+_-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)"
    r")"
)
_TRAILING_PUNCTUATION = "?!.,:*_~'\""
_TRAILING_ENTITY = re.compile(r"&#?\w+;$")


def _link_www_and_email(rendered: str) -> str:
    if "www." not in rendered and "@" not in rendered:
        return rendered
    parts = _TAG_SPLIT.split(rendered)
    depth = 0
    for index, part in enumerate(parts):
        if index % 2:
            tag = _NOT_LINKED_IN.match(part)
            if tag:
                depth = max(0, depth + (-1 if tag.group(1) else 1))
        elif depth == 0 and ("www." in part or "@" in part):
            parts[index] = _WWW_OR_EMAIL.sub(_autolink, part)
    return "".join(parts)


def _autolink(match: re.Match) -> str:
    found = match.group(0)
    if match.group("email"):
        address = found.rstrip(".")
        if address[-1] in "-_" or "." not in address.split("@", 1)[1]:
            return found
        return f'<a href="mailto:{address}">{address}</a>{found[len(address) :]}'
    link = _trimmed_www(found)
    return f'<a href="http://{link}">{link}</a>{found[len(link) :]}'


def _trimmed_www(found: str) -> str:
    """Cut what GitHub's autolink rules leave outside a "www." link: trailing
    punctuation and entities, and closing parentheses without an opening one."""
    link = found
    while True:
        entity = _TRAILING_ENTITY.search(link)
        if entity:
            link = link[: entity.start()]
        elif (link and link[-1] in _TRAILING_PUNCTUATION) or _unbalanced_parenthesis(link):
            link = link[:-1]
        else:
            return link


def _unbalanced_parenthesis(link: str) -> bool:
    return link.endswith(")") and link.count(")") > link.count("(")


_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox" type="checkbox"( checked="")? />')


def _task_boxes(rendered: str) -> str:
    # A disabled checkbox outside any form has no label (an accessibility
    # failure): a task's state is shown as a ballot box character instead.
    if "<input" not in rendered:
        return rendered
    return _TASK_BOX.sub(lambda box: "☑" if box.group(1) else "☐", rendered)


_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref"><a href="#fn(\d+)" id="fnref(\d+)">\[\d+\]</a></sup>')
_FOOTNOTE_BACKREF = re.compile(r' ?<a href="#fnref(\d+)" class="footnote-backref">↩︎</a>')
_FOOTNOTE_ITEM = re.compile(r'<li id="fn(\d+)" class="footnote-item">')


def _as_hugo_footnotes(rendered: str) -> str:
    """Mark footnotes up as Hugo does: a numbered link in a ``sup`` to a list
    at the end, each note with a link back to where it was cited."""
    if 'class="footnote-ref"' not in rendered:
        return rendered
    # markdown-it numbers every citation (fnref1, fnref2...); Hugo names the
    # first citation of note 1 fnref:1, the second fnref1:1 and so on.
    seen: dict[str, int] = {}
    citations: dict[str, str] = {}

    def reference(found: re.Match) -> str:
        note, citation = found.group(1), found.group(2)
        count = seen.get(note, 0)
        seen[note] = count + 1
        name = f"fnref:{note}" if count == 0 else f"fnref:{note}-{count}"
        citations[citation] = name
        return f'<sup id="{name}"><a href="#fn:{note}" role="doc-noteref">{note}</a></sup>'

    def back(found: re.Match) -> str:
        name = citations.get(found.group(1), f"fnref:{found.group(1)}")
        return f'\u00a0<a href="#{name}" role="doc-backlink">↩︎</a>'

    rendered = _FOOTNOTE_REF.sub(reference, rendered)
    rendered = _FOOTNOTE_BACKREF.sub(back, rendered)
    rendered = _FOOTNOTE_ITEM.sub(r'<li id="fn:\1">', rendered)
    return rendered.replace(
        '<hr class="footnotes-sep" />\n<section class="footnotes">\n<ol class="footnotes-list">',
        '<div role="doc-endnotes">\n<hr>\n<ol>',
    ).replace("</ol>\n</section>", "</ol>\n</div>")


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
    # The body went through the typographer (curly quotes, dashes): so does the description.
    wanted = _folded(_render(description)) or _folded(description)
    if len(wanted.split()) < SHORTEST_REPEATED_DESCRIPTION:
        return body_html
    # A quick look at each paragraph's text, spaces and tags left out, saves
    # reading the paragraphs that cannot hold it character by character.
    spaceless = "".join(wanted.split())
    for paragraph in _PARAGRAPH.finditer(body_html):
        if spaceless not in _spaceless(paragraph.group(1)):
            continue
        if _visible(paragraph.group(1)) == wanted:
            # The whole paragraph is the description (what CMSes write): it goes.
            return body_html[: paragraph.start()] + body_html[paragraph.end() :]
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


_BREAK = re.compile(r"<br\b[^>]*>", re.IGNORECASE)


def _visible(fragment: str) -> str:
    """The text of an HTML fragment as ``_text_positions`` reads it: tags
    left out (a line break is a space), case-folded, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub("", _BREAK.sub(" ", fragment))).casefold().split())


def _spaceless(fragment: str) -> str:
    """The visible text of an HTML fragment, case-folded, without tags or spaces."""
    return "".join(_folded(_TAG.sub("", fragment)).split())


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
