"""The blank application form, rendered once and then served from memory.

A blank form is the same page for every visitor of a posting in a language,
but for its two hidden tokens: the CSRF token (signed from a value kept in
the visitor's session) and the submission token (random, with the time the
form was served). The first visitor gets the page rendered in full; it is
then kept cut around those two values, and each later visitor gets the same
bytes with tokens made for them. Nothing else of a visitor's is in a blank
form: what they typed only comes back on a form sent with errors, which is
rendered in full every time.

Pages are kept with the public ones (``portal.plumbing.http.RenderedPages``,
``PORTAL_PAGE_CACHE_SIZE``; ``0``: render every time, as in debug), by build
(templates, static files, catalogs), content version, posting, language and
site address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from ...content import Document, current_index
from .forms import new_submission_token

#: The names of the two tokens a blank form carries.
CSRF, SUBMISSION = "csrf_token", "submission_token"


@dataclass(frozen=True)
class BlankPage:
    """A rendered blank form cut around its tokens: ``parts[i]`` then the
    token named ``tokens[i]``, ..., then the last part."""

    parts: tuple[str, ...]
    tokens: tuple[str, ...]

    @classmethod
    def cut(cls, html: str, tokens: dict[str, str]) -> BlankPage | None:
        """Cut ``html`` around the values of ``tokens`` (name: value); None
        unless each value is in it exactly once."""
        places = []
        for name, value in tokens.items():
            text = str(escape(value))
            if not text or html.count(text) != 1:
                return None
            places.append((html.index(text), len(text), name))
        parts, names, start = [], [], 0
        for position, length, name in sorted(places):
            parts.append(html[start:position])
            names.append(name)
            start = position + length
        parts.append(html[start:])
        return cls(tuple(parts), tuple(names))

    def fill(self, tokens: dict[str, str]) -> str:
        """Return the page with these tokens (name: value) in it."""
        pieces = [self.parts[0]]
        for name, part in zip(self.tokens, self.parts[1:], strict=True):
            pieces += [str(escape(tokens[name])), part]
        return "".join(pieces)


def blank_form_page(posting: Document, render: Callable[[], tuple[str, dict[str, str]]]) -> str:
    """Return the blank form of ``posting`` for this visitor: from memory with
    fresh tokens, or ``render()``ed, which returns the page and the tokens in
    it (name: value), and kept for the next visitors."""
    if current_app.debug:
        return render()[0]
    pages = current_app.extensions["portal.rendered_pages"]
    seed = "\0".join(
        (
            "apply.blank_form",
            current_app.extensions["portal.build_id"],
            current_index().signature,
            posting.lang,
            posting.slug,
            g.lang_code,
        )
    )
    # Absolute URLs in the page (the other languages' versions) name the address it was asked of.
    key = (hashlib.blake2b(seed.encode(), digest_size=16).hexdigest(), request.url_root)
    kept = pages.get(key)
    if isinstance(kept, BlankPage):
        return kept.fill(_new_tokens(kept.tokens))
    html, tokens = render()
    kept = BlankPage.cut(html, tokens)
    if kept is not None:
        pages.put(key, kept)
    return html


def _new_tokens(names: tuple[str, ...]) -> dict[str, str]:
    # What the form's fields do: the CSRF field signs the session's value
    # (made and kept in the session if it has none), the other is new.
    tokens = {SUBMISSION: new_submission_token(current_app.secret_key)}
    if CSRF in names:
        tokens[CSRF] = generate_csrf()
    return tokens
