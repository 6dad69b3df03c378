"""What the browser tests share: Chromium, what they need to run, the
portal served on a loopback port, and an admin to sign in as."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.serving import make_server

from tests.conftest import STAFF_PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN = "admin@nds.example"
#: Chromium's switches for a headless run in a container, without its background traffic.
SWITCHES = ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")


def browser_missing(*needs: tuple[bool, str]) -> str | None:
    """Say what the browser tests lack: Playwright, Chromium, or the first
    of ``needs`` (present, what to say when absent) that is absent; None if nothing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed"
    for present, reason in needs:
        if not present:
            return reason
    return None


@contextmanager
def chromium(*switches: str) -> Iterator:
    """Launch Chromium (headless) with SWITCHES and ``switches``; close it afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*SWITCHES, *switches])
        yield browser
        browser.close()


def add_admin(app) -> None:
    """Give ``app``'s database the admin ADMIN, with the tests' password."""
    from portal.domain import accounts
    from portal.plumbing.db import db

    with app.app_context():
        accounts.create_user(db.session, ADMIN, STAFF_PASSWORD, "admin", now=datetime.now(UTC))
        db.session.commit()


@contextmanager
def served(app) -> Iterator[str]:
    """Serve ``app`` over HTTP on a loopback port, in a thread; yield its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


#: The staff sign-in page in each language.
SIGN_IN = {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}


def sign_in(page, base: str | None = None, lang: str = "en") -> None:
    """Sign in as ADMIN: on ``base``'s sign-in page in ``lang``, or on the one ``page`` shows."""
    if base is not None:
        page.goto(base + SIGN_IN[lang])
    page.fill("#email", ADMIN)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
