"""The privacy notice shown on the application form, one Markdown file per language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from markupsafe import Markup

from ..config import ConfigurationError
from ..content.frontmatter import FrontMatterError, parse
from ..content.render import render_markdown


@dataclass(frozen=True)
class PrivacyNotice:
    """The notice in one language; ``version`` is stored with each application."""

    title: str
    version: str
    html: Markup


def load_notices(directory: Path, languages: list[str],
                 optional: frozenset[str] = frozenset()) -> dict[str, PrivacyNotice]:
    """Read ``<directory>/<lang>.md`` for every language; all share one version.

    Languages in ``optional`` (the pseudo-locale) may have no file: they show
    the first language's notice.
    """
    notices = {}
    for lang in languages:
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
        notices[lang] = PrivacyNotice(title, version, render_markdown(parsed.body))
    versions = {notice.version for notice in notices.values()}
    if len(versions) > 1:
        raise ConfigurationError(
            f"privacy notices in {directory} have different versions: {sorted(versions)}"
        )
    return notices


def init_app(app: Flask) -> None:
    """Load the notices named by ``PORTAL_PRIVACY_NOTICE_DIR``."""
    languages = app.config["PORTAL_LANGUAGES"]
    app.extensions["portal.privacy"] = load_notices(
        Path(app.config["PORTAL_PRIVACY_NOTICE_DIR"]), list(languages),
        optional=frozenset(code for code, language in languages.items() if language.get("pseudo")),
    )


def privacy_notice(lang: str) -> PrivacyNotice:
    """Return the notice in ``lang``."""
    return current_app.extensions["portal.privacy"][lang]
