"""Fault tests: the portal served by gunicorn on loopback, as in production,
broken on purpose (its database, its SMTP server, its workers) while clients
use it. Each test has its own database (an SQLite file, or a PostgreSQL schema
of its own when PORTAL_TEST_DATABASE_URL is set) and a time limit.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import lxml.html
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db
from tests.conftest import BACKENDS, PDF, POSTGRESQL_URL, free_port

#: Seconds any one fault test may take, start to end.
TEST_SECONDS = 60
SERVER_START_SECONDS = 30
#: Seconds one HTTP request may take before the test fails.
REQUEST_SECONDS = 20
FORM = "/en/jobs/head-of-product-management/apply"
SECRET_KEY = "fault-tests-" + "k" * 52
#: What a client meets when the worker serving it dies.
BROKEN = (OSError, http.client.HTTPException)
_schemas = itertools.count(1)


@pytest.fixture(autouse=True)
def time_limit():
    """Fail a fault test that runs longer than TEST_SECONDS (a hang is a failure)."""

    def expire(signum, frame):
        pytest.fail(f"the test took longer than {TEST_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_SECONDS)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


# Databases ---------------------------------------------------------------------


@dataclass
class Database:
    """A migrated database of the test's own, and a way to look inside it."""

    backend: str
    url: str
    #: For PostgreSQL: the server's address, to put a proxy in front of it.
    host: str = ""
    port: int = 0

    def app(self, **settings):
        """Return a portal app on this database (for reading what was stored)."""
        return create_app(
            {"TESTING": True, "PORTAL_CONTENT_RELOAD_INTERVAL": -1, "DATABASE_URL": self.url, **settings}
        )

    def through(self, port: int) -> str:
        """Return this database's URL with the server at 127.0.0.1:``port`` (a proxy)."""
        return self.url.replace(f"@{self.host}:{self.port}/", f"@127.0.0.1:{port}/", 1)


def dispose(app) -> None:
    """Close every database connection of an app the test made."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path, sqlite_template):
    """A migrated, empty database for one fault test: SQLite, and PostgreSQL
    (a schema made for this test alone, dropped after it) when configured."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(sqlite_template, path)
        yield Database("sqlite", f"sqlite:///{path}")
        return
    parts = urlsplit(POSTGRESQL_URL)
    with migrated_schema(f"portal_fault_{next(_schemas)}") as url:
        yield Database("postgresql", url, parts.hostname or "127.0.0.1", parts.port or 5432)


@contextmanager
def migrated_schema(prefix: str) -> Iterator[str]:
    """Make a PostgreSQL schema of its own (``prefix``, the process and a
    random part), migrate it, yield its URL, and drop it afterwards."""
    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    separator = "&" if "?" in POSTGRESQL_URL else "?"
    url = f"{POSTGRESQL_URL}{separator}options=-csearch_path%3D{schema}"
    admin = create_app({"TESTING": True, "DATABASE_URL": POSTGRESQL_URL})
    with admin.app_context(), db.engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        migrated = create_app({"TESTING": True, "DATABASE_URL": url})
        with migrated.app_context():
            upgrade()
        dispose(migrated)
        yield url
    finally:
        with admin.app_context(), db.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        dispose(admin)


# gunicorn ------------------------------------------------------------------------


def portal_environment(database_url: str, folder: Path, **settings) -> dict[str, str]:
    """The environment of the portal's processes: none of the caller's portal
    settings, a secret key, the database, and plain-HTTP cookies on loopback."""
    return {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PORTAL_", "FLASK_", "PYTEST_", "SECRET_KEY", "DATABASE_URL"))
        },
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_DIR": str(folder),
        "PORTAL_SECURE_COOKIES": "false",
        "PORTAL_APPLY_RATE_LIMIT": "100000 per hour",
        "PORTAL_PASSWORD_HASH_METHOD": "argon2id:1:8:1",
        **{name: str(value) for name, value in settings.items()},
    }


