"""The production topology of README's "Production" section, run on loopback:
nginx (deploy/nginx/portal.conf, rendered by deploy/render-nginx) in front of
gunicorn (deploy/gunicorn.conf.py), and two app servers sharing one
PostgreSQL database and one Redis.

nginx runs as whoever runs the tests (workers included), with its own prefix,
pid and temporary folders in the test's folder, on free loopback ports, with a
self-signed certificate.
Needs nginx, openssl and gunicorn; skipped without them unless
PORTAL_REQUIRE_TOPOLOGY_TESTS=1 (CI sets it). The two-server tests need
PORTAL_TEST_DATABASE_URL and PORTAL_TEST_REDIS_URL.

What it shows (2 CPUs): while 10 clients send their request a byte a second,
gunicorn alone (2 sync workers) answers no one else for as long as they keep
sending (measured: no answer in 5 s; 6 ms without them), while behind nginx
the form, rendered by a worker each time, still comes in 25 to 70 ms (35 ms
without them: a new TLS connection each time). A public page nginx keeps:
about 29,000 a second through nginx against 1,400 from gunicorn (wrk, 8
connections, same machine).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import lxml.html
import pytest
from sqlalchemy import select

from portal import create_app
from portal.content.loader import PARALLEL_FROM_FILES
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db
from portal.plumbing.http import SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY
from tests.conftest import POSTGRESQL_URL, SMTPServer, _Collector, create_staff, free_port
from tests.faults.conftest import (
    Answer,
    Client,
    dispose,
    fill_form,
    migrated_schema,
    portal_environment,
    submit,
)
from tests.requires import skip_module_unless_present

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
GUNICORN = PROJECT_ROOT / ".venv" / "bin" / "gunicorn"
OPENSSL = shutil.which("openssl")
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")
RENDER = PROJECT_ROOT / "deploy" / "render-nginx"
GUNICORN_CONF = "deploy/gunicorn.conf.py"
FORM = "/en/jobs/head-of-product-management/apply"
START_SECONDS = 30
#: The page any visitor must get within this, however many slow clients there are.
PAGE_SECONDS = 1.0


skip_module_unless_present(
    next(
        (
            f"{name} is not installed"
            for name, found in (("nginx", NGINX), ("openssl", OPENSSL), ("gunicorn", GUNICORN.exists()))
            if not found
        ),
        None,
    ),
    "PORTAL_REQUIRE_TOPOLOGY_TESTS",
)

pytestmark = pytest.mark.topology


def loopback_pair() -> tuple[str, str]:
    """Two loopback addresses of their own (Linux answers on all of 127/8),
    so counts kept in a shared Redis by client address start at zero."""
    prefix = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}"
    return f"{prefix}.2", f"{prefix}.3"


# Servers ---------------------------------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"stopped:\n{log.read_text()[-3000:]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def stop(*processes: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop process groups, all at once, then wait for them."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        os.killpg(process.pid, sig)
    for process in running:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Gunicorn:
    """``gunicorn --config deploy/gunicorn.conf.py wsgi:app``, as README says, on a free port."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log = folder / "gunicorn.log"
        self.env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": "2"}
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", GUNICORN_CONF, "wsgi:app"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, self.process, self.log)
        # Both workers have booted (each loads the content) once the log says so.
        deadline = time.monotonic() + START_SECONDS
        while self.log.read_text().count("Booting worker") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert HTTP("127.0.0.1", self.port).get("/healthz").status == 200

    def command(self, *args: str) -> subprocess.Popen:
        """Start ``flask --app wsgi ARGS`` with this server's settings (cron's way)."""
        return subprocess.Popen(
            [str(PROJECT_ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> None:
        stop(self.process, sig=signal.SIGQUIT)


def render_nginx(folder: Path, upstreams: list[int], **settings: str) -> str:
    """Run deploy/render-nginx for loopback ports and the test's folders."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NGINX_SERVER_NAME": "localhost",
        "NGINX_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in upstreams),
        "NGINX_HTTP_LISTEN": f"127.0.0.1:{free_port()}",
        "NGINX_HTTPS_LISTEN": f"127.0.0.1:{free_port()}",
        "NGINX_TLS_CERTIFICATE": str(folder / "cert.pem"),
        "NGINX_TLS_CERTIFICATE_KEY": str(folder / "key.pem"),
        "NGINX_EXPORT_DIR": str(folder / "export"),
        "NGINX_CACHE_DIR": str(folder / "cache"),
        "NGINX_ACCESS_LOG": str(folder / "access.log"),
        **settings,
    }
    result = subprocess.run([str(RENDER)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


class Nginx:
    """nginx as this user, with the rendered site inside a main file of the test's own."""

    def __init__(self, folder: Path, upstreams: list[int]) -> None:
        self.folder = folder
        self.site = prepare_nginx(folder, upstreams)
        self.port = int(re.search(r"listen 127\.0\.0\.1:(\d+) ssl", self.site).group(1))
        self.http_port = int(re.search(r"listen 127\.0\.0\.1:(\d+);", self.site).group(1))
        self.export = folder / "export"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        with (folder / "nginx.out").open("w") as output:
            self.process = subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, self.process, folder / "nginx.out")

    def client(self, source: str = "127.0.0.1") -> HTTP:
        return HTTP("127.0.0.1", self.port, source=source, tls=True)

    def stop(self) -> None:
        stop(self.process)


def prepare_nginx(folder: Path, upstreams: list[int]) -> str:
    """Write a certificate, the rendered site and a main file in ``folder``; return the site."""
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
        ],
        capture_output=True,
        check=True,
        timeout=30,
    )  # fmt: skip
    site = render_nginx(folder, upstreams)
    (folder / "portal.conf").write_text(site, encoding="utf-8")
    (folder / "nginx.conf").write_text(main_configuration(folder), encoding="utf-8")
    return site


