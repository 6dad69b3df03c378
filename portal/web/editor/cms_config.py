"""The content editor's configuration (Decap CMS), built from what the loader accepts.

Every vocabulary (job facts, question types, merit-criterion kinds, name-blind
stages, provinces) comes from ``portal.content``, and every label from the
catalog, so the editor offers exactly what ``flask content check`` accepts
and cannot drift from it. Served as ``config.yml`` beside the editor's page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...content.criteria import CriterionKind
from ...content.fields import NAME_BLIND_DEFAULT_STAGE, NAME_BLIND_STAGES
from ...content.jobfacts import (
    PROVINCE_CODES,
    EmploymentType,
    LanguageRequirement,
    RemoteWork,
    SalaryPeriod,
)
from ...content.model import QuestionType
from ...plumbing.config import ConfigurationError
from ..job_facts import EMPLOYMENT_TYPES, LANGUAGE_REQUIREMENTS, PROVINCE_NAMES, REMOTE_WORK

#: The git hosts the editor can save to in production, with their API's default address.
GIT_BACKENDS = {
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com/api/v4",
    "gitea": "",
}
#: Where each git host signs the editor in when PORTAL_CMS_BASE_URL is not set.
_DEFAULT_BASE_URLS = {"github": "https://api.netlify.com", "gitlab": "https://gitlab.com", "gitea": ""}
#: What translationKey and the ids of questions and criteria accept.
KEY_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
#: A file name as the loader reads it: not hidden (``.``, ``_``), no folder, no ``.md`` (added).
FILE_NAME_PATTERN = r"^(?!.*\.md$)[^/\\\s._][^/\\\s]*$"
#: One classification or several, as the loader splits them ("IT-02, IT-03").
CLASSIFICATION_PATTERN = r"^[A-Z]{2,4}-\d{2}(, *[A-Z]{2,4}-\d{2})*$"
#: Sections of a language folder where the editor keeps new files.
POSTINGS_SECTION = "jobs"
STORIES_SECTION = "blog/posts"
#: Stored without an offset: the portal reads it in PORTAL_TIMEZONE (docs/content.md, "Dates").
DATETIME_FORMAT = "YYYY-MM-DDTHH:mm:ss"
DATE_FORMAT = "YYYY-MM-DD"
_SALARY_PERIODS = {
    SalaryPeriod.YEAR: _l("a year"),
    SalaryPeriod.MONTH: _l("a month"),
    SalaryPeriod.WEEK: _l("a week"),
    SalaryPeriod.DAY: _l("a day"),
    SalaryPeriod.HOUR: _l("an hour"),
}
#: The stages a name-blind review lasts until, in staff's words.
NAME_BLIND_STAGE_NAMES = {
    "screening": _l("screening"),
    "interview": _l("interview"),
    "offer": _l("offer"),
}


def validate(config: Mapping[str, Any]) -> None:
    """Refuse editor settings that cannot work (checked when the app starts)."""
    backend = config["PORTAL_CMS_BACKEND"]
    if backend not in ("", *GIT_BACKENDS):
        raise ConfigurationError("PORTAL_CMS_BACKEND must be empty (local editing), github, gitlab or gitea.")
    if backend and "/" not in config["PORTAL_CMS_REPO"].strip("/"):
        raise ConfigurationError(f"PORTAL_CMS_BACKEND={backend} needs PORTAL_CMS_REPO (owner/name).")
    if backend == "gitea" and not (config["PORTAL_CMS_BASE_URL"] and config["PORTAL_CMS_API_ROOT"]):
        raise ConfigurationError(
            "PORTAL_CMS_BACKEND=gitea needs PORTAL_CMS_BASE_URL (the Gitea server) "
            "and PORTAL_CMS_API_ROOT (its API, https://.../api/v1)."
        )
    if backend in ("gitlab", "gitea") and not config["PORTAL_CMS_APP_ID"]:
        raise ConfigurationError(
            f"PORTAL_CMS_BACKEND={backend} needs PORTAL_CMS_APP_ID (the OAuth application's client id)."
        )


def content_folder(config: Mapping[str, Any]) -> str:
    """Return the content folder's path as the editor's backend sees it.

    The local backend (scripts/editor) serves the folder holding the content
    folder, so the path is the content folder's name; a git backend sees the
    repository, where it is PORTAL_CMS_CONTENT_PATH."""
    if config["PORTAL_CMS_BACKEND"]:
        return config["PORTAL_CMS_CONTENT_PATH"].strip("/")
    first = str(config["PORTAL_CONTENT_DIR"]).split(os.pathsep)[0]
    return os.path.basename(os.path.normpath(first))


def backend(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``backend`` section: the local proxy, or the git host, both
    through static/editor/layout.js (the "portal" backend), which maps the
    portal's tree to the one Decap expects (see :func:`layout`)."""
    name = config["PORTAL_CMS_BACKEND"]
    if not name:
        return {
            "name": "portal",
            "proxy_url": config["PORTAL_CMS_LOCAL_URL"],
            "branch": config["PORTAL_CMS_BRANCH"],
        }
    section: dict[str, Any] = {
        "name": "portal",
        "repo": config["PORTAL_CMS_REPO"].strip("/"),
        "branch": config["PORTAL_CMS_BRANCH"],
    }
    if config["PORTAL_CMS_BASE_URL"]:
        section["base_url"] = config["PORTAL_CMS_BASE_URL"].rstrip("/")
    if config["PORTAL_CMS_API_ROOT"]:
        section["api_root"] = config["PORTAL_CMS_API_ROOT"].rstrip("/")
    if name in ("gitlab", "gitea"):
        # Sign-in in the editor's own window, with no server of ours holding a secret.
        section["auth_type"] = "pkce"
        section["app_id"] = config["PORTAL_CMS_APP_ID"]
    return section