def flask_command(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``flask --app wsgi ARGS`` in the checkout, as cron would."""
    return subprocess.Popen(
        [str(PROJECT_ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class Server:
    """gunicorn serving the portal on a free loopback port (``scripts/setup``
    done: the catalogs are compiled by the test session)."""

    def __init__(self, database_url: str, folder: Path, workers: int = 2, **settings) -> None:
        self.port = free_port()
        self.folder = folder
        self.log = folder / "gunicorn.log"
        self.env = portal_environment(database_url, folder, **settings)
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    str(PROJECT_ROOT / ".venv/bin/gunicorn"),
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "3",
                    "wsgi:app",
                ],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn stopped:\n{self.log.read_text()[-3000:]}"
            if len(self.worker_pids()) == self.workers:
                try:
                    if Client(self).get("/healthz").status in (200, 503):
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer in {SERVER_START_SECONDS} s:\n{self.log.read_text()}")

    def worker_pids(self) -> list[int]:
        """The pids of the master's live workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # A quick shutdown (SIGQUIT): the test is over, nothing needs finishing.
        os.killpg(self.process.pid, signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def command(self, *args: str) -> subprocess.Popen:
        """Start ``flask --app wsgi ARGS`` with the server's settings."""
        return flask_command(self.env, *args)


@pytest.fixture
def serve(tmp_path):
    """Return a function starting gunicorn on a database; every server is stopped after the test."""
    servers = []

    def start(database_url: str, **settings) -> Server:
        folder = tmp_path / f"server-{len(servers)}"
        folder.mkdir()
        server = Server(database_url, folder, **settings)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# HTTP clients ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


class Client:
    """A browser without JavaScript: keeps its cookies, follows no redirect."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}

    #: Headers sent with every request (a subclass may name the host).
    sent_always: ClassVar[dict[str, str]] = {}

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        """Open a connection to the server (a subclass may choose TLS or a source address)."""
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers=None,
        timeout: float = REQUEST_SECONDS,
    ) -> Answer:
        started = time.monotonic()
        connection = self.connect(timeout)
        try:
            sent = {**self.sent_always, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Answer(response.status, dict(response.headers), data, time.monotonic() - started)
        finally:
            connection.close()

    def get(self, path: str, timeout: float = REQUEST_SECONDS) -> Answer:
        return self.request("GET", path, timeout=timeout)

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None):
        """POST a multipart form, as a browser sends the application form."""
        body, content_type = multipart(fields, files or {})
        return self.request("POST", path, body, {"Content-Type": content_type})


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """Encode a form as multipart/form-data; return the body and its content type."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    for name, (filename, content) in files.items():
        disposition = f'form-data; name="{name}"; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Filled:
    """An application form as a candidate filled it in."""

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]

    @property
    def token(self) -> str:
        return self.fields["submission_token"]


def fill_form(client: Client, n: int = 0, path: str = FORM) -> Filled:
    """Get the form and fill it in (candidate number ``n``)."""
    answer = client.get(path)
    assert answer.status == 200, answer.status
    tree = lxml.html.fromstring(answer.body)
    fields = {
        name: tree.xpath(f"//input[@name='{name}']/@value")[0] for name in ("csrf_token", "submission_token")
    }
    fields.update(
        full_name=f"Candidate Number{n}",
        email=f"candidate{n}@example.ca",
        phone="613-555-0123",
        preferred_language="fr",
        about=f"I build accessible services (story {n}).",
        link_1="https://example.org/portfolio",
        privacy_acknowledged="y",
    )
    for fieldset in tree.xpath("//fieldset[starts-with(@id, 'question_')]"):
        fields[fieldset.get("id")] = fieldset.xpath(".//input")[0].get("value")
    for textarea in tree.xpath("//textarea[starts-with(@id, 'question_')]"):
        fields[textarea.get("id")] = f"A thoughtful answer {n}."
    return Filled(fields, {"resume": (f"cv-{n}.pdf", PDF)})


def submit(client: Client, filled: Filled, path: str = FORM) -> tuple[Answer, str | None]:
    """Send a filled form; return the answer and the reference it acknowledged (303), if any."""
    answer = client.post(path, filled.fields, filled.files)
    if answer.status != 303:
        return answer, None
    return answer, re.search(r"/([^/]+)/$", answer.headers["Location"]).group(1)


@contextlib.contextmanager
def slow_upload(server: Server, client: Client, filled: Filled):
    """Send a filled form but its last bytes; yield a function that sends them
    and returns the status, or None when the server closed the connection."""
    body, content_type = multipart(filled.fields, filled.files)
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    head = (
        f"POST {FORM} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: {cookies}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_SECONDS)

    def finish() -> int | None:
        try:
            connection.sendall(body[-10:])
            reply = connection.recv(100)
        except OSError:
            return None
        return int(reply.split()[1]) if reply else None

    try:
        connection.sendall(head + body[:-10])
        yield finish
    finally:
        connection.close()


# Servers that misbehave ------------------------------------------------------------


class HungServer:
    """A TCP server on loopback that accepts connections and never says a word
    (an SMTP or PostgreSQL server that hangs)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def hung_server():
    server = HungServer()
    yield server
    server.close()


class Proxy:
    """A TCP proxy on loopback in front of a real server, which a test can
    make refuse connections (the server is down), hang them (it accepts and
    never answers), or forward them again (it is back)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.mode = "forward"
        self._frozen = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._open()

    def _open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
                if self.mode == "hang":
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                if self._frozen.is_set():
                    time.sleep(0.05)
                    continue
                ready, _, _ = select.select([a, b], [], [], 0.05)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            a.close()
            b.close()

    def _cut(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def refuse(self) -> None:
        """The server is down: open connections break, new ones are refused."""
        self._listener.close()
        self._cut()

    def hang(self) -> None:
        """The server hangs: open connections break, new ones are accepted and never answered."""
        self.mode = "hang"
        self._cut()

    def freeze(self) -> None:
        """The server stops answering, on open connections too (a frozen
        process, a network that drops everything): nothing is closed."""
        self.mode = "hang"
        self._frozen.set()

    def forward(self) -> None:
        """The server is back."""
        self._cut()
        self._frozen.clear()
        self.mode = "forward"
        if self._listener.fileno() == -1:
            self._open()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._cut()


# What was stored -------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One stored application with what must come with it."""

    reference: str
    token: str
    full_name: str
    resume: bytes | None
    answers: int
    emails: int


def stored_applications(database: Database) -> dict[str, Stored]:
    """Read every stored application, by submission token."""
    from sqlalchemy import func, select

    from portal.domain.models import Application, OutboxEmail, Resume, ScreeningAnswer

    app = database.app()
    try:
        with app.app_context():
            session = db.session
            resumes = dict(session.execute(select(Resume.application_id, Resume.content)).all())
            answers = dict(
                session.execute(
                    select(ScreeningAnswer.application_id, func.count()).group_by(
                        ScreeningAnswer.application_id
                    )
                ).all()
            )
            emails = dict(
                session.execute(
                    select(OutboxEmail.application_id, func.count()).group_by(OutboxEmail.application_id)
                ).all()
            )
            assert set(resumes) <= {row for row in session.scalars(select(Application.id))}
            return {
                row.submission_token: Stored(
                    row.reference,
                    row.submission_token,
                    row.full_name,
                    resumes.get(row.id),
                    answers.get(row.id, 0),
                    emails.get(row.id, 0),
                )
                for row in session.scalars(select(Application))
            }
    finally:
        dispose(app)