#: The types Debian's nginx maps file names to, as in production.
MIME_TYPES = "/etc/nginx/mime.types"


def main_configuration(folder: Path) -> str:
    """What /etc/nginx/nginx.conf gives the site in production, in the test's folder."""
    # As root (a CI container), nginx's workers would run as nobody, who
    # cannot enter the test's folder: they run as root there.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include {MIME_TYPES};
    default_type application/octet-stream;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/portal.conf;
}}
"""


# HTTP clients -----------------------------------------------------------------------


class HTTP(Client):
    """A browser without JavaScript from one source address: keeps its
    cookies, follows no redirect, speaks HTTPS to nginx and HTTP to gunicorn."""

    sent_always: ClassVar[dict[str, str]] = {"Host": "localhost"}

    def __init__(self, host: str, port: int, source: str = "127.0.0.1", tls: bool = False) -> None:
        self.host, self.port, self.source, self.tls = host, port, source, tls
        self.cookies: dict[str, str] = {}

    def connect(self, timeout: float = 20) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, source_address=(self.source, 0), context=insecure()
            )
        return http.client.HTTPConnection(
            self.host, self.port, timeout=timeout, source_address=(self.source, 0)
        )

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        """GET a page's form, then POST ``fields`` with its CSRF token (url-encoded)."""
        from urllib.parse import urlencode

        token = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', self.get(path).body).group(1)
        body = urlencode({"csrf_token": token, **fields}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.tls:
            # Over HTTPS a form is accepted only from a page of the same site, as a browser says.
            headers["Referer"] = f"https://localhost{path}"
        return self.request("POST", path, body, headers)


def insecure() -> ssl.SSLContext:
    """The test's certificate is its own: no chain to check."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def h1(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).xpath("string(//h1)").split())


class SlowClients:
    """Clients that open a connection and send their request one byte a
    second (slowloris), each from its own thread, until stopped."""

    REQUEST = b"GET /en/jobs/ HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow\r\nX-Padding: " + b"a" * 200

    def __init__(self, port: int, count: int, tls: bool) -> None:
        self.stopped = threading.Event()
        self.sockets: list[socket.socket] = []
        for _ in range(count):
            raw = socket.create_connection(("127.0.0.1", port), timeout=5)
            self.sockets.append(insecure().wrap_socket(raw, server_hostname="localhost") if tls else raw)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        for byte in self.REQUEST:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(bytes([byte]))
            if self.stopped.wait(1):
                return

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


# One machine: nginx in front of gunicorn ------------------------------------------


@pytest.fixture(scope="module")
def edge(tmp_path_factory, sqlite_template):
    """nginx in front of one gunicorn (2 sync workers), on an SQLite database,
    trusting one proxy (PORTAL_PROXY_HOPS=1), with a small submission limit
    counted in Redis when there is one."""
    folder = tmp_path_factory.mktemp("edge")
    database = folder / "portal.sqlite3"
    shutil.copy(sqlite_template, database)
    env = portal_environment(
        f"sqlite:///{database}",
        folder,
        PORTAL_PROXY_HOPS=1,
        PORTAL_SECURE_COOKIES="true",
        PORTAL_APPLY_RATE_LIMIT="2 per minute",
        PORTAL_RATELIMIT_STORAGE_URI=REDIS_URL or "memory://",
    )
    app = Gunicorn(folder / "gunicorn", env)
    try:
        proxy = Nginx(folder / "nginx", [app.port])
        try:
            yield proxy, app
        finally:
            proxy.stop()
    finally:
        app.stop()


def test_the_rendered_configuration_agrees_with_the_app(tmp_path, make_app):
    """nginx accepts the rendered file; it refuses bodies at the app's own
    limit, and exported pages carry the headers the app sends."""
    site = prepare_nginx(tmp_path, [8000, 8001])
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    app = make_app()
    assert f"client_max_body_size {app.config['MAX_CONTENT_LENGTH']};" in site
    sent = dict(re.findall(r'add_header ([\w-]+) "([^"]*)";', site))
    assert sent == {**SECURITY_HEADERS, "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY}
    assert f'default "public, max-age={app.config["PORTAL_PAGE_MAX_AGE"]}";' in site
    assert not re.search(r"\$\{(NGINX|PORTAL)_", site), "every placeholder is filled"
    larger = render_nginx(tmp_path, [8000], PORTAL_MAX_RESUME_BYTES=str(10 * 1024 * 1024))
    assert f"client_max_body_size {11 * 1024 * 1024};" in larger
    missing = subprocess.run([str(RENDER)], env={}, capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 1 and "NGINX_SERVER_NAME" in missing.stderr


def test_the_content_is_read_once_before_the_workers_start(edge):
    """With deploy/gunicorn.conf.py the master builds the content index and
    forks workers that already have it: no visitor waits for a load."""
    _, app = edge
    log = app.log.read_text()
    loaded = log.index("content loaded before the workers start")
    assert loaded < log.index("Booting worker")
    assert log.count("content loaded before the workers start") == 1


def test_slow_clients_hold_gunicorn_alone_but_not_behind_nginx(edge):
    """10 clients sending a byte a second: gunicorn's 2 sync workers, asked
    directly, answer nobody else; through nginx every page still comes within
    a second (nginx passes a request on only once it has all of it)."""
    proxy, app = edge
    slow = SlowClients(app.port, 10, tls=False)
    try:
        time.sleep(1)
        with pytest.raises(TimeoutError):
            HTTP("127.0.0.1", app.port).get("/en/jobs/", timeout=PAGE_SECONDS)
    finally:
        slow.close()
    assert HTTP("127.0.0.1", app.port).get("/healthz", timeout=5).status == 200, "free again"

    slow = SlowClients(proxy.port, 10, tls=True)
    took = []
    try:
        visitor = proxy.client()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            # The form is never kept by nginx: each one is rendered by a worker.
            for path in ("/en/jobs/", FORM, "/fr/emplois/"):
                answer = visitor.get(path, timeout=PAGE_SECONDS)
                assert answer.status == 200, (path, answer.status)
                took.append(answer.seconds)
            time.sleep(0.2)
    finally:
        slow.close()
    assert len(took) >= 6 and max(took) < PAGE_SECONDS, took


def test_the_app_sees_each_clients_own_address(edge):
    """A form sent without its token is refused and audited with the
    address of the client, as nginx passed it on (X-Forwarded-For)."""
    from portal.domain.models import AuditEvent

    proxy, app = edge
    address, _ = loopback_pair()
    body = b"full_name=Ada"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://localhost{FORM}"}
    assert proxy.client(address).request("POST", FORM, body, headers).status == 400
    reader = create_app({"TESTING": True, "DATABASE_URL": app.env["DATABASE_URL"]})
    try:
        with reader.app_context():
            seen = db.session.scalars(
                select(AuditEvent.ip_address).where(AuditEvent.action == "csrf_refused")
            ).all()
    finally:
        dispose(reader)
    assert address in seen, seen


@pytest.mark.skipif(not REDIS_URL, reason="set PORTAL_TEST_REDIS_URL (in memory, each worker counts alone)")
def test_the_limit_on_submissions_counts_each_real_client_address(edge):
    """Behind nginx the limit counts each client's own address: one that
    sent too many forms is refused, another is not (counted in Redis, as in
    production: in memory://, each worker would count alone)."""
    proxy, _ = edge
    first, second = loopback_pair()
    statuses = [proxy.client(first).post_form(FORM, {"full_name": "Ada"}).status for _ in range(3)]
    assert statuses == [200, 200, 429], statuses
    refused = proxy.client(first).post_form(FORM, {"full_name": "Ada"})
    assert refused.status == 429 and h1(refused.body) == "Too many attempts"
    other = proxy.client(second)
    assert [other.post_form(FORM, {"full_name": "Bo"}).status for _ in range(2)] == [200, 200]


def french_form(client: HTTP) -> str:
    """The French address of the form, from the language toggle."""
    tree = lxml.html.fromstring(client.get(FORM).body)
    return tree.xpath("//nav[contains(@class, 'language-toggle')]//a[@lang='fr']/@href")[0]


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "That file is too large"), ("fr", "Ce fichier est trop volumineux")]
)
def test_a_file_too_large_gets_the_apps_page_in_the_urls_language(edge, lang, title):
    proxy, _ = edge
    client = proxy.client()
    path = FORM if lang == "en" else french_form(client)
    filled = fill_form(client, 1, path)
    six_megabytes = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    answer = client.post(path, filled.fields, {"resume": ("cv.pdf", six_megabytes)})
    assert answer.status == 413
    assert h1(answer.body) == title and f'lang="{lang}"' in answer.body
    assert answer.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    # A body announced much larger is refused before a byte of it is read, by the same page.
    connection = client.connect()
    connection.putrequest("POST", path, skip_host=True)
    for name, value in (("Host", "localhost"), ("Content-Type", "multipart/form-data; boundary=x")):
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(500 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and h1(response.read().decode()) == title
    connection.close()


def test_public_pages_are_kept_and_logged_without_their_query(edge):
    """nginx keeps a public page, one copy for every visitor, with or without
    a session cookie; never a form; its log names no client and no query."""
    proxy, _ = edge
    for _ in range(2):
        assert proxy.client().get("/en/jobs/").status == 200
        assert proxy.client().get(FORM).status == 200
    visitor = proxy.client()
    visitor.get(FORM)
    assert visitor.cookies, "the form gave the visitor a session cookie"
    assert visitor.get("/fr/emplois/").status == 200
    assert visitor.get("/fr/emplois/").status == 200
    assert proxy.client().get("/fr/emplois/").status == 200
    assert proxy.client().get("/en/jobs/?q=ada.tremblay%40example.ca").status == 200
    time.sleep(0.2)
    log = proxy.access_log.read_text()
    assert "ada.tremblay" not in log and "?" not in log and "127.0.0.1" not in log
    assert re.search(r'"GET /en/jobs/ HTTP/1.1" 200 \d+ [\d.]+ HIT$', log, re.M), log
    french = re.findall(r'"GET /fr/emplois/ HTTP/1.1" 200 \d+ [\d.]+ (\w+)$', log, re.M)
    assert french[-2:] == ["HIT", "HIT"], "the cookie holder's copy serves everyone"
    assert not re.search(rf'"GET {FORM} HTTP/1.1" 200 \d+ [\d.]+ HIT$', log, re.M), "a form is never kept"
    moved = HTTP("127.0.0.1", proxy.http_port).get("/en/jobs/?page=2")
    assert moved.status == 301 and moved.headers["Location"] == "https://localhost/en/jobs/?page=2"


def test_the_static_export_is_served_when_present_with_the_apps_headers(edge):
    """Pages written by the export are answered by nginx; a search, a POST
    and any page the export lacks reach the app."""
    proxy, _ = edge
    client = proxy.client()
    served = client.get("/fr/emplois/?app=1")
    (proxy.export / "fr" / "emplois").mkdir(parents=True)
    (proxy.export / "fr" / "emplois" / "index.html").write_text(
        served.body.replace("</h1>", " (export)</h1>"), encoding="utf-8"
    )
    try:
        exported = client.get("/fr/emplois/")
        assert exported.status == 200 and h1(exported.body).endswith("(export)")
        assert "X-Request-Id" not in exported.headers, "nginx answered, not the app"
        assert exported.headers["Content-Type"] == "text/html; charset=utf-8"
        for name in (*SECURITY_HEADERS, "Strict-Transport-Security", "Cache-Control"):
            assert exported.headers[name] == served.headers[name], name
        searched = client.get("/fr/emplois/?q=python")
        assert searched.status == 200 and not h1(searched.body).endswith("(export)")
        (proxy.export / ".export-manifest.json").write_text("{}", encoding="utf-8")
        hidden = client.get("/.export-manifest.json")
        assert hidden.status == 404 and "X-Request-Id" in hidden.headers, "the app's 404"
        posted = client.request("POST", "/fr/emplois/", b"", {"Content-Type": "text/plain"})
        assert posted.status in (400, 405) and "X-Request-Id" in posted.headers, "the app answered"
        assert client.get("/en/jobs/").headers.get("X-Request-Id"), "not exported: the app"
    finally:
        shutil.rmtree(proxy.export)


def test_nginx_serves_the_real_export_byte_for_byte_with_the_apps_types(edge):
    """`flask content export` into nginx's folder: every page, feed, sitemap
    and static file it wrote comes from nginx (not the app) with the same
    bytes and Content-Type the app gives; the API stays with the app."""
    proxy, app = edge
    export = app.command("content", "export", str(proxy.export), "--base-url", "https://localhost")
    output, _ = export.communicate(timeout=120)
    assert export.returncode == 0, output
    try:
        manifest = json.loads((proxy.export / ".export-manifest.json").read_text(encoding="utf-8"))
        client = proxy.client()
        checked = 0
        for entry in manifest["files"]:
            if "?" in entry["url"] or entry["status"] != 200:
                continue  # a query string, or a 404 page: the app answers those
            answer = client.request("GET", entry["url"], headers={"Accept-Encoding": "identity"})
            if entry["url"].startswith("/api/"):
                assert "X-Request-Id" in answer.headers, entry["url"]
                continue
            assert answer.status == 200, entry["url"]
            assert "X-Request-Id" not in answer.headers, f"{entry['url']}: nginx answered, not the app"
            assert answer.headers["Content-Type"] == entry["content_type"], entry["url"]
            written = (proxy.export / entry["file"]).read_bytes()
            assert answer.body.encode("utf-8") == written, entry["url"]
            checked += 1
        kinds = {entry["content_type"] for entry in manifest["files"]}
        assert {"application/atom+xml; charset=utf-8", "application/xml; charset=utf-8"} <= kinds
        assert checked > 30
    finally:
        shutil.rmtree(proxy.export, ignore_errors=True)


# Two app servers, one database, one Redis ---------------------------------------------

needs_servers = pytest.mark.skipif(
    not (POSTGRESQL_URL and REDIS_URL),
    reason="set PORTAL_TEST_DATABASE_URL and PORTAL_TEST_REDIS_URL to run two app servers on them",
)


@dataclass
class Pair:
    """Two app servers with the same settings, and what they share."""

    a: Gunicorn
    b: Gunicorn
    database_url: str
    content: Path
    smtp: SMTPServer


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two gunicorn servers on one PostgreSQL schema of their own, one Redis,
    one SMTP server and one content folder (reloaded twice a second)."""
    from aiosmtpd.controller import Controller

    folder = tmp_path_factory.mktemp("pair")
    content = folder / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    smtp = SMTPServer("127.0.0.1", free_port())
    controller = Controller(_Collector(smtp), hostname=smtp.host, port=smtp.port)
    controller.start()
    with migrated_schema("portal_topology") as database_url:
        env = portal_environment(
            database_url,
            folder,
            PORTAL_CONTENT_DIR=content,
            PORTAL_CONTENT_RELOAD_INTERVAL=0.5,
            PORTAL_RATELIMIT_STORAGE_URI=REDIS_URL,
            PORTAL_APPLY_RATE_LIMIT="3 per minute",
            PORTAL_SMTP_HOST=smtp.host,
            PORTAL_SMTP_PORT=smtp.port,
        )
        servers = []
        try:
            servers.append(Gunicorn(folder / "a", env))
            servers.append(Gunicorn(folder / "b", env))
            yield Pair(*servers, database_url, content, smtp)
        finally:
            stop(*(server.process for server in servers), sig=signal.SIGQUIT)
            controller.stop()


def on(server: Gunicorn, source: str = "127.0.0.1") -> HTTP:
    return HTTP("127.0.0.1", server.port, source=source)


@needs_servers
def test_two_servers_count_one_limit(pair):
    address, _ = loopback_pair()
    statuses = [
        on(server, address).post_form(FORM, {"full_name": "Ada"}).status
        for server in (pair.a, pair.b, pair.a, pair.b)
    ]
    assert statuses == [200, 200, 200, 429]


@needs_servers
def test_each_email_is_sent_once_by_two_servers_and_two_senders(pair):
    """Candidates apply on either server (each sends after its response),
    while two `flask outbox send` run at once: one email each, once."""
    from portal.domain.models import Application, OutboxEmail

    def apply(n: int) -> str:
        address = loopback_pair()[0]
        client = on((pair.a, pair.b)[n % 2], address)
        answer, reference = submit(client, fill_form(client, 100 + n))
        assert reference is not None, (answer.status, answer.body[:300])
        return reference

    with ThreadPoolExecutor(4) as pool:
        senders = [server.command("outbox", "send") for server in (pair.a, pair.b)]
        references = list(pool.map(apply, range(8)))
    for sender in senders:
        output, _ = sender.communicate(timeout=60)
        assert sender.returncode == 0, output
    again = [server.command("outbox", "send") for server in (pair.a, pair.b)]
    for sender in again:
        sender.communicate(timeout=60)
    app = create_app({"TESTING": True, "DATABASE_URL": pair.database_url})
    query = (
        select(OutboxEmail.message_id, OutboxEmail.sent_at)
        .join(Application, OutboxEmail.application_id == Application.id)
        .where(Application.reference.in_(references))
    )
    try:
        # A server may still be sending one of them after its response.
        deadline = time.monotonic() + 15
        while True:
            with app.app_context():
                rows = db.session.execute(query).all()
            if all(sent_at is not None for _, sent_at in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        dispose(app)
    wanted = {f"candidate{100 + n}@example.ca" for n in range(8)}
    received = [message for message in pair.smtp.received() if message["To"].addresses[0].addr_spec in wanted]
    assert len(rows) == 8 and all(sent_at is not None for _, sent_at in rows)
    assert sorted(message["Message-ID"] for message in received) == sorted(row.message_id for row in rows)


RELOADED = "Accessibility Specialist (Reloaded)"


@needs_servers
def test_a_content_change_reaches_both_servers(pair):
    posting = pair.content / "en" / "jobs" / "accessibility-specialist.md"
    source = posting.read_text(encoding="utf-8")
    assert "title: Accessibility Specialist\n" in source
    posting.write_text(
        source.replace("title: Accessibility Specialist\n", f"title: {RELOADED}\n", 1), encoding="utf-8"
    )
    deadline = time.monotonic() + 10
    seen = [False, False]
    while time.monotonic() < deadline and not all(seen):
        seen = [RELOADED in on(server).get("/en/jobs/").body for server in (pair.a, pair.b)]
        time.sleep(0.2)
    assert seen == [True, True]


@needs_servers
def test_an_application_sent_to_one_server_is_seen_by_staff_on_the_other(pair):
    from portal.domain.models import Application

    app = create_app(
        {"TESTING": True, "DATABASE_URL": pair.database_url, "PORTAL_PASSWORD_HASH_METHOD": "argon2id:1:8:1"}
    )
    try:
        staff = create_staff(app)
    finally:
        dispose(app)
    candidate = on(pair.a, loopback_pair()[0])
    filled = fill_form(candidate, 200)
    answer, reference = submit(candidate, filled)
    assert reference is not None, answer.status
    reviewer = on(pair.b)
    signed_in = reviewer.post_form(
        "/en/staff/sign-in", {"email": staff.admin, "password": "correct horse battery staple"}
    )
    assert signed_in.status == 302, signed_in.body[:300]
    with app.app_context():
        number = db.session.scalar(select(Application.id).where(Application.reference == reference))
    dispose(app)
    listing = reviewer.get("/en/staff/postings/head-product-management/")
    assert listing.status == 200 and f'href="/en/staff/applications/{number}/"' in listing.body
    assert reference in reviewer.get(f"/en/staff/applications/{number}/").body
    # The session lives in the database: the same cookie is signed in on A too.
    moved = HTTP("127.0.0.1", pair.a.port)
    moved.cookies = dict(reviewer.cookies)
    assert reference in moved.get(f"/en/staff/applications/{number}/").body


def test_the_master_reads_a_large_tree_in_worker_processes(tmp_path, sqlite_template):
    """gunicorn's master reads a tree of 1,000 files with helper processes
    (its own signal handlers are not theirs), then serves every posting."""
    content = tmp_path / "content"
    for number in range(PARALLEL_FROM_FILES // 2):
        for lang, slug in (("en", f"role-{number}"), ("fr", f"poste-{number}")):
            path = content / lang / "jobs" / f"{slug}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"---\ntitle: Role {number} ({lang})\nlayout: job-posting\ntranslationKey: role-{number}\n"
                f"description: Posting number {number}.\n---\n## About\n\nThe work of role {number}.\n",
                encoding="utf-8",
            )
    database = tmp_path / "portal.sqlite3"
    shutil.copy(sqlite_template, database)
    env = portal_environment(f"sqlite:///{database}", tmp_path, PORTAL_CONTENT_DIR=content)
    app = Gunicorn(tmp_path / "gunicorn", env)
    try:
        assert (
            f"content loaded before the workers start: {PARALLEL_FROM_FILES} documents" in app.log.read_text()
        )
        client = HTTP("127.0.0.1", app.port)
        for path, text in (("/en/jobs/role-499/", "Role 499 (en)"), ("/fr/emplois/poste-0/", "Role 0 (fr)")):
            response = client.get(path)
            assert response.status == 200 and text in response.body
    finally:
        app.stop()
