"""Configuration: defaults, then environment variables, then the caller's mapping."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Mapping, MutableMapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: The file in the instance folder that holds the secret key written by
#: ``scripts/setup`` (read when SECRET_KEY is not set).
SECRET_KEY_FILE = "secret_key"

#: Every setting the portal reads, with its default. Each one can be set by an
#: environment variable of the same name (see README.md, "Configuration").
DEFAULTS: dict[str, Any] = {
    # Empty means: the key scripts/setup wrote into the instance folder.
    "SECRET_KEY": "",
    # Where the local database and secret key live (never committed).
    "PORTAL_INSTANCE_DIR": str(PROJECT_ROOT / "instance"),
    # Empty means: an SQLite file in the instance folder.
    "DATABASE_URL": "",
    "PORTAL_CONTENT_DIR": str(PROJECT_ROOT / "content"),
    # Seconds between two cheap checks for changed content files; 0 checks on
    # every request, a negative number never reloads.
    "PORTAL_CONTENT_RELOAD_INTERVAL": 2.0,
    # Processes that read and render a large content tree (1,000 files or
    # more) at start; None: one per CPU.
    "PORTAL_CONTENT_WORKERS": None,
    "PORTAL_DEFAULT_LANGUAGE": "en",
    # Languages in display order: the code is the URL prefix and the catalog
    # folder, "locale" formats dates and numbers, "paths" are the URL words.
    "PORTAL_LANGUAGES": {
        "en": {
            "name": "English",
            "locale": "en_CA",
            # Where the job facts explain second-language levels (the Public Service Commission).
            "language_levels_url": "https://www.canada.ca/en/public-service-commission/services/"
            "second-language-testing-public-service.html",
            "paths": {
                "jobs": "jobs",
                "blog": "blog",
                "apply": "apply",
                "applications": "applications",
                "staff": "staff",
                "sign_in": "sign-in",
                "sign_out": "sign-out",
                "postings": "postings",
                "audit": "audit",
                "equity": "equity",
                "search": "search",
                "accounts": "accounts",
                "password": "password",
                "translations": "translations",
                "code": "code",
                "two_factor": "two-factor",
                "set_up": "set-up",
                "recovery_codes": "recovery-codes",
                "turn_off": "turn-off",
                "invite": "invite",
                "invitation": "invitation",
                "forgot_password": "forgot-password",
                "reset_password": "reset-password",
                "legal_hold": "legal-hold",
                "release": "release",
                "alerts": "job-alerts",
                "new": "new",
                "confirm": "confirm",
                "manage": "manage",
                "unsubscribe": "unsubscribe",
                "application_status": "application-status",
                "lost_link": "lost-link",
                "withdraw": "withdraw",
                "assessment": "assessment",
                "record_of_decision": "record-of-decision",
                "name_blind": "name-blind",
                "reveal": "reveal",
                "editor": "editor",
            },
        },
        "fr": {
            "name": "Français",
            "locale": "fr_CA",
            "language_levels_url": "https://www.canada.ca/fr/commission-fonction-publique/services/"
            "evaluation-langue-seconde-fonction-publique.html",
            "paths": {
                "jobs": "emplois",
                "blog": "blogue",
                "apply": "postuler",
                "applications": "candidatures",
                "staff": "personnel",
                "sign_in": "connexion",
                "sign_out": "deconnexion",
                "postings": "offres",
                "audit": "journal",
                "equity": "equite",
                "search": "recherche",
                "accounts": "comptes",
                "password": "mot-de-passe",
                "translations": "traductions",
                "code": "code",
                "two_factor": "deux-facteurs",
                "set_up": "configuration",
                "recovery_codes": "codes-de-recuperation",
                "turn_off": "desactiver",
                "invite": "inviter",
                "invitation": "invitation",
                "forgot_password": "mot-de-passe-oublie",
                "reset_password": "nouveau-mot-de-passe",
                "legal_hold": "suspension-de-destruction",
                "release": "lever",
                "alerts": "alertes-emploi",
                "new": "nouvelle",
                "confirm": "confirmer",
                "manage": "gerer",
                "unsubscribe": "desabonnement",
                "application_status": "etat-de-la-candidature",
                "lost_link": "lien-perdu",
                "withdraw": "retirer",
                "assessment": "evaluation",
                "record_of_decision": "consignation-des-decisions",
                "name_blind": "examen-anonyme",
                "reveal": "lever-l-anonymat",
                "editor": "editeur",
            },
        },
    },
    "PORTAL_ORGANISATION_NAME": {
        "en": "Northern Digital Service",
        "fr": "Service numérique du Nord",
    },
    "PORTAL_TIMEZONE": "America/Toronto",
    # Where a posting that names no place of work is done, for search engines'
    # job listings: "City, PR", several separated by ";"; empty: name no place.
    "PORTAL_DEFAULT_JOB_LOCATION": "Ottawa, ON",
    # A language code (e.g. "qps") to add a pseudo-locale for finding text
    # that skips the catalog; for development and tests only.
    "PORTAL_PSEUDO_LANGUAGE": "",
    # Cache-Control max-age, in seconds, for public pages.
    "PORTAL_PAGE_MAX_AGE": 60,
    # Public responses kept rendered in memory per process (0: render every time).
    "PORTAL_PAGE_CACHE_SIZE": 1000,
    # Applications.
    "PORTAL_MAX_RESUME_BYTES": 5 * 1024 * 1024,
    # A résumé that passed its checks on a form sent back with errors is kept
    # this many hours for the same browser and form (then `flask retention purge`).
    "PORTAL_KEPT_RESUME_HOURS": 3,
    # The ClamAV daemon that scans every résumé: its socket path or tcp://host:port;
    # empty: no virus scanning.
    "PORTAL_CLAMAV_SOCKET": "",
    # While the scanner cannot be reached: "refuse" the résumé (the candidate is
    # told to try again later) or "hold" it from staff until `flask resumes scan`.
    "PORTAL_CLAMAV_UNAVAILABLE": "refuse",
    "PORTAL_PRIVACY_NOTICE_DIR": str(PROJECT_ROOT / "privacy"),
    "PORTAL_HIRING_CONTACT_EMAIL": "careers@nds-snn.example",
    "PORTAL_APPLY_RATE_LIMIT": "10 per hour",
    # A form sent sooner than this after it was served is flagged "too_fast" (never refused).
    "PORTAL_MIN_FILL_SECONDS": 5,
    # "memory://" for one process; "redis://host:6379" shared by every server.
    "PORTAL_RATELIMIT_STORAGE_URI": "memory://",
    # How many reverse proxies to trust for the client address (X-Forwarded-For).
    "PORTAL_PROXY_HOPS": 0,
    # Send cookies over HTTPS only, under __Host- names. Empty (null): on,
    # except in debug mode and tests; false for a site served over plain HTTP.
    "PORTAL_SECURE_COOKIES": None,
    # The host names this site answers to (Host, X-Forwarded-Host); any other gets a 400.
    # A JSON list or names separated by commas.
    "PORTAL_TRUSTED_HOSTS": ["localhost", "127.0.0.1", "::1"],
    # Email: an empty host keeps emails in the outbox until one is set.
    "PORTAL_SMTP_HOST": "",
    "PORTAL_SMTP_PORT": 25,
    # "none", "starttls" or "ssl".
    "PORTAL_SMTP_SECURITY": "none",
    "PORTAL_SMTP_USERNAME": "",
    "PORTAL_SMTP_PASSWORD": "",
    "PORTAL_SMTP_TIMEOUT": 10,
    # The sender of each language's emails; one text is every language's.
    "PORTAL_MAIL_FROM": {
        "en": "Careers <careers@nds-snn.example>",
        "fr": "Carrières <carrieres@nds-snn.example>",
    },
    # Where candidates' replies go (Reply-To), per language like PORTAL_MAIL_FROM;
    # empty: no Reply-To, replies go to the sender.
    "PORTAL_MAIL_REPLY_TO": {"en": "", "fr": ""},
    # Job alerts: a subscription not confirmed within this many days is deleted
    # (by `flask retention purge`), and its confirmation link stops working.
    "PORTAL_ALERT_CONFIRM_DAYS": 7,
    # Staff.
    "PORTAL_STAFF_IDLE_MINUTES": 30,
    # ...and after this many hours, active or not.
    "PORTAL_STAFF_SESSION_HOURS": 12,
    # Argon2id with the library's recommended cost, or "argon2id:TIME:MEMORY_KIB:PARALLELISM".
    "PORTAL_PASSWORD_HASH_METHOD": "argon2id",
    # Who must sign in with an authenticator app too: "optional", "admins" or "everyone".
    "PORTAL_STAFF_TOTP": "optional",
    # Requests for a password reset link accepted per client address.
    "PORTAL_PASSWORD_RESET_RATE_LIMIT": "5 per hour",
    # Retention: applications are deleted this long after their posting closed
    # (two years: the Privacy Regulations' minimum for staffing records)...
    "PORTAL_RETENTION_PERIOD": "2y",
    # ...or this long when the candidate asked to be kept for future opportunities.
    "PORTAL_RETENTION_CONSENTED_PERIOD": "3y",
    # The content editor (Decap CMS, /en/staff/editor/): empty edits the content
    # folder through Decap's local backend (scripts/editor); github, gitlab or
    # gitea edit the repository PORTAL_CMS_REPO ("owner/name") on its branch.
    "PORTAL_CMS_BACKEND": "",
    "PORTAL_CMS_REPO": "",
    "PORTAL_CMS_BRANCH": "main",
    # The content folder's path in that repository.
    "PORTAL_CMS_CONTENT_PATH": "content",
    # The sign-in server (GitHub: an OAuth provider for Decap; GitLab, Gitea:
    # the server) and the host's API, when not the public hosts' own.
    "PORTAL_CMS_BASE_URL": "",
    "PORTAL_CMS_API_ROOT": "",
    # The OAuth application's client id (GitLab, Gitea: sign-in with PKCE).
    "PORTAL_CMS_APP_ID": "",
    # Decap's local backend (decap-server, started by scripts/editor).
    "PORTAL_CMS_LOCAL_URL": "http://127.0.0.1:8081/api/v1",
}


def environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the settings given by environment variables.

    A variable named like a setting replaces it; ``NAME__key`` sets one key of
    a mapping setting (``PORTAL_ORGANISATION_NAME__fr=...``), on top of the
    whole setting when both are given (a text given for every language, like
    ``PORTAL_MAIL_FROM``, then stands for each of the default's keys). Values
    that parse as JSON (numbers, booleans, objects) are taken as such, others
    as text.
    """
    overrides: dict[str, Any] = {}
    # Whole settings first, so NAME__key always lands on top of NAME.
    for name, raw in sorted(environ.items(), key=lambda item: "__" in item[0]):
        setting, _, subkey = name.partition("__")
        if setting not in DEFAULTS:
            continue
        value = _parse_value(raw, DEFAULTS[setting])
        if subkey:
            base = overrides.get(setting, DEFAULTS[setting])
            if isinstance(DEFAULTS[setting], Mapping) and not isinstance(base, Mapping):
                base = dict.fromkeys(DEFAULTS[setting], base)
            merged = dict(base)
            merged[subkey] = value
            overrides[setting] = merged
        else:
            overrides[setting] = value
    return overrides


