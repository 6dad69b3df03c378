"""HTTP caching and security headers shared by every page."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app, g, make_response, render_template, request, session
from flask.sessions import SecureCookieSessionInterface

from .config import PROJECT_ROOT

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=(), interest-cohort=()"
    ),
}
_SECURITY_HEADER_ITEMS = tuple((name, name.lower(), value) for name, value in SECURITY_HEADERS.items())
#: Sent over HTTPS only: browsers then never try plain HTTP for two years.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Fingerprint this build (for ETags) and add security headers to responses."""
    app.extensions["portal.build_id"] = build_fingerprint(
        [PROJECT_ROOT / "templates", PROJECT_ROOT / "static", app.config["BABEL_TRANSLATION_DIRECTORIES"]]
    )
    app.extensions["portal.rendered_pages"] = RenderedPages(int(app.config["PORTAL_PAGE_CACHE_SIZE"]))
    app.after_request(_add_security_headers)
    app.session_interface = PublicPagesSessionInterface()


class PublicPagesSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, except that a public page (one the cache may
    share: the same for every visitor) does not say ``Vary: Cookie`` merely
    because its template looked for flashed messages: a shared cache would
    otherwise keep one copy per visitor's cookie, and nginx none at all."""

    def save_session(self, app: Flask, session, response: Response) -> None:
        super().save_session(app, session, response)
        shared = response.cache_control.public and "Set-Cookie" not in response.headers
        if shared and not session.modified:
            response.vary.discard("Cookie")


def build_fingerprint(folders: Iterable[os.PathLike | str]) -> str:
    """Hash the names, sizes and mtimes of the files that shape every page."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in folders:
        for directory, subdirectories, files in os.walk(folder):
            subdirectories.sort()
            for name in sorted(files):
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}{stat.st_size}{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _session_cookie_will_be_set() -> bool:
    # Flask writes the session cookie after the after_request functions run.
    return session.modified or current_app.session_interface.should_set_cookie(current_app, session)


def _add_security_headers(response: Response) -> Response:
    # A view may have set its own (a download's sandbox CSP): those are kept.
    present = {name.lower() for name, _value in response.headers.items()}
    for name, lowered, value in _SECURITY_HEADER_ITEMS:
        if lowered not in present:
            response.headers.add(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if "Set-Cookie" in response.headers or _session_cookie_will_be_set():
        # What sets a cookie belongs to one browser: no shared cache may keep it.
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_store = True
        response.cache_control.max_age = None
        response.vary.add("Cookie")
    return response


def render_cached(template: str, *, validator: Iterable, status: int = 200, **context) -> Response:
    """Render a public page with an ETag computed before rendering.

    ``validator`` lists everything the page depends on besides the build
    (content version, language, slug...). A matching ``If-None-Match`` gets a
    304 without rendering at all.
    """
    return respond_cached(lambda: render_template(template, **context), validator=validator, status=status)


class RenderedPages:
    """Public responses already rendered, by ETag and host, the least recently
    used forgotten first: a page the same for every visitor is rendered once per
    build, content version and validator, then served from memory."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._pages: OrderedDict[tuple[str, str], str | bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | bytes | None:
        """Return a rendered response, or None."""
        with self._lock:
            rendered = self._pages.get(key)
            if rendered is not None:
                self._pages.move_to_end(key)
            return rendered

    def clear(self) -> None:
        """Forget every rendered response."""
        with self._lock:
            self._pages.clear()

    def put(self, key: tuple[str, str], rendered: str | bytes) -> None:
        """Keep a rendered response, forgetting the least recently used beyond capacity."""
        if self.capacity <= 0:
            return
        with self._lock:
            self._pages[key] = rendered
            self._pages.move_to_end(key)
            while len(self._pages) > self.capacity:
                self._pages.popitem(last=False)


def _personal() -> bool:
    # A page that wrote to the session or holds a CSRF token belongs to one
    # visitor: it is never kept for the others.
    return session.modified or "csrf_token" in g


def kept_in_memory(parts: Iterable, body: Callable[[], str | bytes]) -> str | bytes:
    """Return ``body()``, rendered once per build and ``parts`` and then
    served from memory: for what is the same for every visitor but needs no
    ETag (an error page)."""
    seed = "\0".join(str(part) for part in (current_app.extensions["portal.build_id"], *parts))
    return _kept(hashlib.blake2b(seed.encode(), digest_size=16).hexdigest(), body)


def _kept(digest: str, body: Callable[[], str | bytes]) -> str | bytes:
    pages = current_app.extensions["portal.rendered_pages"]
    # Absolute URLs in a page (canonical, feeds) name the scheme and host it was asked of.
    key = (digest, request.host_url)
    rendered = None if current_app.debug else pages.get(key)
    if rendered is None:
        rendered = body()
        if not _personal():
            pages.put(key, rendered)
    return rendered


def respond_cached(
    body: Callable[[], str | bytes], *, validator: Iterable, status: int = 200, mimetype: str | None = None
) -> Response:
    """Answer with ``body()`` (a page, a feed, a sitemap) and a public ETag
    computed from the build, the path and ``validator`` before ``body`` is
    called; a matching ``If-None-Match`` gets a 304 without calling it."""
    build = current_app.extensions["portal.build_id"]
    if current_app.debug:
        # Templates reload on every change in debug: never trust an old ETag.
        build = f"{build}-{time.time_ns()}"
    seed = "\0".join(str(part) for part in (build, request.path, status, *validator))
    etag = hashlib.blake2b(seed.encode(), digest_size=16).hexdigest()
    if status == 200 and etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = make_response(_kept(etag, body), status)
        if mimetype is not None:
            response.mimetype = mimetype
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config["PORTAL_PAGE_MAX_AGE"])
    return response
