"""Shared fixtures: apps, clients, content trees, the real corpus, a page helper."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from functools import lru_cache
from pathlib import Path

import lxml.html
import pytest
from bs4 import BeautifulSoup
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.domain import accounts, passwords
from portal.plumbing.catalogs import compile_catalogs
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db

SHARED = PROJECT_ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "cds-site"
SEEDS = SHARED / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ("en", "fr")
POSTGRESQL_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRESQL_URL, reason="set PORTAL_TEST_DATABASE_URL to run the PostgreSQL tests"
        ),
    ),
]


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Build the .mo files once, as the setup command does."""
    compile_catalogs(PROJECT_ROOT / "translations")


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory):
    """Keep every app the tests create out of the checkout's instance/ folder
    (its secret key and database belong to the developer)."""
    folder = tmp_path_factory.mktemp("instance")
    patch = pytest.MonkeyPatch()
    patch.setenv("PORTAL_INSTANCE_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture
def make_app(request, tmp_path):
    """Return a factory of test apps; keyword arguments override settings.

    Without a DATABASE_URL, an app gets its own migrated SQLite database, as
    after ``scripts/setup``. Every app's database connections are closed
    after the test, so none is left for the garbage collector (a
    ResourceWarning, an error here).
    """
    apps = []

    def factory(**settings):
        config = {
            "TESTING": True,
            "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
            # Cheap hashing keeps the staff tests fast; production keeps the default.
            "PORTAL_PASSWORD_HASH_METHOD": "argon2id:1:8:1",
        }
        config.update(settings)
        if "DATABASE_URL" not in config:
            path = tmp_path / f"app-{len(apps)}.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            config["DATABASE_URL"] = f"sqlite:///{path}"
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _migrate(url: str) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def empty_database(app) -> None:
    """Delete every row (ids start again at 1), keeping the migrated schema."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An SQLite database migrated once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "portal.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


def worker_schema() -> str:
    """Each pytest-xdist worker has its own PostgreSQL schema in the test database."""
    return "portal_test_" + os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgresql_migrated():
    """This worker's schema in the PostgreSQL test database, made anew and
    migrated once per run; returns its URL."""
    url = f"{POSTGRESQL_URL}{'&' if '?' in POSTGRESQL_URL else '?'}options=-csearch_path%3D{worker_schema()}"
    app = create_app({"TESTING": True, "DATABASE_URL": POSTGRESQL_URL})
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {worker_schema()} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {worker_schema()}"))
        db.engine.dispose()
    _migrate(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A migrated, empty database: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgresql_migrated")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    empty_database(app)
    with app.app_context():
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def shared_apps(tmp_path_factory, sqlite_template):
    """Apps built once per session and lent to one test at a time: building
    an app for every test would cost most of the quick loop. Each gets a
    database of its own (SQLite, or the worker's PostgreSQL schema)."""
    apps: dict[str, object] = {}

    def get(name: str, database: str, **settings):
        if name not in apps:
            if database == "sqlite":
                path = tmp_path_factory.mktemp("shared") / f"{name}.sqlite3"
                shutil.copy(sqlite_template, path)
                database = f"sqlite:///{path}"
            apps[name] = create_app(
                {
                    "TESTING": True,
                    "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
                    "PORTAL_PASSWORD_HASH_METHOD": "argon2id:1:8:1",
                    "DATABASE_URL": database,
                    **settings,
                }
            )
        return apps[name]

    yield get
    for app in apps.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def lent(app):
    """Lend a shared app to one test: empty database and rate limits, and the
    test's changes to its configuration undone afterwards."""
    saved = dict(app.config)
    empty_database(app)
    app.extensions["portal.rendered_pages"].clear()
    limiter = app.extensions["portal.limiter"]
    if limiter.enabled:
        limiter.reset()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
        app.config.clear()
        app.config.update(saved)


@pytest.fixture(params=BACKENDS)
def db_app(request, shared_apps):
    """A portal with a migrated, empty database; rate limits off."""
    database = "sqlite" if request.param == "sqlite" else request.getfixturevalue("postgresql_migrated")
    with lent(shared_apps(f"db-{request.param}", database, RATELIMIT_ENABLED=False)) as app:
        yield app


@pytest.fixture
def app(shared_apps):
    """The portal with its bundled sample content and default settings."""
    with lent(shared_apps("default", "sqlite")) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content_tree(tmp_path):
    """Return a helper writing files into a fresh content root (dedented)."""
    root = tmp_path / "content"
    root.mkdir()

    def write(relative: str, text: str) -> Path:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    write.root = root
    return write


def shared_path(*parts: str) -> Path:
    """Return a path in ../shared, skipping the test when it is absent (a clone
    outside this workplace)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared corpus is only in the workplace)")
    return path


@dataclass
class Page:
    """A parsed HTML response with the checks every page must pass."""

    response: object
    soup: BeautifulSoup

    @property
    def h1(self) -> str:
        return self.soup.h1.get_text(" ", strip=True)

    @property
    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)

    def toggle(self) -> dict[str, str]:
        """Return the language toggle's links, by language code."""
        nav = self.soup.select_one("nav.language-toggle")
        return {a["lang"]: a["href"] for a in nav.find_all("a")} if nav else {}

    def alternates(self) -> dict[str, str]:
        """Return the page's language versions (hreflang links), by language code."""
        return {
            link["hreflang"]: link["href"]
            for link in self.soup.find_all("link", rel="alternate", hreflang=True)
            if link["hreflang"] != "x-default"
        }

    def links(self) -> list[str]:
        return [a["href"] for a in self.soup.find_all("a", href=True)]


def parse_page(response, status: int = 200, lang: str | None = None) -> Page:
    """Check the status and the page invariants (lang, one h1, title, skip link)."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
    html_lang = soup.html.get("lang")
    assert html_lang, "<html> has no lang"
    if lang is not None:
        assert html_lang == lang
    headings = soup.find_all("h1")
    assert len(headings) == 1, f"{len(headings)} <h1> on the page"
    heading = " ".join(headings[0].get_text(" ", strip=True).split())
    title = " ".join(soup.title.get_text(" ", strip=True).split())
    assert title.startswith(heading), (title, heading)
    skip = soup.select_one("a.skip-link")
    assert skip is not None and soup.find(id=skip["href"].lstrip("#")) is not None
    return Page(response, soup)


@pytest.fixture
def page():
    return parse_page


@dataclass
class SMTPServer:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str
    port: int
    messages: list = field(default_factory=list)

    def received(self):
        return [message_from_bytes(raw, policy=policy.default) for raw in self.messages]


class _Collector:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        self.server.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start aiosmtpd on a free loopback port for one test."""
    from aiosmtpd.controller import Controller

    server = SMTPServer("127.0.0.1", free_port())
    controller = Controller(_Collector(server), hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


#: A real one-page PDF, as pypdf writes it (the résumé checks parse every PDF).
PDF = (
    b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n"
    b"1 0 obj\n<<\n/Producer (pypdf)\n>>\nendobj\n"
    b"2 0 obj\n<<\n/Type /Pages\n/Count 1\n/Kids [ 4 0 R ]\n>>\nendobj\n"
    b"3 0 obj\n<<\n/Type /Catalog\n/Pages 2 0 R\n>>\nendobj\n"
    b"4 0 obj\n<<\n/Type /Page\n/Resources <<\n>>\n/MediaBox [ 0.0 0.0 612 792 ]\n/Parent 2 0 R\n>>\nendobj\n"
    b"xref\n0 5\n0000000000 65535 f \n0000000015 00000 n \n0000000054 00000 n \n"
    b"0000000113 00000 n \n0000000162 00000 n \n"
    b"trailer\n<<\n/Size 5\n/Root 3 0 R\n/Info 1 0 R\n>>\nstartxref\n256\n%%EOF\n"
)


def form_tokens(html: str) -> dict[str, str]:
    """Return the hidden values a browser would send back with the form."""
    return {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
        for name in ("csrf_token", "submission_token")
    }


@pytest.fixture
def application_form():
    """Return a helper that fetches a form and returns valid data for it,
    with overrides (None removes a field)."""

    def fill(client, url: str, **overrides):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        data = {
            **form_tokens(response.get_data(as_text=True)),
            "full_name": "Ada Tremblay",
            "email": "Ada.Tremblay@Example.CA",
            "phone": "613-555-0123",
            "pronouns": "she/her",
            "preferred_language": "en",
            "about": "I build accessible services.",
            "link_1": "https://example.org/portfolio",
            "accommodation": "Extra time for written tests.",
            "keep_for_future": "y",
            "privacy_acknowledged": "y",
            "resume": (io.BytesIO(PDF), "cv-ada.pdf"),
        }
        # lxml directly: this runs before most form tests, and BeautifulSoup is slower.
        tree = lxml.html.fromstring(response.get_data())
        for fieldset in tree.xpath("//fieldset[starts-with(@id, 'question_')]"):
            data[fieldset.get("id")] = fieldset.xpath(".//input")[0].get("value")
        for textarea in tree.xpath("//textarea[starts-with(@id, 'question_')]"):
            data[textarea.get("id")] = "A thoughtful answer."
        for name, value in overrides.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    return fill


def notice_version() -> str:
    """The version of the bundled privacy notice, which each application stores."""
    front = (PROJECT_ROOT / "privacy" / "en.md").read_text(encoding="utf-8").split("---")[1]
    return re.search(r"^version: '([^']+)'", front, re.M).group(1)


STAFF_PASSWORD = "correct horse battery staple"


@dataclass
class StaffAccounts:
    """Accounts for staff tests; reviewer "assigned" sees head-product-management."""

    app: object
    admin: str = "admin@nds.example"
    assigned: str = "assigned@nds.example"
    unassigned: str = "unassigned@nds.example"
    disabled: str = "disabled@nds.example"

    def client(self, email: str | None):
        """Return a test client signed in as ``email`` (None: anonymous)."""
        client = self.app.test_client()
        if email is not None:
            response = sign_in(client, email, STAFF_PASSWORD)
            assert response.status_code == 302, response.data[-500:]
        return client


def sign_in(client, email: str, password: str, lang: str = "en", next_url: str | None = None):
    """Sign in through the real form; return the POST's response."""
    url = {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}[lang]
    html = client.get(url).get_data(as_text=True)
    token = form_tokens_csrf(html)
    target = url + (f"?next={next_url}" if next_url else "")
    return client.post(target, data={"csrf_token": token, "email": email, "password": password})


def form_tokens_csrf(html: str) -> str:
    """Return the first CSRF token on a page."""
    field = re.search(r'<input[^>]*\bname="csrf_token"[^>]*>', html).group(0)
    return re.search(r'\bvalue="([^"]*)"', field).group(1)


@lru_cache(maxsize=1)
def staff_password_hash() -> str:
    """STAFF_PASSWORD, checked for strength and hashed as the shared apps hash (once a run)."""
    assert passwords.weakness(STAFF_PASSWORD) is None
    return passwords.hash_password(STAFF_PASSWORD, "argon2id:1:8:1")


def create_staff(app) -> StaffAccounts:
    """Create an admin, an assigned reviewer, an unassigned one and a disabled one."""
    now = datetime.now(UTC)
    with app.app_context():
        for email, role in (
            ("admin@nds.example", "admin"),
            ("assigned@nds.example", "reviewer"),
            ("unassigned@nds.example", "reviewer"),
            ("disabled@nds.example", "reviewer"),
        ):
            # The password's strength was judged once (staff_password_hash); judging
            # it for four accounts in every staff test would cost seconds a run.
            user = accounts.create_invited_user(db.session, email, role, now=now)
            user.password_hash = staff_password_hash()
            if email == "assigned@nds.example":
                accounts.set_assignments(db.session, user, {"head-product-management"})
            if email == "disabled@nds.example":
                accounts.set_assignments(db.session, user, {"head-product-management"})
                accounts.set_active(db.session, user, False)
        db.session.commit()
    return StaffAccounts(app)


@pytest.fixture
def staff(db_app):
    """Staff accounts on ``db_app`` (see create_staff)."""
    return create_staff(db_app)


@pytest.fixture
def submitted(db_app, application_form):
    """Submit one application to head-product-management and one to
    senior-python-developer; return their ids by posting key."""
    from sqlalchemy import select

    from portal.domain.models import Application

    client = db_app.test_client()
    for url in ("/en/jobs/head-of-product-management/apply", "/en/jobs/senior-python-developer/apply"):
        response = client.post(url, data=application_form(client, url))
        assert response.status_code == 303
    with db_app.app_context():
        return {a.posting_key: a.id for a in db.session.scalars(select(Application))}