def _parse_value(raw: str, default: Any) -> Any:
    if isinstance(default, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class ConfigurationError(RuntimeError):
    """The configuration cannot run the portal safely."""


def instance_dir(config: Mapping[str, Any] | None, environ: Mapping[str, str]) -> str:
    """Return the instance folder: the caller's setting, the environment's, or ``instance/``."""
    return str(
        (config or {}).get("PORTAL_INSTANCE_DIR")
        or environ.get("PORTAL_INSTANCE_DIR")
        or DEFAULTS["PORTAL_INSTANCE_DIR"]
    )


def load_secret_key(
    config: MutableMapping[str, Any], instance_path: str, *, debug: bool, testing: bool
) -> None:
    """Make sure ``SECRET_KEY`` is set: from the environment, else from the
    instance folder's ``secret_key`` file, else (debug and tests only) a
    random key for this process. Production without either is refused.

    The instance file is for one machine with its embedded SQLite database:
    servers sharing a database server must share one key, so there it has to
    come from the environment.
    """
    if config["SECRET_KEY"]:
        return
    shared = not (config["DATABASE_URL"] or "sqlite:").startswith("sqlite:")
    if shared and not (debug or testing):
        raise ConfigurationError(
            "no secret key: DATABASE_URL names a database server, so set the SECRET_KEY "
            "environment variable, to the same long random value on every server."
        )
    path = Path(instance_path) / SECRET_KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        config["SECRET_KEY"] = path.read_text(encoding="utf-8").strip()
    if config["SECRET_KEY"]:
        return
    if debug or testing:
        config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise ConfigurationError(
        f"no secret key: set the SECRET_KEY environment variable (the same long random value "
        f"on every server), or run scripts/setup to write {path}."
    )


def validate(config: Mapping[str, Any]) -> None:
    """Refuse settings that would run the portal unsafely or not at all."""
    try:
        ZoneInfo(config["PORTAL_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"PORTAL_TIMEZONE {config['PORTAL_TIMEZONE']!r} is not a time zone (e.g. America/Toronto)."
        ) from None
    if config["DATABASE_URL"]:
        try:
            backend = make_url(config["DATABASE_URL"]).get_backend_name()
        except ArgumentError:
            backend = ""
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ConfigurationError(
                "DATABASE_URL is not an SQLite or PostgreSQL URL "
                "(sqlite:///path/to/file or postgresql://user@host:5432/name)."
            )
    languages = config["PORTAL_LANGUAGES"]
    if not languages:
        raise ConfigurationError("PORTAL_LANGUAGES names no language.")
    if config["PORTAL_DEFAULT_LANGUAGE"] not in languages:
        raise ConfigurationError(
            f"PORTAL_DEFAULT_LANGUAGE {config['PORTAL_DEFAULT_LANGUAGE']!r} is not one of PORTAL_LANGUAGES."
        )
    for code, language in languages.items():
        if "name" not in language or not isinstance(language.get("paths"), dict):
            raise ConfigurationError(f"PORTAL_LANGUAGES[{code!r}] needs a name and its URL words (paths).")
        if code not in config["PORTAL_ORGANISATION_NAME"]:
            raise ConfigurationError(f"PORTAL_ORGANISATION_NAME has no name for language {code!r}.")
    _validate_mail_from(config["PORTAL_MAIL_FROM"], languages)
    _validate_reply_to(config.get("PORTAL_MAIL_REPLY_TO") or "")
    try:
        min_fill = float(config["PORTAL_MIN_FILL_SECONDS"])
    except (TypeError, ValueError):
        min_fill = -1.0
    if not 0 <= min_fill <= 3600:
        raise ConfigurationError("PORTAL_MIN_FILL_SECONDS must be a number of seconds from 0 to 3600.")
    confirm_days = config["PORTAL_ALERT_CONFIRM_DAYS"]
    if isinstance(confirm_days, bool) or not isinstance(confirm_days, int) or not 1 <= confirm_days <= 90:
        raise ConfigurationError("PORTAL_ALERT_CONFIRM_DAYS must be a whole number of days from 1 to 90.")
    kept_hours = config["PORTAL_KEPT_RESUME_HOURS"]
    if isinstance(kept_hours, bool) or not isinstance(kept_hours, int) or not 1 <= kept_hours <= 72:
        raise ConfigurationError("PORTAL_KEPT_RESUME_HOURS must be a whole number of hours from 1 to 72.")
    if config["PORTAL_SMTP_SECURITY"] not in ("none", "starttls", "ssl"):
        raise ConfigurationError("PORTAL_SMTP_SECURITY must be none, starttls or ssl.")
    if config["PORTAL_STAFF_TOTP"] not in ("optional", "admins", "everyone"):
        raise ConfigurationError("PORTAL_STAFF_TOTP must be optional, admins or everyone.")


def _validate_mail_from(setting: Any, languages: Mapping[str, Any]) -> None:
    """Refuse a sender setting that leaves a language without a usable address."""
    if isinstance(setting, str):
        senders = dict.fromkeys(languages, setting)
    elif isinstance(setting, Mapping):
        senders = {code: setting.get(code) for code in languages}
    else:
        senders = {}
    if not senders:
        raise ConfigurationError(
            "PORTAL_MAIL_FROM must be a sender such as 'Careers <careers@example.ca>', or one per "
            'language: {"en": "Careers <careers@example.ca>", "fr": "Carrières <carrieres@example.ca>"}.'
        )
    for code, sender in senders.items():
        if sender is None:
            raise ConfigurationError(f"PORTAL_MAIL_FROM has no sender for language {code!r}.")
        if not isinstance(sender, str) or "@" not in parseaddr(sender)[1]:
            raise ConfigurationError(
                f"PORTAL_MAIL_FROM for language {code!r} is not an address such as "
                f"'Careers <careers@example.ca>': {sender!r}."
            )


def _validate_reply_to(setting: Any) -> None:
    """Refuse a Reply-To setting that is neither empty nor an address."""
    replies = setting.values() if isinstance(setting, Mapping) else [setting]
    for reply in replies:
        if reply and (not isinstance(reply, str) or "@" not in parseaddr(reply)[1]):
            raise ConfigurationError(
                f"PORTAL_MAIL_REPLY_TO is not an address such as 'Careers <careers@example.ca>': {reply!r}."
            )


def mail_from(config: Mapping[str, Any], language: str) -> str:
    """Return the sender of emails written in ``language`` (the default
    language's for a language no longer configured)."""
    setting = config["PORTAL_MAIL_FROM"]
    if isinstance(setting, str):
        return setting
    return setting.get(language) or setting[config["PORTAL_DEFAULT_LANGUAGE"]]


def timezone(config: Mapping[str, Any]) -> ZoneInfo:
    """Return the time zone for dates without one (closing dates, story dates)."""
    return ZoneInfo(config["PORTAL_TIMEZONE"])
