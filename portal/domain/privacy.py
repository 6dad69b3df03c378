"""The privacy notice shown on the application form, one Markdown file per language.

A notice may say how long applications are kept with ``{retention_period}``
and ``{consented_retention_period}``: they are written out from the
configured periods in the notice's language ("2 years", « 2 ans »).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from markupsafe import Markup

from ..content.frontmatter import FrontMatterError, parse
from ..content.render import render_markdown
from ..plumbing.config import ConfigurationError
from .retention import period_in_words


@dataclass(frozen=True)
class PrivacyNotice:
    """The notice in one language; ``version`` is stored with each application."""

    title: str
    version: str
    html: Markup


def load_notices(
    directory: Path,
    locales: Mapping[str, str],
    *,
    periods: Mapping[str, str],
    optional: frozenset[str] = frozenset(),
) -> dict[str, PrivacyNotice]:
    """Read ``<directory>/<lang>.md`` for every language (``locales`` maps
    each to its Babel locale); all share one version. ``periods`` names the
    retention periods a notice may quote (``{retention_period}``).

    Languages in ``optional`` (the pseudo-locale) may have no file: they show
    the first language's notice.
    """
    notices = {}
    for lang, locale in locales.items():
        path = directory / f"{lang}.md"
        if not path.exists() and notices and lang in optional:
            notices[lang] = next(iter(notices.values()))
            continue
        try:
            parsed = parse(path.read_text(encoding="utf-8"))
        except (OSError, FrontMatterError) as error:
            raise ConfigurationError(f"privacy notice {path} cannot be read: {error}") from None
        title = str(parsed.data.get("title") or "").strip()
        version = str(parsed.data.get("version") or "").strip()
        if not title or not version:
            raise ConfigurationError(f"privacy notice {path} needs a title and a version")
        body = parsed.body
        for name, period in periods.items():
            body = body.replace("{" + name + "}", period_in_words(period, locale))
        notices[lang] = PrivacyNotice(title, version, render_markdown(body))
    versions = {notice.version for notice in notices.values()}
    if len(versions) > 1:
        raise ConfigurationError(
            f"privacy notices in {directory} have different versions: {sorted(versions)}"
        )
    return notices


def privacy_notice(lang: str) -> PrivacyNotice:
    """Return the notice in ``lang``."""
    return current_app.extensions["portal.privacy"][lang]