def layout(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return what static/editor/layout.js needs to read the portal's tree:
    Decap's own backend it wraps, the languages, and for each collection's
    folder as Decap sees it (``content/jobs``), the content folder, the
    section where new files go and the kind of document it holds."""
    folder = content_folder(config)
    default = config["PORTAL_DEFAULT_LANGUAGE"]
    return {
        "backend": config["PORTAL_CMS_BACKEND"] or "proxy",
        "locales": [default, *(code for code in config["PORTAL_LANGUAGES"] if code != default)],
        "collections": {
            f"{folder}/{section}": {"root": folder, "section": section, "kind": kind}
            for section, kind in ((POSTINGS_SECTION, "posting"), (STORIES_SECTION, "story"))
        },
    }


def connect_sources(config: Mapping[str, Any]) -> list[str]:
    """Return the origins the editor's page talks to: its backend's API and
    sign-in server (for the Content-Security-Policy's connect-src)."""
    name = config["PORTAL_CMS_BACKEND"]
    if not name:
        urls = [config["PORTAL_CMS_LOCAL_URL"]]
    else:
        urls = [
            config["PORTAL_CMS_API_ROOT"] or GIT_BACKENDS[name],
            config["PORTAL_CMS_BASE_URL"] or _DEFAULT_BASE_URLS[name],
        ]
    origins = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return list(dict.fromkeys(origins))


def build(config: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Return the editor's configuration, its labels in the current language
    (``lang``, also the editor's own language)."""
    languages = list(config["PORTAL_LANGUAGES"])
    default = config["PORTAL_DEFAULT_LANGUAGE"]
    folder = content_folder(config)
    return {
        "backend": backend(config),
        "locale": lang,
        "media_folder": "static/img/content",
        "public_folder": "/static/img/content",
        "i18n": {
            "structure": "multiple_folders",
            "locales": [default, *(code for code in languages if code != default)],
            "default_locale": default,
        },
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [postings(folder, config), stories(folder)],
    }


def _key_field() -> dict[str, Any]:
    return {
        "name": "translationKey",
        "label": _("Translation key"),
        "widget": "string",
        "i18n": "duplicate",
        "pattern": [KEY_PATTERN, _("Lower-case letters, digits and single hyphens only, like data-analyst.")],
        "hint": _("The same in every language: it pairs the translations."),
    }


def _file_name_field() -> dict[str, Any]:
    # Never written to the file: static/editor/layout.js names (or renames) the file with it.
    return {
        "name": "fileName",
        "label": _("File name in this language"),
        "widget": "string",
        "required": False,
        "i18n": True,
        "pattern": [FILE_NAME_PATTERN, _("No spaces or slashes, no .md, and no dot or underscore first.")],
        "hint": _(
            "The page's address in this language, without .md. Left empty, a new file is named "
            "after its title. Changing it moves the page: add the old address below."
        ),
    }


def _common_fields(layout: str) -> list[dict[str, Any]]:
    return [
        {"name": "layout", "widget": "hidden", "default": layout, "i18n": "duplicate"},
        {"name": "title", "label": _("Title"), "widget": "string", "i18n": True},
        _key_field(),
        _file_name_field(),
        {
            "name": "description",
            "label": _("Summary"),
            "widget": "text",
            "required": False,
            "i18n": True,
            "hint": _("Shown in listings and as the page's lead paragraph."),
        },
        _flag("draft", _("Draft (not published)")),
        _flag("linkHidden", _("Left out of listings (served to whoever has the link)")),
    ]


def _flag(name: str, label: str) -> dict[str, Any]:
    return {"name": name, "label": label, "widget": "boolean", "required": False, "i18n": "duplicate"}


def _select(name: str, label: str, options: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "widget": "select",
        "required": False,
        "i18n": "duplicate",
        "options": [{"label": text, "value": value} for value, text in options],
        **more,
    }


def _aliases() -> dict[str, Any]:
    return {
        "name": "aliases",
        "label": _("Old addresses (redirected here)"),
        "label_singular": _("Old address"),
        "widget": "list",
        "required": False,
        "i18n": True,
        "field": {"name": "alias", "label": _("Address"), "widget": "string"},
    }


def _body() -> dict[str, Any]:
    return {"name": "body", "label": _("Text"), "widget": "markdown", "i18n": True}


def _collection(name: str, label: str, singular: str, folder: str) -> dict[str, Any]:
    """What a collection of Markdown files, one folder per language, says besides its fields."""
    return {
        "name": name,
        "label": label,
        "label_singular": singular,
        "folder": folder,
        "slug": "{{fields.translationKey}}",
        "identifier_field": "title",
        "create": True,
        "i18n": True,
        "extension": "md",
        "format": "frontmatter",
        "summary": "{{title}}",
    }


def postings(folder: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the job postings' collection."""
    provinces = "|".join(PROVINCE_CODES)
    zone = config["PORTAL_TIMEZONE"]
    return {
        **_collection("postings", _("Job postings"), _("Job posting"), f"{folder}/{POSTINGS_SECTION}"),
        "fields": [
            *_common_fields("job-posting"),
            _flag("archived", _("Closed (archived)")),
            _flag("formHidden", _("No apply button")),
            {
                "name": "closingDate",
                "label": _("Closing date and time"),
                "widget": "datetime",
                "required": False,
                "i18n": "duplicate",
                "format": DATETIME_FORMAT,
                "picker_utc": False,
                "hint": _(
                    "In the employer's time zone (%(zone)s), whatever your computer's: "
                    "applications close at this moment.",
                    zone=zone,
                ),
            },
            {
                "name": "classification",
                "label": _("Classification"),
                "widget": "string",
                "required": False,
                "i18n": "duplicate",
                "pattern": [
                    CLASSIFICATION_PATTERN,
                    _("A group and a two-digit level, like IT-03; several separated by commas."),
                ],
                "hint": _(
                    "Group and level, like IT-03; several for a process at more than one level: IT-02, IT-03."
                ),
            },
            {
                "name": "salary",
                "label": _("Salary"),
                "widget": "object",
                "required": False,
                # An object is in every language's file; its values are the first language's.
                "i18n": True,
                "collapsed": False,
                "fields": [
                    {
                        "name": "min",
                        "label": _("Minimum"),
                        "widget": "number",
                        "value_type": "int",
                        "min": 0,
                        "required": False,
                        "i18n": "duplicate",
                    },
                    {
                        "name": "max",
                        "label": _("Maximum"),
                        "widget": "number",
                        "value_type": "int",
                        "min": 0,
                        "required": False,
                        "i18n": "duplicate",
                    },
                    {
                        "name": "currency",
                        "label": _("Currency"),
                        "widget": "string",
                        "required": False,
                        "i18n": "duplicate",
                        "pattern": [r"^[A-Z]{3}$", _("A three-letter code, like CAD.")],
                        "hint": _("CAD when empty."),
                    },
                    {
                        "name": "period",
                        "label": _("Paid"),
                        "widget": "select",
                        "required": False,
                        "i18n": "duplicate",
                        "hint": _("A year when empty."),
                        "options": [
                            {"label": str(_SALARY_PERIODS[member]), "value": member.value}
                            for member in SalaryPeriod
                        ],
                    },
                ],
            },
            {
                "name": "compensation",
                "label": _("Salary, in words"),
                "widget": "string",
                "required": False,
                "i18n": True,
                "hint": _("Shown only when no salary is given above."),
            },
            _select(
                "employmentType",
                _("Type of employment"),
                [(member.value, str(EMPLOYMENT_TYPES[member])) for member in EmploymentType],
            ),
            {
                "name": "termEnd",
                "label": _("End of the term"),
                "widget": "datetime",
                "required": False,
                "i18n": "duplicate",
                "format": DATE_FORMAT,
                "time_format": False,
                "picker_utc": True,
                "hint": _("For a term position: when it ends."),
            },
            {
                "name": "term",
                "label": _("Type of employment, in words"),
                "widget": "string",
                "required": False,
                "i18n": True,
                "hint": _("Shown only when no type of employment is chosen above."),
            },
            {
                "name": "locations",
                "label": _("Places of work"),
                "widget": "list",
                "required": False,
                "i18n": True,
                "hint": _(
                    "The city as written in this language, then the province or territory: %(codes)s.",
                    codes=", ".join(f"{code} ({PROVINCE_NAMES[code]})" for code in PROVINCE_CODES),
                ),
                "field": {
                    "name": "location",
                    "label": _("City, province"),
                    "widget": "string",
                    "pattern": [
                        rf"^[^,]+,\s*({provinces})$",
                        _("A city, a comma and a province or territory code, like Ottawa, ON."),
                    ],
                },
            },
            _select(
                "remote",
                _("Remote work"),
                [(member.value, str(REMOTE_WORK[member])) for member in RemoteWork],
            ),
            _select(
                "languageRequirement",
                _("Language requirements"),
                [(member.value, str(LANGUAGE_REQUIREMENTS[member])) for member in LanguageRequirement],
            ),
            {
                "name": "languageLevels",
                "label": _("Second-language levels"),
                "widget": "string",
                "required": False,
                "i18n": "duplicate",
                "pattern": [
                    r"^[ABCEPX]{3}/[ABCEPX]{3}$",
                    _("Reading, writing and oral interaction in English, then French, like CBC/CBC."),
                ],
                "hint": _("For a bilingual position only, like CBC/CBC."),
            },
            questions_field(),
            criteria_field(),
            _select(
                "nameBlind",
                _("Name-blind review"),
                [
                    ("false", _("No")),
                    *(
                        (
                            stage,
                            _(
                                "Yes, names shown from the %(stage)s stage",
                                stage=NAME_BLIND_STAGE_NAMES[stage],
                            ),
                        )
                        for stage in NAME_BLIND_STAGES
                    ),
                ],
                hint=_(
                    "“Yes” written by hand means until the %(stage)s stage.",
                    stage=NAME_BLIND_STAGE_NAMES[NAME_BLIND_DEFAULT_STAGE],
                ),
            ),
            {
                "name": "date",
                "label": _("First advertised"),
                "widget": "datetime",
                "required": False,
                "i18n": "duplicate",
                "format": DATETIME_FORMAT,
                "picker_utc": False,
            },
            {
                "name": "leverId",
                "label": _("Lever posting id"),
                "widget": "string",
                "required": False,
                "i18n": "duplicate",
                "hint": _("Postings from the old Lever system only."),
            },
            _aliases(),
            _body(),
        ],
    }


def questions_field() -> dict[str, Any]:
    """Return the screening questions' list (docs/content.md, "Screening questions")."""
    type_labels = {
        QuestionType.TEXT: _("Text answer"),
        QuestionType.YES_NO: _("Yes or no"),
        QuestionType.CHOICE: _("One choice among several"),
    }
    return {
        "name": "questions",
        "label": _("Screening questions"),
        "label_singular": _("Screening question"),
        "widget": "list",
        "required": False,
        # Without it Decap starts every new posting with one empty question.
        "default": [],
        "i18n": True,
        "summary": "{{fields.label}}",
        "hint": _("Give each question the same id, type and choice ids in every language."),
        "fields": [
            _id_field(),
            {
                "name": "type",
                "label": _("Type"),
                "widget": "select",
                "default": "text",
                "options": [{"label": type_labels[kind], "value": kind.value} for kind in QuestionType],
            },
            {"name": "label", "label": _("Question"), "widget": "string"},
            {"name": "hint", "label": _("Hint"), "widget": "string", "required": False},
            {"name": "required", "label": _("An answer is required"), "widget": "boolean", "default": True},
            {
                "name": "choices",
                "label": _("Choices (for a choice question)"),
                "label_singular": _("Choice"),
                "widget": "list",
                "required": False,
                "default": [],
                "summary": "{{fields.label}}",
                "fields": [_id_field(), {"name": "label", "label": _("Choice"), "widget": "string"}],
            },
            {
                "name": "essential",
                "label": _("Essential requirement (yes-or-no questions only)"),
                "widget": "boolean",
                "default": False,
                "required": False,
            },
            {
                "name": "requiredAnswer",
                "label": _("Answer that meets it"),
                "widget": "select",
                "required": False,
                "options": [{"label": _("Yes"), "value": "yes"}, {"label": _("No"), "value": "no"}],
                "hint": _("For an essential question only; yes when not chosen."),
            },
        ],
    }


def criteria_field() -> dict[str, Any]:
    """Return the merit criteria's list (docs/content.md, "Merit criteria")."""
    kinds = {
        CriterionKind.ESSENTIAL: _("Essential qualification"),
        CriterionKind.ASSET: _("Asset qualification"),
    }
    return {
        "name": "criteria",
        "label": _("Merit criteria"),
        "label_singular": _("Merit criterion"),
        "widget": "list",
        "required": False,
        "default": [],
        "i18n": True,
        "summary": "{{fields.label}}",
        "hint": _("Give each criterion the same id and kind in every language."),
        "fields": [
            _id_field(),
            {
                "name": "kind",
                "label": _("Kind"),
                "widget": "select",
                "default": CriterionKind.ESSENTIAL.value,
                "options": [{"label": kinds[member], "value": member.value} for member in CriterionKind],
            },
            {"name": "label", "label": _("Qualification"), "widget": "text"},
        ],
    }


def _id_field() -> dict[str, Any]:
    return {
        "name": "id",
        "label": _("Id"),
        "widget": "string",
        "pattern": [KEY_PATTERN, _("Lower-case letters, digits and single hyphens only, like data-analyst.")],
    }


def stories(folder: str) -> dict[str, Any]:
    """Return the blog stories' collection."""
    return {
        **_collection("stories", _("Blog stories"), _("Blog story"), f"{folder}/{STORIES_SECTION}"),
        "fields": [
            *_common_fields("blog"),
            {
                "name": "author",
                "label": _("Author"),
                "widget": "string",
                "required": False,
                "i18n": "duplicate",
            },
            {
                "name": "date",
                "label": _("Publication date"),
                "widget": "datetime",
                "required": False,
                "i18n": "duplicate",
                "format": DATETIME_FORMAT,
                "picker_utc": False,
            },
            {
                "name": "image",
                "label": _("Picture"),
                "widget": "image",
                "required": False,
                "i18n": "duplicate",
            },
            {
                "name": "image-alt",
                "label": _("Picture's alternative text"),
                "widget": "text",
                "required": False,
                "i18n": True,
                "hint": _("What the picture shows, for people who cannot see it."),
            },
            {
                "name": "thumb",
                "label": _("Picture in listings"),
                "widget": "image",
                "required": False,
                "i18n": "duplicate",
            },
            {
                "name": "tags",
                "label": _("Topics"),
                "label_singular": _("Topic"),
                "widget": "list",
                "required": False,
                "i18n": True,
                "field": {"name": "tag", "label": _("Topic"), "widget": "string"},
            },
            _aliases(),
            _body(),
        ],
    }
