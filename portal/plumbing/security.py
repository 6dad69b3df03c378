"""Request protection: CSRF on every form, rate limits, proxy headers, host
names, cookies."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Protect forms, limit submissions, trust the configured proxies only."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["PORTAL_RATELIMIT_STORAGE_URI"])
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A long application form must not expire while the candidate writes it.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Flask has these keys already (with laxer values): set them, not setdefault.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    secure = secure_cookies(app)
    app.config["SESSION_COOKIE_SECURE"] = secure
    if secure:
        # A __Host- cookie is refused by browsers unless Secure, for this host
        # only (no Domain) and for every path: no subdomain can set or read it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["PORTAL_TRUSTED_HOSTS"])
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["PORTAL_MAX_RESUME_BYTES"]) + 1024 * 1024
    hops = int(app.config["PORTAL_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    # One limiter per app: Flask-Limiter keeps its storage and key prefix on
    # the Limiter object, so a shared one would mix the counts of two apps.
    limiter = Limiter(key_func=get_remote_address, app=app)
    # Every limit is on form submissions (POST): pages that only read are not
    # looked at, which keeps the cost of a page served from memory low.
    limiter.request_filter(_only_reads)
    app.extensions["portal.limiter"] = limiter


def _only_reads() -> bool:
    return request.method in ("GET", "HEAD", "OPTIONS")


def secure_cookies(app: Flask) -> bool:
    """Tell whether cookies are HTTPS-only: as configured, else everywhere but
    in debug mode and tests."""
    setting = app.config["PORTAL_SECURE_COOKIES"]
    if setting is None or setting == "":
        return not (app.debug or app.testing)
    return setting if isinstance(setting, bool) else str(setting).lower() in ("1", "true", "yes")


def trusted_hosts(setting) -> list[str]:
    """Return the host names from a list or a comma-separated text."""
    names = setting.split(",") if isinstance(setting, str) else setting
    return [name.strip() for name in names if name.strip()]


def limit_submissions(app: Flask, blueprint_name: str) -> None:
    """Limit the POSTs to a blueprint's routes per client address
    (``PORTAL_APPLY_RATE_LIMIT``)."""
    limiter = app.extensions["portal.limiter"]
    limiter.limit(apply_rate_limit, methods=["POST"])(app.blueprints[blueprint_name])


def apply_rate_limit() -> str:
    """Return the configured limit on application submissions per address."""
    return current_app.config["PORTAL_APPLY_RATE_LIMIT"]
