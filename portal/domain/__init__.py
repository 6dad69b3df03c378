"""The domain: the portal's rules, free of HTTP.

Taking applications (``applications``, ``resumes``, ``antivirus``,
``privacy``), reviewing them (``review``, ``postings``), staff ``accounts``,
the ``audit`` log, ``retention`` and ``mail``, job ``alerts``, over the
typed ``models``.
Service functions take a session and flush; they never commit (the request,
or a command, does). The one exception is ``mail.deliver``, the sender that
runs after the response or from cron: each claim and each result is a
transaction of its own, so a crash mid-run loses nothing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..plumbing.config import ConfigurationError
from . import antivirus, passwords, privacy, retention


def init_app(app: Flask) -> None:
    """Check the retention periods and password hashing; load the privacy notices."""
    try:
        passwords.hasher(app.config["PORTAL_PASSWORD_HASH_METHOD"])
    except ValueError as error:
        raise ConfigurationError(f"PORTAL_PASSWORD_HASH_METHOD: {error}") from None
    settings = {
        "retention_period": "PORTAL_RETENTION_PERIOD",
        "consented_retention_period": "PORTAL_RETENTION_CONSENTED_PERIOD",
    }
    for setting in settings.values():
        try:
            retention.parse_period(app.config[setting])
        except ValueError as error:
            raise ConfigurationError(f"{setting}: {error}") from None
    try:
        antivirus.check_settings(app.config)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    periods = {name: app.config[setting] for name, setting in settings.items()}
    periods["alert_confirm_period"] = f"{int(app.config['PORTAL_ALERT_CONFIRM_DAYS'])}d"
    languages = app.config["PORTAL_LANGUAGES"]
    app.extensions["portal.privacy"] = privacy.load_notices(
        Path(app.config["PORTAL_PRIVACY_NOTICE_DIR"]),
        {code: language.get("locale", code) for code, language in languages.items()},
        periods=periods,
        optional=frozenset(code for code, language in languages.items() if language.get("pseudo")),
    )
